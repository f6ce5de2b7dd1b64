from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.domain import (
    Bankability,
    IndexRecord,
    Match,
    MatchPolicy,
    Need,
    Organisation,
    TextIndex,
    UnknownCandidate,
    UnsupportedDirection,
    assess_pair,
    rank_for_need,
    rank_for_organisation,
    why_not,
)
from services.matching.domain.assessment import assess_lender, assess_supplier
from services.matching.domain.constraints import (
    FAILED,
    NOT_EVALUATED,
    check_active,
    check_budget,
    check_coverage,
)
from services.matching.tests.domain.builders import (
    TODAY,
    call,
    distractors,
    led_supplier,
    lender,
    municipality,
    need,
    offer,
    supplier,
)

ITALIAN_NEED = "Riqualificazione dell'illuminazione pubblica con tecnologia LED"


def ids(matches: list[Match]) -> list[int]:
    return [match.candidate[1] for match in matches]


class TestItalianNeedEnglishSupplier:
    @pytest.mark.parametrize("cpv", [["34928500"], []])
    def test_the_english_led_street_lighting_supplier_comes_first(self, cpv: list[str]) -> None:
        subject = need(title=ITALIAN_NEED, cpv=cpv)
        index = TextIndex.build([led_supplier(1), *distractors(), subject])
        matches = rank_for_need(index, subject, "supplier", today=TODAY)
        assert matches[0].candidate == ("supplier", 1)
        assert matches[0].rank == 1
        assert matches[0].score > matches[1].score
        assert {"lighting", "led"} & {term.term for term in matches[0].top_terms}

    def test_it_also_wins_without_any_cpv_code_on_either_side(self) -> None:
        subject = need(title=ITALIAN_NEED, cpv=[])
        english = led_supplier(1, cpv=[])
        index = TextIndex.build([english, *distractors(), subject])
        assert rank_for_need(index, subject, "supplier", today=TODAY)[0].candidate == (
            "supplier",
            1,
        )

    def test_an_inactive_or_out_of_area_twin_is_never_ranked(self) -> None:
        subject = need(title=ITALIAN_NEED)
        index = TextIndex.build(
            [
                led_supplier(1),
                led_supplier(8, status="inactive"),
                led_supplier(9, nuts=["FR"]),
                subject,
            ]
        )
        assert ids(rank_for_need(index, subject, "supplier", today=TODAY)) == [1]


class TestSpellingVariants:
    def test_a_compound_spelling_lifts_the_supplier_that_uses_it(self) -> None:
        subject = need(title="Illuminazione pubblica", cpv=["34928500"])
        compound = supplier(
            1, capabilities=["illuminazionepubblica smart"], cpv=["34928500"], nuts=["IT"]
        )
        plain = supplier(2, capabilities=["smart poles"], cpv=["34928500"], nuts=["IT"])
        index = TextIndex.build([compound, plain, subject])
        matches = rank_for_need(index, subject, "supplier", today=TODAY)
        assert ids(matches) == [1, 2]
        assert matches[0].components["fuzzy"] == 1.0
        assert matches[1].components["fuzzy"] == 0.0

    def test_a_misspelt_capability_still_counts(self) -> None:
        subject = need(title="Videosorveglianza urbana", category="urban_safety", cpv=[])
        typo = supplier(1, capabilities=["videosorveglianze urbane"], cpv=["32323500"], nuts=["IT"])
        index = TextIndex.build([typo, subject])
        match = rank_for_need(index, subject, "supplier", today=TODAY)[0]
        assert match.components["fuzzy"] == 1.0


