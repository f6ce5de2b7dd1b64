from __future__ import annotations

from datetime import date

import pytest

from services.matching.domain import (
    Bankability,
    FundingCall,
    Money,
    MoneyRange,
    Need,
    Offer,
    Organisation,
    RecordError,
    record_from_document,
)


class TestOrganisationDocument:
    def test_a_full_supplier_profile_is_read(self) -> None:
        record = Organisation.from_document(
            "organisation",
            {
                "id": 7,
                "kind": "supplier",
                "name": "Lumen",
                "country": "it",
                "status": "active",
                "description": "LED street lighting",
                "capabilities": ["LED", " LED ", "controls"],
                "references": [
                    {
                        "title": "Bristol",
                        "city": "Bristol",
                        "year": 2021,
                        "value": {"amount": 5e5, "currency": "GBP"},
                    },
                    {"city": "no title: dropped"},
                ],
                "cpv_codes": ["34928500-3", "50232100"],
                "nuts_codes": ["itc", "ITC4"],
                "contract_forms": ["epc", "made_up_form", "ppp"],
                "project_size": {
                    "min": {"amount": 1e5, "currency": "EUR"},
                    "max": {"amount": 5e6, "currency": "EUR"},
                },
                "created_at": "2026-01-01T00:00:00",
                "an_unknown_field": True,
            },
        )
        assert record.key == ("supplier", 7)
        assert record.country == "IT"
        assert record.capabilities == ("LED", "controls")
        assert record.references[0].value == Money(5e5, "GBP")
        assert len(record.references) == 1
        assert record.cpv_codes == ("34928500", "50232100")
        assert record.nuts_codes == ("ITC", "ITC4")
        assert record.contract_forms == ("epc", "ppp")
        assert record.project_size == MoneyRange(Money(1e5, "EUR"), Money(5e6, "EUR"))
        assert record.money_range == record.project_size
        assert record.active

    def test_a_lender_range_is_its_ticket(self) -> None:
        record = Organisation.from_document(
            "organisation",
            {
                "id": 1,
                "kind": "lender",
                "name": "Bank",
                "ticket": {
                    "min": {"amount": 1e6, "currency": "EUR"},
                    "max": {"amount": 2e7, "currency": "EUR"},
                },
                "min_dscr": 1.3,
                "target_irr": "0.07",
                "max_tenor_years": 20,
                "status": "inactive",
            },
        )
        assert record.money_range is not None
        assert record.money_range.min.amount == 1e6
        assert (record.min_dscr, record.target_irr, record.max_tenor_years) == (1.3, 0.07, 20)
        assert not record.active

    def test_a_range_in_two_currencies_is_dropped(self) -> None:
        data = {"min": {"amount": 1, "currency": "EUR"}, "max": {"amount": 2, "currency": "USD"}}
        assert MoneyRange.from_document(data) is None

    def test_offers_are_folded_in_order_and_add_their_cpv_codes(self) -> None:
        record = Organisation.from_document(
            "organisation", {"id": 1, "kind": "supplier", "name": "S", "cpv_codes": ["34928500"]}
        )
        offers = [
            Offer.from_document(
                "offer",
                {
                    "id": 9,
                    "organisation_id": 1,
                    "kind": "service",
                    "title": "B",
                    "cpv_codes": ["50232100"],
                },
            ),
            Offer.from_document(
                "offer", {"id": 3, "organisation_id": 1, "kind": "product", "title": "A"}
            ),
        ]
        folded = record.with_offers(offers)
        assert [offer.id for offer in folded.offers] == [3, 9]
        assert folded.all_cpv_codes == ("34928500", "50232100")
        assert record.offers == ()

    @pytest.mark.parametrize(
        "data",
        [
            {"kind": "supplier", "name": "no id"},
            {"id": 1, "kind": "bank", "name": "bad kind"},
            {"id": "x", "kind": "supplier"},
        ],
    )
    def test_malformed_organisations_are_refused(self, data: dict) -> None:
        with pytest.raises(RecordError):
            Organisation.from_document("organisation", data)

    def test_the_entity_must_match_the_class(self) -> None:
        with pytest.raises(RecordError, match="expected a 'organisation'"):
            Organisation.from_document("need", {"id": 1, "kind": "supplier", "name": "S"})


