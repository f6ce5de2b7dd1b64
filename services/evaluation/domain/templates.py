"""Project templates: yearly flows of the programme's typical projects from a few inputs.

Model
-----
Each template turns a handful of inputs (listed with unit, default, range, description and the
source of the default) into :class:`~services.evaluation.domain.cashflow.ProjectFlows`:
year 0 holds the investment, years ``1..lifetime`` the operating flows, at constant prices in
EUR. Revenues are what the project's owner earns *or saves* (energy and maintenance bills no
longer paid). Each template also fills the externalities the economic analysis values:

- CO2 avoided [t] = energy saved [kWh] x emission factor [kg CO2/kWh] / 1000. Electricity uses
  the Italian grid factor of ISPRA, *Fattori di emissione per la produzione ed il consumo di
  energia elettrica in Italia* (yearly series 1990-2023): its consumption factors for the
  early 2020s lie in the 0.25-0.30 kg CO2/kWh band; **0.27 kg CO2/kWh** is the default,
  to be replaced by the latest year. Natural gas heat uses the IPCC 2006 default of
  56.1 t CO2/TJ = **0.202 kg CO2/kWh**; vehicle-km use UK DESNZ/DEFRA *Greenhouse gas
  reporting: conversion factors 2023* (average car ~0.17, average diesel van ~0.25 kg CO2/km).
- Energy saved by others than the owner (e.g. households with smart meters), person-hours
  saved and accidents avoided, valued by :mod:`economic`.

Every template has a ``version``: a change of formula or of a default bumps it, and the
version is stored with each appraisal so that it can be reproduced. Inputs are validated
against their ranges (``InvalidInput`` naming ``inputs.<name>``). The builders are written with
numpy broadcasting: each input may be a scalar or a ``(draws, 1)`` array, so a Monte Carlo run
builds all draws at once.

Where no published benchmark backs a default, the source says "Assumption" and the figure is
illustrative: replace it with the project's own data. Appraisal periods follow the reference
periods of Commission Delegated Regulation (EU) No 480/2014, Annex I, used by the EC *Guide to
Cost-Benefit Analysis of Investment Projects* (2014): energy 15-25 years, broadband 15-20,
urban transport 25-30, other sectors 10-15.

Checked against: hand computations of each template's year-1 flows in
``tests/domain/test_templates.py`` (e.g. 1000 LED points, 480 -> 190 kWh, EUR 0.20/kWh,
EUR 10 maintenance saved: savings EUR 68,000 a year, 78.3 t CO2 at 0.27 kg/kWh).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.cashflow import ProjectFlows
from services.evaluation.domain.errors import InvalidInput

REVENUE_KINDS = ("energy_savings", "budget_savings", "user_fees", "none")
"""What the project earns: energy bills saved, other public budget saved, fees paid by users,
or nothing (only economic benefits)."""

GRID_FACTOR = 0.27
GRID_FACTOR_SOURCE = (
    "ISPRA, 'Fattori di emissione per la produzione ed il consumo di energia elettrica in "
    "Italia' (series 1990-2023): consumption factors of the early 2020s lie in 0.25-0.30 "
    "kg CO2/kWh; 0.27 used. Replace with the latest year."
)
ELECTRICITY_PRICE_SOURCE = (
    "Assumption: order of the electricity price paid by Italian public bodies in 2023-2024 "
    "(energy, network charges and levies, VAT excluded). Replace with the supply contract."
)


@dataclass(frozen=True)
class InputSpec:
    """One template input: unit, default, accepted range and where the default comes from."""

    name: str
    unit: str
    default: float
    minimum: float
    maximum: float
    description: str
    source: str
    integer: bool = False
    structural: bool = False
    """Changes the horizon or the contract structure; not varied in risk analysis."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "description": self.description,
            "source": self.source,
            "integer": self.integer,
        }


Values = Mapping[str, np.ndarray]
Builder = Callable[[Values, int], ProjectFlows]
CrossCheck = Callable[[Mapping[str, float]], None]