class TestLenders:
    def catalogue(self) -> tuple[TextIndex, Need]:
        subject = need(budget=3_000_000, appraisal=True)
        index = TextIndex.build(
            [
                lender(50, ticket=(1e6, 2e7), min_dscr=1.3, target_irr=0.06),
                lender(51, ticket=(1e6, 2e7), min_dscr=1.6),
                lender(52, ticket=(1e7, 1e8)),  # ticket too large
                lender(53, ticket=(1e6, 2e7)),  # no thresholds
                subject,
            ]
        )
        return index, subject

    def test_thresholds_decide_with_bankability_available(self) -> None:
        index, subject = self.catalogue()
        figures = Bankability(min_dscr=1.45, firr=0.07)
        matches = rank_for_need(index, subject, "lender", today=TODAY, bankability=figures)
        assert sorted(ids(matches)) == [50, 53]
        answer = why_not(index, subject, "lender", 51, today=TODAY, bankability=figures)
        assert answer.rank is None
        assert [check.name for check in answer.excluded_by] == ["lender_min_dscr"]

    def test_evaluation_down_keeps_lenders_with_thresholds_not_evaluated(self) -> None:
        index, subject = self.catalogue()
        down = Bankability.unavailable("evaluation timed out")
        matches = rank_for_need(index, subject, "lender", today=TODAY, bankability=down)
        assert sorted(ids(matches)) == [50, 51, 53]
        by_id = {match.candidate[1]: match for match in matches}
        statuses = {check.name: check.status for check in by_id[51].pair.constraints}
        assert statuses["lender_min_dscr"] == NOT_EVALUATED
        assert "not evaluated" in by_id[51].explanation

    def test_a_lenders_financial_service_codes_do_not_exclude_it(self) -> None:
        # lenders declare CPV 66xxxxxx (their own financial services), never the lit street
        subject = need(budget=2_000_000)
        index = TextIndex.build([lender(62, cpv=("66113000",)), subject])
        matches = rank_for_need(index, subject, "lender", today=TODAY)
        assert ids(matches) == [62]
        statuses = {check.name: check.status for check in matches[0].pair.constraints}
        assert statuses["cpv_family"] == "not_applicable"

    def test_the_ticket_fit_outweighs_text_for_lenders(self) -> None:
        subject = need(budget=2_000_000)
        index = TextIndex.build(
            [
                lender(60, ticket=(1e6, 4e6), description="General municipal lending"),
                lender(
                    61, ticket=(2e5, 2.5e6), description="Public lighting LED street lighting loans"
                ),
                subject,
            ]
        )
        assert ids(rank_for_need(index, subject, "lender", today=TODAY))[0] == 60


class TestFundingCalls:
    def test_a_closed_call_is_excluded_with_the_reason(self) -> None:
        subject = need()
        open_call = call(300)
        closed = call(301, title="Old lighting call", opens="2020-01-01", closes="2021-12-31")
        index = TextIndex.build([open_call, closed, subject])
        assert ids(rank_for_need(index, subject, "funding_call", today=TODAY)) == [300]
        answer = why_not(index, subject, "funding_call", 301, today=TODAY)
        assert not answer.eligible
        assert answer.rank is None
        assert answer.excluded_by[0].name == "call_open"
        assert "closed on 2021-12-31" in answer.explanation

    def test_region_kind_and_category_restrictions_exclude(self) -> None:
        subject = need()
        index = TextIndex.build(
            [
                call(300),
                call(301, nuts=("ES",)),
                call(302, kinds=("supplier",)),
                call(303, categories=("smart_grid",), title="Smart grid call"),
                subject,
            ]
        )
        assert ids(rank_for_need(index, subject, "funding_call", today=TODAY)) == [300]

    def test_a_call_funding_the_category_is_ranked_whatever_its_cpv_division(self) -> None:
        subject = need(cpv=["34928500"])
        advisory = call(300, title="Technical assistance facility", cpv=("71241000",))
        elsewhere = call(
            301, title="Technical assistance", categories=("smart_grid",), cpv=("71241000",)
        )
        index = TextIndex.build([advisory, elsewhere, subject])
        matches = rank_for_need(index, subject, "funding_call", today=TODAY)
        assert ids(matches) == [300]
        family = next(c for c in matches[0].pair.constraints if c.name == "cpv_family")
        assert family.status == "passed"
        assert "funds public lighting" in family.detail
        assert why_not(index, subject, "funding_call", 301, today=TODAY).excluded_by

    def test_the_grant_asked_is_the_budget_times_the_rate(self) -> None:
        subject = need(budget=1_000_000)
        fits = call(300, grant=(400_000, 600_000), rate=0.5)
        misses = call(301, grant=(400_000, 600_000))
        index = TextIndex.build([fits, misses, subject])
        by_id = {
            m.candidate[1]: m for m in rank_for_need(index, subject, "funding_call", today=TODAY)
        }
        assert by_id[300].components["budget"] > 0.9
        assert by_id[301].components["budget"] == 0.0


