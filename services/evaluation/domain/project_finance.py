"""Project finance: debt sizing, DSCR by year, minimum and average DSCR, LLCR, equity IRR.

Model
-----
Amounts in EUR, rates as yearly decimals. Year 0 is financial close: the whole loan is drawn
then (construction spread over several years is financed at year 0, a stated simplification);
debt is repaid in arrears over years ``1..tenor``.

- CFADS (cash flow available for debt service) of year ``t >= 1`` = revenues - operating costs
  - taxes - investment in that year (replacement capex). Residual value is excluded: it is not
  cash a lender can count on during the loan.
- Debt sizing:
  * by gearing ``g``: ``debt = g * total investment``, repaid as an annuity or in equal
    principal instalments after an optional interest-only grace period;
  * sculpted to a target DSCR ``D``: ``DS_t = max(CFADS_t, 0) / D`` and ``debt = PV(DS_t)`` at
    the loan rate over the tenor; when a gearing is also given it caps the debt, and the
    service is scaled down in proportion (DSCR then exceeds ``D``).
- ``DSCR_t = CFADS_t / DS_t`` for every year with debt service; a year with ``DSCR_t < 1``
  cannot service its debt and is flagged. Minimum and (arithmetic) average are over those
  years.
- ``LLCR = PV(CFADS over the loan life, at the loan rate) / debt outstanding``.
- Equity cash flows: year 0 ``net_0 + debt``; year ``t`` ``net_t - DS_t``; equity IRR is their
  IRR (``None`` with a reason when it does not exist or is not unique).

Checked against: the sculpting identity (DS_t = CFADS_t / D, hence DSCR_t = D in every year
and LLCR = D when discounted at the loan rate; Yescombe, *Principles of Project Finance*, 2nd
ed., 2014, ch. 12), a hand-worked LLCR (CFADS 120, 120, 120 at 10 % over a 200 debt = 1.4921),
and the identity DSCR x debt service = CFADS (property tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.debt import (
    AMORTIZATIONS,
    DebtSchedule,
    debt_schedule,
    schedule_for_debt_service,
    sculpted_debt,
)
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import Figure, RateOfReturn, irr, npv


@dataclass(frozen=True)
class DscrRow:
    year: int
    cfads: float
    debt_service: float
    dscr: float | None
    cannot_service_debt: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "cfads": self.cfads,
            "debt_service": self.debt_service,
            "dscr": self.dscr,
            "cannot_service_debt": self.cannot_service_debt,
        }


@dataclass(frozen=True)
class DscrSummary:
    rows: tuple[DscrRow, ...]
    min_dscr: Figure
    avg_dscr: Figure

    @property
    def years_below_one(self) -> tuple[int, ...]:
        """Years that cannot service their debt (DSCR < 1)."""
        return tuple(row.year for row in self.rows if row.cannot_service_debt)

    def to_rows(self) -> list[dict[str, Any]]:
        return [row.to_dict() for row in self.rows]


def dscr(
    cfads: Sequence[float] | np.ndarray, debt_service: Sequence[float] | np.ndarray
) -> DscrSummary:
    """DSCR by year (year 1 first), with minimum and average over years with debt service."""
    flows = np.asarray(cfads, dtype=float)
    service = np.asarray(debt_service, dtype=float)
    rows: list[DscrRow] = []
    ratios: list[float] = []
    for index, (available, due) in enumerate(zip(flows, service, strict=True)):
        with np.errstate(over="ignore"):
            ratio = float(available / due) if due > 0 else None
        if ratio is not None and not math.isfinite(ratio):
            ratio = None  # a debt service too small to measure against (e.g. gearing ~ 0)
        if ratio is not None:
            ratios.append(ratio)
        rows.append(
            DscrRow(index + 1, float(available), float(due), ratio, ratio is not None and ratio < 1)
        )
    if not ratios:
        missing = Figure(None, "no year has debt service")
        return DscrSummary(tuple(rows), missing, missing)
    return DscrSummary(
        tuple(rows), Figure(min(ratios)), Figure.of(sum(r / len(ratios) for r in ratios))
    )


def llcr(cfads: Sequence[float] | np.ndarray, debt_outstanding: float, rate: float) -> Figure:
    """PV of CFADS over the loan life (years 1..n, at the loan rate) over the debt outstanding."""
    if debt_outstanding <= 0:
        return Figure(None, "there is no debt outstanding")
    flows = np.concatenate(([0.0], np.asarray(cfads, dtype=float)))
    present = npv(rate, flows)
    if present.value is None:
        return present
    return Figure.of(present.value / debt_outstanding)


@dataclass(frozen=True)
class Financing:
    """How the debt is sized and repaid.

    Parameters
    ----------
    rate : float
        Loan interest rate per year, decimal.
    tenor_years : int
        Years from drawdown (year 0) to the last repayment, grace included.
    gearing : float or None
        Debt as a share of total investment (0..1).
    target_dscr : float or None
        Sculpt the repayment to this DSCR (> 0); with ``gearing`` as well, the lower debt wins.
    grace_years : int
        Interest-only years before repayment starts (not with sculpting).
    amortization : str
        ``annuity`` or ``constant_principal`` (ignored when sculpting).
    """

    rate: float
    tenor_years: int
    gearing: float | None = None
    target_dscr: float | None = None
    grace_years: int = 0
    amortization: str = "annuity"

    @classmethod
    def parse(cls, body: Mapping[str, Any], prefix: str = "financing.") -> Financing:
        check.known_keys(
            body,
            ("rate", "tenor_years", "gearing", "target_dscr", "grace_years", "amortization"),
            prefix,
        )
        gearing = body.get("gearing")
        target = body.get("target_dscr")
        if gearing is None and target is None:
            raise InvalidInput(f"{prefix}gearing", "give gearing or target_dscr (or both)")
        tenor = check.integer(
            check.required(body, "tenor_years", prefix),
            f"{prefix}tenor_years",
            minimum=1,
            maximum=check.MAX_YEARS,
        )
        grace = check.integer(
            check.optional(body, "grace_years", 0), f"{prefix}grace_years", minimum=0
        )
        if grace >= tenor:
            raise InvalidInput(f"{prefix}grace_years", "must be less than tenor_years")
        if target is not None and grace:
            raise InvalidInput(
                f"{prefix}grace_years", "a sculpted repayment has no grace period; set it to 0"
            )
        return cls(
            rate=check.rate(check.required(body, "rate", prefix), f"{prefix}rate"),
            tenor_years=tenor,
            gearing=None
            if gearing is None
            else check.number(gearing, f"{prefix}gearing", minimum=0.0, maximum=1.0),
            target_dscr=None
            if target is None
            else check.number(
                target, f"{prefix}target_dscr", minimum=0.0, exclusive_minimum=True, maximum=100.0
            ),
            grace_years=grace,
            amortization=check.choice(
                check.optional(body, "amortization", "annuity"),
                f"{prefix}amortization",
                AMORTIZATIONS,
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "tenor_years": self.tenor_years,
            "gearing": self.gearing,
            "target_dscr": self.target_dscr,
            "grace_years": self.grace_years,
            "amortization": self.amortization,
        }


@dataclass(frozen=True)
class ProjectFinance:
    """Debt, its schedule and the lenders' and sponsors' ratios."""

    debt: float
    schedule: DebtSchedule | None
    dscr: DscrSummary | None
    llcr: Figure
    equity_irr: RateOfReturn
    equity_cash_flows: tuple[float, ...]
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def debt_service_by_year(self) -> np.ndarray:
        """Debt service of years 1..tenor (empty without debt)."""
        return np.zeros(0) if self.schedule is None else self.schedule.debt_service


def size_debt(
    cfads: np.ndarray, total_investment: float, financing: Financing, prefix: str = "financing."
) -> DebtSchedule | None:
    """The schedule of the debt the financing terms allow, or ``None`` when it is zero."""
    if financing.tenor_years > cfads.size:
        raise InvalidInput(
            f"{prefix}tenor_years", f"must not exceed the {cfads.size}-year operating horizon"
        )
    loan_cfads = cfads[: financing.tenor_years]
    cap = None if financing.gearing is None else financing.gearing * total_investment
    if financing.target_dscr is not None:
        sculpted = sculpted_debt(loan_cfads, financing.target_dscr, financing.rate)
        if sculpted.principal <= 0 or (cap is not None and cap <= 0):
            return None
        if cap is None or cap >= sculpted.principal:
            return sculpted
        scaled = sculpted.debt_service * (cap / sculpted.principal)
        return schedule_for_debt_service(cap, financing.rate, scaled, "sculpted")
    if cap is None or cap <= 0:
        return None
    return debt_schedule(
        cap, financing.rate, financing.tenor_years, financing.amortization, financing.grace_years
    )


def finance_project(
    net_cash_flows: np.ndarray,
    cfads: np.ndarray,
    total_investment: float,
    financing: Financing,
    prefix: str = "financing.",
) -> ProjectFinance:
    """Size the debt, schedule it, and compute DSCR, LLCR and the equity IRR.

    ``net_cash_flows`` covers years 0..N, ``cfads`` years 1..N.
    """
    schedule = size_debt(cfads, total_investment, financing, prefix)
    if schedule is None:
        reason = "the financing terms give no debt (zero gearing or no positive CFADS)"
        return ProjectFinance(
            0.0,
            None,
            None,
            Figure(None, reason),
            irr(net_cash_flows),
            tuple(float(x) for x in net_cash_flows),
            {"debt_schedule": reason},
        )
    service = np.zeros(net_cash_flows.size)
    service[1 : schedule.years + 1] = schedule.debt_service
    equity = net_cash_flows - service
    equity[0] += schedule.principal
    summary = dscr(cfads[: schedule.years], schedule.debt_service)
    return ProjectFinance(
        schedule.principal,
        schedule,
        summary,
        llcr(cfads[: schedule.years], schedule.principal, financing.rate),
        irr(equity),
        tuple(float(x) for x in equity),
    )
