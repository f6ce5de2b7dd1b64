"""The catalogue's demo dataset uses only real codes and hangs together.

Every CPV, NUTS and currency code is checked against `shared.reference`; references between
records resolve to the right kind of organisation; ranges are ordered; the dataset holds the
situations the demo is for (open and closed calls, bundles of small needs, lender thresholds).
The expected NUTS names of the cities are published facts of NUTS 2024.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.catalogue.demo import load_demo_dataset
from shared.contracts import vocabulary
from shared.reference import (
    is_iso4217,
    normalise_cpv,
    normalise_nuts,
    nuts_covers,
    nuts_entry,
    nuts_level,
)

TODAY = date(2026, 11, 25)
CATEGORIES = set(vocabulary.NEED_CATEGORIES)
CONTRACT_FORMS = set(vocabulary.CONTRACT_FORMS)
INSTRUMENTS = set(vocabulary.INSTRUMENTS)
CITY_REGIONS = {  # municipality ref -> its NUTS 2024 level-3 region's name
    "torino": "Torino",
    "milano": "Milano",
    "bologna": "Bologna",
    "firenze": "Firenze",
    "genova": "Genova",
    "bari": "Bari",
    "padova": "Padova",
    "bergamo": "Bergamo",
    "lyon": "Rhône",
    "grenoble": "Isère",
    "barcelona": "Barcelona",
    "valencia": "Valencia/València",
    "lisboa": "Grande Lisboa",
}
SECTIONS = ("organisations", "offers", "needs", "funding_calls")


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return load_demo_dataset()


def records(demo: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in SECTIONS:
        for record in demo[section]:
            yield f"{section}/{record['ref']}", record


def nested(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict inside `value`, with a path for the failure message."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from nested(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from nested(item, f"{path}[{position}]")


def cpv_codes(record: dict[str, Any]) -> list[str]:
    return list(record.get("cpv_codes", []))


def nuts_codes(record: dict[str, Any]) -> list[str]:
    codes = list(record.get("nuts_codes", [])) + list(record.get("eligible_nuts", []))
    if "nuts_code" in record:
        codes.append(record["nuts_code"])
    return codes


def by_ref(demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {org["ref"]: org for org in demo["organisations"]}


def test_sections_and_sizes(demo: dict[str, Any]) -> None:
    assert set(demo) == set(SECTIONS)
    kinds = [org["kind"] for org in demo["organisations"]]
    assert kinds.count("municipality") >= 12
    assert kinds.count("supplier") >= 15
    assert kinds.count("lender") >= 7
    assert len(demo["needs"]) >= 20
    assert len(demo["funding_calls"]) >= 6
    assert len(demo["offers"]) >= 2 * kinds.count("supplier")


def test_refs_are_unique_within_each_section(demo: dict[str, Any]) -> None:
    for section in SECTIONS:
        refs = [record["ref"] for record in demo[section]]
        assert len(refs) == len(set(refs)), section


def test_loader_returns_a_fresh_copy() -> None:
    first = load_demo_dataset()
    first["needs"].clear()
    assert load_demo_dataset()["needs"]


def test_every_cpv_code_is_in_cpv_2008_in_canonical_form(demo: dict[str, Any]) -> None:
    seen = 0
    for where, record in records(demo):
        for code in cpv_codes(record):
            assert normalise_cpv(code) == code, where
            seen += 1
    assert seen > 100


def test_every_nuts_code_is_a_nuts_2024_code(demo: dict[str, Any]) -> None:
    seen = 0
    for where, record in records(demo):
        for code in nuts_codes(record):
            assert normalise_nuts(code) == code, where
            assert nuts_entry(code).edition == "2024", f"{where}: {code} is not in NUTS 2024"
            seen += 1
    assert seen > 50


def test_every_currency_is_iso4217_and_every_amount_non_negative(demo: dict[str, Any]) -> None:
    monies = [
        (path, value)
        for where, record in records(demo)
        for path, value in nested(record, where)
        if "currency" in value
    ]
    assert len(monies) > 50
    for path, money in monies:
        assert is_iso4217(money["currency"]), path
        assert isinstance(money["amount"], int | float), path
        assert money["amount"] >= 0, path


def test_every_range_has_min_at_most_max_in_one_currency(demo: dict[str, Any]) -> None:
    ranges = [
        (path, value)
        for where, record in records(demo)
        for path, value in nested(record, where)
        if set(value) == {"min", "max"}
    ]
    assert len(ranges) >= 15 + 7 + 6
    for path, money_range in ranges:
        low, high = money_range["min"], money_range["max"]
        assert low["currency"] == high["currency"], path
        assert low["amount"] <= high["amount"], path


def test_offers_belong_to_suppliers_and_needs_to_municipalities(demo: dict[str, Any]) -> None:
    organisations = by_ref(demo)
    for offer in demo["offers"]:
        assert organisations[offer["organisation"]]["kind"] == "supplier", offer["ref"]
    for need in demo["needs"]:
        assert organisations[need["organisation"]]["kind"] == "municipality", need["ref"]
    suppliers = {ref for ref, org in organisations.items() if org["kind"] == "supplier"}
    assert suppliers == {offer["organisation"] for offer in demo["offers"]}


def test_municipalities_sit_in_their_own_level_3_region(demo: dict[str, Any]) -> None:
    organisations = by_ref(demo)
    municipalities = {r for r, o in organisations.items() if o["kind"] == "municipality"}
    assert municipalities == set(CITY_REGIONS)
    for ref, region_name in CITY_REGIONS.items():
        (region,) = organisations[ref]["nuts_codes"]
        assert nuts_level(region) == 3, ref
        assert nuts_entry(region).label == region_name, ref
        assert nuts_entry(region).country == organisations[ref]["country"], ref


def test_every_need_is_complete_and_in_its_city(demo: dict[str, Any]) -> None:
    organisations = by_ref(demo)
    for need in demo["needs"]:
        assert need["category"] in CATEGORIES, need["ref"]
        assert need["nuts_code"], need["ref"]
        assert need["cpv_codes"], need["ref"]
        assert need["status"] in {"open", "closed"}, need["ref"]
        date.fromisoformat(need["needed_by"])
        city = organisations[need["organisation"]]
        assert any(nuts_covers(area, need["nuts_code"]) for area in city["nuts_codes"])
    statuses = [need["status"] for need in demo["needs"]]
    assert statuses.count("closed") >= 1
    assert statuses.count("open") >= 20


def test_contract_forms_and_instruments_are_from_the_api_lists(demo: dict[str, Any]) -> None:
    for where, record in records(demo):
        assert set(record.get("contract_forms", [])) <= CONTRACT_FORMS, where
        assert set(record.get("instruments", [])) <= INSTRUMENTS, where


def test_kind_specific_profile_fields(demo: dict[str, Any]) -> None:
    for org in demo["organisations"]:
        has_size, has_ticket = "project_size" in org, "ticket" in org
        assert has_size is (org["kind"] == "supplier"), org["ref"]
        assert has_ticket is (org["kind"] == "lender"), org["ref"]
        if org["kind"] == "supplier":
            assert 1 <= len(org["references"]) <= 3, org["ref"]
            assert org["capabilities"], org["ref"]
        if org["kind"] == "lender":
            assert 1.15 <= org["min_dscr"] <= 1.35, org["ref"]
            assert 0 < org["target_irr"] < 0.2, org["ref"]
            assert org["max_tenor_years"] >= 5, org["ref"]
            assert org["instruments"], org["ref"]


def test_contacts_and_websites_use_reserved_example_domains(demo: dict[str, Any]) -> None:
    for org in demo["organisations"]:
        host = urlsplit(org["website"]).hostname or ""
        assert host.endswith((".example.org", ".example.com")), org["ref"]
        domain = org["contact_email"].rsplit("@", 1)[1]
        assert domain.endswith((".example", ".example.org", ".example.com")), org["ref"]


def test_funding_calls_open_and_closed_on_the_demo_date(demo: dict[str, Any]) -> None:
    open_calls = closed_calls = 0
    for call in demo["funding_calls"]:
        opens, closes = date.fromisoformat(call["opens_at"]), date.fromisoformat(call["closes_at"])
        assert opens <= closes, call["ref"]
        assert 0 < call["co_financing_rate"] <= 1, call["ref"]
        assert set(call["categories"]) <= CATEGORIES, call["ref"]
        assert call["eligible_kinds"], call["ref"]
        open_calls += opens <= TODAY <= closes
        closed_calls += closes < TODAY
    assert open_calls >= 3
    assert closed_calls >= 1


def test_lender_thresholds_include_a_30m_minimum_ticket(demo: dict[str, Any]) -> None:
    minimums = [
        o["ticket"]["min"]["amount"] for o in demo["organisations"] if o["kind"] == "lender"
    ]
    assert 30_000_000 in minimums
    assert min(minimums) < 500_000  # micro-finance reaches small needs too


def test_small_needs_of_several_cities_reach_a_ticket_only_together(demo: dict[str, Any]) -> None:
    """Joint procurement: small open needs of one category, each below a lender's minimum
    ticket in their region, that reach it when bundled."""
    lenders = [o for o in demo["organisations"] if o["kind"] == "lender"]
    bundles = 0
    for category in CATEGORIES:
        small = [
            n
            for n in demo["needs"]
            if n["category"] == category and n["status"] == "open" and n["budget"]["amount"] < 5e6
        ]
        for lender in lenders:
            minimum = lender["ticket"]["min"]["amount"]
            reachable = [
                n
                for n in small
                if n["budget"]["amount"] < minimum
                and any(nuts_covers(area, n["nuts_code"]) for area in lender["nuts_codes"])
            ]
            cities = {n["organisation"] for n in reachable}
            if len(cities) >= 2 and sum(n["budget"]["amount"] for n in reachable) >= minimum:
                bundles += 1
    assert bundles >= 1


def test_a_few_needs_carry_template_appraisal_inputs(demo: dict[str, Any]) -> None:
    appraised = [n for n in demo["needs"] if "appraisal" in n]
    assert 2 <= len(appraised) <= len(demo["needs"]) // 2
    for need in appraised:
        assert need["appraisal"]["template"]
        inputs = need["appraisal"]["inputs"]
        assert inputs
        assert all(isinstance(v, int | float) and v >= 0 for v in inputs.values()), need["ref"]
