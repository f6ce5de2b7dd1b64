"""OCDS mapping, merging and package reading, on the publishers' own files (tests/data/ocds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ijson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalogue.domain.ocds import country_from_name, region_by_name
from services.catalogue.domain.ocds_import import Plan, plan_import
from services.catalogue.domain.ocds_merge import compile_releases, merge_into, parse_date
from services.catalogue.domain.ocds_package import (
    DOCUMENT,
    NotAPackage,
    Packed,
    PrunedBuilder,
    classify,
    unpack,
)
from tests.samples import OCDS


def read(path: Path | bytes, *, country: str | None = None) -> Plan:
    raw = path if isinstance(path, bytes) else path.read_bytes()
    document = PrunedBuilder(DOCUMENT).build(ijson.basic_parse(raw, use_float=True))
    return plan_import(classify(document), default_country=country)


def by_ocid(plan: Plan) -> dict[str, Any]:
    return {process.ocid: process for process in plan.processes}


class TestFictionalExample:
    """The OCDS documentation's release package: six releases of one process, compiled."""

    plan = read(OCDS / "fictional-example" / "ocds-213czf-000-00001.release-package.json")

    def test_six_releases_compile_into_one_process(self) -> None:
        assert self.plan.shape == "release_package"
        assert self.plan.publisher == "Open Data Services Co-operative Limited"
        assert self.plan.releases_read == 6
        assert [p.ocid for p in self.plan.processes] == ["ocds-213czf-000-00001"]

    def test_the_compiled_tender_keeps_the_latest_values_of_each_field(self) -> None:
        process = self.plan.processes[0]
        need = process.need.document
        assert need["title"] == "Planned cycle lane improvements"
        # release 2 raised the value from the plan's 1,000,000; GBP is kept as published
        assert need["budget"] == {"amount": 1100000, "currency": "GBP"}
        # release 3 (tenderAmendment) moved the end of the tender period
        assert need["needed_by"] == "2010-04-08"
        assert need["cpv_codes"][0] == "45233130"  # published as "45233130.0"
        assert need["contract_forms"] == ["procurement"]
        assert need["status"] == "closed"
        assert process.release_id == "ocds-213czf-000-00001-06-implementation"

    def test_the_uk_tender_is_rejected_for_its_region_and_its_parties_kept(self) -> None:
        process = self.plan.processes[0]
        [issue] = process.need.issues
        assert "outside NUTS" in issue.reason
        assert issue.pointer.startswith("/releases/")
        parties = {party.key: party for party in process.parties}
        assert parties["GB-LAC-E09000003"].kind == "municipality"
        assert parties["GB-LAC-E09000003"].document["name"] == "London Borough of Barnet"
        assert parties["GB-LAC-E09000003"].document["country"] == "GB"
        assert {parties[key].kind for key in parties if key.startswith("GB-COH")} == {"supplier"}


class TestAnac:
    """ANAC (Italy): a JSON array and a JSON Lines file of the same 32 compiled releases."""

    plan = read(OCDS / "it-anac" / "anac-2022-compiled-releases.sample.json")

    def test_every_release_becomes_a_need_with_its_buyer(self) -> None:
        assert self.plan.shape == "release_list"
        assert len(self.plan.processes) == 32
        assert not self.plan.rejected
        assert all(not p.need.issues for p in self.plan.processes)

    def test_fields_of_a_known_tender(self) -> None:
        process = by_ocid(self.plan)["ocds-hu01ve-7299911"]
        assert process.need.document["title"] == "ESPURGO MECCANICO SACCHE"  # from the description
        assert process.need.document["cpv_codes"] == ["45246410"]
        assert process.need.document["budget"] == {"amount": 79592.73, "currency": "EUR"}
        assert process.need.document["nuts_code"] == "ITC42"  # COMO, the buyer's locality
        assert process.buyer_key == "IT-CF-80005370137"
        [buyer] = [p for p in process.parties if p.key == process.buyer_key]
        assert buyer.document["name"] == "COMUNE DI COMO"
        assert buyer.document["nuts_codes"] == ["ITC42"]

    def test_payers_are_not_organisations_and_suppliers_are(self) -> None:
        process = by_ocid(self.plan)["ocds-hu01ve-7475510"]
        kinds = [party.kind for party in process.parties]
        assert kinds == ["municipality"] + ["supplier"] * 6

    def test_a_locality_that_is_no_region_falls_back_to_the_country(self) -> None:
        process = by_ocid(self.plan)["ocds-hu01ve-7285938"]  # GAIOLE IN CHIANTI
        assert process.need.document["nuts_code"] == "IT"
        assert process.need.document["category"] == "public_lighting"  # ILLUMINAZIONE PUBBLICA

    def test_a_date_that_is_not_iso_8601_is_read_by_its_day_with_a_warning(self) -> None:
        process = by_ocid(self.plan)["ocds-hu01ve-7732287"]
        assert process.release_date == "2022-10-26T00:00:00+00:00"
        assert any(w.pointer.endswith("/date") for w in process.warnings)

    def test_json_lines_hold_the_same_releases(self) -> None:
        lines = (OCDS / "it-anac" / "anac-2022-compiled-releases.sample.jsonl").read_text()
        ocids = {json.loads(line)["ocid"] for line in lines.splitlines() if line.strip()}
        assert ocids <= set(by_ocid(self.plan))


