"""Risk analysis: sensitivity, switching values and Monte Carlo simulation of an appraisal.

Model (risk assessment of the EC *Guide to Cost-Benefit Analysis of Investment Projects*, 2014)
--------------------------------------------------------------------------------------
A *variable* is a template input (e.g. ``energy_price``), a yearly component of explicit cash
flows scaled as a whole (``investment``, ``opex``, ``revenues``, ``residual_value``,
``taxes``, and the externality rows), or a unit price of the economic analysis
(``co2_price``, ``energy_shadow_price``, ``value_of_time``, ``value_per_accident``). A change
of ``p`` % sets the variable to ``base x (1 + p / 100)``; inputs that fix the horizon or the
contract length are not varied.

- Sensitivity: FNPV, FIRR and ENPV for each variable changed by each ``p`` in
  ``changes_pct`` (default -20, -10, +10, +20), and the elasticity
  ``(FNPV(+1 %) - FNPV(-1 %)) / (2 x 1 % x |FNPV|)``; a variable is *critical* when a 1 %
  change moves the NPV by 1 % or more (|elasticity| >= 1, the Guide's criterion).
- Switching value: the ``p`` at which FNPV (and ENPV) becomes zero, found by scanning
  ``p`` from -100 % to +1000 % and bisecting the sign change nearest to 0 (exact to 1e-9 for
  the linear responses of cash-flow components; any monotone response works). ``None`` with a
  reason when the NPV does not change sign in that range.
- Monte Carlo: each variable given a distribution is drawn independently, with parameters in
  % of the base value: ``normal`` (``sd_pct``, ``mean_pct`` = 0), ``triangular``
  (``min_pct``, ``mode_pct`` = 0, ``max_pct``), ``uniform`` (``min_pct``, ``max_pct``). Draws
  come from ``numpy.random.default_rng(random_state)`` in variable-name order, so the same
  seed gives the same results. All draws are evaluated at once: flows are ``(draws, years)``
  arrays and ``FNPV = net_flows @ discount_factors`` (one matrix-vector product), likewise
  ENPV. The debt is fixed at its base-case size and schedule (signed at financial close), so
  each draw's ``min DSCR = min_t CFADS_t / DS_t``. Reported: ``P(FNPV < 0)`` as
  ``p_npv_negative``, ``P(ENPV < 0)``, ``P(min DSCR < covenant)``, mean, standard deviation
  and the 5th, 10th, 50th, 90th and 95th percentiles. FIRR is not simulated (one root search
  per draw); the Guide recommends the NPV distribution.

Checked against: for explicit flows with revenues ~ Normal(base, 20 % of base), FNPV is normal
with mean ``FNPV_0`` and standard deviation ``0.2 x PV(revenues)``, so
``P(FNPV < 0) = Phi(-FNPV_0 / (0.2 PV(revenues)))``; the simulation matches within sampling
error (``tests/domain/test_risk.py``). Switching values of components equal the closed form
``-FNPV_0 / PV(signed component)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.evaluation.domain import validation as check
from services.evaluation.domain.appraisal import AppraisalRequest, appraise, parse_request
from services.evaluation.domain.cashflow import COMPONENTS, UNITS, ProjectFlows
from services.evaluation.domain.economic import PRICE_DEFAULTS, PRICES, economic_flows
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.indicators import discount_factors, irr

DEFAULT_CHANGES_PCT = (-20.0, -10.0, 10.0, 20.0)
PERCENTILES = (5, 10, 50, 90, 95)
SCAN_RANGE_PCT = (-100.0, 1000.0)
MAX_DRAWS = 100_000
MAX_CELLS = 10_000_000
"""Upper bound on draws x years, to keep one simulation within a few hundred MB."""


@dataclass(frozen=True)
class Variable:
    name: str
    base: float
    unit: str
    kind: str
    """``input`` (template), ``component`` (scale of a yearly row) or ``price`` (economic)."""


@dataclass(frozen=True)
class Outcomes:
    """Figures of many variants at once, one entry per row."""

    fnpv: np.ndarray
    enpv: np.ndarray
    min_dscr: np.ndarray | None
    flows: ProjectFlows


class RiskModel:
    """An appraisal as a vectorised function of its variables.

    Parameters
    ----------
    request : AppraisalRequest
        The checked appraisal; its financing fixes the debt service at the base case.
    """

    def __init__(self, request: AppraisalRequest) -> None:
        self.request = request
        appraisal = appraise(request)
        finance = appraisal.project_finance
        self.debt_service = np.zeros(0) if finance is None else finance.debt_service_by_year
        years = request.flows.years
        self._fin_factors = discount_factors(request.discount_rate, years)
        self._eco_factors = discount_factors(request.economic.sdr, years)
        variables: dict[str, Variable] = {}
        if request.template is not None and request.inputs is not None:
            specs = request.template.specs
            for name in request.template.risk_variables:
                variables[name] = Variable(
                    name, float(request.inputs[name]), specs[name].unit, "input"
                )
        else:
            for name in COMPONENTS:
                if np.any(getattr(request.flows, name) != 0):
                    variables[name] = Variable(name, 1.0, f"x {UNITS[name]} row", "component")
        for name in PRICES:
            variables[name] = Variable(
                name, float(getattr(request.economic, name)), PRICE_DEFAULTS[name][1], "price"
            )
        self.variables = variables

    @classmethod
    def from_body(cls, body: AppraisalRequest | Mapping[str, Any]) -> RiskModel:
        return cls(body if isinstance(body, AppraisalRequest) else parse_request(body))

    def variable(self, name: object, field: str) -> Variable:
        if not isinstance(name, str) or name not in self.variables:
            raise InvalidInput(field, f"unknown variable; one of: {', '.join(self.variables)}")
        return self.variables[name]

    def evaluate(self, values: Mapping[str, np.ndarray], rows: int) -> Outcomes:
        """FNPV, ENPV and minimum DSCR for ``rows`` variants.

        ``values`` maps variable names to ``(rows, 1)`` arrays of their values; the others keep
        their base value.
        """
        request = self.request
        by_kind: dict[str, dict[str, np.ndarray]] = {"input": {}, "component": {}, "price": {}}
        for name, value in values.items():
            by_kind[self.variables[name].kind][name] = value
        if request.template is not None and request.inputs is not None:
            flows = request.template.build({**request.inputs, **by_kind["input"]})
        else:
            flows = request.flows.scaled(**by_kind["component"])
        net = np.broadcast_to(flows.net, (rows, flows.years))
        fnpv = net @ self._fin_factors
        economic = economic_flows(flows, request.economic, by_kind["price"])
        enpv = np.broadcast_to(economic, (rows, flows.years)) @ self._eco_factors
        min_dscr = None
        if np.any(self.debt_service > 0):
            cfads = np.broadcast_to(flows.cfads, (rows, flows.years - 1))
            cfads = cfads[:, : self.debt_service.size]
            due = self.debt_service > 0
            min_dscr = (cfads[:, due] / self.debt_service[due]).min(axis=1)
        return Outcomes(fnpv, enpv, min_dscr, flows)

    def at_changes(self, name: str, changes_pct: np.ndarray) -> Outcomes:
        """Outcomes with one variable changed by each percentage."""
        base = self.variables[name].base
        values = base * (1.0 + np.asarray(changes_pct, dtype=float)[:, None] / 100.0)
        return self.evaluate({name: values}, len(changes_pct))


# --- sensitivity and switching values ---------------------------------------------------------


def _switching_value(model: RiskModel, name: str, metric: str) -> dict[str, Any]:
    base = model.variables[name].base
    if base == 0:
        return {
            "change_pct": None,
            "value": None,
            "reason": "the base value is 0, so a percentage change has no effect",
        }
    grid = np.concatenate(
        (np.linspace(SCAN_RANGE_PCT[0], 0.0, 401), np.linspace(0.0, SCAN_RANGE_PCT[1], 4001)[1:])
    )
    response = getattr(model.at_changes(name, grid), metric)
    label = "FNPV" if metric == "fnpv" else "ENPV"
    zero_index = 400
    if response[zero_index] == 0:
        return {"change_pct": 0.0, "value": base, "reason": None}
    if np.ptp(response) <= 1e-12 * max(1.0, float(np.abs(response).max())):
        return {"change_pct": None, "value": None, "reason": f"{label} does not depend on {name}"}
    signs = np.sign(response)
    # Exact zeros count except at -100 % (the variable at 0): that is proportionality, not a
    # switch. Between grid points, a strict sign change brackets a zero.
    exact = np.flatnonzero((signs == 0) & (grid > SCAN_RANGE_PCT[0]))
    brackets = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    positions = np.concatenate((grid[exact], 0.5 * (grid[brackets] + grid[brackets + 1])))
    if positions.size == 0:
        return {
            "change_pct": None,
            "value": None,
            "reason": f"{label} keeps its sign for changes of {name} from "
            f"{SCAN_RANGE_PCT[0]:.0f}% to +{SCAN_RANGE_PCT[1]:.0f}%",
        }
    best = int(np.argmin(np.abs(positions)))
    if best < exact.size:
        change = float(grid[exact[best]])
        return {"change_pct": change, "value": base * (1.0 + change / 100.0), "reason": None}
    nearest = brackets[best - exact.size]
    low, high = float(grid[nearest]), float(grid[nearest + 1])
    low_sign = signs[nearest]
    for _ in range(100):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        value = float(getattr(model.at_changes(name, np.array([middle])), metric)[0])
        if value == 0:
            low = high = middle
            break
        if np.sign(value) == low_sign:
            low = middle
        else:
            high = middle
    change = 0.5 * (low + high)
    return {"change_pct": change, "value": base * (1.0 + change / 100.0), "reason": None}


def _elasticity(minus: float, plus: float, base: float) -> float | None:
    if base == 0:
        return None
    return (plus - minus) / (2.0 * 0.01 * abs(base))


def _pct_change(value: float, base: float) -> float | None:
    return None if base == 0 else 100.0 * (value - base) / abs(base)


def _firr_of(net: np.ndarray) -> tuple[float | None, str | None]:
    result = irr(net)
    return result.value, result.reason


def sensitivity(
    request: AppraisalRequest | Mapping[str, Any],
    variables: Sequence[str] | None = None,
    changes_pct: Sequence[float] = DEFAULT_CHANGES_PCT,
) -> dict[str, Any]:
    """Sensitivity of FNPV, FIRR and ENPV to each variable, with switching values.

    Returns ``{"base", "sensitivity", "switching_values", "reasons"}``; see the module docstring.
    """
    model = RiskModel.from_body(request)
    names = list(model.variables) if variables is None else _variable_names(model, variables)
    changes = _changes(changes_pct)
    base = model.evaluate({}, 1)
    base_fnpv, base_enpv = float(base.fnpv[0]), float(base.enpv[0])
    base_firr, base_firr_reason = _firr_of(np.asarray(base.flows.net).reshape(-1))
    rows: list[dict[str, Any]] = []
    switching: dict[str, Any] = {}
    for name in names:
        variable = model.variables[name]
        outcomes = model.at_changes(name, np.concatenate((changes, [-1.0, 1.0])))
        nets = np.broadcast_to(outcomes.flows.net, (changes.size + 2, outcomes.flows.years))
        cases = []
        for index, change in enumerate(changes):
            fnpv, enpv = float(outcomes.fnpv[index]), float(outcomes.enpv[index])
            firr, firr_reason = _firr_of(nets[index])
            case: dict[str, Any] = {
                "change_pct": float(change),
                "value": variable.base * (1.0 + change / 100.0),
                "fnpv": fnpv,
                "fnpv_change_pct": _pct_change(fnpv, base_fnpv),
                "firr": firr,
                "enpv": enpv,
                "enpv_change_pct": _pct_change(enpv, base_enpv),
            }
            if firr_reason is not None:
                case["firr_reason"] = firr_reason
            cases.append(case)
        elasticity_fnpv = _elasticity(float(outcomes.fnpv[-2]), float(outcomes.fnpv[-1]), base_fnpv)
        elasticity_enpv = _elasticity(float(outcomes.enpv[-2]), float(outcomes.enpv[-1]), base_enpv)
        rows.append(
            {
                "variable": name,
                "kind": variable.kind,
                "unit": variable.unit,
                "base_value": variable.base,
                "cases": cases,
                "elasticity_fnpv": elasticity_fnpv,
                "elasticity_enpv": elasticity_enpv,
                "critical": any(
                    e is not None and abs(e) >= 1.0 for e in (elasticity_fnpv, elasticity_enpv)
                ),
            }
        )
        switching[name] = {
            "fnpv": _switching_value(model, name, "fnpv"),
            "enpv": _switching_value(model, name, "enpv"),
        }
    reasons = {} if base_firr_reason is None else {"base.firr": base_firr_reason}
    return {
        "base": {"fnpv": base_fnpv, "firr": base_firr, "enpv": base_enpv},
        "sensitivity": rows,
        "switching_values": switching,
        "reasons": reasons,
    }


def _variable_names(model: RiskModel, variables: Sequence[str]) -> list[str]:
    if isinstance(variables, str) or not isinstance(variables, Sequence) or not variables:
        raise InvalidInput("variables", "must be a non-empty list of variable names")
    return [model.variable(name, f"variables[{i}]").name for i, name in enumerate(variables)]


def _changes(changes_pct: Sequence[float]) -> np.ndarray:
    values = check.flows(changes_pct, "changes_pct", max_length=50)
    for index, value in enumerate(values):
        if value <= -100.0 or value > SCAN_RANGE_PCT[1]:
            raise InvalidInput(f"changes_pct[{index}]", "must be above -100 and at most 1000")
    return values


# --- Monte Carlo -------------------------------------------------------------------------------

DISTRIBUTIONS = ("normal", "triangular", "uniform")


@dataclass(frozen=True)
class Distribution:
    """A distribution of the percentage change of a variable from its base value."""

    kind: str
    mean_pct: float = 0.0
    sd_pct: float = 0.0
    min_pct: float = 0.0
    mode_pct: float = 0.0
    max_pct: float = 0.0

    @classmethod
    def parse(cls, body: Mapping[str, Any], prefix: str) -> Distribution:
        check.mapping(body, prefix.rstrip("."))
        kind = check.choice(
            check.required(body, "distribution", prefix), f"{prefix}distribution", DISTRIBUTIONS
        )
        allowed = {
            "normal": ("distribution", "mean_pct", "sd_pct"),
            "triangular": ("distribution", "min_pct", "mode_pct", "max_pct"),
            "uniform": ("distribution", "min_pct", "max_pct"),
        }[kind]
        check.known_keys(body, allowed, prefix)

        def pct(name: str, default: float | None = None) -> float:
            value = body.get(name, default)
            if value is None:
                raise InvalidInput(f"{prefix}{name}", "is required")
            return check.number(value, f"{prefix}{name}", minimum=-1000.0, maximum=1000.0)

        if kind == "normal":
            sd = pct("sd_pct")
            if sd < 0:
                raise InvalidInput(f"{prefix}sd_pct", "must not be negative")
            return cls(kind, mean_pct=pct("mean_pct", 0.0), sd_pct=sd)
        low = pct("min_pct")
        high = pct("max_pct")
        mode = pct("mode_pct", 0.0) if kind == "triangular" else low
        if kind == "triangular" and not low <= mode <= high:
            raise InvalidInput(f"{prefix}mode_pct", "must lie between min_pct and max_pct")
        if low > high:
            raise InvalidInput(f"{prefix}max_pct", "must not be below min_pct")
        return cls(kind, min_pct=low, mode_pct=mode, max_pct=high)

    def sample_pct(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws of the percentage change."""
        if self.kind == "normal":
            return rng.normal(self.mean_pct, self.sd_pct, size)
        if self.kind == "uniform":
            return rng.uniform(self.min_pct, self.max_pct, size)
        if self.min_pct == self.max_pct:
            return np.full(size, self.min_pct)
        return rng.triangular(self.min_pct, self.mode_pct, self.max_pct, size)

    def to_dict(self) -> dict[str, Any]:
        if self.kind == "normal":
            return {"distribution": self.kind, "mean_pct": self.mean_pct, "sd_pct": self.sd_pct}
        result = {"distribution": self.kind, "min_pct": self.min_pct, "max_pct": self.max_pct}
        if self.kind == "triangular":
            result["mode_pct"] = self.mode_pct
        return result


