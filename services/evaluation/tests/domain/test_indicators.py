"""NPV, XNPV, IRR, XIRR, MIRR, payback, PI, ROI against published examples and brute force."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.indicators import (
    NEVER,
    benefit_cost_index,
    discounted_payback,
    irr,
    mirr,
    npv,
    npv_roots,
    payback,
    profitability_index,
    roi,
    xirr,
    xnpv,
)

# Microsoft Excel documentation, XNPV and XIRR help pages: the same five dated flows.
EXCEL_VALUES = [-10_000, 2_750, 4_250, 3_250, 2_750]
EXCEL_DATES = [
    date(2008, 1, 1),
    date(2008, 3, 1),
    date(2008, 10, 30),
    date(2009, 2, 15),
    date(2009, 4, 1),
]
# Microsoft Excel documentation, MIRR help page.
EXCEL_MIRR_VALUES = [-120_000, 39_000, 30_000, 21_000, 37_000, 46_000]


def brute_npv(rate: float, flows: list[float], shift: float = 0.0) -> float:
    """Independent loop: year 0 undiscounted, year t at (t - shift)."""
    total = 0.0
    for t, flow in enumerate(flows):
        exponent = 0.0 if t == 0 else t - shift
        total += flow / (1.0 + rate) ** exponent
    return total


class TestNpv:
    def test_numpy_financial_documentation_example(self) -> None:
        # numpy-financial docs, npf.npv: npv(0.08, [-40000, 5000, 8000, 12000, 30000]) = 3065.22
        assert npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000]).value == pytest.approx(
            3065.2226681795255, rel=1e-12
        )

    def test_year_zero_is_not_discounted(self) -> None:
        assert npv(0.5, [-100.0]).value == -100.0

    def test_mid_year_timing_discounts_later_flows_half_a_year_less(self) -> None:
        flows = [-1000.0, 300.0, 400.0, 500.0]
        # Independent computation: brute-force loop at t - 0.5 for t >= 1.
        assert npv(0.07, flows, "mid").value == pytest.approx(brute_npv(0.07, flows, 0.5))
        assert npv(0.07, flows, "mid").value > npv(0.07, flows, "end").value

    def test_overflow_gives_none_with_reason(self) -> None:
        result = npv(-0.999999999, [1.0] * 200)
        assert result.value is None
        assert "overflow" in (result.reason or "")


class TestXnpvXirr:
    def test_excel_xnpv_example(self) -> None:
        # Microsoft Excel docs, XNPV: rate 9 % on the five dated flows = 2086.65
        assert xnpv(0.09, EXCEL_VALUES, EXCEL_DATES).value == pytest.approx(2086.65, abs=0.005)

    def test_excel_xirr_example(self) -> None:
        # Microsoft Excel docs, XIRR: the same flows give 0.373362535
        result = xirr(EXCEL_VALUES, EXCEL_DATES)
        assert result.value == pytest.approx(0.373362535, abs=1e-8)
        assert result.roots == (result.value,)

    def test_xnpv_at_xirr_is_zero(self) -> None:
        rate = xirr(EXCEL_VALUES, EXCEL_DATES).value
        assert rate is not None
        assert xnpv(rate, EXCEL_VALUES, EXCEL_DATES).value == pytest.approx(0.0, abs=1e-6)

    def test_later_dates_may_come_in_any_order(self) -> None:
        # Excel: only the first date is the start; the others may be in any order.
        order = [0, 3, 1, 4, 2]
        values = [EXCEL_VALUES[i] for i in order]
        dates = [EXCEL_DATES[i] for i in order]
        assert xirr(values, dates).value == pytest.approx(0.373362535, abs=1e-8)

    def test_xirr_with_two_roots_is_none_and_lists_both(self) -> None:
        dates = [date(2001, 1, 1), date(2002, 1, 1), date(2003, 1, 1)]
        result = xirr([-100, 230, -132], dates)
        assert result.value is None
        assert len(result.roots) == 2
        for root in result.roots:
            assert xnpv(root, [-100, 230, -132], dates).value == pytest.approx(0, abs=1e-8)

    def test_xirr_without_sign_change(self) -> None:
        result = xirr([100, 100], [date(2020, 1, 1), date(2021, 1, 1)])
        assert result.value is None
        assert "never change sign" in (result.reason or "")


class TestIrr:
    def test_numpy_financial_documentation_example(self) -> None:
        # numpy-financial docs, npf.irr: round(irr([-100, 39, 59, 55, 20]), 5) = 0.28095
        assert round(irr([-100, 39, 59, 55, 20]).value or 0, 5) == 0.28095

    def test_numpy_financial_negative_irr_example(self) -> None:
        # numpy-financial docs, npf.irr: round(irr([-100, 0, 0, 74]), 5) = -0.0955
        assert round(irr([-100, 0, 0, 74]).value or 0, 5) == -0.0955

    def test_two_roots_ten_and_twenty_percent(self) -> None:
        # -100 + 230 x - 132 x^2 = 0 at x = 1/1.1 and 1/1.2 (textbook multiple-IRR case).
        result = irr([-100, 230, -132])
        assert result.value is None
        assert result.roots == pytest.approx((0.10, 0.20), abs=1e-12)
        assert "not unique" in (result.reason or "")

    def test_numpy_financial_picks_one_of_two_roots_we_report_both(self) -> None:
        # numpy-financial docs give round(irr([-100, 100, 0, -7]), 5) = -0.0833: the root closest
        # to zero of two; the domain refuses to pick and lists both.
        result = irr([-100, 100, 0, -7])
        assert result.value is None
        assert round(result.roots[1], 4) == -0.0833
        assert len(result.roots) == 2

    def test_three_sign_changes_three_roots(self) -> None:
        # numpy-financial docs: round(irr([-5, 10.5, 1, -8, 1]), 5) = 0.0886 is one of three.
        result = irr([-5, 10.5, 1, -8, 1])
        assert result.value is None
        assert round(result.roots[1], 4) == 0.0886
        assert len(result.roots) == 3

    def test_several_sign_changes_but_one_root_returns_it(self) -> None:
        flows = [-100.0, 50.0, -10.0, 100.0]
        result = irr(flows)
        assert result.value is not None
        assert npv(result.value, flows).value == pytest.approx(0, abs=1e-9)

    def test_no_sign_change(self) -> None:
        result = irr([10, 20, 30])
        assert result.value is None
        assert result.roots == ()

    def test_all_zero(self) -> None:
        assert "all cash flows are zero" in (irr([0, 0, 0]).reason or "")

    def test_flows_beyond_floating_point_resolution_get_a_reason_not_a_wrong_number(self) -> None:
        result = irr([-0.001, 1e9])  # the IRR would be 1e12 - 1
        assert result.value is None
        assert "12 orders of magnitude" in (result.reason or "")

    def test_leading_zero_flows_do_not_create_roots(self) -> None:
        assert irr([0, 0, -100, 110]).value == pytest.approx(0.10)


conventional = st.tuples(
    st.floats(min_value=1.0, max_value=1e7),
    st.lists(st.floats(min_value=0.0, max_value=1e7), min_size=1, max_size=30),
).filter(lambda t: sum(t[1]) > 1e-6 * t[0])


@settings(max_examples=60, deadline=None)
@given(conventional)
def test_npv_at_irr_is_zero_for_conventional_flows(case: tuple[float, list[float]]) -> None:
    outlay, inflows = case
    flows = [-outlay, *inflows]
    result = irr(flows)
    assert result.value is not None  # one sign change: exactly one root (Descartes)
    scale = sum(abs(f) / (1 + result.value) ** t for t, f in enumerate(flows))
    assert abs(brute_npv(result.value, flows)) <= 1e-7 * scale


@settings(max_examples=60, deadline=None)
@given(
    conventional,
    st.floats(min_value=-0.9, max_value=2.0),
    st.floats(min_value=0.001, max_value=1.0),
)
def test_npv_decreases_in_the_rate_for_conventional_flows(
    case: tuple[float, list[float]], rate: float, step: float
) -> None:
    outlay, inflows = case
    flows = [-outlay, *inflows]
    low, high = npv(rate, flows).value, npv(rate + step, flows).value
    assert low is not None
    assert high is not None
    assert high <= low + 1e-9 * abs(low)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=2, max_size=12))
def test_every_reported_root_zeroes_the_npv(flows: list[int]) -> None:
    for root in npv_roots(flows):
        scale = sum(abs(f) / (1 + root) ** t for t, f in enumerate(flows))
        assert abs(brute_npv(root, [float(f) for f in flows])) <= 1e-6 * scale


well_scaled = st.tuples(
    st.floats(min_value=1.0, max_value=1e7),
    st.lists(
        st.one_of(st.just(0.0), st.floats(min_value=1.0, max_value=1e7)), min_size=1, max_size=30
    ),
).filter(lambda t: sum(t[1]) > 1e-6 * t[0])


@settings(max_examples=40, deadline=None)
@given(well_scaled)
def test_irr_agrees_with_numpy_financial_on_conventional_flows(
    case: tuple[float, list[float]],
) -> None:
    # Independent computation: numpy_financial.irr (a single root, so no choice to make).
    flows = [-case[0], *case[1]]
    assert irr(flows).value == pytest.approx(float(npf.irr(flows)), rel=1e-7, abs=1e-9)


class TestMirr:
    # Microsoft Excel docs, MIRR: the page shows the results as percentages with two decimals.
    def test_excel_five_years(self) -> None:
        # finance 10 %, reinvest 12 % -> 12.61 %
        assert mirr(EXCEL_MIRR_VALUES, 0.10, 0.12).value == pytest.approx(0.1261, abs=5e-5)

    def test_excel_three_years(self) -> None:
        # first three years only -> -4.80 %
        assert mirr(EXCEL_MIRR_VALUES[:4], 0.10, 0.12).value == pytest.approx(-0.0480, abs=5e-5)

    def test_excel_reinvest_at_fourteen_percent(self) -> None:
        # five years with 14 % reinvestment -> 13.48 %
        assert mirr(EXCEL_MIRR_VALUES, 0.10, 0.14).value == pytest.approx(0.1348, abs=5e-5)

    def test_agrees_with_numpy_financial(self) -> None:
        assert mirr(EXCEL_MIRR_VALUES, 0.10, 0.12).value == pytest.approx(
            float(npf.mirr(EXCEL_MIRR_VALUES, 0.10, 0.12))
        )

    def test_needs_both_signs(self) -> None:
        result = mirr([100, 200], 0.1, 0.1)
        assert result.value is None
        assert "positive and one negative" in (result.reason or "")


class TestPayback:
    def test_hand_example(self) -> None:
        # Cumulative -1000, -700, -300, +200: 2 years + 300/500 of year 3 = 2.6 years.
        assert payback([-1000, 300, 400, 500, 600]).value == pytest.approx(2.6)

    def test_never_reached(self) -> None:
        result = payback([-1000, 100, 100])
        assert result.value is None
        assert result.reason == NEVER

    def test_no_outlay_is_immediate(self) -> None:
        assert payback([0, 10, 10]).value == 0.0

    def test_exact_recovery_at_year_end(self) -> None:
        assert payback([-100, 50, 50]).value == 2.0

    def test_a_later_outlay_moves_payback_to_the_last_recovery(self) -> None:
        # Cumulative -100, 50, -50, 50: positive for good only during year 3 (2 + 50/100).
        assert payback([-100, 150, -100, 100]).value == pytest.approx(2.5)

    def test_discounted_payback_against_a_loop(self) -> None:
        flows = [-1000.0, 300.0, 400.0, 500.0, 600.0]
        rate = 0.10
        discounted = [f / (1 + rate) ** t for t, f in enumerate(flows)]
        cumulative, year = 0.0, 0
        for year, flow in enumerate(discounted):
            if cumulative + flow >= 0 and year > 0:
                break
            cumulative += flow
        expected = year - 1 + (-cumulative) / discounted[year]
        assert discounted_payback(flows, rate).value == pytest.approx(expected)
        assert expected == pytest.approx(3.0513333, abs=1e-6)

    def test_discounted_payback_is_never_shorter(self) -> None:
        flows = [-500, 100, 200, 300, 400]
        simple = payback(flows).value
        discounted = discounted_payback(flows, 0.08).value
        assert simple is not None
        assert discounted is not None
        assert discounted >= simple


class TestProfitabilityIndexAndRoi:
    def test_profitability_index_by_hand(self) -> None:
        # PV of 500 a year for 3 years at 10 % = 1243.43; over the 1000 outlay = 1.24343.
        assert profitability_index([-1000, 500, 500, 500], 0.10).value == pytest.approx(
            1243.4259954921112 / 1000
        )

    def test_profitability_index_needs_an_outlay(self) -> None:
        assert profitability_index([100, 50], 0.1).value is None

    def test_benefit_cost_index_equals_pi_when_investment_is_in_year_zero(self) -> None:
        flows = np.array([-1000.0, 500.0, 500.0, 500.0])
        investment = np.array([1000.0, 0.0, 0.0, 0.0])
        assert benefit_cost_index(flows + investment, investment, 0.1).value == pytest.approx(
            profitability_index(flows, 0.1).value
        )

    def test_roi(self) -> None:
        # Net flows sum to 500 on an investment of 1000: ROI 0.5.
        assert roi([-1000, 500, 500, 500], [1000, 0, 0, 0]).value == pytest.approx(0.5)
        assert roi([10, 10], [0, 0]).value is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=2, max_size=10))
def test_no_root_is_missed_that_a_rate_scan_finds(flows: list[int]) -> None:
    # Independent computation: scan NPV on a grid of rates from -95 % to +1000 % and count
    # strict sign changes; each brackets a distinct root that npv_roots must report.
    rates = np.linspace(-0.95, 10.0, 20_001)
    factors = (1.0 + rates[:, None]) ** -np.arange(len(flows), dtype=float)
    signs = np.sign(factors @ np.array(flows, dtype=float))
    brackets = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    roots = npv_roots(flows)
    for index in brackets:
        assert any(rates[index] - 1e-9 <= root <= rates[index + 1] + 1e-9 for root in roots)