@dataclass(frozen=True)
class Template:
    """A project template; :meth:`resolve` checks inputs, :meth:`build` makes the flows."""

    name: str
    title: str
    version: str
    description: str
    revenue_kind: str
    externalities: str
    inputs: tuple[InputSpec, ...]
    builder: Builder
    horizon_input: str = "lifetime"
    cross_checks: tuple[CrossCheck, ...] = field(default_factory=tuple)

    @property
    def specs(self) -> dict[str, InputSpec]:
        return {spec.name: spec for spec in self.inputs}

    @property
    def risk_variables(self) -> tuple[str, ...]:
        """Inputs that sensitivity and Monte Carlo may vary."""
        return tuple(spec.name for spec in self.inputs if not spec.structural)

    def resolve(
        self, inputs: Mapping[str, Any] | None, prefix: str = "inputs."
    ) -> dict[str, float]:
        """Inputs with defaults filled in, each checked against its range."""
        given = {} if inputs is None else inputs
        check.mapping(given, prefix.rstrip("."))
        check.known_keys(given, self.specs, prefix)
        resolved: dict[str, float] = {}
        for spec in self.inputs:
            value = given.get(spec.name)
            name = f"{prefix}{spec.name}"
            if value is None:
                resolved[spec.name] = spec.default
            elif spec.integer:
                resolved[spec.name] = check.integer(
                    value, name, minimum=int(spec.minimum), maximum=int(spec.maximum)
                )
            else:
                resolved[spec.name] = check.number(
                    value, name, minimum=spec.minimum, maximum=spec.maximum
                )
        for cross_check in self.cross_checks:
            cross_check(resolved)
        return resolved

    def build(self, values: Mapping[str, float | np.ndarray]) -> ProjectFlows:
        """Flows from resolved inputs; ``(draws, 1)`` arrays give ``(draws, years)`` flows."""
        draws = max((np.shape(v)[0] for v in values.values() if np.ndim(v) == 2), default=None)
        shaped = {
            name: np.broadcast_to(np.asarray(value, dtype=float), (draws or 1, 1))
            if np.ndim(value) < 2
            else np.asarray(value, dtype=float)
            for name, value in values.items()
        }
        years = int(np.asarray(values[self.horizon_input]).flat[0])
        flows = self.builder(shaped, years)
        return flows if draws is not None else flows.row(0)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "version": self.version,
            "description": self.description,
            "revenue_kind": self.revenue_kind,
            "externalities": self.externalities,
            "inputs": [spec.to_dict() for spec in self.inputs],
        }


def _operating(
    years: int, value: np.ndarray, first: int = 1, last: int | None = None
) -> np.ndarray:
    """``value`` (draws, 1) in years ``first..last`` (default: to the end), 0 elsewhere."""
    mask = np.zeros(years + 1)
    mask[first : (years if last is None else last) + 1] = 1.0
    return value * mask


def _at_start(years: int, value: np.ndarray) -> np.ndarray:
    mask = np.zeros(years + 1)
    mask[0] = 1.0
    return value * mask


def _flows(years: int, draws: int, **components: np.ndarray) -> ProjectFlows:
    return ProjectFlows.build(years + 1, draws, **components)


def _draws(values: Values) -> int:
    return int(next(iter(values.values())).shape[0])


def _not_above(lower: str, upper: str) -> CrossCheck:
    def cross_check(values: Mapping[str, float]) -> None:
        if values[lower] > values[upper]:
            raise InvalidInput(f"inputs.{lower}", f"must not exceed {upper} ({values[upper]:g})")

    return cross_check


def _lifetime(default: int, source: str, maximum: int = 40) -> InputSpec:
    return InputSpec(
        "lifetime",
        "years",
        default,
        1,
        maximum,
        "Appraisal period: years of operation after the year-0 investment.",
        source,
        integer=True,
        structural=True,
    )


def _grid_factor() -> InputSpec:
    return InputSpec(
        "grid_emission_factor",
        "kg CO2/kWh",
        GRID_FACTOR,
        0.0,
        1.5,
        "CO2 emitted per kWh of grid electricity saved.",
        GRID_FACTOR_SOURCE,
    )


# --- LED public lighting -------------------------------------------------------------------


