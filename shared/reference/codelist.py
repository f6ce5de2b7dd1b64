"""The common shape of the reference code lists: one entry, the error for a bad code, the files.

Holds `CodeEntry` (one code of a list with its label and list-specific extras), `UnknownCode`
(raised when a code is malformed, absent from its list or carries a wrong check digit) and
`read_rows`, which reads one of the CSV files shipped as package data in
`shared/reference/data/` (copied unchanged from the team's `shared/data/`; provenance and
licences are in `shared/reference/data/SOURCES.md`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import Any

DATA_PACKAGE = "shared.reference"
DATA_FOLDER = "data"


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """One code of a reference list.

    Attributes
    ----------
    code:
        The canonical code: 8 digits for CPV (`34996100`), upper case for NUTS (`ITC11`).
    label:
        The list's label: English for CPV, the national-language Eurostat name for NUTS.
    level:
        CPV: the number of significant digits, 2 (division) to 8 (see `shared.reference.cpv`).
        NUTS: 0 (country) to 3.
    code_with_check_digit:
        CPV only: the code with its check digit, `34996100-6`.
    country:
        NUTS only: the country code (`IT`, `EL` for Greece).
    edition:
        NUTS only: `"2024"` for a code of NUTS 2024, `"2021"` for a code that exists only in
        NUTS 2021 (still accepted because it is still in use).
    """

    code: str
    label: str
    level: int
    code_with_check_digit: str | None = None
    country: str | None = None
    edition: str | None = None


class UnknownCode(ValueError):
    """A code that is malformed, not in its list, or whose check digit is wrong.

    `reason` is a sentence fit for an API's field-level error (`{"field", "reason"}`);
    `code` is the value as given; `code_list` names the list (`"cpv"`, `"nuts"`, `"currency"`).
    """

    def __init__(self, code_list: str, code: str, reason: str) -> None:
        super().__init__(f"{code!r} is not a valid {code_list} code: {reason}")
        self.code_list = code_list
        self.code = code
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle through their args; ours has a richer constructor.
        return (self.__class__, (self.code_list, self.code, self.reason))


def read_rows(filename: str) -> list[dict[str, str]]:
    """Read one CSV of `shared/reference/data/` (UTF-8, header row, RFC 4180 quoting)."""
    resource = resources.files(DATA_PACKAGE) / DATA_FOLDER / filename
    text = resource.read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))
