"""Stateless calculators behind ``POST /v1/calculations/{metric}``: one dispatch table.

Model
-----
Each calculator takes the JSON body of API.md (already parsed into Python values), checks it,
runs one model and answers ``{"metric", "value", "reason"?, ...extras}``. ``value`` is ``None``
with a ``reason`` where the figure does not exist: an IRR with no root or several roots (the
roots are listed in ``roots``), a payback never reached (reason ``"never"``). Units and sign
conventions are those of :mod:`indicators`, :mod:`debt` and :mod:`project_finance`: year 0 is
the first flow and is not discounted, end-of-year discounting unless ``timing: "mid"``, rates as
decimals, debt amounts as positive EUR paid by the borrower.

========================  ====================================================  ===============
metric                    body                                                  value
========================  ====================================================  ===============
``npv``                   ``{cash_flows, rate, timing?: "end" | "mid"}``        NPV
``xnpv``                  ``{cash_flows, dates, rate}``                         XNPV
``irr``                   ``{cash_flows}``                                      IRR (+ roots)
``xirr``                  ``{cash_flows, dates, rate?}`` (rate is ignored)      XIRR (+ roots)
``mirr``                  ``{cash_flows, finance_rate, reinvest_rate}``         MIRR
``payback``               ``{cash_flows}``                                      years
``discounted-payback``    ``{cash_flows, rate}``                                years
``profitability-index``   ``{cash_flows, rate}``                                PI
``annuity``               ``{principal, rate, years, periods_per_year?: 1}``    payment
``debt-schedule``         ``{principal, rate, years, amortization, grace?}``    total interest
``dscr``                  ``{cfads, principal, rate, years, amortization}``     minimum DSCR
``llcr``                  ``{cfads, debt_outstanding, rate}``                   LLCR
``sculpted-debt``         ``{cfads, target_dscr, rate}``                        debt size
========================  ====================================================  ===============

Checked against the published examples listed in :mod:`indicators` and :mod:`debt` through the
same functions (see ``tests/domain/test_calculators.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.evaluation.domain import validation as check
from services.evaluation.domain.debt import AMORTIZATIONS, annuity, debt_schedule, sculpted_debt
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import (
    Figure,
    RateOfReturn,
    discounted_payback,
    irr,
    mirr,
    npv,
    parse_dates,
    payback,
    profitability_index,
    xirr,
    xnpv,
)
from services.evaluation.domain.project_finance import dscr, llcr


@dataclass(frozen=True)
class CalculationResult:
    """The answer of one calculator."""

    metric: str
    value: float | None
    reason: str | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"metric", "value", "reason"?, ...extras}``; no NaN or infinity ever leaves."""
        value, reason = self.value, self.reason
        if value is not None and not math.isfinite(value):
            value, reason = None, "the figure overflows for these inputs"
        result: dict[str, Any] = {"metric": self.metric, "value": value}
        if reason is not None:
            result["reason"] = reason
        result.update(_finite(self.extras))
        return result