def _led(v: Values, years: int) -> ProjectFlows:
    saved_kwh = v["points"] * (v["kwh_per_point_before"] - v["kwh_per_point_after"])
    savings = saved_kwh * v["energy_price"] + v["points"] * v["maintenance_saved_per_point"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, v["points"] * v["cost_per_point"]),
        opex=_operating(years, v["points"] * v["opex_per_point"]),
        revenues=_operating(years, savings),
        co2_tonnes=_operating(years, saved_kwh * v["grid_emission_factor"] / 1000.0),
    )


LED_PUBLIC_LIGHTING = Template(
    name="led_public_lighting",
    title="LED public lighting retrofit",
    version="1.0.0",
    description=(
        "Replace street-light luminaires (e.g. high-pressure sodium) with LED. Savings = "
        "points x (kWh before - kWh after) x energy price + points x maintenance saved; "
        "investment = points x cost per point in year 0."
    ),
    revenue_kind="energy_savings",
    externalities="co2_tonnes = points x kWh saved per point x grid factor / 1000",
    inputs=(
        InputSpec(
            "points",
            "light points",
            1000,
            1,
            1_000_000,
            "Light points retrofitted.",
            "Assumption: a small town's network.",
            integer=True,
        ),
        InputSpec(
            "kwh_per_point_before",
            "kWh/point/year",
            480.0,
            0.0,
            5000.0,
            "Yearly consumption of one existing point.",
            "100 W high-pressure sodium lamp with ballast (~115 W) x ~4,200 hours a year "
            "of dusk-to-dawn operation, the figure usually assumed for Italian street lighting "
            "(e.g. in ENEA Lumiere studies).",
        ),
        InputSpec(
            "kwh_per_point_after",
            "kWh/point/year",
            190.0,
            0.0,
            5000.0,
            "Yearly consumption of one LED point.",
            "Assumption: ~45 W LED luminaire x ~4,200 hours, no dimming.",
        ),
        InputSpec(
            "energy_price",
            "EUR/kWh",
            0.20,
            0.0,
            2.0,
            "Electricity price paid.",
            ELECTRICITY_PRICE_SOURCE,
        ),
        InputSpec(
            "maintenance_saved_per_point",
            "EUR/point/year",
            10.0,
            0.0,
            500.0,
            "Maintenance no longer needed (fewer lamp replacements).",
            "Assumption: LED modules last ~50,000-100,000 h against ~16,000-24,000 h for "
            "sodium lamps, removing most scheduled re-lamping.",
        ),
        InputSpec(
            "opex_per_point",
            "EUR/point/year",
            0.0,
            0.0,
            500.0,
            "New operating costs (e.g. remote management).",
            "Assumption: none.",
        ),
        InputSpec(
            "cost_per_point",
            "EUR/point",
            400.0,
            0.0,
            10_000.0,
            "LED luminaire supplied and installed.",
            "Assumption: within the EUR 300-600 range of recent Italian tenders.",
        ),
        _lifetime(
            15,
            "Reg. (EU) 480/2014 Annex I: energy 15-25 years; LED luminaires rated "
            "50,000-100,000 h, i.e. 12-24 years at 4,200 h/year.",
        ),
        _grid_factor(),
    ),
    builder=_led,
    cross_checks=(_not_above("kwh_per_point_after", "kwh_per_point_before"),),
)


# --- Traffic lights -------------------------------------------------------------------------

HOURS_PER_YEAR = 8760.0


def _traffic_lights(v: Values, years: int) -> ProjectFlows:
    lamps = v["intersections"] * v["lamps_per_intersection"]
    saved_kwh = (
        lamps * (v["watts_before"] - v["watts_after"]) * HOURS_PER_YEAR * v["duty_cycle"] / 1000.0
    )
    savings = saved_kwh * v["energy_price"] + lamps * v["maintenance_saved_per_lamp"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, lamps * v["cost_per_lamp"]),
        revenues=_operating(years, savings),
        co2_tonnes=_operating(years, saved_kwh * v["grid_emission_factor"] / 1000.0),
    )