class TestNeedDocument:
    def test_a_need_is_read_with_dates_money_and_appraisal(self) -> None:
        record = Need.from_document(
            "need",
            {
                "id": 4,
                "organisation_id": 2,
                "title": "Illuminazione",
                "category": "public_lighting",
                "cpv_codes": ["34928500"],
                "nuts_code": "itc11",
                "budget": {"amount": 1200000, "currency": "eur"},
                "needed_by": "2027-06-30",
                "status": "open",
                "appraisal": {"template": "led_public_lighting", "inputs": {"lamps": 5000}},
            },
        )
        assert record.key == ("need", 4)
        assert record.nuts_code == "ITC11"
        assert record.budget == Money(1_200_000.0, "EUR")
        assert record.needed_by == date(2027, 6, 30)
        assert record.has_appraisal
        assert record.appraisal_id is None
        assert record.is_open

    def test_missing_optional_fields_take_empty_defaults(self) -> None:
        record = Need.from_document(
            "need", {"id": 1, "organisation_id": 2, "title": "T", "category": "space_travel"}
        )
        assert record.category == "other"
        assert record.budget is None
        assert record.needed_by is None
        assert not record.has_appraisal
        assert record.cpv_codes == ()


class TestFundingCallDocument:
    def test_a_call_is_read(self) -> None:
        record = FundingCall.from_document(
            "funding_call",
            {
                "id": 3,
                "organisation_id": 1,
                "title": "Call",
                "opens_at": "2026-01-01",
                "closes_at": "2026-12-31T23:59:59",
                "categories": ["public_lighting", "unknown"],
                "eligible_nuts": ["it"],
                "eligible_kinds": ["municipality"],
                "grant": {
                    "min": {"amount": 1e5, "currency": "EUR"},
                    "max": {"amount": 1e6, "currency": "EUR"},
                },
                "co_financing_rate": 0.5,
                "status": "open",
            },
        )
        assert record.closes_at == date(2026, 12, 31)
        assert record.categories == ("public_lighting",)
        assert record.eligible_nuts == ("IT",)
        assert record.co_financing_rate == 0.5

    def test_a_call_without_dates_is_refused(self) -> None:
        with pytest.raises(RecordError, match="opens_at"):
            FundingCall.from_document("funding_call", {"id": 1, "title": "T"})


def test_record_from_document_dispatches_by_entity() -> None:
    assert isinstance(
        record_from_document("offer", {"id": 1, "organisation_id": 2, "title": "T"}), Offer
    )
    assert isinstance(
        record_from_document("need", {"id": 1, "organisation_id": 2, "title": "T"}), Need
    )
    with pytest.raises(RecordError, match="unknown entity"):
        record_from_document("api_key", {"id": 1})


class TestBankability:
    def test_figures_at_the_top_level(self) -> None:
        record = Bankability.from_document(
            {
                "min_dscr": 1.35,
                "llcr": 1.5,
                "firr": 0.071,
                "equity_irr": 0.12,
                "funding_gap_rate": 0.2,
                "grade": "B",
            }
        )
        assert record.available
        assert (record.min_dscr, record.firr, record.equity_irr, record.grade) == (
            1.35,
            0.071,
            0.12,
            "B",
        )

    def test_figures_under_results_and_missing_ones(self) -> None:
        record = Bankability.from_document({"results": {"min_dscr": 1.2}})
        assert record.min_dscr == 1.2
        assert record.firr is None

    def test_unavailable_carries_no_figures(self) -> None:
        record = Bankability.unavailable("timeout after 300 ms")
        assert not record.available
        assert record.min_dscr is None
        assert record.reason == "timeout after 300 ms"


def test_money_is_shown_shortly() -> None:
    assert str(Money(1_250_000, "EUR")) == "1.25 M EUR"
    assert str(MoneyRange(Money(2e5, "EUR"), Money(5e6, "EUR"))) == "200 k-5 M EUR"
