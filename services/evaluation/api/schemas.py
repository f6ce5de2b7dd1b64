"""Request and response models of the evaluation API (shapes from API.md).

These models state the wire contract (types, units, unknown fields refused) for OpenAPI and
first-line validation; the domain (`services.evaluation.domain`) then checks what a type cannot
say (lengths that must agree, a tenor within the flows, an IRR that exists) and names the field.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Amount = Annotated[float, Field(ge=-1e13, le=1e13)]
Flows = Annotated[list[Amount], Field(min_length=1, max_length=200)]
Rate = Annotated[float, Field(gt=-1, le=10, description="a decimal rate, 0.05 for 5 %")]
Pct = Annotated[float, Field(ge=-1000, le=1000, description="percent change from the base")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# --- appraisals --------------------------------------------------------------------------------


class ExplicitCashFlows(Strict):
    """Yearly amounts in EUR, year 0 first; costs as positive amounts."""

    investment: Flows | None = None
    opex: Flows | None = None
    revenues: Flows | None = None
    residual_value: Flows | Amount | None = None
    taxes: Flows | None = None
    revenue_kind: Literal["energy_savings", "budget_savings", "user_fees", "none"] | None = None


class Externalities(Strict):
    co2_tonnes: Flows | None = None
    energy_saved_kwh: Flows | None = None
    time_saved_hours: Flows | None = None
    accidents_avoided: Flows | None = None
    other_benefits: Flows | None = None


class ConversionFactors(Strict):
    investment: float | None = Field(default=None, ge=0, le=10)
    opex: float | None = Field(default=None, ge=0, le=10)
    revenues: float | None = Field(default=None, ge=0, le=10)
    residual_value: float | None = Field(default=None, ge=0, le=10)


class EconomicParameters(Strict):
    social_discount_rate: Rate | None = None
    cohesion_country: bool | None = None
    conversion_factors: ConversionFactors | None = None
    co2_price: float | None = Field(default=None, ge=0, le=1e5, description="EUR per t CO2")
    co2_price_growth: float | None = Field(default=None, ge=-1, le=1)
    energy_shadow_price: float | None = Field(default=None, ge=0, le=100, description="EUR/kWh")
    value_of_time: float | None = Field(default=None, ge=0, le=1e4, description="EUR/h")
    value_per_accident: float | None = Field(default=None, ge=0, le=1e9, description="EUR")
    externalities: Externalities | None = None


class FinancingParameters(Strict):
    rate: Rate
    tenor_years: int = Field(ge=1, le=60)
    gearing: float | None = Field(default=None, ge=0, le=1, description="debt share of capex")
    target_dscr: float | None = Field(default=None, gt=0, le=100)
    grace_years: int | None = Field(default=None, ge=0, le=59)
    amortization: Literal["annuity", "constant_principal"] | None = None


class VfmParameters(Strict):
    discount_rate: Rate | None = None
    ppp_payments: Flows | None = None
    private_cost_of_capital: Rate | None = None
    ppp_capex_efficiency: float | None = Field(default=None, ge=0, le=1)
    ppp_opex_efficiency: float | None = Field(default=None, ge=0, le=1)
    competitive_neutrality_share: float | None = Field(default=None, ge=0, le=1)
    transferred_risk_share: float | None = Field(default=None, ge=0, le=1)
    retained_risk_share: float | None = Field(default=None, ge=0, le=1)
    contract_management_share: float | None = Field(default=None, ge=0, le=1)


class AppraisalCreate(Strict):
    """Either a template with its inputs, or explicit yearly cash flows."""

    template: str | None = Field(default=None, max_length=64)
    inputs: dict[str, float | int | bool | str] | None = Field(default=None, max_length=100)
    cash_flows: ExplicitCashFlows | None = None
    revenue_kind: Literal["energy_savings", "budget_savings", "user_fees", "none"] | None = None
    discount_rate: Rate | None = None
    financing: FinancingParameters | None = None
    economic: EconomicParameters | None = None
    vfm: VfmParameters | None = None


class AppraisalPublic(BaseModel):
    id: int
    organisation_id: int
    template: str | None
    template_version: str | None
    request: dict[str, Any] = Field(description="every input and parameter, defaults filled in")
    results: dict[str, Any]
    bankability: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SensitivityRequest(Strict):
    variables: list[str] | None = Field(default=None, max_length=50)
    changes_pct: list[Pct] | None = Field(default=None, min_length=1, max_length=50)


class Distribution(Strict):
    distribution: Literal["normal", "triangular", "uniform"]
    mean_pct: Pct | None = None
    sd_pct: Pct | None = None
    min_pct: Pct | None = None
    mode_pct: Pct | None = None
    max_pct: Pct | None = None


class MonteCarloRequest(Strict):
    distributions: dict[str, Distribution] = Field(min_length=1, max_length=50)
    n_draws: int = Field(default=10_000, ge=100, le=100_000)
    random_state: int | None = Field(
        default=None, ge=0, le=2**32 - 1, description="kept with the results; made when absent"
    )
    dscr_covenant: float = Field(default=1.0, ge=0, le=100)


class Bankability(BaseModel):
    appraisal_id: int | None = Field(description="null when computed without storing")
    min_dscr: float | None
    llcr: float | None
    firr: float | None
    equity_irr: float | None
    funding_gap_rate: float | None
    grade: str | None
    reasons: list[str]


# --- stateless calculations --------------------------------------------------------------------


class NpvBody(Strict):
    cash_flows: Flows
    rate: Rate
    timing: Literal["end", "mid"] = "end"


class DatedFlowsBody(Strict):
    cash_flows: Annotated[list[Amount], Field(min_length=1, max_length=1000)]
    dates: Annotated[list[date], Field(min_length=1, max_length=1000)]
    rate: Rate | None = None


class FlowsBody(Strict):
    cash_flows: Flows


class FlowsAtRateBody(Strict):
    cash_flows: Flows
    rate: Rate


class MirrBody(Strict):
    cash_flows: Flows
    finance_rate: Rate
    reinvest_rate: Rate


class AnnuityBody(Strict):
    principal: float = Field(ge=0, le=1e13)
    rate: Rate
    years: int = Field(ge=1, le=100)
    periods_per_year: int = Field(default=1, ge=1, le=365)


class DebtScheduleBody(Strict):
    principal: float = Field(ge=0, le=1e13)
    rate: Rate
    years: int = Field(ge=1, le=100)
    amortization: Literal["annuity", "constant_principal"] = "annuity"
    grace_years: int = Field(default=0, ge=0, le=99)


class DscrBody(DebtScheduleBody):
    cfads: Flows


class LlcrBody(Strict):
    cfads: Flows
    debt_outstanding: float = Field(ge=0, le=1e13)
    rate: Rate


class SculptedDebtBody(Strict):
    cfads: Flows
    target_dscr: float = Field(gt=0, le=100)
    rate: Rate


CALCULATION_BODIES: dict[str, type[Strict]] = {
    "npv": NpvBody,
    "xnpv": DatedFlowsBody,
    "irr": FlowsBody,
    "xirr": DatedFlowsBody,
    "mirr": MirrBody,
    "payback": FlowsBody,
    "discounted-payback": FlowsAtRateBody,
    "profitability-index": FlowsAtRateBody,
    "annuity": AnnuityBody,
    "debt-schedule": DebtScheduleBody,
    "dscr": DscrBody,
    "llcr": LlcrBody,
    "sculpted-debt": SculptedDebtBody,
}


class CalculationResult(BaseModel):
    """`value` is null with a `reason` where the figure does not exist; metric-specific extras
    (an IRR's `roots`, a schedule's `rows`) follow."""

    model_config = ConfigDict(extra="allow")

    metric: str
    value: float | None
    reason: str | None = None


class TemplateInput(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    unit: str
    default: float | int | bool | str | None
    min: float | None = None
    max: float | None = None
    description: str
    source: str


class TemplatePublic(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    title: str
    version: str
    inputs: list[TemplateInput]


class TemplateList(BaseModel):
    items: list[TemplatePublic]
