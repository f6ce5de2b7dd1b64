"""DSCR, LLCR, debt sizing and equity IRR."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.debt import debt_schedule
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.project_finance import Financing, dscr, finance_project, llcr


class TestDscr:
    def test_by_hand_and_flags_years_that_cannot_pay(self) -> None:
        summary = dscr([130.0, 90.0, 150.0], [100.0, 100.0, 100.0])
        assert [r.dscr for r in summary.rows] == pytest.approx([1.3, 0.9, 1.5])
        assert summary.min_dscr.value == pytest.approx(0.9)
        assert summary.avg_dscr.value == pytest.approx((1.3 + 0.9 + 1.5) / 3)
        assert summary.years_below_one == (2,)
        assert [r.cannot_service_debt for r in summary.rows] == [False, True, False]

    def test_years_without_debt_service_have_no_dscr(self) -> None:
        summary = dscr([50.0, 120.0], [0.0, 100.0])
        assert summary.rows[0].dscr is None
        assert summary.min_dscr.value == pytest.approx(1.2)

    def test_no_debt_service_at_all(self) -> None:
        summary = dscr([50.0], [0.0])
        assert summary.min_dscr.value is None
        assert summary.min_dscr.reason == "no year has debt service"


@settings(max_examples=60, deadline=None)
@given(
    cfads=st.lists(st.floats(min_value=-1e6, max_value=1e8), min_size=5, max_size=5),
    principal=st.floats(min_value=1.0, max_value=1e8),
    rate=st.floats(min_value=0.0, max_value=0.2),
    amortization=st.sampled_from(["annuity", "constant_principal"]),
)
def test_dscr_times_debt_service_is_cfads(
    cfads: list[float], principal: float, rate: float, amortization: str
) -> None:
    schedule = debt_schedule(principal, rate, 5, amortization)
    summary = dscr(cfads, schedule.debt_service)
    for row, available in zip(summary.rows, cfads, strict=True):
        assert row.dscr is not None
        assert row.dscr * row.debt_service == pytest.approx(available, rel=1e-9, abs=1e-6)


class TestLlcr:
    def test_by_hand(self) -> None:
        # PV of 120 a year for 3 years at 10 % = 298.42; over 200 of debt = 1.4921.
        assert llcr([120, 120, 120], 200, 0.10).value == pytest.approx(298.4222389 / 200)

    def test_no_debt(self) -> None:
        assert llcr([120], 0, 0.1).value is None


def _flows(years: int = 10) -> tuple[np.ndarray, np.ndarray]:
    net = np.array([-1000.0] + [180.0] * years)
    cfads = net[1:].copy()
    return net, cfads


class TestFinanceProject:
    def test_gearing_sizes_the_debt_and_equity_irr_matches_numpy_financial(self) -> None:
        net, cfads = _flows()
        result = finance_project(
            net, cfads, 1000.0, Financing(rate=0.05, tenor_years=8, gearing=0.6)
        )
        assert result.debt == pytest.approx(600.0)
        assert result.schedule is not None
        assert result.dscr is not None
        assert sum(r.principal for r in result.schedule.rows) == pytest.approx(600.0)
        equity = np.array(result.equity_cash_flows)
        assert equity[0] == pytest.approx(-400.0)
        assert equity[1] == pytest.approx(180.0 - result.schedule.rows[0].debt_service)
        # Independent computation: numpy_financial.irr on the equity flows.
        assert result.equity_irr.value == pytest.approx(float(npf.irr(equity)))
        assert result.equity_irr.value > (npf.irr(net))  # leverage at 5 % < project return

    def test_sculpted_debt_gives_the_target_dscr_and_llcr(self) -> None:
        net, cfads = _flows()
        result = finance_project(
            net, cfads, 1000.0, Financing(rate=0.06, tenor_years=10, target_dscr=1.35)
        )
        assert result.dscr is not None
        assert [r.dscr for r in result.dscr.rows] == pytest.approx([1.35] * 10)
        # Sculpted debt = PV(CFADS / DSCR) at the loan rate, hence LLCR = target DSCR.
        assert result.llcr.value == pytest.approx(1.35)

    def test_gearing_caps_sculpted_debt(self) -> None:
        net, cfads = _flows()
        result = finance_project(
            net, cfads, 1000.0, Financing(rate=0.06, tenor_years=10, target_dscr=1.2, gearing=0.5)
        )
        assert result.debt == pytest.approx(500.0)
        assert result.dscr is not None
        assert result.dscr.min_dscr.value is not None
        assert result.dscr.min_dscr.value > 1.2
        assert result.schedule is not None
        assert result.schedule.rows[-1].closing == 0.0

    def test_year_that_cannot_service_debt_is_flagged(self) -> None:
        net = np.array([-1000.0, 200.0, 50.0, 200.0, 200.0])
        result = finance_project(net, net[1:], 1000.0, Financing(0.05, 4, gearing=0.5))
        assert result.dscr is not None
        assert result.dscr.years_below_one == (2,)

    def test_zero_gearing_means_no_debt(self) -> None:
        net, cfads = _flows()
        result = finance_project(net, cfads, 1000.0, Financing(0.05, 5, gearing=0.0))
        assert result.schedule is None
        assert result.llcr.value is None

    def test_tenor_beyond_horizon(self) -> None:
        net, cfads = _flows(5)
        with pytest.raises(InvalidInput) as raised:
            finance_project(net, cfads, 1000.0, Financing(0.05, 6, gearing=0.5))
        assert raised.value.field == "financing.tenor_years"


class TestFinancingParse:
    def test_defaults(self) -> None:
        parsed = Financing.parse({"gearing": 0.7, "rate": 0.05, "tenor_years": 10})
        assert parsed == Financing(rate=0.05, tenor_years=10, gearing=0.7)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"rate": 0.05, "tenor_years": 10}, "financing.gearing"),
            ({"gearing": 1.5, "rate": 0.05, "tenor_years": 10}, "financing.gearing"),
            ({"gearing": 0.5, "rate": -1.0, "tenor_years": 10}, "financing.rate"),
            ({"gearing": 0.5, "rate": 0.05}, "financing.tenor_years"),
            ({"gearing": 0.5, "rate": 0.05, "tenor_years": -3}, "financing.tenor_years"),
            (
                {"gearing": 0.5, "rate": 0.05, "tenor_years": 5, "grace_years": 5},
                "financing.grace_years",
            ),
            (
                {"target_dscr": 1.3, "rate": 0.05, "tenor_years": 5, "grace_years": 1},
                "financing.grace_years",
            ),
            ({"target_dscr": 0, "rate": 0.05, "tenor_years": 5}, "financing.target_dscr"),
            (
                {"gearing": 0.5, "rate": 0.05, "tenor_years": 5, "amortization": "x"},
                "financing.amortization",
            ),
            ({"gearing": 0.5, "rate": float("nan"), "tenor_years": 5}, "financing.rate"),
            ({"gearing": 0.5, "rate": 0.05, "tenor_years": 5, "tenor": 5}, "financing.tenor"),
        ],
    )
    def test_invalid(self, body: dict[str, object], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            Financing.parse(body)
        assert raised.value.field == field
