from __future__ import annotations

from datetime import date

import pytest

from services.matching.domain import Bankability, Money, MoneyRange
from services.matching.domain.constraints import (
    FAILED,
    NOT_APPLICABLE,
    NOT_EVALUATED,
    PASSED,
    MatchRules,
    check_active,
    check_budget,
    check_call_category,
    check_call_cpv_family,
    check_call_kind,
    check_call_open,
    check_contract_forms,
    check_coverage,
    check_cpv_family,
    check_lender_thresholds,
    check_related,
    check_topic,
    covers,
)
from services.matching.domain.profiles import need_cpv_codes
from services.matching.domain.scoring import CpvMatch, best_cpv_match
from services.matching.tests.domain.builders import TODAY, call, lender, need, supplier
from shared.reference.nuts import nuts_covers


def test_an_inactive_candidate_fails() -> None:
    assert check_active(supplier(1)).status == PASSED
    check = check_active(supplier(1, name="Old Co", status="inactive"))
    assert check.status == FAILED
    assert "inactive" in check.detail


class TestContractForms:
    def test_intersecting_forms_pass_and_name_the_common_ones(self) -> None:
        check = check_contract_forms(("ppp", "epc"), ("epc", "concession"))
        assert (check.status, check.detail) == (PASSED, "both accept epc")

    def test_disjoint_forms_fail(self) -> None:
        assert check_contract_forms(("ppp",), ("procurement",)).status == FAILED

    @pytest.mark.parametrize(("need", "candidate"), [((), ("ppp",)), (("ppp",), ()), ((), ())])
    def test_not_applicable_unless_both_declare(self, need: tuple, candidate: tuple) -> None:
        assert check_contract_forms(need, candidate).status == NOT_APPLICABLE


class TestRegionCoverage:
    @pytest.mark.parametrize(
        ("area", "region", "covered"),
        [
            ("ITC", "ITC11", True),
            ("IT", "ITC4C", True),
            ("ITC11", "ITC11", True),
            ("ITC11", "ITC", False),
            ("ITC1", "ITC4C", False),
            ("FR", "ITC11", False),
        ],
    )
    def test_coverage_is_hierarchical_like_the_reference(
        self, area: str, region: str, covered: bool
    ) -> None:
        assert covers(area, region) is covered
        assert nuts_covers(area, region) is covered
        assert (check_coverage(region, [area]).status == PASSED) is covered

    def test_the_detail_names_the_covering_area(self) -> None:
        check = check_coverage("ITC11", ["FR", "ITC"])
        assert check.status == PASSED
        assert "ITC" in check.detail
        assert "Torino" in check.detail

    def test_no_declared_coverage_passes_with_a_note(self) -> None:
        check = check_coverage("ITC11", [])
        assert check.status == PASSED
        assert "declares no regional coverage" in check.detail

    def test_outside_the_area_fails(self) -> None:
        check = check_coverage("ITC11", ["ITF", "FR"])
        assert check.status == FAILED
        assert "outside" in check.detail


class TestBudget:
    RANGE = MoneyRange(Money(1_000_000, "EUR"), Money(5_000_000, "EUR"))

    @pytest.mark.parametrize(
        ("amount", "status"),
        [
            (800_000, PASSED),  # min x (1 - 20 %): the lower tolerance edge
            (799_999, FAILED),
            (1_000_000, PASSED),
            (5_000_000, PASSED),
            (6_000_000, PASSED),  # max x (1 + 20 %): the upper tolerance edge
            (6_000_001, FAILED),
        ],
    )
    def test_tolerance_edges(self, amount: float, status: str) -> None:
        check = check_budget(Money(amount, "EUR"), self.RANGE, 0.2, "project size")
        assert check.status == status

    def test_the_detail_says_when_only_the_tolerance_admits_it(self) -> None:
        assert (
            "20% tolerance" in check_budget(Money(900_000, "EUR"), self.RANGE, 0.2, "ticket").detail
        )
        assert "tolerance" not in check_budget(Money(2e6, "EUR"), self.RANGE, 0.2, "ticket").detail
        assert "below" in check_budget(Money(1, "EUR"), self.RANGE, 0.2, "ticket").detail

    def test_zero_tolerance_is_the_bare_range(self) -> None:
        assert check_budget(Money(999_999, "EUR"), self.RANGE, 0.0, "ticket").status == FAILED

    def test_currency_mismatch_is_reported_not_evaluated(self) -> None:
        check = check_budget(Money(2e6, "USD"), self.RANGE, 0.2, "ticket")
        assert check.status == NOT_EVALUATED
        assert "currency mismatch" in check.detail

    def test_missing_sides_are_not_applicable(self) -> None:
        assert check_budget(None, self.RANGE, 0.2, "ticket").status == NOT_APPLICABLE
        assert check_budget(Money(1, "EUR"), None, 0.2, "ticket").status == NOT_APPLICABLE

    def test_tolerance_must_be_a_share(self) -> None:
        with pytest.raises(ValueError, match="budget_tolerance"):
            MatchRules(budget_tolerance=1.5)


