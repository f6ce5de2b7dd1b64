"""ISO 4217 currency codes: validation and names.

Data: `shared/reference/data/currencies.csv`, 154 codes with English and Italian names (columns
`code,label_en,label_it`), from the EU Publications Office authority table "currency" as shipped
in the OP-TED eForms SDK (`codelists/currency.gc`, version 20260105-0, CC BY 4.0); see
`data/SOURCES.md`. Loaded lazily, once.

`is_iso4217` is strict (the code exactly as listed, upper case); `normalise_currency` is lenient
about case and surrounding whitespace and returns the listed form.
"""

from __future__ import annotations

from functools import cache

from shared.reference.codelist import UnknownCode, read_rows

CODE_LIST = "currency"
LANGUAGES = ("en", "it")


@cache
def _names() -> dict[str, dict[str, str]]:
    return {
        row["code"].strip(): {"en": row["label_en"].strip(), "it": row["label_it"].strip()}
        for row in read_rows("currencies.csv")
    }


def currency_codes() -> frozenset[str]:
    """Every listed code."""
    return frozenset(_names())


def is_iso4217(code: str) -> bool:
    """Whether `code` is a listed ISO 4217 code exactly as given (`"EUR"` yes, `"eur"` no)."""
    return isinstance(code, str) and code in _names()


def normalise_currency(code: str) -> str:
    """`" eur "` → `"EUR"`; raises `UnknownCode` for a code not in the list."""
    given = code.strip().upper() if isinstance(code, str) else ""
    if given not in _names():
        raise UnknownCode(CODE_LIST, str(code), "not an ISO 4217 currency code, e.g. EUR")
    return given


def currency_label(code: str, language: str = "en") -> str:
    """The currency's name in English (`"en"`) or Italian (`"it"`): `"CHF"` → `"Swiss franc"`."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return _names()[normalise_currency(code)][language]
