"""ISO 3166-1 alpha-2 country codes, from pycountry (the maintained packaging of the ISO lists).

An organisation's `country` is an ISO 3166-1 code (`GR`, `GB`), not a NUTS country code (`EL`,
`UK`); both spellings of those two are accepted and normalised to ISO.
"""

from __future__ import annotations

from functools import cache

import pycountry

from shared.reference.codelist import UnknownCode

NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}


@cache
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def normalise_country(code: str) -> str:
    upper = code.strip().upper()
    upper = NUTS_TO_ISO.get(upper, upper)
    if upper not in country_codes():
        raise UnknownCode("country", code, "not an ISO 3166-1 alpha-2 country code")
    return upper
