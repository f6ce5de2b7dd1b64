"""Value for money: public sector comparator (PSC) against a PPP option.

Model
-----
Present values at the public discount rate ``d`` (default: the appraisal's financial discount
rate, 4 % real per the EC CBA Guide 2014), EUR, constant prices. Both options deliver the same
service; the authority keeps the third-party revenues (savings) and the residual value in both.
All figures are net *costs* to the public sector: positive means the authority pays.

- ``C = PV(investment + opex)``, ``I = PV(revenues + residual value)``.
- Raw PSC = ``C - I``. Risk-adjusted PSC, built up as raw PSC + competitive neutrality +
  transferable risk + retained risk (Partnerships Victoria, *Public Sector Comparator*
  technical note, 2001; UK Treasury Taskforce, *How to construct a Public Sector Comparator*,
  1999):
  ``PSC = C - I + (competitive_neutrality + transferred_risk + retained_risk) x C`` where each
  adjustment is a share of ``C``: competitive neutrality removes the advantages the public
  sector enjoys as owner (taxes, insurance); transferable risk is what the PPP would take on;
  retained risk stays with the authority under either option.
- PPP option: ``PPP = PV(payments to the partner) - I + (retained_risk + contract_management)
  x C``. Payments are given year by year, or derived as a *shadow bid*: a level availability
  payment over years 1..N whose PV at the partner's cost of capital equals the PV of the
  partner's costs, ``investment x (1 - capex_efficiency) + opex x (1 - opex_efficiency)``.
- VfM amount = ``PSC - PPP`` (> 0: the PPP costs the public sector less);
  VfM percent = ``100 x VfM / PSC`` (in percent, e.g. 12.5 means 12.5 %).

Checked against: a brute-force loop in ``tests/domain/test_value_for_money.py`` on a hand
case (investment 1000 in year 0, opex 100 a year for 5 years) and the identity that with no
efficiency, no risk transfer and a partner cost of capital equal to ``d`` the PPP and the PSC
cost the same (VfM = 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.cashflow import ProjectFlows
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import Figure, discount_factors

DEFAULTS: dict[str, tuple[float, str]] = {
    "private_cost_of_capital": (
        0.07,
        "Assumption: a typical pre-tax real WACC of availability-based PPPs (senior debt plus "
        "equity) of 6-8 %; replace with the bidders' expected cost of capital.",
    ),
    "ppp_capex_efficiency": (0.0, "No efficiency is assumed unless stated."),
    "ppp_opex_efficiency": (0.0, "No efficiency is assumed unless stated."),
    "competitive_neutrality_share": (0.0, "No adjustment unless stated."),
    "transferred_risk_share": (0.0, "No risk transfer is assumed unless stated."),
    "retained_risk_share": (0.0, "No retained risk is assumed unless stated."),
    "contract_management_share": (0.0, "No contract management cost unless stated."),
}


@dataclass(frozen=True)
class VfmParams:
    """Parameters of the PSC / PPP comparison (shares are fractions of ``C``)."""

    discount_rate: float | None = None
    ppp_payments: tuple[float, ...] | None = None
    private_cost_of_capital: float = DEFAULTS["private_cost_of_capital"][0]
    ppp_capex_efficiency: float = 0.0
    ppp_opex_efficiency: float = 0.0
    competitive_neutrality_share: float = 0.0
    transferred_risk_share: float = 0.0
    retained_risk_share: float = 0.0
    contract_management_share: float = 0.0

    @classmethod
    def parse(cls, body: Mapping[str, Any] | None, years: int, prefix: str = "vfm.") -> VfmParams:
        if body is None:
            return cls()
        check.mapping(body, prefix.rstrip("."))
        check.known_keys(body, ("discount_rate", "ppp_payments", *DEFAULTS), prefix)
        payments = body.get("ppp_payments")
        parsed_payments = None
        if payments is not None:
            values = check.flows(payments, f"{prefix}ppp_payments")
            if values.size != years:
                raise InvalidInput(
                    f"{prefix}ppp_payments",
                    f"has {values.size} values but the cash flows have {years} years",
                )
            if np.any(values < 0):
                raise InvalidInput(f"{prefix}ppp_payments", "must not be negative")
            parsed_payments = tuple(float(v) for v in values)
        shares = {}
        for name in DEFAULTS:
            if body.get(name) is None:
                continue
            if name == "private_cost_of_capital":
                shares[name] = check.rate(body[name], f"{prefix}{name}")
            else:
                shares[name] = check.number(body[name], f"{prefix}{name}", minimum=0.0, maximum=1.0)
        rate = body.get("discount_rate")
        return cls(
            discount_rate=None if rate is None else check.rate(rate, f"{prefix}discount_rate"),
            ppp_payments=parsed_payments,
            **shares,
        )


@dataclass(frozen=True)
class ValueForMoney:
    psc_npv: float
    ppp_npv: float
    vfm_amount: float
    vfm_percent: Figure
    raw_psc: float
    adjustments: dict[str, float]
    ppp_payments: tuple[float, ...]
    discount_rate: float

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "psc_npv": self.psc_npv,
            "ppp_npv": self.ppp_npv,
            "vfm_amount": self.vfm_amount,
            "vfm_percent": self.vfm_percent.value,
            "raw_psc": self.raw_psc,
            "adjustments": dict(self.adjustments),
            "ppp_payments": list(self.ppp_payments),
            "discount_rate": self.discount_rate,
        }
        if self.vfm_percent.reason is not None:
            result["reason"] = self.vfm_percent.reason
        return result


def shadow_bid(flows: ProjectFlows, params: VfmParams) -> np.ndarray:
    """Level availability payment over years 1..N that repays the partner's costs."""
    costs = flows.investment * (1.0 - params.ppp_capex_efficiency) + flows.opex * (
        1.0 - params.ppp_opex_efficiency
    )
    factors = discount_factors(params.private_cost_of_capital, flows.years)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        annuity_factor = float(factors[1:].sum())
        present = float(costs @ factors)
    payment = present / annuity_factor if annuity_factor > 0 else math.inf
    payments = np.full(flows.years, payment)
    payments[0] = 0.0
    return payments