class TestMunicipalities:
    def test_other_municipalities_with_similar_open_needs(self) -> None:
        subject = need(100, organisation_id=900)
        index = TextIndex.build(
            [
                municipality(900, name="Torino"),
                municipality(901, name="Milano", nuts=["ITC4C"]),
                municipality(902, name="Bari", nuts=["ITF47"], status="inactive"),
                subject,
                need(101, organisation_id=900, title="Illuminazione pubblica LED lotto 2"),
                need(102, organisation_id=901, title="Illuminazione pubblica a LED", nuts="ITC4C"),
                need(103, organisation_id=901, title="LED lampioni", nuts="ITC4C"),
                need(104, organisation_id=902, title="Illuminazione pubblica LED", nuts="ITF47"),
                need(105, organisation_id=903, title="Illuminazione pubblica", status="closed"),
                need(106, organisation_id=904, title="Smart meters", category="smart_grid"),
            ]
        )
        matches = rank_for_need(index, subject, "municipality", today=TODAY)
        assert [m.candidate for m in matches] == [("municipality", 901)]
        assert matches[0].name == "Milano"
        assert set(matches[0].via) == {("need", 102), ("need", 103)}
        answer = why_not(index, subject, "municipality", 902, today=TODAY)
        assert [check.name for check in answer.excluded_by] == ["municipality_active"]


class TestOrganisationToNeeds:
    def test_a_supplier_sees_the_open_needs_it_can_deliver(self) -> None:
        lumen = led_supplier(1)
        index = TextIndex.build(
            [
                lumen,
                need(100),
                need(101, nuts="FR101"),  # outside its area
                need(102, status="closed"),
                need(103, budget=50_000_000),  # far above its project size
                need(104, title="Raccolta rifiuti", category="other", description="waste"),
            ]
        )
        assert ids(rank_for_organisation(index, lumen)) == [100]

    def test_a_pair_scores_the_same_from_either_side(self) -> None:
        lumen, subject = led_supplier(1), need(100)
        index = TextIndex.build([lumen, *distractors(), subject, need(101, title="LED")])
        forward = {
            m.candidate: m.score for m in rank_for_need(index, subject, "supplier", today=TODAY)
        }
        backward = {m.candidate: m.score for m in rank_for_organisation(index, lumen)}
        assert forward[("supplier", 1)] == backward[("need", 100)]

    def test_a_lender_sees_needs_it_could_finance_with_their_bankability(self) -> None:
        bank = lender(50, ticket=(1e6, 2e7), min_dscr=1.3)
        index = TextIndex.build(
            [bank, need(100, appraisal=True), need(101, appraisal=True), need(102)]
        )
        figures = {100: Bankability(min_dscr=1.5), 101: Bankability(min_dscr=1.1)}
        assert ids(rank_for_organisation(index, bank, bankability=figures)) == [100, 102]

    def test_a_lender_declaring_its_own_financial_cpv_codes_still_sees_needs(self) -> None:
        # 66113000 (credit granting) describes the lender's services, not the projects it
        # finances: need -> lender ignores it, so lender -> needs must too (the same pair).
        bank = lender(50, ticket=(1e6, 2e7), cpv=["66113000"])
        subject = need(100, cpv=["34993000"])
        index = TextIndex.build([bank, subject])
        forward = rank_for_need(index, subject, "lender", today=TODAY)
        backward = rank_for_organisation(index, bank)
        assert ids(backward) == [100]
        assert forward[0].score == backward[0].score

    def test_municipalities_have_no_organisation_ranking(self) -> None:
        index = TextIndex.build([municipality(900)])
        with pytest.raises(UnsupportedDirection):
            rank_for_organisation(index, municipality(900))
        with pytest.raises(UnsupportedDirection):
            rank_for_need(index, need(), "partner", today=TODAY)


