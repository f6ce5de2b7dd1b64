"""CPV 2008 (Common Procurement Vocabulary): validation, labels, hierarchy and search.

Data: `shared/reference/data/cpv2008.csv`, the 9,454 codes of the CPV 2008 main vocabulary with
their check digits and English labels (columns `code,label_en`, e.g. `34996100-6,Traffic lights`),
© European Union, CPV 2008 (Reg. (EC) 213/2008); see `data/SOURCES.md`. Loaded lazily, once.

Codes are accepted with or without their check digit (`34996100` or `34996100-6`) and always
returned in the 8-digit form. A given check digit must equal the one the list publishes.

Hierarchy. A code's *significant digits* are its digits without the trailing zeros that pad it
to 8, but at least 2: `34996100` has 6 (`349961`), `45000000` has 2, `90000000` has 2. The
significant digits are the code's `level`: 2 division (`XX000000`), 3 group, 4 class,
5 category, 6 to 8 sub-categories. A code's ancestors are the codes obtained by keeping its
first 2, 3, ... (significant - 1) digits and zeroing the rest, where those codes exist in the
list (45 codes of the list lack one intermediate ancestor; the missing ones are skipped).
"""

from __future__ import annotations

import re
from functools import cache

from shared.reference.codelist import CodeEntry, UnknownCode, read_rows
from shared.reference.index import CodeIndex

CODE_LIST = "cpv"
DIVISION_DIGITS = 2
_CODE = re.compile(r"(\d{8})(?:-(\d))?")
_DIGITS_QUERY = re.compile(r"\d{1,7}|\d{8}(?:-\d)?")


def significant_digits(code8: str) -> int:
    """The number of significant digits of an 8-digit code: trailing zeros dropped, at least 2."""
    return max(DIVISION_DIGITS, len(code8.rstrip("0")))


@cache
def _entries() -> dict[str, CodeEntry]:
    entries: dict[str, CodeEntry] = {}
    for row in read_rows("cpv2008.csv"):
        full = row["code"].strip()
        code8 = full[:8]
        entries[code8] = CodeEntry(
            code=code8,
            label=row["label_en"].strip(),
            level=significant_digits(code8),
            code_with_check_digit=full,
        )
    return entries


@cache
def _index() -> CodeIndex:
    return CodeIndex(_entries().values())


def cpv_entry(code: str) -> CodeEntry:
    """The list's entry for `code` (either form); raises `UnknownCode`."""
    return _entries()[normalise_cpv(code)]


def normalise_cpv(code: str) -> str:
    """`34996100` or `34996100-6` → `34996100`.

    Raises `UnknownCode` if the value is not 8 digits with an optional `-` and check digit, if
    the code is not in CPV 2008, or if a check digit is given and differs from the list's.
    Surrounding whitespace is ignored.
    """
    given = code.strip() if isinstance(code, str) else ""
    match = _CODE.fullmatch(given)
    if match is None:
        raise UnknownCode(
            CODE_LIST,
            str(code),
            "expected 8 digits with an optional check digit, e.g. 34996100 or 34996100-6",
        )
    code8, check_digit = match.groups()
    entry = _entries().get(code8)
    if entry is None:
        raise UnknownCode(CODE_LIST, given, f"{code8} is not in the CPV 2008 list")
    if check_digit is not None and entry.code_with_check_digit != given:
        raise UnknownCode(
            CODE_LIST,
            given,
            f"wrong check digit {check_digit}: the code is {entry.code_with_check_digit}",
        )
    return code8


def cpv_label(code: str) -> str:
    """The English label: `cpv_label("34996100")` → `"Traffic lights"`."""
    return cpv_entry(code).label


def cpv_with_check_digit(code: str) -> str:
    """The code with its check digit: `"34996100"` → `"34996100-6"`."""
    entry = cpv_entry(code)
    # Every CPV entry carries one; the fallback only satisfies the Optional type.
    return entry.code_with_check_digit or entry.code


def cpv_level(code: str) -> int:
    """The number of significant digits, 2 (division) to 8 (see the module docstring)."""
    return cpv_entry(code).level


def cpv_ancestors(code: str) -> list[str]:
    """The code's ancestors in the list, most general first.

    `cpv_ancestors("34996100")` → `["34000000", "34900000", "34990000", "34996000"]`.
    A division has none. The code itself is not included.
    """
    code8 = normalise_cpv(code)
    entries = _entries()
    candidates = (
        code8[:digits] + "0" * (8 - digits)
        for digits in range(DIVISION_DIGITS, significant_digits(code8))
    )
    return [candidate for candidate in candidates if candidate in entries]


def cpv_common_prefix_depth(a: str, b: str) -> int:
    """How many leading significant digits two codes share.

    Defined as `min(shared, significant(a), significant(b))`, where `shared` is the length of
    the common leading digit string of the two 8-digit codes; so padding zeros never count:

    - `34996100` vs `34996000` → 5 (same category `34996`);
    - `34996100` vs `34996100` → 6 (the code itself);
    - `34996100` vs `34000000` → 2 (same division);
    - `34996100` vs `31527200` → 1 (same first digit only: not the same division);
    - `45000000` vs `45000000` → 2 (a division shares only its 2 significant digits).

    A result of 2 or more means a common division, 3 a common group, 4 a common class and
    5 a common category. Either form of code is accepted; unknown codes raise `UnknownCode`.
    """
    code_a, code_b = normalise_cpv(a), normalise_cpv(b)
    shared = 0
    for digit_a, digit_b in zip(code_a, code_b, strict=True):
        if digit_a != digit_b:
            break
        shared += 1
    return min(shared, significant_digits(code_a), significant_digits(code_b))


def search_cpv(q: str, limit: int = 50, offset: int = 0) -> list[CodeEntry]:
    """Search CPV by code prefix or by label words; one page of the ranked result.

    - A query of 1 to 8 digits (optionally followed by `-` and a check digit, which is
      ignored) is a code prefix: `"3499"` finds `34990000` and everything under it. A full
      8-digit code matches itself first, then its descendants (`"34996000"` → `34996000`,
      `34996100`, ...).
    - Any other query is words: every word must start a word of the label, case and accents
      ignored, in any order (`"traffic li"` finds "Traffic lights").
    - An empty query lists every code.

    Ranking (see `shared.reference.index`): exact code or label first, then code/label
    prefix matches, then the other word matches; within each, more general (fewer significant
    digits) first, then by code. The order is total, so `offset` pages never overlap or skip.
    """
    query = q.strip()
    digits = _DIGITS_QUERY.fullmatch(query)
    if digits is None:
        return _index().search(text=query, limit=limit, offset=offset)
    prefix = query[:8]  # drops a check digit
    if len(prefix) == 8:
        return _index().search(
            text=None,
            code_prefix=prefix[: significant_digits(prefix)],
            exact_code=prefix,
            limit=limit,
            offset=offset,
        )
    return _index().search(text=None, code_prefix=prefix, limit=limit, offset=offset)