class TestMoldova:
    def test_a_record_and_its_release_map_to_the_same_tender(self) -> None:
        record = read(OCDS / "moldova" / "records" / "ocds-ngfbwp-19651579.json", country="MD")
        release = read(
            OCDS / "moldova" / "releases" / "ocds-ngfbwp-19651579-19651579.json", country="MD"
        )
        assert (record.shape, release.shape) == ("record", "release")
        assert record.publisher == release.publisher == "Public Procurement Agency"
        for plan in (record, release):
            [process] = plan.processes
            assert process.need.document["title"] == "Tender Ref 17/01668 Bulletin 47"
            assert process.need.document["cpv_codes"] == ["45000000"]
            assert "budget" not in process.need.document  # {"amount": "", "currency": ""}
            assert "outside NUTS" in process.need.issues[0].reason

    def test_parties_without_country_need_the_partners_country(self) -> None:
        path = OCDS / "moldova" / "records" / "ocds-ngfbwp-17481081.json"
        [without] = read(path).processes
        [with_country] = read(path, country="MD").processes
        buyer = next(p for p in without.parties if p.key == without.buyer_key)
        assert buyer.issues[0].pointer == "/compiledRelease/parties/0/address/countryName"
        named = {p.document["name"]: p for p in with_country.parties if not p.issues}
        assert named["CONSILIUL RAIONAL CAHUL"].document["country"] == "MD"
        assert named["S.R.L. LUKOIL-Moldova"].kind == "supplier"
        # the nameless tenderer is rejected with its pointer
        nameless = [p for p in with_country.parties if p.issues]
        assert nameless[0].issues[0].pointer == "/compiledRelease/parties/1/name"


class TestContractsFinder:
    def test_gbp_values_and_cpv_codes_are_kept(self) -> None:
        path = OCDS / "uk-contracts-finder" / "records"
        plan = read(path / "ocds-b5fd17-2c470411-adc8-11e6-9901-0019b9f3037b.json")
        [process] = plan.processes
        need = process.need.document
        assert (
            need["title"] == "CP1093-14 Connecting Devon and Somerset Superfast Extension Programme"
        )
        assert need["cpv_codes"] == ["32000000", "64000000", "72000000"]
        assert need["budget"] == {"amount": 600000, "currency": "GBP"}
        [buyer] = process.parties
        assert (buyer.document["name"], buyer.document["country"]) == ("Devon County Council", "GB")

    def test_a_release_with_an_inline_buyer_and_no_parties(self) -> None:
        name = (
            "ocds-b5fd17-2c330cf9-adc8-11e6-9901-0019b9f3037b-ocds-b5fd17-2c330cf9-adc8-11e6-"
            "9901-0019b9f3037b-59429-metofc-9mgh-ghl8ty.json"
        )
        [process] = read(OCDS / "uk-contracts-finder" / "releases" / name).processes
        [buyer] = process.parties
        assert buyer.pointer == "/buyer"
        assert buyer.document == {"kind": "municipality", "name": "MET OFFICE", "country": "GB"}
        assert process.need.document["budget"] == {"amount": 464500, "currency": "GBP"}


class TestProzorro:
    def test_uah_value_and_parties_named_in_ukrainian(self) -> None:
        path = OCDS / "ukraine" / "records" / "ocds-be6bcu-UA-2016-12-29-000657-c.json"
        [process] = read(path).processes
        assert process.need.document["title"] == "Енергія електрична"
        assert process.need.document["budget"] == {"amount": 1130184.0, "currency": "UAH"}
        assert process.need.document["cpv_codes"] == ["09310000"]
        assert process.need.document["status"] == "closed"  # cancelled
        parties = {p.kind: p for p in process.parties}
        assert parties["municipality"].key == "UA-EDR-00032106"
        # XM-EORI names no country: the address "Україна" does
        assert parties["supplier"].document["country"] == "UA"


