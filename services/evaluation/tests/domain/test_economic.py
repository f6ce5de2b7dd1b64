"""Economic analysis by the EC CBA Guide 2014: SDR, conversion factors, externalities, gap."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy_financial as npf
import pytest

from services.evaluation.domain.cashflow import ProjectFlows
from services.evaluation.domain.economic import (
    ConversionFactors,
    EconomicParams,
    economic_analysis,
    funding_gap,
)
from services.evaluation.domain.errors import InvalidInput


def flows(**components: Any) -> ProjectFlows:
    years = len(next(iter(components.values())))
    return ProjectFlows.build(years, **{k: np.array(v, dtype=float) for k, v in components.items()})


class TestSocialDiscountRate:
    def test_guide_defaults(self) -> None:
        # EC CBA Guide 2014: 5 % in Cohesion countries, 3 % in the others.
        assert EconomicParams().sdr == 0.03
        assert EconomicParams(cohesion_country=True).sdr == 0.05
        assert EconomicParams(social_discount_rate=0.045, cohesion_country=True).sdr == 0.045


class TestEnpv:
    def test_conversion_factors_externalities_and_no_taxes(self) -> None:
        project = flows(
            investment=[1000, 0, 0, 0],
            opex=[0, 100, 100, 100],
            revenues=[0, 300, 300, 300],
            residual_value=[0, 0, 0, 100],
            taxes=[0, 50, 50, 50],
            co2_tonnes=[0, 2, 2, 2],
            time_saved_hours=[0, 10, 10, 10],
            accidents_avoided=[0, 0, 0.5, 0],
            energy_saved_kwh=[0, 1000, 1000, 1000],
            other_benefits=[0, 5, 5, 5],
        )
        params = EconomicParams(
            conversion_factors=ConversionFactors(investment=0.9, opex=0.8, revenues=1.1),
            co2_price=80.0,
            co2_price_growth=0.02,
            value_of_time=12.0,
            value_per_accident=40_000.0,
            energy_shadow_price=0.1,
        )
        # Independent loop over the Guide's items (taxes are transfers: left out).
        expected_flows = []
        for t in range(4):
            value = -0.9 * project.investment[t] - 0.8 * project.opex[t]
            value += 1.1 * project.revenues[t] + project.residual_value[t]
            value += project.co2_tonnes[t] * 80.0 * 1.02**t
            value += project.time_saved_hours[t] * 12.0 + project.accidents_avoided[t] * 40_000
            value += project.energy_saved_kwh[t] * 0.1 + project.other_benefits[t]
            expected_flows.append(value)
        result = economic_analysis(project, params)
        assert list(result.flows) == pytest.approx(expected_flows)
        assert result.enpv.value == pytest.approx(float(npf.npv(0.03, expected_flows)))
        assert result.err.value == pytest.approx(float(npf.irr(expected_flows)))
        assert result.social_discount_rate == 0.03

    def test_benefit_cost_ratio_by_hand(self) -> None:
        project = flows(investment=[100, 0], revenues=[0, 50], co2_tonnes=[0, -0.1])
        params = EconomicParams(social_discount_rate=0.0, co2_price=100.0)
        result = economic_analysis(project, params)
        # Benefits 50; costs 100 + 10 (the extra CO2 is a dis-benefit, counted as a cost).
        assert result.bcr.value == pytest.approx(50 / 110)
        assert result.pv_costs == pytest.approx(110)

    def test_no_costs_no_ratio(self) -> None:
        result = economic_analysis(flows(revenues=[0, 10]), EconomicParams())
        assert result.bcr.value is None


class TestFundingGap:
    def test_guide_formula_by_hand(self) -> None:
        # EC CBA Guide 2014 / Reg. (EU) 480/2014: R = (DIC - DNR) / DIC.
        # DIC = 1000 in year 0; DNR = (520 - 104) / 1.04 = 400 -> R = 60 %.
        project = flows(investment=[1000, 0], revenues=[0, 520], opex=[0, 104])
        gap = funding_gap(project, 0.04)
        assert gap.discounted_investment_cost == pytest.approx(1000)
        assert gap.discounted_net_revenue == pytest.approx(400)
        assert gap.rate.value == pytest.approx(0.60)

    def test_residual_value_counts_and_taxes_do_not(self) -> None:
        project = flows(
            investment=[1000, 0], revenues=[0, 104], residual_value=[0, 312], taxes=[0, 99]
        )
        assert funding_gap(project, 0.04).rate.value == pytest.approx(0.60)

    def test_clipped_to_zero_when_revenues_repay_the_investment(self) -> None:
        gap = funding_gap(flows(investment=[100, 0], revenues=[0, 500]), 0.04)
        assert gap.rate.value == 0.0
        assert gap.unclipped_rate is not None
        assert gap.unclipped_rate < 0

    def test_clipped_to_one_when_revenues_do_not_cover_costs(self) -> None:
        gap = funding_gap(flows(investment=[100, 0], revenues=[0, 10], opex=[0, 50]), 0.04)
        assert gap.rate.value == 1.0
        assert gap.unclipped_rate is not None
        assert gap.unclipped_rate > 1

    def test_no_investment(self) -> None:
        assert funding_gap(flows(revenues=[0, 10]), 0.04).rate.value is None


class TestParse:
    def test_parse_and_defaults(self) -> None:
        params = EconomicParams.parse(
            {"cohesion_country": True, "conversion_factors": {"opex": 0.85}, "co2_price": 120}
        )
        assert params.sdr == 0.05
        assert params.conversion_factors == ConversionFactors(opex=0.85)
        assert params.co2_price == 120.0
        assert params.to_dict()["social_discount_rate"] == 0.05

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"social_discount_rate": -1.2}, "economic.social_discount_rate"),
            ({"cohesion_country": "yes"}, "economic.cohesion_country"),
            ({"conversion_factors": {"land": 0.5}}, "economic.conversion_factors.land"),
            ({"conversion_factors": {"opex": -0.5}}, "economic.conversion_factors.opex"),
            ({"co2_price": float("inf")}, "economic.co2_price"),
            ({"co2_price": -5}, "economic.co2_price"),
            ({"discount": 0.03}, "economic.discount"),
        ],
    )
    def test_invalid(self, body: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            EconomicParams.parse(body)
        assert raised.value.field == field
