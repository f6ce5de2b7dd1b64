from __future__ import annotations

import numpy_financial as npf
import pytest
from fastapi.testclient import TestClient

from services.catalogue.tests.builders import auth, register
from services.evaluation.app import create_app
from services.evaluation.settings import EvaluationSettings
from shared.testing.transport import unreachable_transport

LED = {
    "template": "led_public_lighting",
    "inputs": {"points": 12000, "energy_price": 0.22, "cost_per_point": 550, "lifetime": 15},
    "financing": {"gearing": 0.7, "rate": 0.05, "tenor_years": 10, "amortization": "annuity"},
}


class TestTemplates:
    def test_every_template_lists_its_inputs_with_units_defaults_and_ranges(
        self, client: TestClient
    ) -> None:
        items = client.get("/v1/templates").json()["items"]
        names = {t["name"] for t in items}
        assert {"led_public_lighting", "traffic_lights", "building_energy_epc"} <= names
        assert len(items) == 7
        for template in items:
            for spec in template["inputs"]:
                assert spec["unit"]
                assert spec["min"] <= spec["default"] <= spec["max"]
                assert spec["source"]

    def test_unknown_template_is_404(self, client: TestClient) -> None:
        assert client.get("/v1/templates/teleporter").status_code == 404


class TestCreatingAppraisals:
    def test_an_led_retrofit_is_appraised_stored_and_summarised(
        self, client: TestClient, municipality_key: str
    ) -> None:
        created = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key))
        assert created.status_code == 201
        appraisal = created.json()
        results = appraisal["results"]
        for key in ("fnpv", "firr", "min_dscr", "llcr", "equity_irr", "enpv", "bcr", "vfm"):
            assert key in results
        assert results["fnpv"] > 0
        assert appraisal["template_version"]
        assert appraisal["request"]["resolved"]["inputs"]["points"] == 12000

        fetched = client.get(created.headers["Location"])
        assert fetched.json() == appraisal
        assert fetched.headers["ETag"] == '"1"'
        summary = client.get(f"/v1/appraisals/{appraisal['id']}/bankability").json()
        assert summary["min_dscr"] == results["min_dscr"]
        assert summary["grade"] in {"A", "B", "C", "D"}
        assert summary["reasons"]

    def test_explicit_flows_match_numpy_financial(
        self, client: TestClient, municipality_key: str
    ) -> None:
        # independent library: numpy-financial's npv/irr on the same net flows
        body = {
            "cash_flows": {
                "investment": [1_000_000, 0, 0, 0, 0, 0],
                "opex": [0, 20_000, 20_000, 20_000, 20_000, 20_000],
                "revenues": [0, 260_000, 260_000, 260_000, 260_000, 260_000],
            },
            "discount_rate": 0.05,
        }
        results = client.post("/v1/appraisals", json=body, headers=auth(municipality_key)).json()[
            "results"
        ]
        net = [-1_000_000] + [240_000] * 5
        assert results["fnpv"] == pytest.approx(npf.npv(0.05, net), abs=0.01)
        assert results["firr"] == pytest.approx(npf.irr(net), abs=1e-9)

    def test_replaying_the_stored_request_gives_the_same_results(
        self, client: TestClient, municipality_key: str
    ) -> None:
        first = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        again = client.post(
            "/v1/appraisals", json=first["request"]["body"], headers=auth(municipality_key)
        ).json()
        assert again["results"] == first["results"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"template": "led_public_lighting", "inputs": {"lifetime": -3}}, "inputs.lifetime"),
            ({"template": "led_public_lighting", "discount_rate": -1.5}, "discount_rate"),
            ({"cash_flows": {"investment": []}}, "cash_flows.investment"),
            ({"template": "led_public_lighting", "inputs": {"colour": 3}}, "inputs.colour"),
            ({"template": "nope"}, "template"),
            ({}, "template"),
        ],
    )
    def test_bad_inputs_are_named(
        self, client: TestClient, municipality_key: str, body: dict, field: str
    ) -> None:
        response = client.post("/v1/appraisals", json=body, headers=auth(municipality_key))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}

    def test_nan_is_refused(self, client: TestClient, municipality_key: str) -> None:
        response = client.post(
            "/v1/appraisals",
            content=b'{"cash_flows": {"investment": [NaN, 1]}}',
            headers={**auth(municipality_key), "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"].startswith("cash_flows.investment")

    def test_a_key_is_required_and_checked_with_catalogue(self, client: TestClient) -> None:
        assert client.post("/v1/appraisals", json=LED).status_code == 401
        forged = {"Authorization": "Bearer cfk_aaaaaaaaaa_nope"}
        assert client.post("/v1/appraisals", json=LED, headers=forged).status_code == 401

    def test_writes_fail_clearly_when_catalogue_is_down(
        self, settings: EvaluationSettings, municipality_key: str
    ) -> None:
        app = create_app(settings, catalogue_transport=unreachable_transport())
        with TestClient(app) as isolated:
            response = isolated.post("/v1/appraisals", json=LED, headers=auth(municipality_key))
            assert response.status_code == 503
            assert isolated.get("/v1/templates").status_code == 200
            readiness = isolated.get("/readyz")
            assert readiness.status_code == 503
            assert readiness.json()["checks"]["catalogue"].startswith("failing")


class TestRiskAnalyses:
    def test_sensitivity_is_kept_with_the_appraisal(
        self, client: TestClient, municipality_key: str
    ) -> None:
        appraisal = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        response = client.post(
            f"/v1/appraisals/{appraisal['id']}/sensitivity",
            json={"changes_pct": [-20, 20]},
            headers=auth(municipality_key),
        )
        assert response.status_code == 200
        analysis = response.json()
        assert analysis["sensitivity"]
        stored = client.get(f"/v1/appraisals/{appraisal['id']}")
        assert stored.json()["results"]["sensitivity"] == analysis["sensitivity"]
        assert stored.headers["ETag"] == '"2"'

    def test_monte_carlo_keeps_its_seed_and_reproduces(
        self, client: TestClient, municipality_key: str
    ) -> None:
        appraisal = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        url = f"/v1/appraisals/{appraisal['id']}/monte-carlo"
        body = {
            "distributions": {"energy_price": {"distribution": "normal", "sd_pct": 25}},
            "n_draws": 2000,
        }
        first = client.post(url, json=body, headers=auth(municipality_key)).json()
        assert 0 <= first["p_npv_negative"] <= 1
        seed = first["random_state"]
        again = client.post(
            url, json={**body, "random_state": seed}, headers=auth(municipality_key)
        ).json()
        assert again["percentiles"] == first["percentiles"]
        stored = client.get(f"/v1/appraisals/{appraisal['id']}").json()["results"]
        assert stored["monte_carlo"]["random_state"] == seed

    def test_only_the_owner_adds_analyses(
        self, client: TestClient, catalogue: TestClient, municipality_key: str
    ) -> None:
        appraisal = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        _other, other_key = register(catalogue, kind="municipality", name="Milano")
        response = client.post(
            f"/v1/appraisals/{appraisal['id']}/sensitivity", json={}, headers=auth(other_key)
        )
        assert response.status_code == 403

    def test_an_unknown_variable_is_named(self, client: TestClient, municipality_key: str) -> None:
        appraisal = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        response = client.post(
            f"/v1/appraisals/{appraisal['id']}/monte-carlo",
            json={"distributions": {"unicorns": {"distribution": "normal", "sd_pct": 5}}},
            headers=auth(municipality_key),
        )
        assert response.status_code == 422
        assert "unicorns" in response.json()["errors"][0]["field"]


class TestBankabilityPreview:
    def test_template_inputs_give_the_same_summary_as_a_stored_appraisal(
        self, client: TestClient, municipality_key: str
    ) -> None:
        stored = client.post("/v1/appraisals", json=LED, headers=auth(municipality_key)).json()
        preview = client.post("/v1/calculations/bankability", json=LED)
        assert preview.status_code == 200
        assert preview.json() == {**stored["bankability"], "appraisal_id": None}
        assert client.get(f"/v1/appraisals/{stored['id'] + 1}").status_code == 404