class TestWhyNot:
    def catalogue(self) -> tuple[TextIndex, Need]:
        subject = need(title=ITALIAN_NEED)
        records: list[IndexRecord] = [
            led_supplier(1),
            *distractors(),
            led_supplier(9, name="Lumiere", nuts=["FR"]),
            subject,
        ]
        return TextIndex.build(records), subject

    def test_the_failing_constraint_is_named(self) -> None:
        index, subject = self.catalogue()
        answer = why_not(index, subject, "supplier", 9, today=TODAY)
        assert not answer.eligible
        assert [check.name for check in answer.excluded_by] == ["region"]
        assert answer.to_dict()["rank"] is None
        assert "outside" in answer.explanation

    def test_an_eligible_candidate_gets_its_rank_and_what_held_it_down(self) -> None:
        index, subject = self.catalogue()
        ranking = rank_for_need(index, subject, "supplier", today=TODAY, limit=50)
        second = ranking[1]
        answer = why_not(index, subject, "supplier", second.candidate[1], today=TODAY)
        assert answer.eligible
        assert answer.rank == 2
        assert answer.rank_exact
        assert answer.top is not None
        assert answer.top.candidate == ("supplier", 1)
        assert answer.held_down_by is not None
        gaps = {
            c.name: answer.top.pair.component(c.name).contribution - c.contribution  # type: ignore[union-attr]
            for c in answer.match.pair.components
        }
        assert answer.held_down_by.component == max(gaps, key=gaps.__getitem__)
        assert answer.held_down_by.gap == pytest.approx(max(gaps.values()))

    def test_the_top_candidate_is_held_down_by_nothing(self) -> None:
        index, subject = self.catalogue()
        answer = why_not(index, subject, "supplier", 1, today=TODAY)
        assert (answer.rank, answer.held_down_by) == (1, None)

    def test_an_unknown_or_deleted_candidate_raises(self) -> None:
        index, subject = self.catalogue()
        with pytest.raises(UnknownCandidate):
            why_not(index, subject, "supplier", 404, today=TODAY)
        removed = index.with_changes(removals=[("supplier", 1)])
        with pytest.raises(UnknownCandidate):
            why_not(removed, subject, "supplier", 1, today=TODAY)
        assert ("supplier", 1) not in [
            m.candidate for m in rank_for_need(removed, subject, "supplier", today=TODAY)
        ]


class TestResults:
    def test_paging_slices_the_full_ranking(self) -> None:
        subject = need(title="LED street lighting")
        suppliers = [led_supplier(n, name=f"Lumen {n}", size=(1e5 * n, 1e7)) for n in range(1, 12)]
        index = TextIndex.build([*suppliers, subject])
        full = rank_for_need(index, subject, "supplier", today=TODAY, limit=20)
        page = rank_for_need(index, subject, "supplier", today=TODAY, limit=3, offset=4)
        assert [m.candidate for m in page] == [m.candidate for m in full[4:7]]
        assert [m.rank for m in page] == [5, 6, 7]

    def test_a_result_is_json_with_contributions_summing_to_the_score(self) -> None:
        subject = need(title=ITALIAN_NEED)
        index = TextIndex.build([led_supplier(1), subject])
        match = rank_for_need(index, subject, "supplier", today=TODAY)[0]
        data = json.loads(json.dumps(match.to_dict()))
        assert (data["candidate_kind"], data["candidate_id"], data["rank"]) == ("supplier", 1, 1)
        assert sum(data["contributions"].values()) == pytest.approx(data["score"], abs=1e-5)
        assert {c["name"] for c in data["constraints"]} >= {
            "active",
            "region",
            "budget",
            "cpv_family",
        }
        assert data["top_terms"][0]["term"]
        assert data["explanation"].startswith("#1 Lumen Street Lighting Ltd")

    def test_offers_count_in_the_supplier_profile(self) -> None:
        subject = need(title="Telegestione dei lampioni", cpv=[])
        with_offer = supplier(
            1, nuts=["IT"], offers=[offer(5, 1, title="Telegestione lampioni LED")]
        )
        index = TextIndex.build(
            [with_offer, supplier(2, nuts=["IT"], description="Generic works"), subject]
        )
        assert ids(rank_for_need(index, subject, "supplier", today=TODAY)) == [1]


# --- property: the ranking is the brute-force assessment, and never breaks a constraint ---------

