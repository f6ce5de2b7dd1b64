"""Sensitivity, switching values and Monte Carlo."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy_financial as npf
import pytest

from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.risk import (
    Distribution,
    MonteCarlo,
    RiskModel,
    monte_carlo,
    sensitivity,
)

YEARS = 25
RATE = 0.05


def linear_project(financing: dict[str, Any] | None = None) -> dict[str, Any]:
    """A 25-year project whose FNPV is linear in each cash-flow component."""
    body: dict[str, Any] = {
        "cash_flows": {
            "investment": [1_000_000.0] + [0.0] * YEARS,
            "opex": [0.0] + [40_000.0] * YEARS,
            "revenues": [0.0] + [120_000.0] * YEARS,
        },
        "discount_rate": RATE,
    }
    if financing is not None:
        body["financing"] = financing
    return body


def pv(values: list[float]) -> float:
    return float(npf.npv(RATE, values))


PV_REVENUES = pv([0.0] + [120_000.0] * YEARS)
FNPV_0 = pv([-1_000_000.0] + [80_000.0] * YEARS)  # about +127,500


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


class TestSensitivity:
    def test_linear_response_and_elasticity(self) -> None:
        result = sensitivity(linear_project(), variables=["revenues"], changes_pct=[-10, 10])
        row = result["sensitivity"][0]
        assert result["base"]["fnpv"] == pytest.approx(FNPV_0)
        # FNPV(+10 %) = FNPV_0 + 0.1 PV(revenues), by linearity.
        assert row["cases"][1]["fnpv"] == pytest.approx(FNPV_0 + 0.1 * PV_REVENUES)
        assert row["cases"][0]["fnpv"] == pytest.approx(FNPV_0 - 0.1 * PV_REVENUES)
        assert row["elasticity_fnpv"] == pytest.approx(PV_REVENUES / abs(FNPV_0))
        assert row["critical"] is True  # a 1 % change moves the FNPV by more than 1 %
        assert row["cases"][1]["firr"] == pytest.approx(
            float(npf.irr([-1_000_000.0] + [92_000.0] * YEARS))
        )

    def test_switching_value_equals_the_closed_form(self) -> None:
        result = sensitivity(linear_project(), variables=["revenues", "investment"])
        revenues = result["switching_values"]["revenues"]["fnpv"]
        investment = result["switching_values"]["investment"]["fnpv"]
        # FNPV_0 + s PV(revenues) = 0  =>  s = -FNPV_0 / PV(revenues)
        assert revenues["change_pct"] == pytest.approx(-100 * FNPV_0 / PV_REVENUES, abs=1e-9)
        assert investment["change_pct"] == pytest.approx(100 * FNPV_0 / 1_000_000, abs=1e-9)
        assert revenues["value"] == pytest.approx(1 + revenues["change_pct"] / 100)

    def test_opex_switching_value(self) -> None:
        result = sensitivity(linear_project(), variables=["opex"])
        switching = result["switching_values"]["opex"]["fnpv"]
        # FNPV_0 > 0: opex must rise by FNPV_0 / PV(opex) (about 23 %) to cancel it.
        assert switching["change_pct"] == pytest.approx(
            100 * FNPV_0 / pv([0.0] + [40_000.0] * YEARS)
        )

    def test_no_switching_value_for_a_variable_the_fnpv_ignores(self) -> None:
        result = sensitivity(linear_project(), variables=["co2_price"])
        switching = result["switching_values"]["co2_price"]["fnpv"]
        assert switching["change_pct"] is None
        assert "does not depend" in switching["reason"]

    def test_no_switching_value_in_the_scanned_range(self) -> None:
        body = linear_project()
        body["cash_flows"]["revenues"] = [0.0] + [1_000_000.0] * YEARS
        switching = sensitivity(body, variables=["opex"])["switching_values"]["opex"]["fnpv"]
        # Opex would have to rise by about 2,200 % (beyond the +1000 % scanned) to cancel it.
        assert switching["change_pct"] is None
        assert "keeps its sign" in switching["reason"]

    def test_template_variables(self) -> None:
        result = sensitivity({"template": "led_public_lighting"}, variables=["energy_price"])
        switching = result["switching_values"]["energy_price"]["fnpv"]
        assert switching["change_pct"] < 0
        # Independent check: FNPV at the switching price is zero (annuity factor at 4 %).
        factor = float(np.sum(1.04 ** -np.arange(1, 16)))
        fnpv = factor * (1000 * 290 * switching["value"] + 10_000) - 400_000
        assert fnpv == pytest.approx(0.0, abs=1e-4)

    def test_unknown_variable(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            sensitivity(linear_project(), variables=["price"])
        assert raised.value.field == "variables[0]"

    def test_bad_change(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            sensitivity(linear_project(), changes_pct=[10, -100])
        assert raised.value.field == "changes_pct[1]"


REVENUE_NORMAL = {"revenues": {"distribution": "normal", "sd_pct": 10}}


class TestMonteCarlo:
    def test_same_seed_same_results_other_seed_other_results(self) -> None:
        first = monte_carlo(linear_project(), REVENUE_NORMAL, 10_000, random_state=7)
        again = monte_carlo(linear_project(), REVENUE_NORMAL, 10_000, random_state=7)
        other = monte_carlo(linear_project(), REVENUE_NORMAL, 10_000, random_state=8)
        assert first == again
        assert first["mean"] != other["mean"]

    def test_probability_of_negative_npv_matches_the_normal_formula(self) -> None:
        # Revenues ~ Normal(base, 10 % of base) make FNPV ~ Normal(FNPV_0, 0.1 PV(revenues)),
        # so P(FNPV < 0) = Phi(-FNPV_0 / sigma), about 0.225 here.
        sigma = 0.1 * PV_REVENUES
        expected = normal_cdf(-FNPV_0 / sigma)
        assert 0.15 < expected < 0.3
        result = monte_carlo(linear_project(), REVENUE_NORMAL, 10_000, random_state=2024)
        standard_error = math.sqrt(expected * (1 - expected) / 10_000)
        assert result["p_npv_negative"] == pytest.approx(expected, abs=4 * standard_error)
        assert result["mean"] == pytest.approx(FNPV_0, abs=4 * sigma / 100)
        assert result["std"] == pytest.approx(sigma, rel=0.03)
        # Percentiles of the normal: P5 = mean - 1.645 sigma.
        assert result["percentiles"]["p5"] == pytest.approx(FNPV_0 - 1.6449 * sigma, rel=0.05)
        assert set(result["percentiles"]) == {"p5", "p10", "p50", "p90", "p95"}

    def test_draws_are_a_matrix_of_draws_by_years(self) -> None:
        model = RiskModel.from_body(linear_project())
        fitted = MonteCarlo(n_draws=10_000, random_state=1).fit(
            model, {"revenues": Distribution("uniform", min_pct=-10, max_pct=10)}
        )
        assert fitted.fnpv_.shape == (10_000,)
        # Uniform +-10 % of revenues bounds FNPV to FNPV_0 +- 0.1 PV(revenues).
        assert fitted.fnpv_.min() >= FNPV_0 - 0.1 * PV_REVENUES - 1e-6
        assert fitted.fnpv_.max() <= FNPV_0 + 0.1 * PV_REVENUES + 1e-6

    def test_dscr_covenant_probability(self) -> None:
        financing = {"gearing": 0.7, "rate": 0.05, "tenor_years": 15}
        model = RiskModel.from_body(linear_project(financing))
        distributions = {
            "revenues": Distribution("triangular", min_pct=-40, mode_pct=0, max_pct=20)
        }
        fitted = MonteCarlo(10_000, random_state=3, dscr_covenant=1.1).fit(model, distributions)
        assert fitted.min_dscr_ is not None
        assert fitted.p_min_dscr_below_covenant_ == pytest.approx(np.mean(fitted.min_dscr_ < 1.1))
        # The debt service is fixed: min DSCR = (revenue x factor - opex) / max debt service.
        service = model.debt_service
        lowest = (120_000 * 0.6 - 40_000) / service.max()
        assert fitted.min_dscr_.min() >= lowest - 1e-9
        assert 0 < fitted.p_min_dscr_below_covenant_ < 1
        always = MonteCarlo(1000, random_state=3, dscr_covenant=100).fit(model, distributions)
        assert always.p_min_dscr_below_covenant_ == 1.0

    def test_template_monte_carlo_is_json_ready(self) -> None:
        result = monte_carlo(
            {"template": "car_pooling"},
            {
                "fee_per_trip": {"distribution": "triangular", "min_pct": -30, "max_pct": 10},
                "co2_price": {"distribution": "uniform", "min_pct": -50, "max_pct": 150},
            },
            n_draws=2000,
            random_state=5,
        )
        assert result["p_min_dscr_below_covenant"] is None
        assert result["reasons"]["p_min_dscr_below_covenant"]
        assert result["enpv"]["percentiles"]["p50"] > 0
        assert result["n_draws"] == 2000

    @pytest.mark.parametrize(
        ("distributions", "field"),
        [
            ({"price": {"distribution": "normal", "sd_pct": 5}}, "distributions.price"),
            ({"revenues": {"distribution": "beta"}}, "distributions.revenues.distribution"),
            ({"revenues": {"distribution": "normal"}}, "distributions.revenues.sd_pct"),
            (
                {"revenues": {"distribution": "normal", "sd_pct": -5}},
                "distributions.revenues.sd_pct",
            ),
            (
                {
                    "revenues": {
                        "distribution": "triangular",
                        "min_pct": 0,
                        "mode_pct": 20,
                        "max_pct": 10,
                    }
                },
                "distributions.revenues.mode_pct",
            ),
            (
                {"revenues": {"distribution": "uniform", "min_pct": 10, "max_pct": -10}},
                "distributions.revenues.max_pct",
            ),
            (
                {"revenues": {"distribution": "uniform", "min_pct": 1, "max_pct": 2, "sd_pct": 1}},
                "distributions.revenues.sd_pct",
            ),
            ({}, "distributions"),
        ],
    )
    def test_invalid_distributions(self, distributions: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            monte_carlo(linear_project(), distributions, 1000, random_state=1)
        assert raised.value.field == field

    def test_invalid_draws(self) -> None:
        with pytest.raises(InvalidInput) as raised:
            monte_carlo(linear_project(), REVENUE_NORMAL, 10, random_state=1)
        assert raised.value.field == "n_draws"
