"""Yearly project flows: the cash-flow table and the physical externalities beside it.

Model
-----
One row per year ``t = 0..N`` (year 0 is the first flow, usually the investment), constant
(real) prices, EUR. Every financial component is entered as a positive amount and carries its
sign in the formulas (taxes may be negative: a tax credit):

- ``net_t = revenues_t + residual_value_t - investment_t - opex_t - taxes_t``
  (revenues include savings: energy and maintenance a municipality no longer pays);
- ``cfads_t = revenues_t - opex_t - taxes_t - investment_t`` for ``t >= 1`` (cash available for
  debt service; residual value excluded);
- externalities (for the economic analysis only, never in the financial flows):
  ``co2_tonnes`` avoided (t CO2), ``energy_saved_kwh`` saved by others than the project
  (kWh), ``time_saved_hours`` (person-hours), ``accidents_avoided`` (count) and
  ``other_benefits`` already valued at shadow prices (EUR); negative values are dis-benefits.

Arrays have the years on the last axis. A table is one row of years (shape ``(N + 1,)``); a
Monte Carlo run stacks draws on the first axis (shape ``(draws, N + 1)``) so that every formula
above is evaluated for all draws at once.

Checked against: hand-computed tables in ``tests/domain/test_cashflow.py`` (net, CFADS,
cumulative and discounted columns) and against :mod:`indicators` on the same flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import discount_factors

FINANCIAL = ("investment", "opex", "revenues", "residual_value", "taxes")
EXTERNALITIES = (
    "co2_tonnes",
    "energy_saved_kwh",
    "time_saved_hours",
    "accidents_avoided",
    "other_benefits",
)
COMPONENTS = FINANCIAL + EXTERNALITIES
UNITS = {
    "investment": "EUR",
    "opex": "EUR",
    "revenues": "EUR",
    "residual_value": "EUR",
    "taxes": "EUR",
    "co2_tonnes": "t CO2",
    "energy_saved_kwh": "kWh",
    "time_saved_hours": "h",
    "accidents_avoided": "accidents",
    "other_benefits": "EUR",
}


@dataclass(frozen=True, eq=False)
class ProjectFlows:
    """Yearly components; arrays of shape ``(years,)`` or ``(draws, years)``."""

    investment: np.ndarray
    opex: np.ndarray
    revenues: np.ndarray
    residual_value: np.ndarray
    taxes: np.ndarray
    co2_tonnes: np.ndarray
    energy_saved_kwh: np.ndarray
    time_saved_hours: np.ndarray
    accidents_avoided: np.ndarray
    other_benefits: np.ndarray

    @classmethod
    def build(cls, years: int, draws: int | None = None, **components: Any) -> ProjectFlows:
        """Flows with the given components (broadcast to shape) and zeros elsewhere."""
        shape: tuple[int, ...] = (years,) if draws is None else (draws, years)
        values = {}
        for name in COMPONENTS:
            given = components.pop(name, 0.0)
            values[name] = np.broadcast_to(np.asarray(given, dtype=float), shape).copy()
        if components:
            raise TypeError(f"unknown components: {sorted(components)}")
        return cls(**values)

    @property
    def years(self) -> int:
        """Number of yearly rows (year 0 included)."""
        return int(self.investment.shape[-1])

    @property
    def net(self) -> np.ndarray:
        return self.revenues + self.residual_value - self.investment - self.opex - self.taxes

    @property
    def cfads(self) -> np.ndarray:
        """CFADS of years 1..N."""
        return (self.revenues - self.opex - self.taxes - self.investment)[..., 1:]

    @property
    def total_investment(self) -> np.ndarray | float:
        total = self.investment.sum(axis=-1)
        return float(total) if np.ndim(total) == 0 else total

    def row(self, draw: int) -> ProjectFlows:
        """One draw of a stacked set, as a table."""
        return ProjectFlows(**{f.name: getattr(self, f.name)[draw] for f in fields(self)})

    def scaled(self, **factors: float | np.ndarray) -> ProjectFlows:
        """Components multiplied by factors (a scalar, or ``(draws, 1)`` to stack draws)."""
        changes = {}
        for name, factor in factors.items():
            if name not in COMPONENTS:
                raise TypeError(f"unknown component {name}")
            changes[name] = getattr(self, name) * factor
        if not changes:
            return self
        draws = {np.shape(v)[0] for v in changes.values() if np.ndim(v) == 2}
        if draws:
            count = draws.pop()
            others = {
                f.name: np.broadcast_to(getattr(self, f.name), (count, self.years))
                for f in fields(self)
                if f.name not in changes
            }
            return ProjectFlows(**others, **changes)
        return replace(self, **changes)

    def table(self, rate: float) -> list[dict[str, Any]]:
        """The yearly cash-flow table with cumulative and discounted columns."""
        if self.investment.ndim != 1:
            raise ValueError("a table needs one row of years")
        net = self.net
        factors = discount_factors(rate, self.years)
        with np.errstate(over="ignore", invalid="ignore"):
            # Extreme rates overflow to inf; the appraisal turns those cells into None.
            discounted = net * factors
            cumulative_discounted = np.cumsum(discounted)
        cumulative = np.cumsum(net)
        cfads = np.concatenate(([np.nan], self.cfads))
        rows = []
        for t in range(self.years):
            row: dict[str, Any] = {"year": t}
            for name in COMPONENTS:
                row[name] = float(getattr(self, name)[t])
            row.update(
                net_cash_flow=float(net[t]),
                cumulative=float(cumulative[t]),
                discount_factor=float(factors[t]),
                discounted=float(discounted[t]),
                cumulative_discounted=float(cumulative_discounted[t]),
                cfads=None if t == 0 else float(cfads[t]),
            )
            rows.append(row)
        return rows


def parse_flows(
    body: Mapping[str, Any],
    externalities: Mapping[str, Any] | None = None,
    prefix: str = "cash_flows.",
    externalities_prefix: str = "economic.externalities.",
) -> ProjectFlows:
    """Explicit yearly flows from ``{investment, opex, revenues, residual_value, taxes}``.

    Every series given must have the same length (years 0..N); missing ones are zeros.
    ``residual_value`` may also be a single number, placed in the last year.
    """
    check.mapping(body, prefix.rstrip("."))
    check.known_keys(body, (*FINANCIAL, "revenue_kind"), prefix)
    series: dict[str, np.ndarray] = {}
    scalar_residual: float | None = None
    for name in FINANCIAL:
        value = body.get(name)
        if value is None:
            continue
        if name == "residual_value" and check.is_number(value):
            scalar_residual = check.number(value, f"{prefix}{name}", minimum=0.0)
            continue
        series[f"{prefix}{name}"] = check.flows(value, f"{prefix}{name}")
    if not series:
        raise InvalidInput(f"{prefix}investment", "give at least one yearly series")
    if externalities is not None:
        check.mapping(externalities, externalities_prefix.rstrip("."))
        check.known_keys(externalities, EXTERNALITIES, externalities_prefix)
        for name in EXTERNALITIES:
            value = externalities.get(name)
            if value is not None:
                series[f"{externalities_prefix}{name}"] = check.flows(
                    value, f"{externalities_prefix}{name}"
                )
    reference = next(iter(series))
    check.same_length(series, reference)
    years = len(series[reference])
    if years < 2:
        raise InvalidInput(reference, "must cover at least years 0 and 1")
    for name in ("investment", "opex", "revenues", "residual_value"):
        values = series.get(f"{prefix}{name}")
        if values is not None and np.any(values < 0):
            index = int(np.flatnonzero(values < 0)[0])
            raise InvalidInput(
                f"{prefix}{name}[{index}]",
                "must not be negative: enter costs and revenues as positive amounts",
            )
    components = {key.rsplit(".", 1)[-1]: value for key, value in series.items()}
    if scalar_residual is not None:
        residual = np.zeros(years)
        residual[-1] = scalar_residual
        components["residual_value"] = residual
    return ProjectFlows.build(years, **components)