PHRASES = [
    "LED street lighting",
    "illuminazione pubblica",
    "semafori intelligenti",
    "traffic lights",
    "smart grid metering",
    "waste collection",
    "efficienza energetica",
    "parking sensors",
    "centrale operativa",
]
CPV = ["34928500", "34928530", "34996100", "50232100", "45321000", "90610000", "38551000"]
REGIONS = ["IT", "ITC", "ITC11", "ITC4C", "ITF", "ITF47", "FR", "FR101"]
FORMS = ["ppp", "epc", "procurement", "concession"]
CATEGORY = ["public_lighting", "traffic_lights", "smart_grid", "building_efficiency", "other"]
BUDGETS = [None, 50_000, 300_000, 1_200_000, 4_000_000, 30_000_000]


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[list[IndexRecord], dict[int, Bankability]]:
    def some(options: list, most: int = 2) -> list:
        return draw(st.lists(st.sampled_from(options), max_size=most, unique=True))

    def size() -> tuple[float, float] | None:
        low = draw(st.sampled_from([None, 1e5, 1e6, 5e6]))
        return None if low is None else (low, low * draw(st.sampled_from([2, 10, 50])))

    records: list[IndexRecord] = []
    for number in range(draw(st.integers(0, 7))):
        records.append(
            supplier(
                number + 1,
                description=" ".join(some(PHRASES, 3)),
                capabilities=some(PHRASES),
                references=[{"title": title} for title in some(PHRASES, 1)],
                cpv=some(CPV),
                nuts=some(REGIONS),
                forms=some(FORMS),
                size=size(),
                status=draw(st.sampled_from(["active", "active", "inactive"])),
                currency=draw(st.sampled_from(["EUR", "EUR", "USD"])),
            )
        )
    for number in range(draw(st.integers(0, 4))):
        records.append(
            lender(
                50 + number,
                description=" ".join(some(PHRASES)),
                ticket=size(),
                min_dscr=draw(st.sampled_from([None, 1.2, 1.5])),
                target_irr=draw(st.sampled_from([None, 0.05, 0.09])),
                instruments=some(["senior_debt", "equity", "mezzanine"]) or ["senior_debt"],
                nuts=some(REGIONS, 1),
                forms=some(FORMS),
            )
        )
    for number in range(draw(st.integers(0, 4))):
        opens = TODAY + timedelta(days=draw(st.integers(-900, 400)))
        records.append(
            call(
                300 + number,
                title=" ".join(some(PHRASES)) or "Call",
                opens=opens.isoformat(),
                closes=(opens + timedelta(days=draw(st.integers(0, 700)))).isoformat(),
                categories=some(CATEGORY),
                cpv=some(CPV, 1),
                nuts=some(REGIONS, 1),
                kinds=some(["municipality", "supplier"]),
                grant=size(),
                rate=draw(st.sampled_from([None, 0.5])),
            )
        )
    for number in range(3):
        records.append(
            municipality(900 + number, status=draw(st.sampled_from(["active", "inactive"])))
        )
    bankability: dict[int, Bankability] = {}
    for number in range(draw(st.integers(1, 6))):
        need_id = 100 + number
        records.append(
            need(
                need_id,
                organisation_id=900 + draw(st.integers(0, 3)),
                title=" ".join(some(PHRASES)) or "Progetto",
                category=draw(st.sampled_from(CATEGORY)),
                cpv=some(CPV, 1),
                nuts=draw(st.sampled_from(["ITC11", "ITC4C", "ITF47", "FR101"])),
                budget=draw(st.sampled_from(BUDGETS)),
                currency=draw(st.sampled_from(["EUR", "EUR", "USD"])),
                forms=some(FORMS),
                needed_by=draw(st.sampled_from([None, "2027-06-30", "2029-01-01"])),
                status=draw(st.sampled_from(["open", "open", "closed"])),
                appraisal=draw(st.booleans()),
            )
        )
        bankability[need_id] = draw(
            st.sampled_from(
                [
                    Bankability(min_dscr=1.4, firr=0.08, equity_irr=0.1),
                    Bankability(min_dscr=1.1, firr=0.03),
                    Bankability.unavailable(),
                ]
            )
        )
    return records, bankability


