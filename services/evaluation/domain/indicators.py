"""Discounted cash-flow indicators: NPV, XNPV, IRR, XIRR, MIRR, payback, ROI, profitability index.

Model
-----
Yearly cash flows ``CF_t``, ``t = 0..n``; year 0 is the first flow and is not discounted.
Sign convention: money received by the project is positive, money paid out (investment,
costs, taxes) negative. Amounts in one currency (EUR in this product); rates are decimals per
year (0.05 = 5 %) and must be greater than -1.

- NPV, end-of-year timing: ``NPV(r) = sum_t CF_t / (1 + r)^t`` (``numpy_financial.npv``).
  Mid-year timing discounts every flow after year 0 at ``t - 0.5``:
  ``CF_0 + sum_{t>=1} CF_t / (1 + r)^(t - 0.5)``.
- XNPV (Microsoft Excel): ``sum_i P_i / (1 + r)^((d_i - d_1) / 365)``, actual/365 counted from
  the first date; no date may precede the first.
- IRR: a rate ``r > -1`` with ``NPV(r) = 0``. With ``x = 1 / (1 + r)`` the NPV is the
  polynomial ``sum_t CF_t x^t``; each real root ``x > 0`` is an IRR. All roots are found with
  ``numpy.roots`` (eigenvalues of the companion matrix), polished by Newton steps and kept only
  if the NPV there is zero to 1e-8 of the scale ``sum_t |CF_t| x^t``; flows below 1e-12 of
  the largest count as zero. With one sign change (exactly one root by Descartes' rule) a
  bracketing search on the exponential form below backs up the eigenvalues. Exactly one
  root: that is the IRR. None or several (possible when the flows change sign more than
  once): the IRR is ``None`` with a reason, and ``roots`` lists every root found.
- XIRR: the rate with ``XNPV(r) = 0``. ``u = ln(1 + r)`` turns XNPV into a sum of exponentials
  ``sum_i P_i exp(-u t_i)`` whose real zeros are at most the sign changes of ``P`` ordered by
  date (Laguerre's extension of Descartes' rule). Zeros are bracketed on a grid of ``u`` for
  ``1 + r`` from 1e-6 to 1e6 and refined by bisection; one zero is the XIRR, several give
  ``None`` with the roots, as for IRR.
- MIRR (Excel and ``numpy_financial.mirr``): ``(FV_n(positive flows at the reinvestment
  rate) / -PV_0(negative flows at the finance rate))^(1/n) - 1`` over the ``n`` years after
  year 0; ``None`` without at least one flow of each sign.
- Payback: the first time from which the cumulative cash flow stays at or above zero, in
  fractional years. Flows of year ``t`` accrue evenly during year ``t``, so when the
  cumulative turns non-negative in year ``t``, payback = ``t - 1 + (-cum_{t-1}) / CF_t``.
  Never reached within the horizon: ``None`` with reason ``"never"``.
- Discounted payback: the same on ``CF_t / (1 + r)^t``.
- Profitability index: ``PV(CF_1..n) / -CF_0`` (PV of the flows after year 0 over the year-0
  outlay); ``None`` when year 0 is not an outlay.
- ROI: ``sum_t (net CF_t) / sum_t investment_t``, undiscounted: the gain over the horizon per
  euro invested (0.5 = 50 %).

Checked against (tests name each case): numpy-financial documentation examples
(``npv(0.08, [-40000, 5000, 8000, 12000, 30000]) = 3065.22``, ``irr([-100, 39, 59, 55, 20]) =
0.28095``, ``irr([-100, 0, 0, 74]) = -0.0955``), Microsoft Excel documentation (XNPV 2086.65 and
XIRR 0.373362535 on the five dated flows of the XNPV/XIRR help pages; MIRR 0.126094 on
-120000, 39000, 30000, 21000, 37000, 46000 at 10 %/12 %), and brute-force loops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy_financial as npf

from services.evaluation.domain import validation as check
from services.evaluation.domain.errors import InvalidInput

NEVER = "never"
"""Reason given when a payback is not reached within the horizon."""

_ROOT_TOLERANCE = 1e-8
_XIRR_U_RANGE = (math.log(1e-6), math.log(1e6))
_XIRR_GRID = 4001


@dataclass(frozen=True)
class Figure:
    """A figure that may not exist: ``value`` is ``None`` exactly when ``reason`` says why."""

    value: float | None
    reason: str | None = None

    @classmethod
    def of(cls, value: float, reason_if_not_finite: str = "the figure overflows") -> Figure:
        """A finite value, or ``None`` with a reason (never NaN or infinity)."""
        if math.isfinite(value):
            return cls(float(value))
        return cls(None, reason_if_not_finite)


@dataclass(frozen=True)
class RateOfReturn:
    """An internal rate of return and every root of the NPV equation that was found."""

    value: float | None
    reason: str | None = None
    roots: tuple[float, ...] = field(default_factory=tuple)

    @property
    def figure(self) -> Figure:
        return Figure(self.value, self.reason)


def discount_factors(rate: float, years: int, timing: str = "end") -> np.ndarray:
    """``1 / (1 + r)^t`` for ``t = 0..years-1``; mid-year timing uses ``t - 0.5`` after year 0."""
    exponents = np.arange(years, dtype=float)
    if timing == "mid":
        exponents[1:] -= 0.5
    with np.errstate(over="ignore", divide="ignore"):
        return np.power(1.0 + rate, -exponents)


def npv(rate: float, cash_flows: Sequence[float] | np.ndarray, timing: str = "end") -> Figure:
    """Net present value at ``rate`` with end- or mid-year timing."""
    values = np.asarray(cash_flows, dtype=float)
    if timing == "end":
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = float(npf.npv(rate, values))
    else:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = float(values @ discount_factors(rate, values.size, timing))
    return Figure.of(result, "the NPV overflows at this rate")


def _year_fractions(dates: Sequence[date]) -> np.ndarray:
    first = dates[0]
    return np.array([(d - first).days / 365.0 for d in dates])


def xnpv(rate: float, cash_flows: Sequence[float] | np.ndarray, dates: Sequence[date]) -> Figure:
    """Excel XNPV: flows on dates, actual/365 from the first date."""
    values = np.asarray(cash_flows, dtype=float)
    years = _year_fractions(dates)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = float(np.sum(values * np.power(1.0 + rate, -years)))
    return Figure.of(result, "the XNPV overflows at this rate")


def _sign_changes(values: np.ndarray) -> int:
    signs = np.sign(values[values != 0])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def _polish(coefficients: np.ndarray, x: float) -> float:
    derivative = np.polyder(coefficients)
    for _ in range(50):
        slope = float(np.polyval(derivative, x))
        if slope == 0.0 or not math.isfinite(slope):
            break
        step = float(np.polyval(coefficients, x)) / slope
        if not math.isfinite(step):
            break
        x_new = x - step
        if x_new <= 0:
            break
        converged = abs(step) <= 1e-15 * max(1.0, abs(x))
        x = x_new
        if converged:
            break
    return x


def _merge(roots: list[float]) -> tuple[float, ...]:
    merged: list[float] = []
    for value in sorted(roots):
        if merged and abs(value - merged[-1]) <= 1e-6 * max(1.0, abs(value)):
            continue
        merged.append(value)
    return tuple(merged)


def _significant(values: np.ndarray) -> np.ndarray:
    """Flows below 1e-12 of the largest set to zero: below the resolution of the NPV sum, and
    they would only add spurious roots at rates near -100 % (or overflow ``numpy.roots``)."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    return np.where(np.abs(values) <= 1e-12 * largest, 0.0, values)


