"""Issue 5's end-to-end flow over HTTP between real processes: a supplier registers, a need is
posted, the supplier is ranked with its explanation; with evaluation stopped the lender answer
is degraded (thresholds not evaluated) but correct, and recovers when evaluation is back."""

from __future__ import annotations

import httpx

from tests.e2e.processes import ServiceProcesses, wait_for

LED_SUPPLIER = {
    "kind": "supplier",
    "name": "Lumen Street Lighting",
    "country": "IT",
    "description": "LED street lighting retrofits with remote management",
    "cpv_codes": ["34928500"],
    "nuts_codes": ["ITC"],
    "contract_forms": ["epc", "ppp"],
    "project_size": {
        "min": {"amount": 500_000, "currency": "EUR"},
        "max": {"amount": 20_000_000, "currency": "EUR"},
    },
}
LENDER = {
    "kind": "lender",
    "name": "Banca Verde",
    "country": "IT",
    "nuts_codes": ["IT"],
    "contract_forms": ["epc", "ppp"],
    "ticket": {
        "min": {"amount": 1_000_000, "currency": "EUR"},
        "max": {"amount": 50_000_000, "currency": "EUR"},
    },
    "min_dscr": 1.2,
}
NEED = {
    "title": "Riqualificazione LED dell'illuminazione pubblica",
    "description": "LED street lighting with remote management for 12,000 points",
    "category": "public_lighting",
    "cpv_codes": ["34928500"],
    "nuts_code": "ITC11",
    "budget": {"amount": 4_500_000, "currency": "EUR"},
    "contract_forms": ["epc"],
    "appraisal": {
        "template": "led_public_lighting",
        "inputs": {"points": 12000, "energy_price": 0.22, "cost_per_point": 550},
        "financing": {"gearing": 0.7, "rate": 0.05, "tenor_years": 10},
    },
}


def register(catalogue: str, organisation: dict) -> dict:
    response = httpx.post(
        f"{catalogue}/v1/registrations",
        json={"organisation": organisation, "contact_email": "e2e@example.org"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_registered_supplier_is_ranked_and_lenders_degrade_without_evaluation(
    stack: ServiceProcesses,
) -> None:
    catalogue, matching = stack.url("catalogue"), stack.url("matching")
    supplier = register(catalogue, LED_SUPPLIER)["organisation"]
    lender = register(catalogue, LENDER)["organisation"]
    city = register(catalogue, {"kind": "municipality", "name": "Torino", "country": "IT"})
    need = httpx.post(
        f"{catalogue}/v1/needs", json=NEED, headers={"Authorization": f"Bearer {city['api_key']}"}
    ).json()

    def ranked(kind: str) -> list[dict]:
        response = httpx.get(f"{matching}/v1/needs/{need['id']}/matches", params={"kind": kind})
        return response.json().get("items", []) if response.status_code == 200 else []

    suppliers = wait_for(lambda: ranked("supplier"))
    assert suppliers[0]["candidate_id"] == supplier["id"]
    assert suppliers[0]["explanation"]
    assert {c["status"] for c in suppliers[0]["constraints"]} <= {"passed", "not_applicable"}

    def evaluated() -> bool:
        items = ranked("lender")
        return bool(items) and any(
            c["name"] == "lender_min_dscr" and c["status"] == "passed"
            for c in items[0]["constraints"]
        )

    # evaluation answers within matching's timeout (1 s) once warm: poll rather than race it
    assert wait_for(evaluated, timeout=30)
    lenders = ranked("lender")
    assert [item["candidate_id"] for item in lenders] == [lender["id"]]

    stack.stop("evaluation")
    degraded = httpx.get(f"{matching}/v1/needs/{need['id']}/matches", params={"kind": "lender"})
    assert degraded.status_code == 200
    body = degraded.json()
    assert [item["candidate_id"] for item in body["items"]] == [lender["id"]]
    statuses = {c["name"]: c["status"] for c in body["items"][0]["constraints"]}
    assert statuses["lender_min_dscr"] == "not_evaluated"
    assert any("evaluation unreachable" in note for note in body["notes"]), body["notes"]
    # the supplier ranking needs no evaluation: answered in full meanwhile
    assert [item["candidate_id"] for item in ranked("supplier")] == [supplier["id"]]

    stack.start("evaluation")

    assert wait_for(evaluated, timeout=30)