TRAFFIC_LIGHTS = Template(
    name="traffic_lights",
    title="Traffic-light replacement (incandescent to LED)",
    version="1.0.0",
    description=(
        "Replace incandescent signal lamps with LED modules. kWh saved = lamps x (W before - "
        "W after) x 8760 h x duty cycle / 1000; savings = kWh saved x price + lamps x "
        "maintenance saved."
    ),
    revenue_kind="energy_savings",
    externalities="co2_tonnes = kWh saved x grid factor / 1000",
    inputs=(
        InputSpec(
            "intersections",
            "intersections",
            20,
            1,
            10_000,
            "Signalised intersections retrofitted.",
            "Assumption.",
            integer=True,
        ),
        InputSpec(
            "lamps_per_intersection",
            "lamps",
            30,
            1,
            500,
            "Signal lamps (aspects) per intersection.",
            "Assumption: a four-arm junction with 10 three-aspect heads.",
            integer=True,
        ),
        InputSpec(
            "watts_before",
            "W",
            135.0,
            0.0,
            500.0,
            "Power of an incandescent lamp.",
            "US DOE / ENERGY STAR traffic-signal data: incandescent signal lamps "
            "67-150 W; 135 W is typical for a 12-inch ball.",
        ),
        InputSpec(
            "watts_after",
            "W",
            12.0,
            0.0,
            500.0,
            "Power of an LED module.",
            "US DOE / ENERGY STAR: LED signal modules draw about 6-15 W.",
        ),
        InputSpec(
            "duty_cycle",
            "share of hours lit",
            0.35,
            0.0,
            1.0,
            "Average share of the hours a lamp is lit.",
            "One aspect of three lit at a time, plus pedestrian heads.",
        ),
        InputSpec(
            "energy_price",
            "EUR/kWh",
            0.20,
            0.0,
            2.0,
            "Electricity price paid.",
            ELECTRICITY_PRICE_SOURCE,
        ),
        InputSpec(
            "maintenance_saved_per_lamp",
            "EUR/lamp/year",
            15.0,
            0.0,
            500.0,
            "Re-lamping no longer needed.",
            "Assumption: incandescent lamps are replaced about yearly (~8,000 h life), "
            "LED modules last 7-10 years (US DOE).",
        ),
        InputSpec(
            "cost_per_lamp",
            "EUR/lamp",
            150.0,
            0.0,
            5000.0,
            "LED module supplied and installed.",
            "Assumption.",
        ),
        _lifetime(10, "US DOE: LED signal modules last 7-10 years.", maximum=25),
        _grid_factor(),
    ),
    builder=_traffic_lights,
    cross_checks=(_not_above("watts_after", "watts_before"),),
)


# --- Building energy efficiency under an energy performance contract ------------------------


def _building_epc(v: Values, years: int) -> ProjectFlows:
    contract = int(v["contract_years"].flat[0])
    saved_kwh = v["floor_area_m2"] * (v["kwh_per_m2_before"] - v["kwh_per_m2_after"])
    savings = saved_kwh * v["energy_price"]
    share = v["esco_savings_share"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, v["floor_area_m2"] * v["investment_per_m2"]),
        opex=_operating(years, v["floor_area_m2"] * v["om_cost_per_m2"], last=contract),
        revenues=_operating(years, share * savings, last=contract),
        # The municipality's part of the savings is a benefit to society, not to the ESCO.
        other_benefits=_operating(years, (1.0 - share) * savings, last=contract)
        + _operating(years, savings, first=contract + 1),
        co2_tonnes=_operating(years, saved_kwh * v["emission_factor"] / 1000.0),
    )


def _contract_within_lifetime(values: Mapping[str, float]) -> None:
    if values["contract_years"] > values["lifetime"]:
        raise InvalidInput("inputs.contract_years", "must not exceed lifetime")


