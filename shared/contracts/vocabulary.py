"""The programme's shared vocabularies (API.md): one definition for every service.

Plain tuples, so pure domain modules may import them; the catalogue's request models build
their `Literal` types from them.
"""

from __future__ import annotations

ORGANISATION_KINDS = ("supplier", "lender", "municipality", "partner")

NEED_CATEGORIES = (
    "public_lighting",
    "traffic_lights",
    "building_efficiency",
    "urban_freight_logistics",
    "car_pooling",
    "smart_grid",
    "digital_mobility",
    "urban_safety",
    "operation_centre",
    "other",
)

CONTRACT_FORMS = (
    "procurement",
    "ppp",
    "pfi",
    "project_finance",
    "epc",
    "concession",
    "sib",
    "shared_revenue",
    "micro_finance",
    "grant",
)

INSTRUMENTS = (
    "senior_debt",
    "mezzanine",
    "equity",
    "green_bond",
    "grant",
    "guarantee",
    "loan",
    "crowdfunding",
    "leasing",
)
