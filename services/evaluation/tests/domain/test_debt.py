"""Annuity and debt schedules against numpy-financial, hand computations and invariants."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.debt import (
    DebtSchedule,
    annuity,
    annuity_payment,
    debt_schedule,
    sculpted_debt,
)
from services.evaluation.domain.errors import InvalidInput


class TestAnnuity:
    def test_numpy_financial_documentation_mortgage(self) -> None:
        # numpy-financial docs, npf.pmt: pmt(0.075/12, 12*15, 200000) = -1854.0247200054619
        result = annuity(200_000, 0.075, 15, periods_per_year=12)
        assert result.payment == pytest.approx(1854.0247200054619, rel=1e-12)
        assert result.periods == 180
        assert result.total_interest == pytest.approx(1854.0247200054619 * 180 - 200_000)

    def test_excel_pmt_example(self) -> None:
        # Microsoft Excel docs, PMT: PMT(8%/12, 10, 10000) = -1,037.03 (ten monthly payments).
        assert annuity_payment(10_000, 0.08 / 12, 10) == pytest.approx(1037.03, abs=0.005)

    def test_tiny_rates_stay_accurate_where_numpy_financial_gives_nan(self) -> None:
        assert annuity_payment(1.0, 1e-17, 2) == pytest.approx(0.5)

    def test_closed_form_yearly_loan(self) -> None:
        # Closed form by hand: 100,000 x 0.05 / (1 - 1.05^-5) = 23,097.48 a year.
        assert annuity(100_000, 0.05, 5).payment == pytest.approx(23_097.48, abs=0.005)

    def test_zero_rate_repays_in_equal_parts(self) -> None:
        result = annuity(1200, 0.0, 1, periods_per_year=12)
        assert result.payment == pytest.approx(100.0)
        assert result.total_interest == pytest.approx(0.0)


def check_schedule_invariants(schedule: DebtSchedule, principal: float) -> None:
    rows = schedule.rows
    assert rows[0].opening == pytest.approx(principal)
    assert rows[-1].closing == 0.0
    assert sum(r.principal for r in rows) == pytest.approx(principal, rel=1e-9, abs=1e-9)
    for row in rows:
        assert row.debt_service == pytest.approx(row.interest + row.principal)
        assert row.closing == pytest.approx(row.opening - row.principal, abs=1e-9 * principal)
        assert row.interest == pytest.approx(row.opening * schedule.rate)
    for before, after in itertools.pairwise(rows):
        assert after.opening == before.closing


class TestDebtSchedule:
    def test_annuity_rows_match_numpy_financial_ipmt_ppmt(self) -> None:
        # Independent computation: numpy_financial.ipmt / ppmt period by period.
        schedule = debt_schedule(100_000, 0.05, 5, "annuity")
        periods = np.arange(1, 6)
        interest = -np.asarray(npf.ipmt(0.05, periods, 5, 100_000))
        principal = -np.asarray(npf.ppmt(0.05, periods, 5, 100_000))
        assert [r.interest for r in schedule.rows] == pytest.approx(list(interest))
        assert [r.principal for r in schedule.rows] == pytest.approx(list(principal))
        assert [r.debt_service for r in schedule.rows] == pytest.approx([23_097.479812] * 5)
        check_schedule_invariants(schedule, 100_000)

    def test_constant_principal_by_hand(self) -> None:
        # 1000 over 4 years at 10 %: 250 a year; interest 100, 75, 50, 25.
        schedule = debt_schedule(1000, 0.10, 4, "constant_principal")
        assert [r.principal for r in schedule.rows] == pytest.approx([250] * 4)
        assert [r.interest for r in schedule.rows] == pytest.approx([100, 75, 50, 25])
        assert [r.debt_service for r in schedule.rows] == pytest.approx([350, 325, 300, 275])

    def test_grace_years_pay_interest_only_then_repay_over_the_rest(self) -> None:
        schedule = debt_schedule(1000, 0.10, 5, "annuity", grace_years=2)
        assert [r.principal for r in schedule.rows[:2]] == [0.0, 0.0]
        assert [r.interest for r in schedule.rows[:2]] == pytest.approx([100, 100])
        # Then a 3-year annuity on 1000: 1000 x 0.1 / (1 - 1.1^-3) = 402.11.
        assert [r.debt_service for r in schedule.rows[2:]] == pytest.approx([402.11480] * 3)
        check_schedule_invariants(schedule, 1000)

    def test_grace_with_constant_principal(self) -> None:
        schedule = debt_schedule(900, 0.05, 4, "constant_principal", grace_years=1)
        assert [r.principal for r in schedule.rows] == pytest.approx([0, 300, 300, 300])

    def test_grace_must_leave_a_repayment_year(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            debt_schedule(1000, 0.05, 3, "annuity", grace_years=3)
        assert raised.value.field == "grace_years"

    def test_unknown_amortization(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            debt_schedule(1000, 0.05, 3, "balloon")
        assert raised.value.field == "amortization"


@settings(max_examples=80, deadline=None)
@given(
    principal=st.floats(min_value=1.0, max_value=1e9),
    rate=st.floats(min_value=0.0, max_value=0.3),
    years=st.integers(min_value=1, max_value=40),
    grace=st.integers(min_value=0, max_value=10),
    amortization=st.sampled_from(["annuity", "constant_principal"]),
)
def test_every_schedule_closes_at_zero_and_repays_the_loan(
    principal: float, rate: float, years: int, grace: int, amortization: str
) -> None:
    grace = min(grace, years - 1)
    schedule = debt_schedule(principal, rate, years, amortization, grace)
    assert schedule.years == years
    check_schedule_invariants(schedule, principal)


class TestSculptedDebt:
    def test_debt_service_is_cfads_over_target_so_dscr_is_the_target(self) -> None:
        # Project-finance sculpting (Yescombe, Principles of Project Finance, 2014, ch. 12):
        # DS_t = CFADS_t / target, debt = PV(DS) at the loan rate.
        cfads = [130.0, 140.0, 150.0, 160.0, 120.0]
        schedule = sculpted_debt(cfads, 1.30, 0.06)
        service = np.array(cfads) / 1.30
        assert list(schedule.debt_service) == pytest.approx(list(service), rel=1e-12)
        assert list(np.array(cfads) / schedule.debt_service) == pytest.approx([1.30] * 5)
        expected = sum(ds / 1.06 ** (t + 1) for t, ds in enumerate(service))
        assert schedule.principal == pytest.approx(expected)
        check_schedule_invariants(schedule, schedule.principal)

    def test_a_year_without_cfads_capitalises_interest(self) -> None:
        schedule = sculpted_debt([0.0, 200.0, 200.0], 1.25, 0.05)
        assert schedule.rows[0].debt_service == 0.0
        assert schedule.rows[0].principal == pytest.approx(-schedule.rows[0].interest)
        assert schedule.rows[0].closing > schedule.rows[0].opening
        check_schedule_invariants(schedule, schedule.principal)


@settings(max_examples=60, deadline=None)
@given(
    cfads=st.lists(st.floats(min_value=1.0, max_value=1e8), min_size=1, max_size=30),
    target=st.floats(min_value=1.0, max_value=3.0),
    rate=st.floats(min_value=0.0, max_value=0.2),
)
def test_sculpted_dscr_times_debt_service_is_cfads(
    cfads: list[float], target: float, rate: float
) -> None:
    schedule = sculpted_debt(cfads, target, rate)
    assert list(target * schedule.debt_service) == pytest.approx(cfads, rel=1e-9)
    check_schedule_invariants(schedule, schedule.principal)


class TestRatesNearMinusOneHundredPercent:
    def test_the_annuity_stays_finite(self) -> None:
        # found by schemathesis: (1 + i)^-m overflowed for i = -0.9999999999999999
        payment = annuity_payment(1.0, -0.9999999999999999, 20)
        assert math.isfinite(payment)
        assert payment >= 0
