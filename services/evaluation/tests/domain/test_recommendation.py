"""Recommended contract and financing forms, and the bankability grade."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.evaluation.domain.appraisal import appraise
from services.evaluation.domain.bankability import assess_bankability
from services.evaluation.domain.recommendation import (
    FORMS,
    ProjectProfile,
    assess_forms,
    recommend_forms,
)

BASE = ProjectProfile(
    total_investment=400_000.0,
    revenue_kind="energy_savings",
    horizon_years=15,
    fnpv=350_000.0,
    firr=0.15,
    discount_rate=0.04,
    payback_years=5.9,
    enpv=500_000.0,
    funding_gap_rate=0.0,
    vfm_amount=-10_000.0,
    vfm_percent=None,
    min_dscr=None,
    llcr=None,
)


def forms(profile: ProjectProfile) -> list[str]:
    return [a.form for a in recommend_forms(profile)]


class TestRecommendation:
    def test_every_form_is_assessed_with_reasons(self) -> None:
        assessed = assess_forms(BASE)
        assert sorted(a.form for a in assessed) == sorted(FORMS)
        assert all(a.reasons for a in assessed)
        assert [a.score for a in assessed] == sorted((a.score for a in assessed), reverse=True)

    def test_profitable_energy_retrofit_ranks_epc_first(self) -> None:
        assert forms(BASE)[0] == "epc"
        epc = next(a for a in assess_forms(BASE) if a.form == "epc")
        assert any("payback 5.9 years" in reason for reason in epc.reasons)

    def test_small_project_never_gets_ppp_or_project_finance(self) -> None:
        recommended = forms(replace(BASE, vfm_amount=50_000.0, vfm_percent=10.0))
        assert "ppp" not in recommended
        assert "pfi" not in recommended
        assert "project_finance" not in recommended

    def test_funding_gap_with_positive_enpv_gets_a_grant(self) -> None:
        profile = replace(
            BASE,
            revenue_kind="none",
            fnpv=-2e6,
            firr=None,
            funding_gap_rate=0.8,
            payback_years=None,
        )
        recommended = forms(profile)
        assert recommended[0] == "grant"
        assert "epc" not in recommended

    def test_no_grant_without_economic_case(self) -> None:
        profile = replace(BASE, fnpv=-2e6, funding_gap_rate=0.8, enpv=-1.0)
        assert "grant" not in forms(profile)

    def test_profitable_user_fee_project_gets_a_concession(self) -> None:
        profile = replace(BASE, revenue_kind="user_fees", total_investment=8e6)
        recommended = forms(profile)
        assert "concession" in recommended
        assert "epc" not in recommended

    def test_large_project_with_value_for_money_gets_ppp_and_project_finance(self) -> None:
        profile = replace(
            BASE,
            total_investment=60e6,
            revenue_kind="budget_savings",
            vfm_amount=5e6,
            vfm_percent=8.0,
            min_dscr=1.35,
            llcr=1.4,
        )
        recommended = forms(profile)
        assert "ppp" in recommended
        assert "pfi" in recommended
        assert "project_finance" in recommended

    def test_debt_that_cannot_be_serviced_rules_out_project_finance(self) -> None:
        profile = replace(BASE, total_investment=60e6, min_dscr=0.8, llcr=0.9)
        assessed = {a.form: a for a in assess_forms(profile)}
        assert not assessed["project_finance"].recommended
        assert any("< 1" in r for r in assessed["project_finance"].reasons)

    def test_social_outcomes_without_revenue_get_a_social_impact_bond(self) -> None:
        profile = replace(
            BASE,
            revenue_kind="none",
            fnpv=-1e6,
            firr=None,
            funding_gap_rate=1.0,
            time_saved_hours=50_000.0,
            accidents_avoided=10.0,
        )
        assert "sib" in forms(profile)

    def test_micro_project(self) -> None:
        assert "micro_finance" in forms(replace(BASE, total_investment=20_000.0))
        assert "micro_finance" not in forms(BASE)

    def test_appraisal_of_a_template_lists_forms_with_reasons(self) -> None:
        results = appraise({"template": "led_public_lighting"}).to_dict()
        first = results["recommended_forms"][0]
        assert first["form"] == "epc"
        assert first["reasons"]
        assert set(first) == {"form", "score", "reasons"}


class TestBankability:
    @pytest.mark.parametrize(
        ("min_dscr", "llcr", "fnpv", "grade"),
        [
            (1.45, 1.50, 10.0, "A"),
            (1.45, 1.50, -10.0, "B"),  # cover fine but return below the discount rate
            (1.25, 1.40, 10.0, "B"),
            (1.35, 1.25, 10.0, "B"),  # LLCR limits
            (1.05, 1.10, 10.0, "C"),
            (0.95, 1.50, 10.0, "D"),
        ],
    )
    def test_grades_with_debt(self, min_dscr: float, llcr: float, fnpv: float, grade: str) -> None:
        result = assess_bankability(
            min_dscr=min_dscr,
            llcr=llcr,
            firr=0.08,
            fnpv=fnpv,
            equity_irr=0.12,
            funding_gap_rate=0.0,
        )
        assert result.grade == grade
        assert result.reasons

    @pytest.mark.parametrize(
        ("fnpv", "gap", "grade"),
        [(10.0, 0.0, "B"), (-10.0, 0.4, "C"), (-10.0, 1.0, "D")],
    )
    def test_grades_without_debt(self, fnpv: float, gap: float, grade: str) -> None:
        result = assess_bankability(
            min_dscr=None, llcr=None, firr=None, fnpv=fnpv, equity_irr=None, funding_gap_rate=gap
        )
        assert result.grade == grade
        assert any("no debt structure" in r for r in result.reasons)

    def test_summary_shape(self) -> None:
        appraisal = appraise(
            {
                "template": "traffic_lights",
                "financing": {"gearing": 0.5, "rate": 0.05, "tenor_years": 5},
            }
        )
        summary = appraisal.bankability.to_dict()
        assert set(summary) == {
            "min_dscr",
            "llcr",
            "firr",
            "equity_irr",
            "funding_gap_rate",
            "grade",
            "reasons",
        }
        assert summary["min_dscr"] == appraisal.to_dict()["min_dscr"]
        assert summary["grade"] == "A"