class TestCpvFamily:
    def test_a_shared_division_passes(self) -> None:
        family = need_cpv_codes(need(cpv=["34928500"]))
        check = check_cpv_family(family, ["34996100"], best_cpv_match(family, ["34996100"]))
        assert check.status == PASSED
        assert "division 34" in check.detail

    def test_the_category_family_lets_a_need_without_codes_meet_a_maintenance_supplier(
        self,
    ) -> None:
        family = need_cpv_codes(need(cpv=[], category="public_lighting"))
        check = check_cpv_family(family, ["50232100"], best_cpv_match(family, ["50232100"]))
        assert check.status == PASSED

    def test_a_different_division_fails(self) -> None:
        family = need_cpv_codes(need(cpv=["34928500"]))
        check = check_cpv_family(family, ["90610000"], best_cpv_match(family, ["90610000"]))
        assert check.status == FAILED

    def test_not_applicable_when_either_side_has_no_codes(self) -> None:
        assert check_cpv_family(("34928500",), (), CpvMatch(0)).status == NOT_APPLICABLE
        family = need_cpv_codes(need(cpv=[], category="other"))
        assert check_cpv_family(family, ("90610000",), CpvMatch(0)).status == NOT_APPLICABLE


class TestCallCpvFamily:
    """A call funding the need's category passes `cpv_family` whatever its CPV divisions."""

    ADVISORY = ("71241000", "79314000")  # consultancy codes: divisions 71 and 79

    def check(self, categories: tuple[str, ...], cpv: tuple[str, ...] = ADVISORY) -> tuple:
        subject = need(cpv=["34928500"], category="public_lighting")
        family = need_cpv_codes(subject)
        funding = call(categories=categories, cpv=cpv)
        return check_call_cpv_family(funding, subject, family, best_cpv_match(family, cpv))

    def test_the_needs_category_passes_despite_another_division(self) -> None:
        check = self.check(("public_lighting", "smart_grid"))
        assert check.status == PASSED
        assert "funds public lighting" in check.detail
        assert "71241000" in check.detail

    def test_without_the_needs_category_another_division_still_fails(self) -> None:
        assert self.check(("smart_grid",)).status == FAILED
        assert self.check(()).status == FAILED

    def test_a_shared_division_passes_as_for_any_candidate(self) -> None:
        check = self.check(("smart_grid",), ("34996100",))
        assert check.status == PASSED
        assert "division 34" in check.detail

    def test_a_call_without_codes_is_not_applicable(self) -> None:
        assert self.check(("public_lighting",), ()).status == NOT_APPLICABLE


def test_topic_needs_something_in_common() -> None:
    assert check_topic(0.0, CpvMatch(0), 0, "public_lighting").status == FAILED
    assert check_topic(0.01, CpvMatch(0), 0, "public_lighting").status == PASSED
    assert (
        check_topic(0.0, CpvMatch(2, "34000000", "34996100"), 0, "public_lighting").status == PASSED
    )
    assert check_topic(0.0, CpvMatch(0), 1, "public_lighting").status == PASSED


