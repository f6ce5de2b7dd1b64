"""Economic analysis by the EU cost-benefit method: ENPV, ERR, B/C ratio, funding gap.

Model (European Commission, *Guide to Cost-Benefit Analysis of Investment Projects: Economic
appraisal tool for Cohesion Policy 2014-2020*, December 2014 — "the Guide")
-------------------------------------------------------------------------------------------
Constant prices, EUR, yearly rows ``t = 0..N`` as in :mod:`cashflow`.

- Fiscal corrections: taxes are transfers and are left out of the economic flows.
- Conversion factors ``CF`` turn market prices into shadow (accounting) prices, item by item:
  ``economic item = CF x financial item`` for investment, operating costs, revenues (savings)
  and residual value. Default ``CF = 1`` (market prices used as shadow prices where markets are
  not distorted; the Guide derives specific factors from the standard conversion factor and
  shadow wages).
- Externalities, valued at unit prices stated in :class:`EconomicParams`:
  ``co2_tonnes x co2_price x (1 + co2_price_growth)^t`` (EUR per tonne of CO2 avoided),
  ``energy_saved_kwh x energy_shadow_price`` (energy saved by others than the project),
  ``time_saved_hours x value_of_time``, ``accidents_avoided x value_per_accident``, plus
  ``other_benefits`` already in EUR at shadow prices.
- ``economic flow_t = sum of items_t`` with benefits positive and costs negative.
- ENPV = ``sum_t flow_t / (1 + SDR)^t``. The social discount rate (SDR) defaults to the
  Guide's 5 % for Cohesion Fund member states and 3 % for the others.
- ERR: the IRR of the economic flows (``None`` when it does not exist or is not unique).
- B/C ratio = PV(benefits) / PV(costs) at the SDR, where each item of each year counts as a
  benefit when positive and as a cost when negative.
- Funding gap (the Guide; Commission Delegated Regulation (EU) No 480/2014):
  ``R = (DIC - DNR) / DIC`` with DIC = discounted investment cost and DNR = discounted net
  revenue = PV(revenues) - PV(operating costs) + PV(residual value), at the financial discount
  rate (the Guide's 4 % real benchmark by default). ``R`` is reported clipped to [0, 1]: below 0
  revenues repay the investment (no gap); above 1 revenues do not even cover operating costs,
  and the eligible cost cannot exceed the investment. The unclipped value is kept in
  :class:`FundingGap`.

Checked against: the Guide's definitions on a hand-worked case (``tests/domain/
test_economic.py``: DIC 1000, DNR 400 -> R = 60 %), and ENPV/ERR/BCR computed with
``numpy_financial.npv``/``irr`` on the same flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.cashflow import EXTERNALITIES, ProjectFlows
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import Figure, RateOfReturn, irr, npv

SDR_COHESION = 0.05
"""Social discount rate for Cohesion Fund member states (EC CBA Guide 2014)."""
SDR_OTHER = 0.03
"""Social discount rate for the other member states (EC CBA Guide 2014)."""
FINANCIAL_DISCOUNT_RATE = 0.04
"""Financial discount rate benchmark, real terms (EC CBA Guide 2014)."""

PRICE_DEFAULTS: dict[str, tuple[float, str, str]] = {
    "co2_price": (
        100.0,
        "EUR/t CO2",
        "EIB Group Climate Bank Roadmap 2021-2025 (Nov. 2020): shadow cost of carbon rising from "
        "about EUR 80/t in 2020 to EUR 250/t in 2030 (2016 prices); 100 is a constant value near "
        "the start of that path. State your own price and growth for long projects.",
    ),
    "energy_shadow_price": (
        0.11,
        "EUR/kWh",
        "Resource cost of a kWh taken as the Italian wholesale price (GME PUN, yearly average "
        "about EUR 108/MWh in 2024), i.e. without taxes and levies that are transfers.",
    ),
    "value_of_time": (
        10.0,
        "EUR/h",
        "Order of magnitude of non-work travel time values for Italy in HEATCO (2006) "
        "Deliverable 5, brought to current prices; replace with national guidance.",
    ),
    "value_per_accident": (
        42219.0,
        "EUR/accident",
        "Ministero delle Infrastrutture e dei Trasporti (2012), social cost of road accidents: "
        "about EUR 42,219 per person injured; used as a conservative value per injury "
        "accident avoided (fatalities are valued far higher).",
    ),
}
PRICES = tuple(PRICE_DEFAULTS)


@dataclass(frozen=True)
class ConversionFactors:
    """Shadow price / market price, per financial item (EC CBA Guide 2014)."""

    investment: float = 1.0
    opex: float = 1.0
    revenues: float = 1.0
    residual_value: float = 1.0


@dataclass(frozen=True)
class EconomicParams:
    """Parameters of the economic analysis; unit prices are EUR at constant prices."""

    social_discount_rate: float | None = None
    cohesion_country: bool = False
    conversion_factors: ConversionFactors = field(default_factory=ConversionFactors)
    co2_price: float = PRICE_DEFAULTS["co2_price"][0]
    co2_price_growth: float = 0.0
    energy_shadow_price: float = PRICE_DEFAULTS["energy_shadow_price"][0]
    value_of_time: float = PRICE_DEFAULTS["value_of_time"][0]
    value_per_accident: float = PRICE_DEFAULTS["value_per_accident"][0]

    @property
    def sdr(self) -> float:
        """The social discount rate used: stated, or the Guide's default for the country."""
        if self.social_discount_rate is not None:
            return self.social_discount_rate
        return SDR_COHESION if self.cohesion_country else SDR_OTHER

    @property
    def prices(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in PRICES}

    @classmethod
    def parse(cls, body: Mapping[str, Any] | None, prefix: str = "economic.") -> EconomicParams:
        if body is None:
            return cls()
        check.mapping(body, prefix.rstrip("."))
        check.known_keys(
            body,
            (
                "social_discount_rate",
                "cohesion_country",
                "conversion_factors",
                "co2_price_growth",
                "externalities",
                *PRICES,
            ),
            prefix,
        )
        cohesion = body.get("cohesion_country", False)
        if not isinstance(cohesion, bool):
            raise InvalidInput(f"{prefix}cohesion_country", "must be true or false")
        factors_body = check.optional(body, "conversion_factors", {})
        check.mapping(factors_body, f"{prefix}conversion_factors")
        check.known_keys(
            factors_body,
            ("investment", "opex", "revenues", "residual_value"),
            f"{prefix}conversion_factors.",
        )
        factors = ConversionFactors(
            **{
                name: check.number(
                    value, f"{prefix}conversion_factors.{name}", minimum=0.0, maximum=10.0
                )
                for name, value in factors_body.items()
                if value is not None
            }
        )
        prices = {
            name: check.number(body[name], f"{prefix}{name}", minimum=0.0)
            for name in PRICES
            if body.get(name) is not None
        }
        sdr = body.get("social_discount_rate")
        growth = body.get("co2_price_growth")
        return cls(
            social_discount_rate=None
            if sdr is None
            else check.rate(sdr, f"{prefix}social_discount_rate"),
            cohesion_country=cohesion,
            conversion_factors=factors,
            co2_price_growth=0.0
            if growth is None
            else check.rate(growth, f"{prefix}co2_price_growth"),
            **prices,
        )

    def to_dict(self) -> dict[str, Any]:
        factors = self.conversion_factors
        return {
            "social_discount_rate": self.sdr,
            "cohesion_country": self.cohesion_country,
            "conversion_factors": {
                "investment": factors.investment,
                "opex": factors.opex,
                "revenues": factors.revenues,
                "residual_value": factors.residual_value,
            },
            "co2_price_growth": self.co2_price_growth,
            **self.prices,
        }