def parse_distributions(
    body: Mapping[str, Any], model: RiskModel, prefix: str = "distributions."
) -> dict[str, Distribution]:
    """``{variable: {"distribution": ..., ...pct}}`` checked against the model's variables."""
    check.mapping(body, prefix.rstrip("."))
    if not body:
        raise InvalidInput(prefix.rstrip("."), "give a distribution for at least one variable")
    return {
        model.variable(name, f"{prefix}{name}").name: Distribution.parse(spec, f"{prefix}{name}.")
        for name, spec in body.items()
    }


def _summary(values: np.ndarray, percentiles: Sequence[int]) -> dict[str, Any]:
    points = np.percentile(values, percentiles)
    return {
        "mean": float(values.mean()),
        "std": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "percentiles": {f"p{p}": float(v) for p, v in zip(percentiles, points, strict=True)},
    }


class MonteCarlo:
    """Monte Carlo simulation of an appraisal's FNPV, ENPV and minimum DSCR.

    Parameters
    ----------
    n_draws : int
        Number of draws (100 to 100,000).
    random_state : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives the same results.
    dscr_covenant : float
        DSCR below which a draw breaches the lenders' covenant (1.0: debt not serviced;
        covenants of 1.05-1.20 are common).
    percentiles : sequence of int
        Percentiles reported, in percent.

    Attributes
    ----------
    fnpv_, enpv_ : ndarray of shape (n_draws,)
        Simulated FNPV and ENPV, EUR.
    min_dscr_ : ndarray of shape (n_draws,) or None
        Simulated minimum DSCR (``None`` without debt).
    p_npv_negative_, p_enpv_negative_ : float
        Shares of draws with FNPV < 0 and ENPV < 0.
    p_min_dscr_below_covenant_ : float or None
        Share of draws whose minimum DSCR is below ``dscr_covenant``.
    """

    def __init__(
        self,
        n_draws: int = 10_000,
        random_state: int | None = None,
        dscr_covenant: float = 1.0,
        percentiles: Sequence[int] = PERCENTILES,
    ) -> None:
        self.n_draws = n_draws
        self.random_state = random_state
        self.dscr_covenant = dscr_covenant
        self.percentiles = percentiles

    def fit(self, model: RiskModel, distributions: Mapping[str, Distribution]) -> MonteCarlo:
        """Draw every variable and evaluate all draws at once."""
        rng = np.random.default_rng(self.random_state)
        values = {}
        for name in sorted(distributions):
            change = distributions[name].sample_pct(rng, self.n_draws)
            values[name] = model.variables[name].base * (1.0 + change[:, None] / 100.0)
        outcomes = model.evaluate(values, self.n_draws)
        self.distributions_ = dict(distributions)
        self.fnpv_ = np.asarray(outcomes.fnpv, dtype=float)
        self.enpv_ = np.asarray(outcomes.enpv, dtype=float)
        self.min_dscr_ = outcomes.min_dscr
        self.p_npv_negative_ = float(np.mean(self.fnpv_ < 0))
        self.p_enpv_negative_ = float(np.mean(self.enpv_ < 0))
        self.p_min_dscr_below_covenant_ = (
            None if self.min_dscr_ is None else float(np.mean(self.min_dscr_ < self.dscr_covenant))
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        fnpv = _summary(self.fnpv_, self.percentiles)
        reasons: dict[str, str] = {}
        if self.min_dscr_ is None:
            reasons["p_min_dscr_below_covenant"] = "no debt in the appraisal"
        result: dict[str, Any] = {
            "n_draws": self.n_draws,
            "random_state": self.random_state,
            "distributions": {n: d.to_dict() for n, d in self.distributions_.items()},
            "p_npv_negative": self.p_npv_negative_,
            "p_enpv_negative": self.p_enpv_negative_,
            "dscr_covenant": self.dscr_covenant,
            "p_min_dscr_below_covenant": self.p_min_dscr_below_covenant_,
            **fnpv,
            "fnpv": fnpv,
            "enpv": _summary(self.enpv_, self.percentiles),
            "min_dscr": None
            if self.min_dscr_ is None
            else _summary(self.min_dscr_, self.percentiles),
            "reasons": reasons,
        }
        return _finite_or_none(result)


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_none(item) for key, item in value.items()}
    return value


