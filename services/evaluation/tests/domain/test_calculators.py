"""The stateless calculators: dispatch table, result shape, published examples, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.evaluation.domain.calculators import CALCULATORS, calculate
from services.evaluation.domain.errors import InvalidInput

API_METRICS = {
    "npv",
    "xnpv",
    "irr",
    "xirr",
    "mirr",
    "payback",
    "discounted-payback",
    "profitability-index",
    "annuity",
    "debt-schedule",
    "dscr",
    "llcr",
    "sculpted-debt",
}
EXCEL_VALUES = [-10_000, 2_750, 4_250, 3_250, 2_750]
EXCEL_DATES = ["2008-01-01", "2008-03-01", "2008-10-30", "2009-02-15", "2009-04-01"]

# One valid body per metric, each a published example where one exists.
EXAMPLES: dict[str, tuple[dict[str, Any], float | None]] = {
    # numpy-financial docs, npf.npv
    "npv": ({"cash_flows": [-40_000, 5_000, 8_000, 12_000, 30_000], "rate": 0.08}, 3065.2227),
    # Microsoft Excel docs, XNPV
    "xnpv": ({"cash_flows": EXCEL_VALUES, "dates": EXCEL_DATES, "rate": 0.09}, 2086.6476),
    # numpy-financial docs, npf.irr
    "irr": ({"cash_flows": [-100, 39, 59, 55, 20]}, 0.2809484),
    # Microsoft Excel docs, XIRR
    "xirr": ({"cash_flows": EXCEL_VALUES, "dates": EXCEL_DATES}, 0.3733625),
    # Microsoft Excel docs, MIRR (12.61 %)
    "mirr": (
        {
            "cash_flows": [-120_000, 39_000, 30_000, 21_000, 37_000, 46_000],
            "finance_rate": 0.10,
            "reinvest_rate": 0.12,
        },
        0.1260941,
    ),
    # By hand: 2 years + 300/500
    "payback": ({"cash_flows": [-1000, 300, 400, 500, 600]}, 2.6),
    # Brute-force loop in test_indicators.py
    "discounted-payback": ({"cash_flows": [-1000, 300, 400, 500, 600], "rate": 0.1}, 3.0513333),
    # By hand: PV(500 x 3 at 10 %) / 1000
    "profitability-index": ({"cash_flows": [-1000, 500, 500, 500], "rate": 0.1}, 1.2434260),
    # numpy-financial docs, npf.pmt
    "annuity": (
        {"principal": 200_000, "rate": 0.075, "years": 15, "periods_per_year": 12},
        1854.0247,
    ),
    # By hand: interest 100 + 75 + 50 + 25
    "debt-schedule": (
        {"principal": 1000, "rate": 0.1, "years": 4, "amortization": "constant_principal"},
        250.0,
    ),
    # By hand: constant principal 250 + interest 100 = 350 in year 1, the tightest year
    "dscr": (
        {
            "cfads": [400, 400, 400, 400],
            "principal": 1000,
            "rate": 0.1,
            "years": 4,
            "amortization": "constant_principal",
        },
        400 / 350,
    ),
    # By hand: 298.42 / 200
    "llcr": ({"cfads": [120, 120, 120], "debt_outstanding": 200, "rate": 0.1}, 1.4921112),
    # PV of CFADS / 1.25 at 5 %: (100/1.05 + 100/1.05^2) / 1.25
    "sculpted-debt": (
        {"cfads": [100, 100], "target_dscr": 1.25, "rate": 0.05},
        (100 / 1.05 + 100 / 1.05**2) / 1.25,
    ),
}


def test_dispatch_table_has_exactly_the_api_metrics() -> None:
    assert set(CALCULATORS) == API_METRICS
    assert set(EXAMPLES) == API_METRICS


@pytest.mark.parametrize("metric", sorted(API_METRICS))
def test_published_example_and_result_shape(metric: str) -> None:
    body, expected = EXAMPLES[metric]
    result = calculate(metric, body)
    assert result["metric"] == metric
    assert result["value"] == pytest.approx(expected, rel=1e-6)
    assert "reason" not in result
    json.dumps(result, allow_nan=False)


class TestExtras:
    def test_irr_with_two_roots(self) -> None:
        result = calculate("irr", {"cash_flows": [-100, 230, -132]})
        assert result["value"] is None
        assert result["roots"] == pytest.approx([0.1, 0.2])
        assert "not unique" in result["reason"]

    def test_payback_never(self) -> None:
        result = calculate("payback", {"cash_flows": [-100, 10, 10]})
        assert result == {"metric": "payback", "value": None, "reason": "never"}

    def test_npv_mid_year(self) -> None:
        end = calculate("npv", {"cash_flows": [-100, 60, 60], "rate": 0.1})
        mid = calculate("npv", {"cash_flows": [-100, 60, 60], "rate": 0.1, "timing": "mid"})
        assert mid["value"] == pytest.approx(-100 + 60 / 1.1**0.5 + 60 / 1.1**1.5)
        assert mid["timing"] == "mid"
        assert end["timing"] == "end"

    def test_annuity_total_interest(self) -> None:
        result = calculate("annuity", {"principal": 100_000, "rate": 0.05, "years": 5})
        assert result["payment"] == pytest.approx(23_097.4798)
        assert result["total_interest"] == pytest.approx(23_097.4798 * 5 - 100_000)

    def test_debt_schedule_rows(self) -> None:
        result = calculate(
            "debt-schedule",
            {
                "principal": 1000,
                "rate": 0.1,
                "years": 5,
                "amortization": "annuity",
                "grace_years": 2,
            },
        )
        rows = result["rows"]
        assert [r["year"] for r in rows] == [1, 2, 3, 4, 5]
        assert set(rows[0]) == {
            "year",
            "opening",
            "interest",
            "principal",
            "debt_service",
            "closing",
        }
        assert rows[0]["principal"] == 0.0
        assert rows[-1]["closing"] == 0.0
        assert sum(r["principal"] for r in rows) == pytest.approx(1000)

    def test_dscr_extras(self) -> None:
        body, _ = EXAMPLES["dscr"]
        result = calculate("dscr", {**body, "cfads": [300, 400, 400, 400]})
        assert result["min_dscr"] == pytest.approx(300 / 350)
        assert result["avg_dscr"] == pytest.approx(
            (300 / 350 + 400 / 325 + 400 / 300 + 400 / 275) / 4
        )
        assert result["years_below_1"] == [1]
        assert result["dscr_by_year"][0]["cannot_service_debt"] is True

    def test_sculpted_debt_schedule_has_target_dscr(self) -> None:
        result = calculate(
            "sculpted-debt", {"cfads": [100, 150, 90], "target_dscr": 1.4, "rate": 0.07}
        )
        assert [r["dscr"] for r in result["dscr_by_year"]] == pytest.approx([1.4] * 3)
        assert result["debt_size"] == result["value"]
        assert result["rows"][-1]["closing"] == 0.0

    def test_profitability_index_without_outlay(self) -> None:
        result = calculate("profitability-index", {"cash_flows": [100, 10], "rate": 0.1})
        assert result["value"] is None
        assert result["reason"]


@pytest.mark.parametrize(
    ("metric", "body", "field"),
    [
        ("npv", {"cash_flows": [], "rate": 0.1}, "cash_flows"),
        ("npv", {"cash_flows": [1, 2, float("nan")], "rate": 0.1}, "cash_flows[2]"),
        ("npv", {"cash_flows": [1, float("inf")], "rate": 0.1}, "cash_flows[1]"),
        ("npv", {"cash_flows": [1, "2"], "rate": 0.1}, "cash_flows[1]"),
        ("npv", {"cash_flows": [1, True], "rate": 0.1}, "cash_flows[1]"),
        ("npv", {"cash_flows": "1,2", "rate": 0.1}, "cash_flows"),
        ("npv", {"cash_flows": [1, 2], "rate": -1.0}, "rate"),
        ("npv", {"cash_flows": [1, 2], "rate": -2.5}, "rate"),
        ("npv", {"cash_flows": [1, 2]}, "rate"),
        ("npv", {"cash_flows": [1, 2], "rate": 0.1, "timing": "start"}, "timing"),
        ("npv", {"cash_flows": [1, 2], "rate": 0.1, "rates": 0.1}, "rates"),
        ("npv", {"cash_flows": [1.0] * 202, "rate": 0.1}, "cash_flows"),
        ("irr", {"cash_flows": [-1]}, "cash_flows"),
        ("xnpv", {"cash_flows": [-1, 2], "dates": ["2020-01-01"], "rate": 0.1}, "dates"),
        (
            "xnpv",
            {"cash_flows": [-1, 2], "dates": ["2020-01-01", "2019-12-31"], "rate": 0.1},
            "dates[1]",
        ),
        ("xirr", {"cash_flows": [-1, 2], "dates": ["2020-01-01", "not a date"]}, "dates[1]"),
        ("xirr", {"cash_flows": [-1, 2], "dates": ["2020-01-01", "2020-01-01"]}, "dates"),
        ("mirr", {"cash_flows": [-1, 2], "finance_rate": 0.1}, "reinvest_rate"),
        ("annuity", {"principal": 0, "rate": 0.05, "years": 5}, "principal"),
        ("annuity", {"principal": 100, "rate": 0.05, "years": -5}, "years"),
        ("annuity", {"principal": 100, "rate": 0.05, "years": 2.5}, "years"),
        (
            "annuity",
            {"principal": 100, "rate": 0.05, "years": 5, "periods_per_year": 0},
            "periods_per_year",
        ),
        ("debt-schedule", {"principal": 100, "rate": 0.05, "years": 5}, "amortization"),
        (
            "debt-schedule",
            {
                "principal": 100,
                "rate": 0.05,
                "years": 5,
                "amortization": "annuity",
                "grace_years": 5,
            },
            "grace_years",
        ),
        (
            "dscr",
            {
                "cfads": [1, 2],
                "principal": 100,
                "rate": 0.05,
                "years": 3,
                "amortization": "annuity",
            },
            "years",
        ),
        ("llcr", {"cfads": [1, 2], "debt_outstanding": -5, "rate": 0.05}, "debt_outstanding"),
        ("sculpted-debt", {"cfads": [1, 2], "target_dscr": 0, "rate": 0.05}, "target_dscr"),
    ],
)
def test_invalid_input_names_the_field(metric: str, body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        calculate(metric, body)
    assert raised.value.field == field
    assert raised.value.errors == [{"field": field, "reason": raised.value.reason}]


def test_unknown_metric() -> None:
    with pytest.raises(InvalidInput) as raised:
        calculate("wacc", {})
    assert raised.value.field == "metric"


def test_calculators_accept_none_for_optional_fields() -> None:
    # A request model serialised with None defaults reads like one without the keys.
    result = calculate("npv", {"cash_flows": [-1, 2], "rate": 0.1, "timing": None})
    assert result["timing"] == "end"