def economic_items(
    flows: ProjectFlows,
    params: EconomicParams,
    prices: Mapping[str, float | np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Signed economic value of each item by year (benefits > 0, costs < 0).

    ``prices`` overrides unit prices, e.g. with ``(draws, 1)`` arrays in a Monte Carlo run.
    """
    unit = {**params.prices, **(prices or {})}
    factors = params.conversion_factors
    years = np.arange(flows.years, dtype=float)
    co2_path = np.power(1.0 + params.co2_price_growth, years)
    return {
        "investment": -factors.investment * flows.investment,
        "opex": -factors.opex * flows.opex,
        "revenues": factors.revenues * flows.revenues,
        "residual_value": factors.residual_value * flows.residual_value,
        "co2_tonnes": flows.co2_tonnes * (unit["co2_price"] * co2_path),
        "energy_saved_kwh": flows.energy_saved_kwh * unit["energy_shadow_price"],
        "time_saved_hours": flows.time_saved_hours * unit["value_of_time"],
        "accidents_avoided": flows.accidents_avoided * unit["value_per_accident"],
        "other_benefits": flows.other_benefits,
    }


def economic_flows(
    flows: ProjectFlows,
    params: EconomicParams,
    prices: Mapping[str, float | np.ndarray] | None = None,
) -> np.ndarray:
    """Economic net flow by year (shape of the flows' arrays)."""
    items = economic_items(flows, params, prices)
    return sum(items.values(), start=np.zeros(np.broadcast(*items.values()).shape))


@dataclass(frozen=True)
class EconomicResult:
    enpv: Figure
    err: RateOfReturn
    bcr: Figure
    pv_benefits: float
    pv_costs: float
    flows: tuple[float, ...]
    social_discount_rate: float
    externalities_pv: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "enpv": self.enpv.value,
            "err": self.err.value,
            "err_roots": list(self.err.roots),
            "bcr": self.bcr.value,
            "pv_benefits": self.pv_benefits,
            "pv_costs": self.pv_costs,
            "flows": list(self.flows),
            "social_discount_rate": self.social_discount_rate,
            "externalities_pv": dict(self.externalities_pv),
        }


def economic_analysis(flows: ProjectFlows, params: EconomicParams) -> EconomicResult:
    """ENPV, ERR and B/C ratio of one table of flows."""
    items = economic_items(flows, params)
    net = sum(items.values(), start=np.zeros(flows.years))
    sdr = params.sdr
    benefits = sum((np.maximum(v, 0.0) for v in items.values()), start=np.zeros(flows.years))
    costs = sum((np.maximum(-v, 0.0) for v in items.values()), start=np.zeros(flows.years))
    pv_benefits = npv(sdr, benefits).value or 0.0
    pv_costs = npv(sdr, costs).value or 0.0
    if pv_costs > 0:
        bcr = Figure.of(pv_benefits / pv_costs)
    else:
        bcr = Figure(None, "the project has no economic costs")
    externalities = {name: npv(sdr, items[name]).value or 0.0 for name in EXTERNALITIES}
    return EconomicResult(
        enpv=npv(sdr, net),
        err=irr(net),
        bcr=bcr,
        pv_benefits=pv_benefits,
        pv_costs=pv_costs,
        flows=tuple(float(x) for x in net),
        social_discount_rate=sdr,
        externalities_pv=externalities,
    )


@dataclass(frozen=True)
class FundingGap:
    """Funding gap rate with its terms (EC CBA Guide 2014; Reg. (EU) 480/2014)."""

    rate: Figure
    discounted_investment_cost: float
    discounted_net_revenue: float
    unclipped_rate: float | None
    discount_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "funding_gap_rate": self.rate.value,
            "discounted_investment_cost": self.discounted_investment_cost,
            "discounted_net_revenue": self.discounted_net_revenue,
            "unclipped_rate": self.unclipped_rate,
            "discount_rate": self.discount_rate,
        }


def funding_gap(flows: ProjectFlows, discount_rate: float = FINANCIAL_DISCOUNT_RATE) -> FundingGap:
    """``R = (DIC - DNR) / DIC`` at the financial discount rate, clipped to [0, 1]."""
    dic = npv(discount_rate, flows.investment).value or 0.0
    dnr = npv(discount_rate, flows.revenues - flows.opex + flows.residual_value).value or 0.0
    if dic <= 0:
        return FundingGap(
            Figure(None, "there is no investment cost"), dic, dnr, None, discount_rate
        )
    raw = (dic - dnr) / dic
    return FundingGap(Figure(min(max(raw, 0.0), 1.0)), dic, dnr, raw, discount_rate)