BUILDING_EPC = Template(
    name="building_energy_epc",
    title="Building energy efficiency under an energy performance contract (shared savings)",
    version="1.0.0",
    description=(
        "An ESCO invests in a public building and is paid a share of the measured savings "
        "for the contract years (cash flows from the ESCO's side). Savings = floor area x "
        "(kWh/m2 before - after) x energy price. The municipality's share, and all savings "
        "after the contract, enter the economic analysis as other benefits."
    ),
    revenue_kind="energy_savings",
    externalities=(
        "co2_tonnes = floor area x kWh/m2 saved x emission factor / 1000; other_benefits = the "
        "municipality's part of the savings"
    ),
    inputs=(
        InputSpec(
            "floor_area_m2",
            "m2",
            5000.0,
            1.0,
            10_000_000.0,
            "Heated floor area.",
            "Assumption: a large school or office building.",
        ),
        InputSpec(
            "kwh_per_m2_before",
            "kWh/m2/year",
            180.0,
            0.0,
            2000.0,
            "Final energy use before the works.",
            "Assumption: order of consumption of Italian public offices and schools "
            "built before 1990 (ENEA building-stock statistics report 150-250).",
        ),
        InputSpec(
            "kwh_per_m2_after",
            "kWh/m2/year",
            120.0,
            0.0,
            2000.0,
            "Final energy use after the works.",
            "Assumption: about -33 % from plant, controls and lighting measures.",
        ),
        InputSpec(
            "energy_price",
            "EUR/kWh",
            0.12,
            0.0,
            2.0,
            "Average price of the energy saved (mostly heating).",
            "Assumption: natural gas for public buildings in 2023-2024, VAT excluded.",
        ),
        InputSpec(
            "investment_per_m2",
            "EUR/m2",
            50.0,
            0.0,
            5000.0,
            "Works (plant, controls, lighting; no deep envelope renovation).",
            "Assumption.",
        ),
        InputSpec(
            "om_cost_per_m2",
            "EUR/m2/year",
            1.0,
            0.0,
            500.0,
            "ESCO's operation, maintenance and measurement & verification.",
            "Assumption.",
        ),
        InputSpec(
            "esco_savings_share",
            "share",
            0.85,
            0.0,
            1.0,
            "Share of the savings paid to the ESCO during the contract.",
            "Assumption: shared-savings EPCs usually give the ESCO most of the savings "
            "(60-90 %) during the contract.",
        ),
        InputSpec(
            "contract_years",
            "years",
            15,
            1,
            40,
            "Length of the energy performance contract.",
            "Assumption: Italian EPCs commonly run 10-15 years.",
            integer=True,
            structural=True,
        ),
        _lifetime(20, "Reg. (EU) 480/2014 Annex I: energy 15-25 years."),
        InputSpec(
            "emission_factor",
            "kg CO2/kWh",
            0.202,
            0.0,
            1.5,
            "CO2 per kWh of energy saved.",
            "IPCC 2006 Guidelines default for natural gas, 56.1 t CO2/TJ = 0.202 kg/kWh; "
            "use the grid factor for electric savings.",
        ),
    ),
    builder=_building_epc,
    cross_checks=(
        _not_above("kwh_per_m2_after", "kwh_per_m2_before"),
        _contract_within_lifetime,
    ),
)


# --- Urban freight consolidation centre -----------------------------------------------------


def _freight(v: Values, years: int) -> ProjectFlows:
    deliveries = v["deliveries_per_year"]
    km_saved = deliveries * v["van_km_saved_per_delivery"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, v["investment"]),
        opex=_operating(years, deliveries * v["cost_per_delivery"] + v["fixed_opex_per_year"]),
        revenues=_operating(years, deliveries * v["fee_per_delivery"]),
        residual_value=v["residual_value_share"] * v["investment"] * _last_year(years),
        co2_tonnes=_operating(years, km_saved * v["van_emission_factor"] / 1000.0),
        accidents_avoided=_operating(years, km_saved * v["accidents_per_million_vkm"] / 1e6),
    )


def _last_year(years: int) -> np.ndarray:
    mask = np.zeros(years + 1)
    mask[-1] = 1.0
    return mask


ACCIDENT_RATE_SOURCE = (
    "Order of magnitude for Italy: ISTAT counts about 166,000 injury road accidents in 2022 "
    "over roughly 500 billion vehicle-km (~0.3 per million vkm)."
)

