from __future__ import annotations

import json

import pytest

from services.matching.domain import BundleRules, IndexRecord, Need, TextIndex, propose_bundles
from services.matching.tests.domain.builders import TODAY, lender, municipality, need


def catalogue(*extra: IndexRecord) -> tuple[TextIndex, Need]:
    """A 400 k EUR lighting need in Torino, too small for Green Infrastructure Fund (2 M min)."""
    subject = need(100, organisation_id=900, budget=400_000, forms=["ppp", "epc"])
    records: list[IndexRecord] = [
        municipality(900, name="Torino", nuts=["ITC11"]),
        municipality(901, name="Milano", nuts=["ITC4C"]),
        municipality(902, name="Genova", nuts=["ITC33"]),
        municipality(903, name="Bari", nuts=["ITF47"]),
        lender(50, name="Green Infrastructure Fund", ticket=(2_000_000, 20_000_000), nuts=["IT"]),
        lender(51, name="Big Bank", ticket=(50_000_000, 500_000_000), nuts=["IT"]),
        lender(52, name="Banque Lyon", ticket=(100_000, 1_000_000), nuts=["FR"]),
        subject,
        need(
            101,
            organisation_id=901,
            title="Illuminazione pubblica LED",
            nuts="ITC4C",
            budget=700_000,
        ),
        need(
            102,
            organisation_id=902,
            title="Lampioni a LED",
            nuts="ITC33",
            budget=900_000,
            forms=["epc"],
        ),
        need(103, organisation_id=903, title="LED street lighting", nuts="ITF47", budget=500_000),
        # Not bundleable:
        need(
            110, organisation_id=900, title="Illuminazione LED lotto 2", budget=900_000
        ),  # same city
        need(111, organisation_id=904, title="Illuminazione LED", budget=900_000, status="closed"),
        need(
            112, organisation_id=905, title="LED lighting", nuts="FR101", budget=900_000
        ),  # France
        need(113, organisation_id=906, title="Smart meters", category="smart_grid", budget=900_000),
        need(
            114, organisation_id=907, title="Illuminazione", budget=900_000, needed_by="2031-01-01"
        ),
        need(115, organisation_id=908, title="Illuminazione", budget=900_000, forms=["concession"]),
        need(116, organisation_id=909, title="Illuminazione", budget=900_000, currency="USD"),
        *extra,
    ]
    return TextIndex.build(records), subject


def test_bundles_reach_a_named_lenders_minimum_ticket() -> None:
    index, subject = catalogue()
    proposal = propose_bundles(index, subject, today=TODAY)
    assert proposal.proposed
    assert any("below the minimum ticket of every lender" in reason for reason in proposal.reasons)
    assert proposal.bundles
    best = proposal.bundles[0]
    unlocked = {entry.lender.id for entry in best.lenders}
    assert 50 in unlocked
    assert best.total.amount >= 2_000_000 * (1 - 0.2)
    assert best.total.amount == pytest.approx(sum(m.need.budget.amount for m in best.members))  # type: ignore[union-attr]
    assert any("Green Infrastructure Fund" in reason for reason in best.reasons)


def test_every_member_is_an_open_compatible_need_of_another_municipality() -> None:
    index, subject = catalogue()
    for bundle in propose_bundles(index, subject, today=TODAY).bundles:
        assert bundle.members[0].need == subject
        others = [member.need for member in bundle.members[1:]]
        assert others
        assert all(other.is_open for other in others)
        municipalities = [other.organisation_id for other in others]
        assert subject.organisation_id not in municipalities
        assert len(set(municipalities)) == len(municipalities)  # one need per municipality
        assert {other.id for other in others} <= {101, 102, 103}
        assert all(other.nuts_code.startswith("IT") for other in others)


def test_a_lender_outside_the_members_regions_is_not_unlocked() -> None:
    index, subject = catalogue()
    for bundle in propose_bundles(index, subject, today=TODAY).bundles:
        assert 52 not in {entry.lender.id for entry in bundle.lenders}


def test_proposals_are_deterministic_and_json() -> None:
    index, subject = catalogue()
    first = propose_bundles(index, subject, today=TODAY).to_dict()
    assert first == propose_bundles(index, subject, today=TODAY).to_dict()
    text = json.dumps(first)
    assert "Green Infrastructure Fund" in text


def test_the_technical_assistance_threshold_is_noted_when_crossed() -> None:
    big = [
        need(120 + n, organisation_id=920 + n, title="Illuminazione pubblica", budget=9_000_000)
        for n in range(4)
    ]
    index, subject = catalogue(*big)
    proposal = propose_bundles(index, subject, today=TODAY)
    crossing = [bundle for bundle in proposal.bundles if bundle.technical_assistance]
    assert crossing
    assert all(bundle.total.amount >= 30_000_000 for bundle in crossing)
    assert "ELENA" in crossing[0].technical_assistance[0]


def test_the_window_limits_timing() -> None:
    index, subject = catalogue()
    narrow = propose_bundles(index, subject, today=TODAY, rules=BundleRules(window_days=0))
    for bundle in narrow.bundles:
        dates = {member.need.needed_by for member in bundle.members}
        assert len(dates - {None}) <= 1


def test_a_need_that_reaches_a_ticket_and_the_threshold_gets_no_bundle() -> None:
    index, _ = catalogue()
    large = need(130, organisation_id=900, budget=40_000_000)
    proposal = propose_bundles(index.with_changes([large]), large, today=TODAY)
    assert not proposal.proposed
    assert "already reaches the tickets of Green Infrastructure Fund" in proposal.reasons[0]


def test_a_closed_need_or_one_without_budget_gets_no_bundle() -> None:
    index, _ = catalogue()
    assert not propose_bundles(index, need(140, status="closed"), today=TODAY).proposed
    assert not propose_bundles(index, need(141, budget=None), today=TODAY).proposed
