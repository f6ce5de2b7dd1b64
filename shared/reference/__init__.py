"""Reference code lists shipped with the project: CPV 2008, NUTS 2024/2021 and ISO 4217.

Pure Python (stdlib only), safe to import from any layer. The data are CSV files in
`shared/reference/data/`, copied from the team's `shared/data/` (sources and licences in
`shared/reference/data/SOURCES.md`); each list is read lazily on first use and kept.
"""

from shared.reference.codelist import CodeEntry, UnknownCode
from shared.reference.cpv import (
    cpv_ancestors,
    cpv_common_prefix_depth,
    cpv_entry,
    cpv_label,
    cpv_level,
    cpv_with_check_digit,
    normalise_cpv,
    search_cpv,
)
from shared.reference.currency import (
    currency_codes,
    currency_label,
    is_iso4217,
    normalise_currency,
)
from shared.reference.nuts import (
    normalise_nuts,
    nuts_ancestors,
    nuts_country,
    nuts_covers,
    nuts_entry,
    nuts_label,
    nuts_level,
    search_nuts,
)

__all__ = [
    "CodeEntry",
    "UnknownCode",
    "cpv_ancestors",
    "cpv_common_prefix_depth",
    "cpv_entry",
    "cpv_label",
    "cpv_level",
    "cpv_with_check_digit",
    "currency_codes",
    "currency_label",
    "is_iso4217",
    "normalise_cpv",
    "normalise_currency",
    "normalise_nuts",
    "nuts_ancestors",
    "nuts_country",
    "nuts_covers",
    "nuts_entry",
    "nuts_label",
    "nuts_level",
    "search_cpv",
    "search_nuts",
]