def _finite(value: Any) -> Any:
    """Non-finite numbers (overflow at extreme inputs) become ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _figure(metric: str, figure: Figure, **extras: Any) -> CalculationResult:
    return CalculationResult(metric, figure.value, figure.reason, dict(extras))


def _rate_of_return(metric: str, result: RateOfReturn) -> CalculationResult:
    return CalculationResult(metric, result.value, result.reason, {"roots": list(result.roots)})


def _body(body: Mapping[str, Any], allowed: tuple[str, ...]) -> Mapping[str, Any]:
    check.mapping(body, "body")
    check.known_keys(body, allowed)
    return body


MAX_DATED_FLOWS = 2000
"""Dated flows (XNPV, XIRR) may be monthly or daily, so more are accepted than yearly ones."""


def _flows(
    body: Mapping[str, Any],
    name: str = "cash_flows",
    min_length: int = 1,
    max_length: int = check.MAX_YEARS + 1,
) -> Any:
    return check.flows(
        check.required(body, name), name, min_length=min_length, max_length=max_length
    )


def _rate(body: Mapping[str, Any], name: str = "rate") -> float:
    return check.rate(check.required(body, name), name)


def calculate_npv(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows", "rate", "timing"))
    timing = check.choice(check.optional(body, "timing", "end"), "timing", ("end", "mid"))
    return _figure("npv", npv(_rate(body), _flows(body), timing), timing=timing)


def calculate_xnpv(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows", "dates", "rate"))
    values = _flows(body, max_length=MAX_DATED_FLOWS)
    dates = parse_dates(check.required(body, "dates"), "dates", values.size)
    return _figure("xnpv", xnpv(_rate(body), values, dates))


def calculate_irr(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows",))
    return _rate_of_return("irr", irr(_flows(body, min_length=2)))


def calculate_xirr(body: Mapping[str, Any]) -> CalculationResult:
    # ``rate`` is accepted (API.md lists it for xnpv and xirr alike) but a guess is not needed:
    # every root in the searched range is found.
    _body(body, ("cash_flows", "dates", "rate"))
    if body.get("rate") is not None:
        _rate(body)
    values = _flows(body, min_length=2, max_length=MAX_DATED_FLOWS)
    dates = parse_dates(check.required(body, "dates"), "dates", values.size)
    return _rate_of_return("xirr", xirr(values, dates))


def calculate_mirr(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows", "finance_rate", "reinvest_rate"))
    values = _flows(body, min_length=2)
    return _figure("mirr", mirr(values, _rate(body, "finance_rate"), _rate(body, "reinvest_rate")))


def calculate_payback(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows",))
    return _figure("payback", payback(_flows(body)))


def calculate_discounted_payback(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows", "rate"))
    return _figure("discounted-payback", discounted_payback(_flows(body), _rate(body)))


def calculate_profitability_index(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cash_flows", "rate"))
    return _figure("profitability-index", profitability_index(_flows(body), _rate(body)))


def _principal(body: Mapping[str, Any], name: str = "principal") -> float:
    return check.number(check.required(body, name), name, minimum=0.0, exclusive_minimum=True)


def _years(body: Mapping[str, Any]) -> int:
    return check.integer(check.required(body, "years"), "years", minimum=1, maximum=check.MAX_YEARS)


def calculate_annuity(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("principal", "rate", "years", "periods_per_year"))
    per_year = check.integer(
        check.optional(body, "periods_per_year", 1), "periods_per_year", minimum=1, maximum=365
    )
    rate = _rate(body)
    if rate / per_year <= -1:
        raise InvalidInput("rate", "the rate per period must be greater than -1")
    result = annuity(_principal(body), rate, _years(body), per_year)
    figure = Figure.of(result.payment, "the payment overflows")
    if figure.value is None:
        return _figure("annuity", figure)
    return _figure("annuity", figure, **result.to_dict(), periods_per_year=per_year)


def _schedule_args(body: Mapping[str, Any]) -> tuple[float, float, int, str, int]:
    years = _years(body)
    grace = check.integer(check.optional(body, "grace_years", 0), "grace_years", minimum=0)
    if grace >= years:
        raise InvalidInput("grace_years", "must be less than years")
    amortization = check.choice(check.required(body, "amortization"), "amortization", AMORTIZATIONS)
    return _principal(body), _rate(body), years, amortization, grace


def calculate_debt_schedule(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("principal", "rate", "years", "amortization", "grace_years"))
    schedule = debt_schedule(*_schedule_args(body))
    return _figure(
        "debt-schedule",
        Figure.of(schedule.total_interest, "the interest overflows"),
        total_interest=schedule.total_interest,
        total_debt_service=schedule.total_debt_service,
        rows=schedule.to_rows(),
    )


def calculate_dscr(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cfads", "principal", "rate", "years", "amortization", "grace_years"))
    cfads = _flows(body, "cfads")
    schedule = debt_schedule(*_schedule_args(body))
    if schedule.years > cfads.size:
        raise InvalidInput(
            "years", f"the loan runs {schedule.years} years but cfads covers {cfads.size}"
        )
    summary = dscr(cfads[: schedule.years], schedule.debt_service)
    return _figure(
        "dscr",
        summary.min_dscr,
        dscr_by_year=summary.to_rows(),
        min_dscr=summary.min_dscr.value,
        avg_dscr=summary.avg_dscr.value,
        years_below_1=list(summary.years_below_one),
        debt_schedule=schedule.to_rows(),
    )


def calculate_llcr(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cfads", "debt_outstanding", "rate"))
    return _figure(
        "llcr", llcr(_flows(body, "cfads"), _principal(body, "debt_outstanding"), _rate(body))
    )


def calculate_sculpted_debt(body: Mapping[str, Any]) -> CalculationResult:
    _body(body, ("cfads", "target_dscr", "rate"))
    cfads = _flows(body, "cfads")
    target = check.number(
        check.required(body, "target_dscr"), "target_dscr", minimum=0.0, exclusive_minimum=True
    )
    schedule = sculpted_debt(cfads, target, _rate(body))
    summary = dscr(cfads, schedule.debt_service)
    return _figure(
        "sculpted-debt",
        Figure.of(schedule.principal, "the debt size overflows"),
        debt_size=schedule.principal,
        rows=schedule.to_rows(),
        dscr_by_year=summary.to_rows(),
    )


Calculator = Callable[[Mapping[str, Any]], CalculationResult]

CALCULATORS: dict[str, Calculator] = {
    "npv": calculate_npv,
    "xnpv": calculate_xnpv,
    "irr": calculate_irr,
    "xirr": calculate_xirr,
    "mirr": calculate_mirr,
    "payback": calculate_payback,
    "discounted-payback": calculate_discounted_payback,
    "profitability-index": calculate_profitability_index,
    "annuity": calculate_annuity,
    "debt-schedule": calculate_debt_schedule,
    "dscr": calculate_dscr,
    "llcr": calculate_llcr,
    "sculpted-debt": calculate_sculpted_debt,
}
"""Metric name (as in API.md) -> calculator taking the parsed JSON body."""


def calculate(metric: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Run one calculator and return its JSON-ready answer."""
    calculator = CALCULATORS.get(metric)
    if calculator is None:
        raise InvalidInput("metric", f"unknown metric; one of: {', '.join(CALCULATORS)}")
    return calculator(body).to_dict()