class TestMerging:
    def test_null_removes_lists_with_ids_merge_and_others_replace(self) -> None:
        compiled = compile_releases(
            [
                {
                    "ocid": "o",
                    "id": "1",
                    "date": "2020-01-01T00:00:00Z",
                    "tender": {
                        "title": "A",
                        "description": "old",
                        "items": [
                            {"id": "1", "description": "x", "additionalClassifications": [1]},
                            {"id": "2", "description": "y"},
                        ],
                    },
                    "tag": ["tender"],
                },
                {
                    "ocid": "o",
                    "id": "2",
                    "date": "2020-02-01T00:00:00Z",
                    "tender": {
                        "description": None,
                        "items": [{"id": "1", "additionalClassifications": [2]}],
                    },
                },
            ]
        )
        assert compiled["id"] == "2"
        assert compiled["tender"]["title"] == "A"
        assert "description" not in compiled["tender"]
        assert compiled["tender"]["items"] == [
            {"id": "1", "description": "x", "additionalClassifications": [2]},
            {"id": "2", "description": "y"},
        ]
        assert compiled["tag"] == ["compiled"]

    def test_merge_into_replaces_a_list_without_ids(self) -> None:
        target = {"roles": ["buyer"], "parties": [{"name": "a"}]}
        merge_into(target, {"parties": [{"name": "b"}]})
        assert target["parties"] == [{"name": "b"}]

    @pytest.mark.parametrize(
        ("text", "exact"),
        [("2017-01-13T16:11:16.863956+02:00", True), ("2022-10-26 20:38:20.533T12:00:00Z", False)],
    )
    def test_dates(self, text: str, exact: bool) -> None:
        moment, was_exact = parse_date(text)
        assert moment is not None
        assert moment.tzinfo is not None
        assert was_exact is exact
        assert parse_date("soon") == (None, False)


class TestReading:
    def test_pruning_keeps_array_indexes_and_drops_what_is_not_mapped(self) -> None:
        raw = json.dumps(
            {
                "releases": [
                    {"ocid": "o", "awards": [{"id": 1, "documents": [{"url": "u"}]}]},
                    {"ocid": "p", "tender": {"documents": [1, 2], "items": [{"id": 1}, {"id": 2}]}},
                ],
                "extensions": ["x"],
            }
        ).encode()
        document = PrunedBuilder(DOCUMENT).build(ijson.basic_parse(raw))
        # the releases are held packed (compact JSON) until planned
        assert all(isinstance(release, Packed) for release in document["releases"])
        assert [unpack(release) for release in document["releases"]] == [
            {"ocid": "o", "awards": [{"id": 1}]},
            {"ocid": "p", "tender": {"items": [{"id": 1}, {"id": 2}]}},
        ]
        assert set(document) == {"releases"}

    def test_a_record_package_uses_compiled_releases(self) -> None:
        record = json.loads(
            (OCDS / "ukraine" / "records" / "ocds-be6bcu-UA-2016-12-29-000657-c.json").read_text()
        )
        package = json.dumps({"publisher": {"name": "Prozorro"}, "records": [record]}).encode()
        plan = read(package)
        assert (plan.shape, plan.publisher) == ("record_package", "Prozorro")
        assert plan.processes[0].need.document["title"] == "Енергія електрична"

    def test_bad_entries_are_rejected_with_their_pointers(self) -> None:
        plan = read(b'{"releases": [7, {"ocid": "o", "id": "1"}]}')
        assert [(issue.pointer, issue.reason) for issue in plan.rejected] == [
            ("/releases/0", "a release must be a JSON object"),
            ("/releases/1/date", "a release needs a date to be ordered, not None"),
        ]

    @pytest.mark.parametrize("raw", [b'{"hello": 1}', b'"text"', b'{"releases": {}}'])
    def test_other_documents_are_not_packages(self, raw: bytes) -> None:
        with pytest.raises(NotAPackage):
            classify(PrunedBuilder(DOCUMENT).build(ijson.basic_parse(raw)))


def test_country_and_region_names() -> None:
    assert country_from_name(" United Kingdom") == "GB"
    assert country_from_name("ITALY") == "IT"
    assert country_from_name("Україна") == "UA"
    assert country_from_name("Atlantis") is None
    assert region_by_name("IT", "ROMA") == "ITI43"
    assert region_by_name("IT", "", "Torino") == "ITC11"
    assert region_by_name("IT", "GAIOLE IN CHIANTI") is None


OCDS_WORDS = [
    "ocid", "id", "date", "tag", "buyer", "parties", "tender", "awards", "packageInfo",
    "publisher", "name", "roles", "identifier", "scheme", "legalName", "address", "countryName",
    "region", "locality", "title", "description", "status", "value", "amount", "currency",
    "procurementMethod", "procurementMethodDetails", "tenderPeriod", "endDate", "items",
    "classification", "additionalClassifications", "deliveryAddress", "deliveryLocation",
    "gazetteer", "identifiers", "releases", "records", "compiledRelease",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**9),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "CPV", "NUTS", "ITC11", "EUR", "2020-01-01", "buyer", "IT-CF", "ITALY"]),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(OCDS_WORDS), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(document=JSON_VALUES, wrap=st.booleans())
def test_any_json_is_read_and_planned_or_refused_as_not_a_package(
    document: Any, wrap: bool
) -> None:
    """Whatever shape a partner posts, reading and planning either work or say it is not a
    package: no other exception (a 500) can come out of them."""
    raw = json.dumps({"releases": [document]} if wrap else document).encode()
    try:
        parsed = classify(PrunedBuilder(DOCUMENT).build(ijson.basic_parse(raw, use_float=True)))
    except NotAPackage:
        return
    plan = plan_import(parsed, default_country="IT")
    assert plan.releases_read >= len(plan.processes)