def brute_force_for_need(
    index: TextIndex, subject: Need, kind: str, bankability: Bankability | None, policy: MatchPolicy
) -> list[tuple[tuple[str, int], float]]:
    partition = "need" if kind == "municipality" else kind
    best: dict[tuple[str, int], tuple[float, int]] = {}
    for record in index.records(partition):
        pair = assess_pair(
            index, subject, record, today=TODAY, bankability=bankability, policy=policy
        )
        if not pair.eligible:
            continue
        key = ("municipality", record.organisation_id) if isinstance(record, Need) else record.key
        if key not in best or (-pair.score, record.id) < (-best[key][0], best[key][1]):
            best[key] = (pair.score, record.id)
    return sorted(
        ((key, value[0]) for key, value in best.items()), key=lambda kv: (-kv[1], kv[0][1])
    )


def brute_force_for_organisation(
    index: TextIndex,
    organisation: Organisation,
    bankability: Mapping[int, Bankability],
    policy: MatchPolicy,
) -> list[tuple[tuple[str, int], float]]:
    query = index.query_vector(organisation)
    found = []
    for record in index.records("need"):
        assert isinstance(record, Need)
        text = query.dot(index.query_vector(record))
        if organisation.kind == "lender":
            pair = assess_lender(record, organisation, text, bankability.get(record.id), policy)
        else:
            pair = assess_supplier(record, organisation, text, policy)
        if pair.eligible:
            found.append((record.key, pair.score))
    return sorted(found, key=lambda kv: (-kv[1], kv[0][1]))


def assert_breaks_nothing(matches: list[Match]) -> None:
    for match in matches:
        assert match.pair.eligible
        assert all(check.status != FAILED for check in match.pair.constraints)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues(), which=st.integers(0, 5), limit=st.sampled_from([1, 3, 50]))
def test_rankings_equal_brute_force_and_break_no_constraint(
    catalogue: tuple[list[IndexRecord], dict[int, Bankability]], which: int, limit: int
) -> None:
    records, bankability = catalogue
    policy = MatchPolicy()
    index = TextIndex.build(records)
    needs = [record for record in records if isinstance(record, Need)]
    subject = needs[which % len(needs)]
    for kind in ("supplier", "lender", "funding_call", "municipality"):
        figures = bankability.get(subject.id)
        matches = rank_for_need(index, subject, kind, today=TODAY, bankability=figures, limit=limit)
        expected = brute_force_for_need(index, subject, kind, figures, policy)[:limit]
        assert [(m.candidate, m.score) for m in matches] == expected
        assert_breaks_nothing(matches)
        for match in matches:
            record = index.get(match.via[0] if match.via else match.candidate)
            if isinstance(record, Organisation):
                assert check_active(record).status != FAILED
                assert check_coverage(subject.nuts_code, record.nuts_codes).status != FAILED
                assert (
                    check_budget(subject.budget, record.money_range, 0.2, "range").status != FAILED
                )
    for organisation in index.records("supplier"):
        assert isinstance(organisation, Organisation)
        matches = rank_for_organisation(index, organisation, limit=limit)
        expected = brute_force_for_organisation(index, organisation, {}, policy)[:limit]
        assert [(m.candidate, m.score) for m in matches] == expected
        assert_breaks_nothing(matches)
    for organisation in index.records("lender"):
        assert isinstance(organisation, Organisation)
        matches = rank_for_organisation(index, organisation, bankability=bankability, limit=limit)
        expected = brute_force_for_organisation(index, organisation, bankability, policy)[:limit]
        assert [(m.candidate, m.score) for m in matches] == expected
        assert_breaks_nothing(matches)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(catalogue=catalogues())
def test_why_not_ranks_agree_with_the_ranking(
    catalogue: tuple[list[IndexRecord], dict[int, Bankability]],
) -> None:
    records, _ = catalogue
    index = TextIndex.build(records)
    subject = next(record for record in records if isinstance(record, Need))
    ranking = rank_for_need(index, subject, "supplier", today=TODAY, limit=100)
    position = {match.candidate: match.rank for match in ranking}
    for candidate in index.records("supplier"):
        answer = why_not(index, subject, "supplier", candidate.id, today=TODAY)
        assert answer.rank == position.get(candidate.key)
        assert answer.eligible == (candidate.key in position)