def monte_carlo(
    request: AppraisalRequest | Mapping[str, Any],
    distributions: Mapping[str, Any],
    n_draws: int = 10_000,
    random_state: int | None = None,
    dscr_covenant: float = 1.0,
) -> dict[str, Any]:
    """Run a Monte Carlo simulation; ``distributions`` as in :class:`Distribution`.

    Returns ``{"p_npv_negative", "mean", "std", "percentiles", "fnpv", "enpv", "min_dscr",
    "p_enpv_negative", "p_min_dscr_below_covenant", ...}`` (top-level mean/std/percentiles are
    the FNPV's).
    """
    model = RiskModel.from_body(request)
    draws = check.integer(n_draws, "n_draws", minimum=100, maximum=MAX_DRAWS)
    if draws * model.request.flows.years > MAX_CELLS:
        raise InvalidInput(
            "n_draws", f"n_draws x years must be at most {MAX_CELLS:,} (use fewer draws)"
        )
    seed = None if random_state is None else check.integer(random_state, "random_state", minimum=0)
    covenant = check.number(dscr_covenant, "dscr_covenant", minimum=0.0, maximum=100.0)
    parsed = parse_distributions(distributions, model)
    return MonteCarlo(draws, seed, covenant).fit(model, parsed).to_dict()
