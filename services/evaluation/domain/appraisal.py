"""One appraisal: flows from a template or given explicitly, then every figure of API.md.

Model
-----
Input (a parsed JSON body; every part but the flows is optional)::

    {"template": "led_public_lighting", "inputs": {...}}        # or
    {"cash_flows": {"investment": [...], "opex": [...], "revenues": [...],
                    "residual_value": [...] | number, "taxes": [...]},
     "revenue_kind": "energy_savings" | "budget_savings" | "user_fees" | "none"},
    plus
    "discount_rate": 0.04,                        # financial, real (EC CBA Guide 2014: 4 %)
    "financing": {"gearing" | "target_dscr", "rate", "tenor_years", "grace_years",
                  "amortization"},                # see project_finance.Financing
    "economic": {"social_discount_rate" | "cohesion_country", "conversion_factors",
                 "co2_price", "co2_price_growth", "energy_shadow_price", "value_of_time",
                 "value_per_accident", "externalities": {...}},   # see economic.EconomicParams
    "vfm": {...}                                  # see value_for_money.VfmParams

Output: a dict with exactly the keys of ``RESULT_KEYS`` (API.md result names plus the yearly
``cash_flows`` table and ``reasons``, which explains every ``None`` figure by its key).
Conventions: year 0 is the first flow and is not discounted, end-of-year discounting, rates
as decimals, EUR at constant prices, costs entered as positive amounts (see :mod:`cashflow`).

- FNPV, FIRR, payback, discounted payback on the net cash flow (:mod:`indicators`);
- ROI = sum of net flows / sum of investment (undiscounted);
- profitability index = PV(flows other than investment) / PV(investment) at the discount rate
  (equal to the calculator's PV(CF_1..n) / -CF_0 when all investment is in year 0);
- debt, DSCR, LLCR, equity IRR (:mod:`project_finance`); ENPV, ERR, B/C ratio, funding gap
  (:mod:`economic`); PSC/PPP value for money (:mod:`value_for_money`); recommended forms
  (:mod:`recommendation`); the bankability summary (:mod:`bankability`).

Checked against: every component module's worked examples; here, tests check that the
appraisal of explicit flows reproduces ``numpy_financial.npv``/``irr`` and the calculators on the
same flows, and that no figure is NaN or infinite (JSON with ``allow_nan=False``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.bankability import Bankability, assess_bankability
from services.evaluation.domain.cashflow import ProjectFlows, parse_flows
from services.evaluation.domain.economic import (
    FINANCIAL_DISCOUNT_RATE,
    EconomicParams,
    EconomicResult,
    FundingGap,
    economic_analysis,
    funding_gap,
)
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import (
    Figure,
    benefit_cost_index,
    discounted_payback,
    irr,
    npv,
    payback,
    roi,
)
from services.evaluation.domain.project_finance import Financing, ProjectFinance, finance_project
from services.evaluation.domain.recommendation import ProjectProfile, recommend_forms
from services.evaluation.domain.templates import REVENUE_KINDS, Template, get_template
from services.evaluation.domain.value_for_money import ValueForMoney, VfmParams, value_for_money

RESULT_KEYS = (
    "fnpv",
    "firr",
    "payback_years",
    "discounted_payback_years",
    "roi",
    "profitability_index",
    "debt_schedule",
    "dscr_by_year",
    "min_dscr",
    "avg_dscr",
    "llcr",
    "equity_irr",
    "enpv",
    "err",
    "bcr",
    "funding_gap_rate",
    "vfm",
    "recommended_forms",
    "cash_flows",
    "reasons",
)
REQUEST_KEYS = (
    "template",
    "inputs",
    "cash_flows",
    "revenue_kind",
    "discount_rate",
    "financing",
    "economic",
    "vfm",
)
NO_FINANCING = "no financing given (set financing.gearing or financing.target_dscr)"


@dataclass(frozen=True)
class AppraisalRequest:
    """A checked appraisal request: the base flows and every parameter, defaults filled in."""

    flows: ProjectFlows
    revenue_kind: str
    discount_rate: float
    financing: Financing | None
    economic: EconomicParams
    vfm: VfmParams
    template: Template | None = None
    inputs: Mapping[str, float] | None = None

    @property
    def template_name(self) -> str | None:
        return None if self.template is None else self.template.name

    @property
    def template_version(self) -> str | None:
        """Stored with the appraisal so it can be reproduced."""
        return None if self.template is None else self.template.version


def parse_request(body: Mapping[str, Any]) -> AppraisalRequest:
    """Check an appraisal body and resolve defaults; raises ``InvalidInput`` naming the field."""
    check.mapping(body, "body")
    check.known_keys(body, REQUEST_KEYS)
    template_name = body.get("template")
    explicit = body.get("cash_flows")
    economic_body = body.get("economic")
    externalities = None
    if economic_body is not None:
        check.mapping(economic_body, "economic")
        externalities = economic_body.get("externalities")
    if (template_name is None) == (explicit is None):
        raise InvalidInput("template", "give either template (with inputs) or cash_flows")
    template: Template | None = None
    inputs: dict[str, float] | None = None
    if template_name is not None:
        if externalities is not None:
            raise InvalidInput(
                "economic.externalities",
                "only with explicit cash_flows: a template computes its own externalities",
            )
        template = get_template(template_name)
        inputs = template.resolve(body.get("inputs"))
        flows = template.build(inputs)
        default_kind = template.revenue_kind
    else:
        if body.get("inputs") is not None:
            raise InvalidInput("inputs", "inputs go with a template, not with cash_flows")
        check.mapping(explicit, "cash_flows")
        flows = parse_flows(explicit, externalities)
        default_kind = "user_fees" if np.any(flows.revenues > 0) else "none"
        if explicit.get("revenue_kind") is not None:
            default_kind = check.choice(
                explicit["revenue_kind"], "cash_flows.revenue_kind", REVENUE_KINDS
            )
    revenue_kind = (
        default_kind
        if body.get("revenue_kind") is None
        else check.choice(body["revenue_kind"], "revenue_kind", REVENUE_KINDS)
    )
    rate = body.get("discount_rate")
    financing_body = body.get("financing")
    return AppraisalRequest(
        flows=flows,
        revenue_kind=revenue_kind,
        discount_rate=FINANCIAL_DISCOUNT_RATE
        if rate is None
        else check.rate(rate, "discount_rate"),
        financing=None
        if financing_body is None
        else Financing.parse(check.mapping(financing_body, "financing")),
        economic=EconomicParams.parse(economic_body),
        vfm=VfmParams.parse(body.get("vfm"), flows.years),
        template=template,
        inputs=inputs,
    )


@dataclass(frozen=True)
class Appraisal:
    """The results of one appraisal and what is needed to reproduce them."""

    request: AppraisalRequest
    results: dict[str, Any]
    bankability: Bankability
    project_finance: ProjectFinance | None
    economic: EconomicResult
    funding_gap: FundingGap
    value_for_money: ValueForMoney

    def to_dict(self) -> dict[str, Any]:
        """The results dict with exactly ``RESULT_KEYS``."""
        return self.results

    def provenance(self) -> dict[str, Any]:
        """What to store beside the results to reproduce them: template and version, the
        resolved inputs (defaults filled in) and every parameter used."""
        request = self.request
        return {
            "template": request.template_name,
            "template_version": request.template_version,
            "inputs": None if request.inputs is None else dict(request.inputs),
            "revenue_kind": request.revenue_kind,
            "discount_rate": request.discount_rate,
            "financing": None if request.financing is None else request.financing.to_dict(),
            "economic": request.economic.to_dict(),
            "vfm": asdict(request.vfm),
        }


def _put(results: dict[str, Any], reasons: dict[str, str], key: str, figure: Figure) -> None:
    results[key] = figure.value
    if figure.value is None:
        reasons[key] = figure.reason or "not available"


def appraise(request: AppraisalRequest | Mapping[str, Any]) -> Appraisal:
    """Every figure of one appraisal (see the module docstring)."""
    if not isinstance(request, AppraisalRequest):
        request = parse_request(request)
    flows = request.flows
    rate = request.discount_rate
    net = flows.net
    results: dict[str, Any] = {}
    reasons: dict[str, str] = {}

    fnpv = npv(rate, net)
    firr = irr(net)
    payback_years = payback(net)
    _put(results, reasons, "fnpv", fnpv)
    _put(results, reasons, "firr", firr.figure)
    _put(results, reasons, "payback_years", payback_years)
    _put(results, reasons, "discounted_payback_years", discounted_payback(net, rate))
    _put(results, reasons, "roi", roi(net, flows.investment))
    _put(
        results,
        reasons,
        "profitability_index",
        benefit_cost_index(net + flows.investment, flows.investment, rate),
    )

    finance: ProjectFinance | None = None
    if request.financing is None:
        for key in ("debt_schedule", "dscr_by_year", "min_dscr", "avg_dscr", "llcr", "equity_irr"):
            results[key] = None
            reasons[key] = NO_FINANCING
    else:
        finance = finance_project(
            net, flows.cfads, float(flows.total_investment), request.financing
        )
        if finance.schedule is None or finance.dscr is None:
            reason = finance.reasons.get("debt_schedule", "no debt")
            for key in ("debt_schedule", "dscr_by_year", "min_dscr", "avg_dscr", "llcr"):
                results[key] = None
                reasons[key] = reason
        else:
            results["debt_schedule"] = finance.schedule.to_rows()
            results["dscr_by_year"] = finance.dscr.to_rows()
            _put(results, reasons, "min_dscr", finance.dscr.min_dscr)
            _put(results, reasons, "avg_dscr", finance.dscr.avg_dscr)
            _put(results, reasons, "llcr", finance.llcr)
        _put(results, reasons, "equity_irr", finance.equity_irr.figure)

    economic = economic_analysis(flows, request.economic)
    _put(results, reasons, "enpv", economic.enpv)
    _put(results, reasons, "err", economic.err.figure)
    _put(results, reasons, "bcr", economic.bcr)
    gap = funding_gap(flows, rate)
    _put(results, reasons, "funding_gap_rate", gap.rate)

    vfm = value_for_money(flows, request.vfm, rate)
    results["vfm"] = vfm.to_dict()
    if vfm.vfm_percent.value is None:
        reasons["vfm.vfm_percent"] = vfm.vfm_percent.reason or "not available"

    profile = ProjectProfile(
        total_investment=float(flows.total_investment),
        revenue_kind=request.revenue_kind,
        horizon_years=flows.years - 1,
        fnpv=fnpv.value,
        firr=firr.value,
        discount_rate=rate,
        payback_years=payback_years.value,
        enpv=economic.enpv.value,
        funding_gap_rate=gap.rate.value,
        vfm_amount=vfm.vfm_amount,
        vfm_percent=vfm.vfm_percent.value,
        min_dscr=results["min_dscr"],
        llcr=results["llcr"],
        time_saved_hours=float(flows.time_saved_hours.sum()),
        accidents_avoided=float(flows.accidents_avoided.sum()),
    )
    results["recommended_forms"] = [form.to_dict() for form in recommend_forms(profile)]
    results["cash_flows"] = flows.table(rate)
    results["reasons"] = reasons

    bankability = assess_bankability(
        min_dscr=results["min_dscr"],
        llcr=results["llcr"],
        firr=results["firr"],
        fnpv=results["fnpv"],
        equity_irr=results["equity_irr"],
        funding_gap_rate=results["funding_gap_rate"],
    )
    ordered = {key: _finite(results[key], key, reasons) for key in RESULT_KEYS}
    return Appraisal(request, ordered, bankability, finance, economic, gap, vfm)


def _finite(value: Any, path: str, reasons: dict[str, str]) -> Any:
    """No NaN or infinity leaves the domain: such a number (an overflow at extreme rates)
    becomes ``None`` and its path is explained in ``reasons``."""
    if isinstance(value, float) and not math.isfinite(value):
        reasons[path] = "the figure overflows for these inputs"
        return None
    if isinstance(value, dict) and value is not reasons:
        return {key: _finite(item, f"{path}.{key}", reasons) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item, f"{path}[{index}]", reasons) for index, item in enumerate(value)]
    return value