def value_for_money(
    flows: ProjectFlows, params: VfmParams, default_discount_rate: float
) -> ValueForMoney:
    """PSC, PPP and the value for money of one table of flows."""
    rate = default_discount_rate if params.discount_rate is None else params.discount_rate
    factors = discount_factors(rate, flows.years)
    with np.errstate(over="ignore", invalid="ignore"):
        # An overflow at an extreme rate yields inf/NaN here, which the appraisal reports as
        # None with a reason.
        costs = float((flows.investment + flows.opex) @ factors)
        income = float((flows.revenues + flows.residual_value) @ factors)
    raw_psc = costs - income
    adjustments = {
        "competitive_neutrality": params.competitive_neutrality_share * costs,
        "transferred_risk": params.transferred_risk_share * costs,
        "retained_risk": params.retained_risk_share * costs,
        "contract_management": params.contract_management_share * costs,
    }
    psc = (
        raw_psc
        + adjustments["competitive_neutrality"]
        + adjustments["transferred_risk"]
        + adjustments["retained_risk"]
    )
    payments = (
        np.asarray(params.ppp_payments)
        if params.ppp_payments is not None
        else shadow_bid(flows, params)
    )
    with np.errstate(over="ignore", invalid="ignore"):
        paid = float(payments @ factors)
    ppp = paid - income + adjustments["retained_risk"] + adjustments["contract_management"]
    amount = psc - ppp
    if psc > 0 and math.isfinite(psc):
        percent = Figure.of(100.0 * amount / psc)
    else:
        percent = Figure(
            None, "the PSC has no net cost to the public sector (revenues exceed costs)"
        )
    return ValueForMoney(
        psc_npv=psc,
        ppp_npv=ppp,
        vfm_amount=amount,
        vfm_percent=percent,
        raw_psc=raw_psc,
        adjustments=adjustments,
        ppp_payments=tuple(float(p) for p in payments),
        discount_rate=rate,
    )