URBAN_FREIGHT = Template(
    name="urban_freight_consolidation",
    title="Urban freight consolidation centre",
    version="1.0.0",
    description=(
        "A consolidation centre at the edge of the city bundles deliveries onto electric vans. "
        "Revenues = deliveries x fee paid by carriers and shops; costs = deliveries x handling "
        "and last-mile cost + fixed costs."
    ),
    revenue_kind="user_fees",
    externalities=(
        "co2_tonnes = deliveries x van-km saved x van emission factor / 1000; "
        "accidents_avoided = van-km saved x accident rate"
    ),
    inputs=(
        InputSpec(
            "deliveries_per_year",
            "deliveries/year",
            150_000.0,
            0.0,
            100_000_000.0,
            "Deliveries handled.",
            "Assumption: ~500 a day over 300 working days.",
        ),
        InputSpec(
            "fee_per_delivery",
            "EUR/delivery",
            3.5,
            0.0,
            1000.0,
            "Fee paid by carriers or receivers.",
            "Assumption.",
        ),
        InputSpec(
            "cost_per_delivery",
            "EUR/delivery",
            2.0,
            0.0,
            1000.0,
            "Handling and electric last-mile cost.",
            "Assumption.",
        ),
        InputSpec(
            "fixed_opex_per_year",
            "EUR/year",
            150_000.0,
            0.0,
            1e9,
            "Rent, management, IT.",
            "Assumption.",
        ),
        InputSpec(
            "investment",
            "EUR",
            1_500_000.0,
            0.0,
            1e10,
            "Warehouse fit-out and electric vans.",
            "Assumption.",
        ),
        InputSpec(
            "residual_value_share",
            "share of investment",
            0.0,
            0.0,
            1.0,
            "Value left at the end of the horizon.",
            "Assumption: none.",
        ),
        InputSpec(
            "van_km_saved_per_delivery",
            "km/delivery",
            1.5,
            0.0,
            100.0,
            "Diesel van-km removed from the city per delivery.",
            "Assumption: CIVITAS consolidation-centre trials report large cuts in "
            "in-town van-km; 1.5 km per delivery is illustrative.",
        ),
        InputSpec(
            "van_emission_factor",
            "kg CO2/km",
            0.25,
            0.0,
            2.0,
            "CO2 per diesel van-km avoided.",
            "UK DESNZ/DEFRA GHG conversion factors 2023: average diesel van up to 3.5 t "
            "~0.25 kg CO2e/km.",
        ),
        InputSpec(
            "accidents_per_million_vkm",
            "accidents/million vkm",
            0.3,
            0.0,
            10.0,
            "Injury accidents per million vehicle-km.",
            ACCIDENT_RATE_SOURCE,
        ),
        _lifetime(
            10,
            "Reg. (EU) 480/2014 Annex I: other sectors 10-15 years; electric vans "
            "last about 8-10 years.",
        ),
    ),
    builder=_freight,
)


# --- Car pooling ------------------------------------------------------------------------------


def _car_pooling(v: Values, years: int) -> ProjectFlows:
    trips = v["users"] * v["trips_per_user_per_year"]
    vkm_avoided = trips * v["trip_km"] * v["car_trips_avoided_per_trip"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, v["platform_investment"]),
        opex=_operating(years, v["opex_per_year"]),
        revenues=_operating(years, trips * v["fee_per_trip"]),
        co2_tonnes=_operating(years, vkm_avoided * v["car_emission_factor"] / 1000.0),
        other_benefits=_operating(years, vkm_avoided * v["vehicle_cost_saved_per_km"]),
        accidents_avoided=_operating(years, vkm_avoided * v["accidents_per_million_vkm"] / 1e6),
    )


