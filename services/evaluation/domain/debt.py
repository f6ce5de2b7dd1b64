"""Loans: annuity payment, yearly debt schedules (annuity, constant principal, sculpted).

Model
-----
Amounts in EUR; ``rate`` is the yearly interest rate as a decimal (> -1); the loan is drawn in
full at year 0 and repaid in arrears over years ``1..years``. Every schedule row is
``{year, opening, interest, principal, debt_service, closing}`` with
``interest = opening * rate``, ``debt_service = interest + principal`` and
``closing = opening - principal``; all figures are positive amounts paid by the borrower.

- Annuity (as ``numpy_financial.pmt``, in a form stable for tiny rates): for ``m`` periods
  at periodic rate ``i = rate / k`` (``k`` periods a year),
  ``payment = P i / (1 - (1 + i)^-m)`` (``P / m`` when ``i = 0``); total interest =
  ``payment * m - P``.
- Grace period of ``g`` years: only interest is paid in years ``1..g``; the principal is then
  repaid over the remaining ``years - g`` years, as a level annuity (``annuity``) or in equal
  instalments ``P / (years - g)`` (``constant_principal``).
- Sculpted repayment to a target DSCR ``D``: the debt service of year ``t`` is
  ``max(CFADS_t, 0) / D``, and the debt that service can repay is its present value at the loan
  rate, ``P = sum_t DS_t / (1 + rate)^t``. A year whose interest exceeds its service repays a
  negative principal (interest is capitalised).
The last row of an annuity or constant-principal schedule repays the whole opening balance,
so the schedule closes at exactly 0 and the principal column sums to the loan; a sculpted
schedule keeps each year's service exact and drops the rounding residue of the last balance.

Checked against: numpy-financial documentation (``pmt(0.075/12, 12*15, 200000) =
-1854.0247``), Microsoft Excel PMT help (``PMT(8%/12, 10, 10000) = -1037.03``),
``numpy_financial.ipmt``/``ppmt`` for every annuity row, and the project-finance identity of
sculpting (Yescombe, *Principles of Project Finance*, 2nd ed., 2014, ch. 12): debt service =
CFADS / target DSCR in every year, and the LLCR then equals the target DSCR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.evaluation.domain.errors import InvalidInput

AMORTIZATIONS = ("annuity", "constant_principal")


@dataclass(frozen=True)
class Annuity:
    """A level payment per period and what it costs in interest."""

    payment: float
    total_interest: float
    periods: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "payment": self.payment,
            "total_interest": self.total_interest,
            "periods": self.periods,
        }


@dataclass(frozen=True)
class DebtRow:
    year: int
    opening: float
    interest: float
    principal: float
    debt_service: float
    closing: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "opening": self.opening,
            "interest": self.interest,
            "principal": self.principal,
            "debt_service": self.debt_service,
            "closing": self.closing,
        }


@dataclass(frozen=True)
class DebtSchedule:
    """A yearly repayment schedule, year 1 first."""

    principal: float
    rate: float
    amortization: str
    grace_years: int
    rows: tuple[DebtRow, ...]

    @property
    def years(self) -> int:
        return len(self.rows)

    @property
    def debt_service(self) -> np.ndarray:
        return np.array([row.debt_service for row in self.rows])

    @property
    def total_interest(self) -> float:
        return float(sum(row.interest for row in self.rows))

    @property
    def total_debt_service(self) -> float:
        return float(sum(row.debt_service for row in self.rows))

    def to_rows(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in self.rows]


def annuity_payment(principal: float, periodic_rate: float, periods: int) -> float:
    """``P i / (1 - (1 + i)^-m)``, written with ``expm1``/``log1p`` so that tiny rates do not
    lose every digit (``numpy_financial.pmt`` returns NaN for ``i`` near 1e-17)."""
    if periodic_rate == 0:
        return principal / periods
    exponent = -periods * math.log1p(periodic_rate)
    if exponent > 700:
        # (1 + i)^-m overflows a float for rates near -100 %; the payment then tends to
        # -P i (1 + i)^m, which is representable (it underflows towards 0)
        return -principal * periodic_rate * math.exp(-exponent)
    discount = -math.expm1(exponent)
    return principal * periodic_rate / discount


def annuity(principal: float, rate: float, years: int, periods_per_year: int = 1) -> Annuity:
    """Level payment repaying ``principal`` over ``years`` with ``periods_per_year`` payments."""
    periods = years * periods_per_year
    payment = annuity_payment(principal, rate / periods_per_year, periods)
    return Annuity(payment, payment * periods - principal, periods)


def _schedule_from_principal(
    principal: float, rate: float, repayments: Sequence[float]
) -> tuple[DebtRow, ...]:
    rows: list[DebtRow] = []
    opening = principal
    last = len(repayments) - 1
    for index, repaid in enumerate(repayments):
        interest = opening * rate
        paid = opening if index == last else float(repaid)
        closing = 0.0 if index == last else opening - paid
        rows.append(DebtRow(index + 1, opening, interest, paid, interest + paid, closing))
        opening = closing
    return tuple(rows)


def debt_schedule(
    principal: float,
    rate: float,
    years: int,
    amortization: str = "annuity",
    grace_years: int = 0,
) -> DebtSchedule:
    """Yearly schedule: interest only during the grace years, then annuity or equal principal."""
    if amortization not in AMORTIZATIONS:
        raise InvalidInput("amortization", f"must be one of: {', '.join(AMORTIZATIONS)}")
    if not 0 <= grace_years < years:
        raise InvalidInput("grace_years", "must be at least 0 and less than years")
    repaying = years - grace_years
    repayments = [0.0] * grace_years
    if amortization == "constant_principal":
        repayments += [principal / repaying] * repaying
    else:
        # A level payment on the principal outstanding after the grace: each year repays the
        # payment less that year's interest.
        payment = annuity_payment(principal, rate, repaying)
        balance = principal
        for _ in range(repaying):
            repaid = payment - balance * rate
            repayments.append(repaid)
            balance -= repaid
    rows = _schedule_from_principal(principal, rate, repayments)
    return DebtSchedule(principal, rate, amortization, grace_years, rows)


def schedule_for_debt_service(
    principal: float, rate: float, debt_service: Sequence[float] | np.ndarray, amortization: str
) -> DebtSchedule:
    """Schedule that pays a given debt service each year; the last year clears the balance."""
    rows: list[DebtRow] = []
    opening = principal
    service = np.asarray(debt_service, dtype=float)
    last = service.size - 1
    for index, paid in enumerate(service):
        interest = opening * rate
        repaid = float(paid) - interest
        # The service is kept exact; the last year's closing balance differs from zero only
        # by rounding, which is dropped so the schedule closes at exactly 0.
        closing = 0.0 if index == last else opening - repaid
        # The service is stored as given, not as interest + principal, which loses digits
        # when the interest dwarfs the service.
        rows.append(DebtRow(index + 1, opening, interest, repaid, float(paid), closing))
        opening = closing
    return DebtSchedule(principal, rate, amortization, 0, tuple(rows))


def sculpted_debt(
    cfads: Sequence[float] | np.ndarray, target_dscr: float, rate: float
) -> DebtSchedule:
    """Debt sized and repaid so that DSCR equals ``target_dscr`` in every year with CFADS > 0."""
    service = np.maximum(np.asarray(cfads, dtype=float), 0.0) / target_dscr
    factors = np.power(1.0 + rate, -np.arange(1, service.size + 1, dtype=float))
    principal = float(service @ factors)
    return schedule_for_debt_service(principal, rate, service, "sculpted")
