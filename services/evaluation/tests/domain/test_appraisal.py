"""The appraisal entry point: exact result keys, agreement with the primitives, validation."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.appraisal import RESULT_KEYS, appraise, parse_request
from services.evaluation.domain.calculators import calculate
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.templates import TEMPLATES

API_KEYS = {
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
}
FINANCING = {"gearing": 0.6, "rate": 0.05, "tenor_years": 6, "grace_years": 1}


def explicit_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cash_flows": {
            "investment": [1000, 0, 0, 0, 0, 0, 0, 0],
            "opex": [0, 40, 40, 40, 40, 40, 40, 40],
            "revenues": [0, 250, 250, 250, 250, 250, 250, 250],
            "residual_value": 100,
            "taxes": [0, 10, 10, 10, 10, 10, 10, 10],
        },
        "discount_rate": 0.05,
    }
    body.update(overrides)
    return body


def test_result_keys_are_exactly_the_api_names() -> None:
    assert set(RESULT_KEYS) == API_KEYS
    assert set(appraise(explicit_body()).to_dict()) == API_KEYS


class TestExplicitFlows:
    def test_financial_figures_match_numpy_financial_and_calculators(self) -> None:
        results = appraise(explicit_body()).to_dict()
        net = [-1000] + [200] * 6 + [300]
        # Independent computation: numpy_financial on the net flows.
        assert results["fnpv"] == pytest.approx(float(npf.npv(0.05, net)))
        assert results["firr"] == pytest.approx(float(npf.irr(net)))
        assert results["payback_years"] == pytest.approx(5.0)
        assert results["discounted_payback_years"] == pytest.approx(
            calculate("discounted-payback", {"cash_flows": net, "rate": 0.05})["value"]
        )
        # Investment only in year 0: the PI equals the calculator's PV(CF_1..n) / -CF_0.
        assert results["profitability_index"] == pytest.approx(
            calculate("profitability-index", {"cash_flows": net, "rate": 0.05})["value"]
        )
        assert results["roi"] == pytest.approx((sum(net)) / 1000)
        assert [r["net_cash_flow"] for r in results["cash_flows"]] == pytest.approx(net)

    def test_without_financing_the_debt_figures_are_none_with_reasons(self) -> None:
        results = appraise(explicit_body()).to_dict()
        for key in ("debt_schedule", "dscr_by_year", "min_dscr", "avg_dscr", "llcr", "equity_irr"):
            assert results[key] is None
            assert "financing" in results["reasons"][key]

    def test_financing(self) -> None:
        appraisal = appraise(explicit_body(financing=FINANCING))
        results = appraisal.to_dict()
        assert sum(r["principal"] for r in results["debt_schedule"]) == pytest.approx(600)
        assert results["debt_schedule"][0]["principal"] == 0.0  # grace year
        assert [r["year"] for r in results["dscr_by_year"]] == [1, 2, 3, 4, 5, 6]
        # CFADS = 250 - 40 - 10 = 200 a year.
        for row in results["dscr_by_year"]:
            assert row["dscr"] * row["debt_service"] == pytest.approx(200)
        assert results["min_dscr"] == min(r["dscr"] for r in results["dscr_by_year"])
        assert results["equity_irr"] > results["firr"]
        assert appraisal.bankability.grade in {"A", "B", "C", "D"}

    def test_economic_figures_use_the_social_discount_rate(self) -> None:
        body = explicit_body(
            economic={
                "cohesion_country": True,
                "co2_price": 100,
                "externalities": {"co2_tonnes": [0, 1, 1, 1, 1, 1, 1, 1]},
            }
        )
        results = appraise(body).to_dict()
        # Taxes are transfers: the economic flow is net + taxes + CO2 value.
        economic = [-1000] + [310] * 6 + [410]
        assert results["enpv"] == pytest.approx(float(npf.npv(0.05, economic)))
        assert results["err"] == pytest.approx(float(npf.irr(economic)))

    def test_funding_gap_with_financial_rate(self) -> None:
        results = appraise(explicit_body()).to_dict()
        assert results["funding_gap_rate"] == 0.0  # revenues repay the investment

    def test_multiple_irr_is_none_with_reason(self) -> None:
        body = {
            "cash_flows": {"investment": [100, 0, 132], "revenues": [0, 230, 0]},
        }
        results = appraise(body).to_dict()
        assert results["firr"] is None
        assert "not unique" in results["reasons"]["firr"]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize(
    "financing", [None, FINANCING, {"target_dscr": 1.3, "rate": 0.05, "tenor_years": 5}]
)
def test_every_template_appraises_to_json_without_nan(
    name: str, financing: dict[str, Any] | None
) -> None:
    body: dict[str, Any] = {"template": name}
    if financing is not None:
        body["financing"] = financing
    appraisal = appraise(body)
    results = appraisal.to_dict()
    json.dumps(results, allow_nan=False)
    json.dumps(appraisal.bankability.to_dict(), allow_nan=False)
    assert set(results) == API_KEYS
    for key in API_KEYS - {"reasons", "vfm", "recommended_forms", "cash_flows"}:
        if results[key] is None:
            assert results["reasons"][key]
    assert results["recommended_forms"]
    assert set(results["vfm"]) >= {"psc_npv", "ppp_npv", "vfm_amount", "vfm_percent"}
    assert appraisal.request.template_version == TEMPLATES[name].version


class TestRequestValidation:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "template"),
            ({"template": "led_public_lighting", "cash_flows": {"investment": [1, 0]}}, "template"),
            ({"template": "led_public_lighting", "inputs": {"lifetime": -1}}, "inputs.lifetime"),
            (
                {"template": "led_public_lighting", "inputs": {"energy_price": None, "x": 1}},
                "inputs.x",
            ),
            ({"template": "nope"}, "template"),
            (explicit_body(discount_rate=-1.5), "discount_rate"),
            (explicit_body(discount_rate=float("nan")), "discount_rate"),
            (explicit_body(cash_flows={"investment": [1, 0], "opex": [1]}), "cash_flows.opex"),
            (explicit_body(cash_flows={"investment": []}), "cash_flows.investment"),
            (explicit_body(inputs={"points": 3}), "inputs"),
            (
                explicit_body(financing={"gearing": 0.5, "rate": 0.05, "tenor_years": 9}),
                "financing.tenor_years",
            ),
            (
                {"template": "car_pooling", "economic": {"externalities": {"co2_tonnes": [1]}}},
                "economic.externalities",
            ),
            (explicit_body(revenue_kind="tolls"), "revenue_kind"),
            (explicit_body(unknown=1), "unknown"),
            (explicit_body(vfm={"ppp_payments": [1, 2, 3]}), "vfm.ppp_payments"),
        ],
    )
    def test_invalid(self, body: dict[str, Any], field: str) -> None:
        with pytest.raises(InvalidInput) as raised:
            appraise(body)
        assert raised.value.field == field

    def test_provenance_keeps_what_reproduces_the_results(self) -> None:
        appraisal = appraise({"template": "car_pooling", "inputs": {"users": 500}})
        record = appraisal.provenance()
        json.dumps(record, allow_nan=False)
        assert record["template"] == "car_pooling"
        assert record["template_version"] == TEMPLATES["car_pooling"].version
        assert record["inputs"]["users"] == 500
        assert record["economic"]["social_discount_rate"] == 0.03
        replay = appraise({"template": "car_pooling", "inputs": record["inputs"]})
        assert replay.to_dict() == appraisal.to_dict()

    def test_template_inputs_are_resolved_with_defaults(self) -> None:
        request = parse_request({"template": "led_public_lighting", "inputs": {"points": 250}})
        assert request.inputs is not None
        assert request.inputs["points"] == 250
        assert request.inputs["lifetime"] == 15
        assert request.template_name == "led_public_lighting"
        assert request.revenue_kind == "energy_savings"

    def test_extreme_rate_overflows_to_none_not_inf(self) -> None:
        body = explicit_body(
            discount_rate=-0.9999999,
            cash_flows={"investment": [1.0] + [0.0] * 150, "revenues": [0.0] + [1e6] * 150},
        )
        results = appraise(body).to_dict()
        json.dumps(results, allow_nan=False)
        assert results["fnpv"] is None
        assert results["reasons"]["fnpv"]


def test_flows_arrays_are_not_mutated_by_appraisal() -> None:
    request = parse_request(explicit_body(financing=FINANCING))
    before = np.copy(request.flows.net)
    appraise(request)
    appraise(request)
    assert list(request.flows.net) == list(before)


amounts = st.floats(min_value=0.0, max_value=1e9)


@settings(max_examples=40, deadline=None)
@given(
    years=st.integers(min_value=2, max_value=40),
    data=st.data(),
    rate=st.floats(min_value=-0.5, max_value=1.0),
    gearing=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_valid_explicit_project_appraises_to_strict_json(
    years: int, data: st.DataObject, rate: float, gearing: float
) -> None:
    series = {
        name: data.draw(st.lists(amounts, min_size=years, max_size=years))
        for name in ("investment", "opex", "revenues")
    }
    body = {
        "cash_flows": series,
        "discount_rate": rate,
        "financing": {"gearing": gearing, "rate": 0.05, "tenor_years": years - 1},
    }
    results = appraise(body).to_dict()
    json.dumps(results, allow_nan=False)
    assert set(results) == API_KEYS
    for key, value in results.items():
        if value is None:
            assert results["reasons"][key]
