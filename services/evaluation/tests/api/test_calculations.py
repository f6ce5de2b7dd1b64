"""Stateless calculators over HTTP, against published worked examples."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


class TestCalculators:
    def test_npv_numpy_financial_example(self, client: TestClient) -> None:
        # numpy-financial documentation, npf.npv: npv(0.08, [-40000, 5000, 8000, 12000, 30000])
        body = {"cash_flows": [-40_000, 5_000, 8_000, 12_000, 30_000], "rate": 0.08}
        answer = client.post("/v1/calculations/npv", json=body).json()
        assert answer["metric"] == "npv"
        assert answer["value"] == pytest.approx(3065.22, abs=0.01)

    def test_xirr_excel_example(self, client: TestClient) -> None:
        # Microsoft Excel documentation, XIRR: 0.373362535
        body = {
            "cash_flows": [-10_000, 2_750, 4_250, 3_250, 2_750],
            "dates": ["2008-01-01", "2008-03-01", "2008-10-30", "2009-02-15", "2009-04-01"],
        }
        answer = client.post("/v1/calculations/xirr", json=body).json()
        assert answer["value"] == pytest.approx(0.373362535, abs=1e-8)

    def test_several_irr_roots_give_null_with_the_roots(self, client: TestClient) -> None:
        answer = client.post("/v1/calculations/irr", json={"cash_flows": [-100, 230, -132]}).json()
        assert answer["value"] is None
        assert answer["reason"]
        assert sorted(round(r, 6) for r in answer["roots"]) == [0.1, 0.2]

    def test_payback_never_reached(self, client: TestClient) -> None:
        answer = client.post("/v1/calculations/payback", json={"cash_flows": [-100, 10, 10]}).json()
        assert answer["value"] is None
        assert answer["reason"] == "never"

    def test_debt_schedule_closes_at_zero(self, client: TestClient) -> None:
        body = {"principal": 1_000_000, "rate": 0.05, "years": 10, "grace_years": 2}
        answer = client.post("/v1/calculations/debt-schedule", json=body).json()
        rows = answer["rows"]
        assert len(rows) == 10
        assert rows[0]["principal"] == 0
        assert rows[-1]["closing"] == pytest.approx(0, abs=1e-6)
        assert sum(r["principal"] for r in rows) == pytest.approx(1_000_000)

    def test_bad_bodies_are_named(self, client: TestClient) -> None:
        response = client.post("/v1/calculations/npv", json={"cash_flows": [], "rate": -2})
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"cash_flows", "rate"}
        mismatch = client.post(
            "/v1/calculations/xnpv",
            json={"cash_flows": [1, 2], "dates": ["2020-01-01"], "rate": 0.1},
        )
        assert mismatch.status_code == 422
