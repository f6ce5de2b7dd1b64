"""PSC against PPP: risk adjustments, shadow bid and the VfM figures."""

from __future__ import annotations

import numpy as np
import pytest

from services.evaluation.domain.cashflow import ProjectFlows
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.value_for_money import VfmParams, value_for_money

YEARS = 6  # year 0 + 5 years


def hand_case(revenues: float = 0.0) -> ProjectFlows:
    # Investment 1000 in year 0, opex 100 a year for 5 years.
    return ProjectFlows.build(
        YEARS,
        investment=np.array([1000.0, 0, 0, 0, 0, 0]),
        opex=np.array([0.0, 100, 100, 100, 100, 100]),
        revenues=np.array([0.0] + [revenues] * 5),
    )


def pv(rate: float, values: list[float]) -> float:
    return sum(v / (1 + rate) ** t for t, v in enumerate(values))


class TestValueForMoney:
    def test_brute_force_with_given_payments_and_risks(self) -> None:
        params = VfmParams(
            ppp_payments=(0.0, 320.0, 320.0, 320.0, 320.0, 320.0),
            competitive_neutrality_share=0.02,
            transferred_risk_share=0.10,
            retained_risk_share=0.03,
            contract_management_share=0.01,
        )
        result = value_for_money(hand_case(), params, 0.04)
        # Independent loop: C = PV(costs), PSC = C (1 + 0.02 + 0.10 + 0.03), PPP = PV(A) + 0.04 C.
        costs = pv(0.04, [1000, 100, 100, 100, 100, 100])
        psc = costs * 1.15
        ppp = pv(0.04, [0, 320, 320, 320, 320, 320]) + 0.04 * costs
        assert result.psc_npv == pytest.approx(psc)
        assert result.ppp_npv == pytest.approx(ppp)
        assert result.vfm_amount == pytest.approx(psc - ppp)
        assert result.vfm_percent.value == pytest.approx(100 * (psc - ppp) / psc)
        assert result.raw_psc == pytest.approx(costs)
        assert result.adjustments["transferred_risk"] == pytest.approx(0.10 * costs)

    def test_shadow_bid_at_the_public_rate_without_efficiency_costs_the_same(self) -> None:
        params = VfmParams(private_cost_of_capital=0.04)
        result = value_for_money(hand_case(), params, 0.04)
        assert result.vfm_amount == pytest.approx(0.0, abs=1e-9)
        assert result.ppp_payments[0] == 0.0
        assert len(set(result.ppp_payments[1:])) == 1

    def test_costlier_private_capital_destroys_value_unless_risk_moves(self) -> None:
        plain = value_for_money(hand_case(), VfmParams(private_cost_of_capital=0.07), 0.04)
        assert plain.vfm_amount < 0
        with_risk = value_for_money(
            hand_case(),
            VfmParams(private_cost_of_capital=0.07, transferred_risk_share=0.15),
            0.04,
        )
        assert with_risk.vfm_amount == pytest.approx(plain.vfm_amount + 0.15 * plain.raw_psc)
        assert with_risk.vfm_amount > 0

    def test_revenues_kept_by_the_authority_cancel_out(self) -> None:
        params = VfmParams(transferred_risk_share=0.1)
        without = value_for_money(hand_case(), params, 0.04)
        with_revenues = value_for_money(hand_case(revenues=50.0), params, 0.04)
        assert with_revenues.vfm_amount == pytest.approx(without.vfm_amount)
        assert with_revenues.psc_npv < without.psc_npv

    def test_no_percent_when_the_psc_has_no_net_cost(self) -> None:
        result = value_for_money(hand_case(revenues=1000.0), VfmParams(), 0.04)
        assert result.vfm_percent.value is None
        assert result.to_dict()["reason"]


class TestParse:
    def test_parse(self) -> None:
        params = VfmParams.parse({"transferred_risk_share": 0.1, "discount_rate": 0.035}, YEARS)
        assert params.transferred_risk_share == 0.1
        assert params.discount_rate == 0.035

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"ppp_payments": [1, 2]}, "vfm.ppp_payments"),
            ({"ppp_payments": [0, 1, 1, 1, 1, -1]}, "vfm.ppp_payments"),
            ({"transferred_risk_share": 1.5}, "vfm.transferred_risk_share"),
            ({"private_cost_of_capital": -1}, "vfm.private_cost_of_capital"),
            ({"psc": 100}, "vfm.psc"),
        ],
    )
    def test_invalid(self, body: dict[str, object], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            VfmParams.parse(body, YEARS)
        assert raised.value.field == field
