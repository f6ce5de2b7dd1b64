"""The yearly cash-flow table and the parsing of explicit flows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from services.evaluation.domain.cashflow import ProjectFlows, parse_flows
from services.evaluation.domain.errors import InvalidInput


def make_flows(**overrides: Any) -> ProjectFlows:
    components = {
        "investment": [1000.0, 0.0, 0.0, 100.0],
        "opex": [0.0, 50.0, 50.0, 50.0],
        "revenues": [0.0, 400.0, 400.0, 400.0],
        "residual_value": [0.0, 0.0, 0.0, 200.0],
        "taxes": [0.0, 30.0, 30.0, -10.0],
    }
    components.update(overrides)
    return ProjectFlows.build(4, **{k: np.array(v) for k, v in components.items()})


class TestTable:
    def test_net_and_cfads_by_hand(self) -> None:
        flows = make_flows()
        # net = revenues + residual - investment - opex - taxes
        assert list(flows.net) == [-1000.0, 320.0, 320.0, 460.0]
        # CFADS excludes residual value and deducts replacement capex (year 3: 400-50+10-100)
        assert list(flows.cfads) == [320.0, 320.0, 260.0]

    def test_table_columns(self) -> None:
        rows = make_flows().table(0.10)
        assert [r["year"] for r in rows] == [0, 1, 2, 3]
        assert rows[0]["cfads"] is None
        assert rows[1]["discount_factor"] == pytest.approx(1 / 1.1)
        assert rows[2]["cumulative"] == pytest.approx(-360.0)
        assert rows[3]["cumulative_discounted"] == pytest.approx(
            -1000 + 320 / 1.1 + 320 / 1.1**2 + 460 / 1.1**3
        )
        assert rows[1]["co2_tonnes"] == 0.0

    def test_scaled_stacks_draws(self) -> None:
        flows = make_flows()
        factors = np.array([[1.0], [1.1]])
        stacked = flows.scaled(revenues=factors)
        assert stacked.revenues.shape == (2, 4)
        assert stacked.investment.shape == (2, 4)
        assert list(stacked.net[1]) == pytest.approx([-1000.0, 360.0, 360.0, 500.0])


class TestParse:
    def test_missing_series_are_zero_and_scalar_residual_goes_last(self) -> None:
        flows = parse_flows(
            {"investment": [100, 0, 0], "revenues": [0, 60, 60], "residual_value": 10}
        )
        assert list(flows.opex) == [0.0, 0.0, 0.0]
        assert list(flows.residual_value) == [0.0, 0.0, 10.0]

    def test_externalities_join_the_flows(self) -> None:
        flows = parse_flows({"investment": [100, 0]}, {"co2_tonnes": [0, 5]})
        assert list(flows.co2_tonnes) == [0.0, 5.0]

    @pytest.mark.parametrize(
        ("body", "externalities", "field"),
        [
            ({"investment": [100, 0], "opex": [0, 1, 2]}, None, "cash_flows.opex"),
            ({"investment": [-100, 0]}, None, "cash_flows.investment[0]"),
            (
                {"investment": [100, 0], "revenues": [0, float("nan")]},
                None,
                "cash_flows.revenues[1]",
            ),
            ({"investment": []}, None, "cash_flows.investment"),
            ({}, None, "cash_flows.investment"),
            ({"investment": [100]}, None, "cash_flows.investment"),
            ({"capex": [100, 0]}, None, "cash_flows.capex"),
            ({"investment": [100, 0]}, {"co2_tonnes": [1]}, "economic.externalities.co2_tonnes"),
            ({"investment": [100, 0]}, {"noise": [1, 1]}, "economic.externalities.noise"),
            ({"investment": [100, 0], "residual_value": -5}, None, "cash_flows.residual_value"),
        ],
    )
    def test_invalid(
        self, body: dict[str, Any], externalities: dict[str, Any] | None, field: str
    ) -> None:
        with pytest.raises(InvalidInput) as raised:
            parse_flows(body, externalities)
        assert raised.value.field == field

    def test_taxes_may_be_negative(self) -> None:
        flows = parse_flows({"investment": [100, 0], "taxes": [0, -5]})
        assert flows.taxes[1] == -5.0
