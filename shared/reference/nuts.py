"""NUTS regions (levels 0-3, EU-27): validation, names, hierarchy, coverage and search.

Data: `shared/reference/data/nuts2024.csv` (1,609 codes) and `nuts2021.csv` (1,608 codes), built
from Eurostat's `NUTS2021-NUTS2024.xlsx` (columns `code,name,level,country_code,note`),
© European Union, Eurostat GISCO NUTS, CC BY 4.0; see `data/SOURCES.md`. Loaded lazily, once.

Which edition. A code is accepted if it exists in NUTS 2024 *or* in NUTS 2021, because records
and partner platforms still use 2021 codes (e.g. Lisbon `PT170`, replaced in 2024 by `PT1A0`
and `PT1B0`). Codes present in both take the 2024 name and level; the 54 codes present only in
2021 keep their 2021 name and carry `edition="2021"` in their `CodeEntry`. No 2021 code is
translated into its 2024 successor (the workbook gives no reliable one-to-one mapping for
splits), so coverage between a 2021 code and a 2024 code is decided by the codes alone.

Names are Eurostat's national-language labels ("Rhône-Alpes", "Valencia/València"); trailing
spaces present in a few 2024 names are stripped. Country rows (level 0) carry English names.
Greece is `EL`, as in NUTS.

Hierarchy. A NUTS code is its country's two letters plus one character per level, so a region's
ancestors are its prefixes and coverage is prefix containment: `ITC` covers `ITC11`, `IT` covers
every Italian region, and a region covers itself.
"""

from __future__ import annotations

import re
from functools import cache

from shared.reference.codelist import CodeEntry, UnknownCode, read_rows
from shared.reference.index import CodeIndex

CODE_LIST = "nuts"
CURRENT_EDITION = "2024"
COUNTRY_LETTERS = 2
_CODE = re.compile(r"[A-Z]{2}[0-9A-Z]{0,3}")


@cache
def _entries() -> dict[str, CodeEntry]:
    entries: dict[str, CodeEntry] = {}
    for edition, filename in ((CURRENT_EDITION, "nuts2024.csv"), ("2021", "nuts2021.csv")):
        for row in read_rows(filename):
            code = row["code"].strip()
            if code in entries:
                continue  # 2024 wins where a code is in both editions
            entries[code] = CodeEntry(
                code=code,
                label=row["name"].strip(),
                level=int(row["level"]),
                country=row["country_code"].strip(),
                edition=edition,
            )
    return entries


def _rank_order(entry: CodeEntry) -> tuple[int, bool, str]:
    # Current (2024) codes before the 2021-only ones they replaced, e.g. PT1A before PT17.
    return (entry.level, entry.edition != CURRENT_EDITION, entry.code)


@cache
def _index() -> CodeIndex:
    return CodeIndex(_entries().values(), order=_rank_order)


def normalise_nuts(code: str) -> str:
    """`"itc11"` → `"ITC11"`: upper case, surrounding whitespace removed, must exist.

    Raises `UnknownCode` for a malformed code or one in neither NUTS 2024 nor NUTS 2021.
    """
    given = code.strip().upper() if isinstance(code, str) else ""
    if _CODE.fullmatch(given) is None:
        raise UnknownCode(
            CODE_LIST,
            str(code),
            "expected a country code and up to 3 more characters, e.g. IT, ITC, ITC1, ITC11",
        )
    if given not in _entries():
        raise UnknownCode(CODE_LIST, given, f"{given} is in neither NUTS 2024 nor NUTS 2021")
    return given


def nuts_entry(code: str) -> CodeEntry:
    """The list's entry for `code` (any case); raises `UnknownCode`."""
    return _entries()[normalise_nuts(code)]


def nuts_label(code: str) -> str:
    """The Eurostat name: `nuts_label("ITC11")` → `"Torino"`."""
    return nuts_entry(code).label


def nuts_level(code: str) -> int:
    """0 for a country, 1, 2 or 3 for the NUTS levels."""
    return nuts_entry(code).level


def nuts_country(code: str) -> str:
    """The country code of a region: `"ITC11"` → `"IT"`."""
    entry = nuts_entry(code)
    return entry.country or entry.code[:COUNTRY_LETTERS]


def nuts_ancestors(code: str) -> list[str]:
    """The region's ancestors that exist in the lists, country first; the code itself excluded.

    `nuts_ancestors("ITC11")` → `["IT", "ITC", "ITC1"]`; a country has none.
    """
    region = normalise_nuts(code)
    entries = _entries()
    prefixes = (region[:length] for length in range(COUNTRY_LETTERS, len(region)))
    return [prefix for prefix in prefixes if prefix in entries]


def nuts_covers(coverage: str, region: str) -> bool:
    """Whether the area `coverage` contains `region` (equal to it or an ancestor of it).

    `nuts_covers("ITC", "ITC11")` and `nuts_covers("IT", "ITC4C")` are true;
    `nuts_covers("ITC11", "ITC")` and `nuts_covers("FR", "ITC")` are false. Both codes are
    normalised first, so an unknown code raises `UnknownCode`.
    """
    return normalise_nuts(region).startswith(normalise_nuts(coverage))


def search_nuts(
    q: str,
    limit: int = 50,
    offset: int = 0,
    *,
    level: int | None = None,
    country: str | None = None,
) -> list[CodeEntry]:
    """Search NUTS by code prefix and by name words; one page of the ranked result.

    - A single token that looks like a code (`it`, `ITC`, `itc4`) matches that code (first)
      and every code it prefixes.
    - The query's words (case and accents ignored, any order, each a word prefix) match
      names: `"rhone"` finds "Rhône", "Rhône-Alpes", "Auvergne-Rhône-Alpes".
    - Both apply to every query; an entry matched by both takes its better rank.
    - `level` and `country` (any case) restrict the result; an empty query lists everything.

    Ranking (see `shared.reference.index`): exact code or name first, then code/name prefix
    matches, then the other name matches; within each, lower level first, then NUTS 2024
    codes before 2021-only ones, then by code. The order is total, so `offset` pages never
    overlap or skip.
    """
    query = q.strip()
    as_code = query.upper()
    is_code_like = _CODE.fullmatch(as_code) is not None
    wanted_country = country.strip().upper() if country is not None else None

    def keep(entry: CodeEntry) -> bool:
        return (level is None or entry.level == level) and (
            wanted_country is None or entry.country == wanted_country
        )

    return _index().search(
        text=query,
        code_prefix=as_code if is_code_like else None,
        exact_code=as_code if is_code_like else None,
        where=None if level is None and country is None else keep,
        limit=limit,
        offset=offset,
    )