class TestFundingCall:
    def test_a_closed_call_fails_with_its_closing_date(self) -> None:
        check = check_call_open(call(opens="2020-01-01", closes="2021-12-31"), need(), TODAY)
        assert check.status == FAILED
        assert check.detail == "call closed on 2021-12-31"

    def test_a_call_open_today_passes(self) -> None:
        assert (
            check_call_open(call(opens="2026-01-01", closes="2026-12-31"), need(), TODAY).status
            == PASSED
        )

    def test_a_call_opening_before_the_need_is_due_passes(self) -> None:
        future = call(opens="2027-03-01", closes="2027-12-31")
        assert check_call_open(future, need(needed_by="2027-06-30"), TODAY).status == PASSED

    def test_a_call_opening_after_the_need_is_due_fails(self) -> None:
        late = call(opens="2027-09-01", closes="2027-12-31")
        check = check_call_open(late, need(needed_by="2027-06-30"), TODAY)
        assert check.status == FAILED
        assert "after needed by 2027-06-30" in check.detail

    def test_without_a_needed_by_date_the_call_must_be_open_today(self) -> None:
        future = call(opens="2027-03-01", closes="2027-12-31")
        assert check_call_open(future, need(needed_by=None), TODAY).status == FAILED
        assert check_call_open(future, need(needed_by=None), date(2027, 3, 1)).status == PASSED

    def test_eligible_kinds(self) -> None:
        assert check_call_kind(call(kinds=("municipality", "supplier"))).status == PASSED
        assert check_call_kind(call(kinds=())).status == PASSED
        assert check_call_kind(call(kinds=("supplier",))).status == FAILED

    def test_categories(self) -> None:
        assert check_call_category(call(categories=("public_lighting",)), need()).status == PASSED
        assert check_call_category(call(categories=()), need()).status == NOT_APPLICABLE
        check = check_call_category(call(categories=("smart_grid",)), need())
        assert check.status == FAILED
        assert "smart grid" in check.detail

    def test_eligible_regions_are_hierarchical(self) -> None:
        assert check_coverage("ITC11", ["ITC"], name="call_region", who="the call").status == PASSED
        assert check_coverage("ITC11", ["ES"], name="call_region", who="the call").status == FAILED


class TestLenderThresholds:
    LENDER = lender(min_dscr=1.3, target_irr=0.07)

    def statuses(
        self, bankability: Bankability | None, *, appraisal: bool = True, record=None
    ) -> tuple[str, str]:
        dscr, irr = check_lender_thresholds(
            record or self.LENDER, need(appraisal=appraisal), bankability
        )
        return dscr.status, irr.status

    def test_figures_above_the_thresholds_pass(self) -> None:
        assert self.statuses(Bankability(min_dscr=1.45, firr=0.08)) == (PASSED, PASSED)

    def test_figures_below_the_thresholds_fail(self) -> None:
        assert self.statuses(Bankability(min_dscr=1.1, firr=0.05)) == (FAILED, FAILED)

    def test_exactly_at_the_threshold_passes(self) -> None:
        assert self.statuses(Bankability(min_dscr=1.3, firr=0.07)) == (PASSED, PASSED)

    def test_evaluation_down_is_not_evaluated_never_passed_or_failed(self) -> None:
        dscr, irr = check_lender_thresholds(
            self.LENDER, need(appraisal=True), Bankability.unavailable("timeout")
        )
        assert (dscr.status, irr.status) == (NOT_EVALUATED, NOT_EVALUATED)
        assert "timeout" in dscr.detail

    def test_no_appraisal_is_not_applicable(self) -> None:
        assert self.statuses(None, appraisal=False) == (NOT_APPLICABLE, NOT_APPLICABLE)

    def test_an_appraisal_without_figures_given_is_not_evaluated(self) -> None:
        assert self.statuses(None, appraisal=True) == (NOT_EVALUATED, NOT_EVALUATED)

    def test_a_missing_figure_is_not_evaluated(self) -> None:
        assert self.statuses(Bankability(min_dscr=1.5)) == (PASSED, NOT_EVALUATED)

    def test_a_lender_without_thresholds_is_not_applicable(self) -> None:
        assert self.statuses(Bankability(min_dscr=0.5, firr=0.0), record=lender()) == (
            NOT_APPLICABLE,
            NOT_APPLICABLE,
        )

    def test_an_equity_investor_is_compared_with_the_equity_irr(self) -> None:
        investor = lender(target_irr=0.10, instruments=("equity",))
        figures = Bankability(firr=0.06, equity_irr=0.12)
        _, irr = check_lender_thresholds(investor, need(appraisal=True), figures)
        assert irr.status == PASSED
        assert "equity IRR 12.0%" in irr.detail
        _, project = check_lender_thresholds(lender(target_irr=0.10), need(appraisal=True), figures)
        assert project.status == FAILED


def test_related_needs_share_a_category_cpv_or_text() -> None:
    subject = need(1, category="public_lighting", cpv=[])
    same = need(2, category="public_lighting")
    other = need(3, category="smart_grid", cpv=[])
    assert check_related(subject, same, CpvMatch(0), 0.0, 0.1).status == PASSED
    assert check_related(subject, other, CpvMatch(0), 0.05, 0.1).status == FAILED
    assert check_related(subject, other, CpvMatch(0), 0.2, 0.1).status == PASSED