def npv_roots(cash_flows: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    """Every rate ``r > -1`` at which the NPV of the yearly flows is zero, ascending."""
    values = _significant(np.asarray(cash_flows, dtype=float))
    if not np.any(values):
        return ()
    coefficients = values[::-1]  # CF_n x^n + ... + CF_0
    magnitudes = np.abs(coefficients)
    rates: list[float] = []
    try:
        candidates = np.roots(coefficients)
    except np.linalg.LinAlgError:
        candidates = np.zeros(0, dtype=complex)
    for root in candidates:
        if abs(root.imag) > 1e-6 * max(1.0, abs(root.real)) or root.real <= 0:
            continue
        x = _polish(coefficients, float(root.real))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            scale = float(np.polyval(magnitudes, x))
            residual = float(np.polyval(coefficients, x))
        if not math.isfinite(scale) or abs(residual) > _ROOT_TOLERANCE * scale:
            continue
        rate = 1.0 / x - 1.0
        if math.isfinite(rate) and rate > -1.0:
            rates.append(rate)
    roots = _merge(rates)
    if len(roots) != 1 and _sign_changes(values) == 1:
        # Descartes: one sign change means exactly one root. If the eigenvalues missed it
        # (badly scaled coefficients), bracket it on the exponential form instead.
        roots = _exponential_sum_roots(values, np.arange(values.size, dtype=float))
    return roots


def _rate_of_return(
    roots: tuple[float, ...], sign_changes: int, what: str, all_zero: bool
) -> RateOfReturn:
    if all_zero:
        return RateOfReturn(None, f"all cash flows are zero: every rate gives {what} 0")
    if sign_changes == 0:
        return RateOfReturn(
            None, f"the cash flows never change sign, so no rate makes the {what} zero"
        )
    if not roots:
        return RateOfReturn(None, f"no rate above -100% makes the {what} zero")
    if len(roots) == 1:
        return RateOfReturn(roots[0], None, roots)
    listed = ", ".join(f"{r:.6g}" for r in roots)
    return RateOfReturn(
        None,
        f"the cash flows change sign {sign_changes} times and the {what} is zero at "
        f"{len(roots)} rates ({listed}): the rate of return is not unique",
        roots,
    )


def irr(cash_flows: Sequence[float] | np.ndarray) -> RateOfReturn:
    """Internal rate of return of yearly flows; ``None`` unless exactly one root exists."""
    values = np.asarray(cash_flows, dtype=float)
    roots = npv_roots(values)
    changes = _sign_changes(values)
    if not roots and changes != _sign_changes(_significant(values)):
        # The sign changes come from flows 1e12 times smaller than the largest: any root
        # lies at an extreme rate; search the bracketed range on the exact flows.
        roots = _exponential_sum_roots(values, np.arange(values.size, dtype=float))
        if not roots:
            return RateOfReturn(
                None,
                "the cash flows span more than 12 orders of magnitude and no rate with 1 + r "
                "between 1e-6 and 1e6 makes the NPV zero",
            )
    return _rate_of_return(roots, changes, "NPV", not np.any(values))


def _xnpv_sign(values: np.ndarray, years: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sign-faithful XNPV at ``1 + r = exp(u)``, scaled by its largest term to avoid overflow."""
    exponents = -np.multiply.outer(u, years)
    exponents -= exponents.max(axis=-1, keepdims=True)
    return np.exp(exponents) @ values


def _exponential_sum_roots(values: np.ndarray, years: np.ndarray) -> tuple[float, ...]:
    """Rates with ``1 + r`` in [1e-6, 1e6] where ``sum_i P_i (1 + r)^-t_i`` is zero."""
    grid = np.linspace(*_XIRR_U_RANGE, _XIRR_GRID)
    signs = np.sign(_xnpv_sign(values, years, grid))
    roots: list[float] = []
    for i in range(grid.size - 1):
        if signs[i] == 0:
            roots.append(float(np.expm1(grid[i])))
            continue
        if signs[i] * signs[i + 1] >= 0:
            continue
        low, high = float(grid[i]), float(grid[i + 1])
        for _ in range(200):
            middle = 0.5 * (low + high)
            if middle in (low, high):
                break
            value = float(_xnpv_sign(values, years, np.array([middle]))[0])
            if value == 0:
                low = high = middle
                break
            if np.sign(value) == signs[i]:
                low = middle
            else:
                high = middle
        roots.append(float(np.expm1(0.5 * (low + high))))
    if signs[-1] == 0:
        roots.append(float(np.expm1(grid[-1])))
    return _merge(roots)


def xirr_roots(
    cash_flows: Sequence[float] | np.ndarray, dates: Sequence[date]
) -> tuple[float, ...]:
    """Rates with ``1 + r`` in [1e-6, 1e6] at which the XNPV is zero, ascending."""
    return _exponential_sum_roots(np.asarray(cash_flows, dtype=float), _year_fractions(dates))


def xirr(cash_flows: Sequence[float] | np.ndarray, dates: Sequence[date]) -> RateOfReturn:
    """Excel XIRR; ``None`` unless exactly one rate makes the XNPV zero."""
    values = np.asarray(cash_flows, dtype=float)
    order = np.argsort(_year_fractions(dates), kind="stable")
    return _rate_of_return(
        xirr_roots(values, dates), _sign_changes(values[order]), "XNPV", not np.any(values)
    )


def mirr(
    cash_flows: Sequence[float] | np.ndarray, finance_rate: float, reinvest_rate: float
) -> Figure:
    """Modified IRR (Excel MIRR): outflows financed at ``finance_rate``, inflows reinvested."""
    values = np.asarray(cash_flows, dtype=float)
    if not (np.any(values > 0) and np.any(values < 0)):
        return Figure(None, "MIRR needs at least one positive and one negative cash flow")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = float(npf.mirr(values, finance_rate, reinvest_rate))
    return Figure.of(result, "the MIRR overflows for these flows and rates")


def _payback_of(flows: np.ndarray) -> Figure:
    cumulative = np.cumsum(flows)
    tolerance = 1e-12 * float(np.sum(np.abs(flows)))
    negative = np.flatnonzero(cumulative < -tolerance)
    if negative.size == 0:
        return Figure(0.0)
    last = int(negative[-1])
    if last == flows.size - 1:
        return Figure(None, NEVER)
    return Figure(last + float(-cumulative[last] / flows[last + 1]))


def payback(cash_flows: Sequence[float] | np.ndarray) -> Figure:
    """Simple payback in fractional years; ``None`` with reason ``"never"`` if not reached."""
    return _payback_of(np.asarray(cash_flows, dtype=float))


def discounted_payback(cash_flows: Sequence[float] | np.ndarray, rate: float) -> Figure:
    """Payback of the flows discounted at ``rate`` (end-of-year), in fractional years."""
    values = np.asarray(cash_flows, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        discounted = values * discount_factors(rate, values.size)
    if not np.all(np.isfinite(discounted)):
        return Figure(None, "the discounted flows overflow at this rate")
    return _payback_of(discounted)


def profitability_index(cash_flows: Sequence[float] | np.ndarray, rate: float) -> Figure:
    """PV of the flows after year 0 over the year-0 outlay."""
    values = np.asarray(cash_flows, dtype=float)
    if values[0] >= 0:
        return Figure(None, "year 0 is not an outlay (cash_flows[0] must be negative)")
    present = npv(rate, np.concatenate(([0.0], values[1:])))
    if present.value is None:
        return present
    return Figure.of(present.value / -values[0])


def benefit_cost_index(
    benefits: Sequence[float] | np.ndarray, investment: Sequence[float] | np.ndarray, rate: float
) -> Figure:
    """PV of the flows other than investment over the PV of the investment.

    Equals :func:`profitability_index` when all the investment is in year 0 and nothing else
    happens in year 0.
    """
    invested = npv(rate, investment)
    gained = npv(rate, benefits)
    if invested.value is None or gained.value is None:
        return Figure(None, "the present values overflow at this rate")
    if invested.value <= 0:
        return Figure(None, "there is no investment to compare with")
    return Figure.of(gained.value / invested.value)


def roi(
    net_cash_flows: Sequence[float] | np.ndarray, investment: Sequence[float] | np.ndarray
) -> Figure:
    """Undiscounted return on investment: sum of net flows over the sum of investment."""
    invested = float(np.sum(investment))
    if invested <= 0:
        return Figure(None, "there is no investment to compare with")
    return Figure.of(float(np.sum(net_cash_flows)) / invested)


def parse_dates(value: Any, field: str, count: int) -> list[date]:
    """ISO 8601 dates (``date`` objects or ``"YYYY-MM-DD"`` strings), none before the first."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidInput(field, "must be a list of dates")
    if len(value) != count:
        raise InvalidInput(field, f"has {len(value)} dates but cash_flows has {count} values")
    parsed: list[date] = []
    for index, item in enumerate(value):
        name = f"{field}[{index}]"
        if isinstance(item, date):
            parsed.append(item)
        elif isinstance(item, str):
            try:
                parsed.append(date.fromisoformat(item[:10]))
            except ValueError:
                raise InvalidInput(name, "must be an ISO 8601 date (YYYY-MM-DD)") from None
        else:
            raise InvalidInput(name, "must be an ISO 8601 date (YYYY-MM-DD)")
        if parsed[-1] < parsed[0]:
            raise InvalidInput(name, "precedes the first date (Excel XNPV/XIRR convention)")
    if len(parsed) > 1 and max(parsed) == parsed[0]:
        raise InvalidInput(field, "must span more than one day")
    return parsed


def parse_cash_flows(value: Any, field: str = "cash_flows", min_length: int = 1) -> np.ndarray:
    """Yearly flows (year 0 first) as a float array; see :func:`validation.flows`."""
    return check.flows(value, field, min_length=min_length)