CAR_POOLING = Template(
    name="car_pooling",
    title="Car pooling service",
    version="1.0.0",
    description=(
        "A platform matching commuters who share cars. Revenues = pooled trips x fee; "
        "car-km avoided = trips x trip length x car trips avoided per pooled trip."
    ),
    revenue_kind="user_fees",
    externalities=(
        "co2_tonnes = car-km avoided x car emission factor / 1000; other_benefits = car-km "
        "avoided x vehicle operating cost saved; accidents_avoided = car-km avoided x rate"
    ),
    inputs=(
        InputSpec(
            "users", "users", 2000, 0, 10_000_000, "Active users.", "Assumption.", integer=True
        ),
        InputSpec(
            "trips_per_user_per_year",
            "trips/user/year",
            150.0,
            0.0,
            1000.0,
            "Pooled trips per user.",
            "Assumption: about 3 commuting trips a week.",
        ),
        InputSpec(
            "trip_km",
            "km",
            15.0,
            0.0,
            500.0,
            "Average trip length.",
            "Assumption: typical commuting distance in an Italian urban area.",
        ),
        InputSpec(
            "car_trips_avoided_per_trip",
            "share",
            0.5,
            0.0,
            1.0,
            "Car trips removed per pooled trip.",
            "Two occupants per pooled car remove half a car trip per passenger trip.",
        ),
        InputSpec("fee_per_trip", "EUR/trip", 0.5, 0.0, 100.0, "Platform fee.", "Assumption."),
        InputSpec(
            "platform_investment",
            "EUR",
            250_000.0,
            0.0,
            1e9,
            "App, back office and launch campaign.",
            "Assumption.",
        ),
        InputSpec(
            "opex_per_year",
            "EUR/year",
            80_000.0,
            0.0,
            1e9,
            "Hosting, support, marketing.",
            "Assumption.",
        ),
        InputSpec(
            "car_emission_factor",
            "kg CO2/km",
            0.17,
            0.0,
            1.0,
            "CO2 per car-km avoided.",
            "UK DESNZ/DEFRA GHG conversion factors 2023: average car ~0.17 kg CO2e/km.",
        ),
        InputSpec(
            "vehicle_cost_saved_per_km",
            "EUR/km",
            0.10,
            0.0,
            5.0,
            "Resource cost of a car-km saved (fuel net of taxes, wear, tyres).",
            "Assumption: ~6 l/100 km at ~EUR 0.75/l before excise and VAT, plus about "
            "EUR 0.05/km maintenance and tyres.",
        ),
        InputSpec(
            "accidents_per_million_vkm",
            "accidents/million vkm",
            0.3,
            0.0,
            10.0,
            "Injury accidents per million vehicle-km.",
            ACCIDENT_RATE_SOURCE,
        ),
        _lifetime(7, "Assumption: software platforms are rebuilt every 5-8 years.", maximum=20),
    ),
    builder=_car_pooling,
)


# --- Smart grid / smart metering --------------------------------------------------------------


def _smart_metering(v: Values, years: int) -> ProjectFlows:
    meters = v["meters"]
    saved_kwh = meters * v["consumption_per_meter_kwh"] * v["energy_saving_share"]
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, meters * v["cost_per_meter"]),
        opex=_operating(years, meters * v["opex_per_meter"]),
        revenues=_operating(years, meters * v["operational_saving_per_meter"]),
        energy_saved_kwh=_operating(years, saved_kwh),
        co2_tonnes=_operating(years, saved_kwh * v["grid_emission_factor"] / 1000.0),
    )


SMART_METERING = Template(
    name="smart_grid_metering",
    title="Smart grid / smart metering",
    version="1.0.0",
    description=(
        "Smart electricity meters with the communication and data system. The operator saves "
        "meter reading, field visits and losses (revenues); consumers save energy, valued in "
        "the economic analysis."
    ),
    revenue_kind="budget_savings",
    externalities=(
        "energy_saved_kwh = meters x consumption x saving share (consumers); co2_tonnes = "
        "energy saved x grid factor / 1000"
    ),
    inputs=(
        InputSpec(
            "meters",
            "meters",
            10_000,
            1,
            50_000_000,
            "Metering points.",
            "Assumption.",
            integer=True,
        ),
        InputSpec(
            "cost_per_meter",
            "EUR/meter",
            223.0,
            0.0,
            5000.0,
            "Installed cost per metering point, system included.",
            "JRC (2014), 'Cost-benefit analyses & state of play of smart metering "
            "deployment in the EU-27': average EUR 223 per electricity metering point.",
        ),
        InputSpec(
            "opex_per_meter",
            "EUR/meter/year",
            5.0,
            0.0,
            500.0,
            "Communication, IT and maintenance.",
            "Assumption.",
        ),
        InputSpec(
            "operational_saving_per_meter",
            "EUR/meter/year",
            15.0,
            0.0,
            500.0,
            "Reading, field visits and losses avoided by the operator.",
            "Assumption.",
        ),
        InputSpec(
            "consumption_per_meter_kwh",
            "kWh/meter/year",
            2700.0,
            0.0,
            1_000_000.0,
            "Yearly consumption per metering point.",
            "ARERA's typical Italian household: 2,700 kWh a year.",
        ),
        InputSpec(
            "energy_saving_share",
            "share",
            0.03,
            0.0,
            0.5,
            "Consumption saved thanks to feedback.",
            "JRC (2014): about 3 % average energy savings in member-state CBAs.",
        ),
        _lifetime(15, "JRC (2014): member-state CBAs mostly assume 15 years."),
        _grid_factor(),
    ),
    builder=_smart_metering,
)


# --- Intelligent operation centre -------------------------------------------------------------


def _operation_centre(v: Values, years: int) -> ProjectFlows:
    return _flows(
        years,
        _draws(v),
        investment=_at_start(years, v["investment"]),
        opex=_operating(years, v["opex_per_year"]),
        revenues=_operating(years, v["addressed_budget_per_year"] * v["efficiency_gain"]),
        time_saved_hours=_operating(years, v["person_hours_saved_per_year"]),
        accidents_avoided=_operating(years, v["accidents_avoided_per_year"]),
    )


OPERATION_CENTRE = Template(
    name="intelligent_operation_centre",
    title="Intelligent operation centre",
    version="1.0.0",
    description=(
        "A city control room integrating traffic, emergency and utility data. Budget savings = "
        "budget of the services coordinated x efficiency gain; citizens save time and "
        "accidents are avoided."
    ),
    revenue_kind="budget_savings",
    externalities="time_saved_hours and accidents_avoided as stated per year",
    inputs=(
        InputSpec(
            "investment",
            "EUR",
            3_000_000.0,
            0.0,
            1e10,
            "Platform, sensors, control room and integration.",
            "Assumption.",
        ),
        InputSpec(
            "opex_per_year",
            "EUR/year",
            300_000.0,
            0.0,
            1e9,
            "Staff, licences and maintenance.",
            "Assumption.",
        ),
        InputSpec(
            "addressed_budget_per_year",
            "EUR/year",
            20_000_000.0,
            0.0,
            1e11,
            "Yearly budget of the municipal services coordinated by the centre.",
            "Assumption.",
        ),
        InputSpec(
            "efficiency_gain", "share", 0.02, 0.0, 0.5, "Share of that budget saved.", "Assumption."
        ),
        InputSpec(
            "person_hours_saved_per_year",
            "h/year",
            50_000.0,
            0.0,
            1e10,
            "Travel and waiting time saved by citizens (traffic and incident management).",
            "Assumption.",
        ),
        InputSpec(
            "accidents_avoided_per_year",
            "accidents/year",
            5.0,
            0.0,
            1e6,
            "Injury accidents avoided.",
            "Assumption.",
        ),
        _lifetime(
            10,
            "Reg. (EU) 480/2014 Annex I: other sectors 10-15 years; ICT systems "
            "are renewed within about 10 years.",
            maximum=25,
        ),
    ),
    builder=_operation_centre,
)


TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (
        LED_PUBLIC_LIGHTING,
        TRAFFIC_LIGHTS,
        BUILDING_EPC,
        URBAN_FREIGHT,
        CAR_POOLING,
        SMART_METERING,
        OPERATION_CENTRE,
    )
}
"""Every template by name."""


def get_template(name: object, field: str = "template") -> Template:
    """The template of that name, or ``InvalidInput`` listing the names."""
    if not isinstance(name, str) or name not in TEMPLATES:
        raise InvalidInput(field, f"unknown template; one of: {', '.join(TEMPLATES)}")
    return TEMPLATES[name]
