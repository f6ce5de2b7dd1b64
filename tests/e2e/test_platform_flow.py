"""The platform's main flow, over HTTP only, between the three services as real processes and a
real webhook receiver: a supplier registers and posts offers; a lender registers with its
ticket and thresholds and subscribes with a webhook; a municipality posts a need with an LED
public lighting appraisal; matching ranks the supplier and the lender for the need with their
explanations (the lender's DSCR and IRR thresholds evaluated against evaluation's figures); the
lender's webhook arrives signed and verifies with the secret shown once; a partner platform,
with a key an admin issued, imports ANAC's OCDS tenders, and a supplier that registers is ranked
for an imported tender and sees it among its matches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.catalogue.tests.builders import auth
from services.matching.tests.workers.test_webhook_delivery import ReceiverProcess
from tests.e2e.conftest import ADMIN_KEY
from tests.e2e.processes import ServiceProcesses, wait_for
from tests.samples import ANAC_SAMPLE_LINES

# an open ANAC tender in the sample: a telecommunications network for INGV, Rome
TELECOM_OCID = "ocds-hu01ve-8737015"
TELECOM_SUPPLIER = {
    "kind": "supplier",
    "name": "Rete Civica Telecomunicazioni",
    "country": "IT",
    "description": "Reti di telecomunicazione in fibra ottica e radio per enti pubblici",
    "cpv_codes": ["32412100"],
    "nuts_codes": ["ITI"],
    "contract_forms": ["procurement"],
    "project_size": {
        "min": {"amount": 20_000, "currency": "EUR"},
        "max": {"amount": 2_000_000, "currency": "EUR"},
    },
}

SUPPLIER = {
    "kind": "supplier",
    "name": "Lumen Street Lighting",
    "country": "IT",
    "description": "LED street lighting retrofits with point-to-point remote management",
    "capabilities": ["LED luminaires", "remote management", "energy performance contracts"],
    "cpv_codes": ["34928500", "31527200"],
    "nuts_codes": ["ITC"],
    "contract_forms": ["epc", "ppp", "project_finance"],
    "project_size": {
        "min": {"amount": 1_000_000, "currency": "EUR"},
        "max": {"amount": 60_000_000, "currency": "EUR"},
    },
}
OFFERS = [
    {
        "kind": "product",
        "title": "LED street luminaire 40 W with telemanagement node",
        "description": "Replaces sodium vapour lamps; dimming profiles, point-to-point control",
        "cpv_codes": ["34928500"],
    },
    {
        "kind": "reference",
        "title": "LED retrofit of 18,000 public lighting points under an EPC",
        "city": "Brescia",
        "year": 2022,
        "price": {"amount": 9_500_000, "currency": "EUR"},
        "cpv_codes": ["34928500"],
        "nuts_codes": ["ITC47"],
    },
]
LENDER = {
    "kind": "lender",
    "name": "Banca Verde",
    "country": "IT",
    "description": "Green infrastructure lending to municipalities and ESCOs",
    "nuts_codes": ["IT"],
    "contract_forms": ["epc", "ppp", "project_finance"],
    "instruments": ["senior_debt", "green_bond"],
    "ticket": {
        "min": {"amount": 5_000_000, "currency": "EUR"},
        "max": {"amount": 80_000_000, "currency": "EUR"},
    },
    "min_dscr": 1.2,
    "target_irr": 0.05,
    "max_tenor_years": 15,
}
# demo need 1 (services/catalogue/demo/demo.json): Torino's LED retrofit with its appraisal
NEED = {
    "title": "Riqualificazione a LED dell'illuminazione pubblica cittadina",
    "description": (
        "Sostituzione di circa 55.000 apparecchi a vapori di sodio con apparecchi LED, "
        "telegestione punto-punto e manutenzione per 15 anni. Si valuta un contratto EPC o una "
        "finanza di progetto con canone legato al risparmio energetico."
    ),
    "category": "public_lighting",
    "cpv_codes": ["34928500", "31527200", "45316110", "50232100"],
    "nuts_code": "ITC11",
    "budget": {"amount": 33_000_000, "currency": "EUR"},
    "contract_forms": ["epc", "project_finance", "ppp"],
    "needed_by": "2028-06-30",
    "appraisal": {
        "template": "led_public_lighting",
        "inputs": {
            "points": 55000,
            "kwh_per_point_before": 630,
            "kwh_per_point_after": 252,
            "energy_price": 0.22,
            "cost_per_point": 600,
            "maintenance_saved_per_point": 12,
            "lifetime": 15,
        },
        "financing": {"gearing": 0.7, "rate": 0.045, "tenor_years": 12},
    },
}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverProcess]:
    process = ReceiverProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def register(catalogue: httpx.Client, organisation: dict[str, Any]) -> tuple[dict, str]:
    response = catalogue.post(
        "/v1/registrations",
        json={"organisation": organisation, "contact_email": "e2e@example.org"},
    )
    assert response.status_code == 201, response.text
    return response.json()["organisation"], response.json()["api_key"]


def register_as_admin(catalogue: httpx.Client, name: str) -> tuple[dict, str]:
    """A partner platform: registered by an admin, its first key shown once."""
    response = catalogue.post(
        "/v1/registrations",
        json={
            "organisation": {"kind": "partner", "name": name, "country": "IT"},
            "contact_email": "partners@example.org",
        },
        headers=auth(ADMIN_KEY),
    )
    assert response.status_code == 201, response.text
    return response.json()["organisation"], response.json()["api_key"]


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def statuses(item: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in item["constraints"]}


def test_supplier_and_lender_are_ranked_for_a_need_and_the_lender_hears_of_it_signed(
    stack: ServiceProcesses, receiver: ReceiverProcess
) -> None:
    catalogue = httpx.Client(base_url=stack.url("catalogue"), timeout=30)
    matching = httpx.Client(base_url=stack.url("matching"), timeout=30)
    evaluation = httpx.Client(base_url=stack.url("evaluation"), timeout=30)

    supplier, supplier_key = register(catalogue, SUPPLIER)
    assert supplier_key.startswith("cfk_")
    for offer in OFFERS:
        posted = created(catalogue.post("/v1/offers", json=offer, headers=auth(supplier_key)))
        assert posted["organisation_id"] == supplier["id"]

    lender, lender_key = register(catalogue, LENDER)
    subscription = created(
        matching.post(
            "/v1/subscriptions",
            json={"url": receiver.url, "filter": {"organisation_id": lender["id"]}},
            headers=auth(lender_key),
        )
    )
    assert subscription["secret"].startswith("whsec_")
    receiver.trust(subscription)
    shown_again = matching.get(f"/v1/subscriptions/{subscription['id']}", headers=auth(lender_key))
    assert shown_again.status_code == 200
    assert shown_again.json()["secret"] is None

    city, city_key = register(
        catalogue, {"kind": "municipality", "name": "Torino", "country": "IT"}
    )
    need = created(catalogue.post("/v1/needs", json=NEED, headers=auth(city_key)))
    assert need["organisation_id"] == city["id"]

    def ranked(kind: str) -> list[dict[str, Any]]:
        response = matching.get(f"/v1/needs/{need['id']}/matches", params={"kind": kind})
        return response.json()["items"] if response.status_code == 200 else []

    # the supplier: first, with its explanation, every hard constraint passed; its words count
    # once the young index has refitted its vocabulary (at the follower's next catch-up)
    def supplier_with_terms() -> list[dict[str, Any]]:
        items = ranked("supplier")
        return items if items and items[0]["top_terms"] else []

    suppliers = wait_for(supplier_with_terms)
    best = suppliers[0]
    assert (best["candidate_kind"], best["candidate_id"]) == ("supplier", supplier["id"])
    assert best["explanation"]
    assert best["top_terms"]
    assert {"region", "budget", "contract_forms", "topic"} <= set(statuses(best))
    assert set(statuses(best).values()) <= {"passed", "not_applicable"}
    assert best["components"]["text"] > 0
    assert best["components"]["cpv"] > 0
    assert 0 < best["score"] <= 1

    # the lender: its thresholds checked against the appraisal evaluation computes
    def lender_evaluated() -> list[dict[str, Any]]:
        items = ranked("lender")
        return items if items and statuses(items[0])["lender_min_dscr"] == "passed" else []

    lenders = wait_for(lender_evaluated, timeout=30)
    assert [item["candidate_id"] for item in lenders] == [lender["id"]]
    checks = statuses(lenders[0])
    assert checks["lender_min_dscr"] == "passed"
    assert checks["lender_target_irr"] == "passed"
    assert checks["budget"] == "passed"  # the budget within the lender's ticket
    assert lenders[0]["components"]["bankability"] >= 0.6  # thresholds met score 0.6..1
    details = {check["name"]: check["detail"] for check in lenders[0]["constraints"]}
    assert "minimum DSCR" in details["lender_min_dscr"]

    # the same figures straight from evaluation: the appraisal beats the lender's thresholds
    appraisal = created(
        evaluation.post(
            "/v1/appraisals",
            json={"template": "led_public_lighting", **NEED["appraisal"]},  # type: ignore[dict-item]
            headers=auth(city_key),
        )
    )
    assert appraisal["results"]["min_dscr"] >= LENDER["min_dscr"]

    # the lender's webhook: match.created for this need, signature verified by standardwebhooks
    def lender_hook() -> list[dict[str, Any]]:
        return [r for r in receiver.records() if r.get("subscription_id") == subscription["id"]]

    hooks = wait_for(lender_hook, timeout=30)
    assert hooks
    assert all(r["verified"] and r["status"] == 204 for r in hooks)
    assert [r["type"] for r in hooks] == ["match.created"]
    feed = matching.get(
        f"/v1/subscriptions/{subscription['id']}/feed", headers=auth(lender_key)
    ).json()
    [event] = feed["items"]
    assert event["id"] == hooks[0]["id"]
    assert event["data"]["pair"] == {
        "need_id": need["id"],
        "candidate_kind": "lender",
        "candidate_id": lender["id"],
    }

    def delivery_log() -> list[str]:
        # the sender records the delivery once the receiver's answer is back: poll for it
        items = matching.get(
            f"/v1/subscriptions/{subscription['id']}/deliveries", headers=auth(lender_key)
        ).json()["items"]
        states = [d["status"] for d in items]
        return states if "pending" not in states else []

    assert wait_for(delivery_log) == ["delivered"]

    # what another organisation's key cannot see
    foreign = matching.get(f"/v1/subscriptions/{subscription['id']}", headers=auth(supplier_key))
    assert foreign.status_code == 403

    # a partner platform (registered by an admin) imports ANAC's tenders as OCDS JSON Lines;
    # the imported tenders are needs the index matches like any other
    partner, _first_key = register_as_admin(catalogue, "Open procurement bridge")
    issued = created(
        catalogue.post(
            "/v1/api-keys",
            json={"organisation_id": partner["id"], "role": "partner", "label": "importer"},
            headers=auth(ADMIN_KEY),
        )
    )
    partner_key = issued["api_key"]
    report = catalogue.post(
        "/v1/imports/ocds",
        content=ANAC_SAMPLE_LINES.read_bytes(),
        headers={**auth(partner_key), "Content-Type": "application/x-ndjson"},
    )
    assert report.status_code == 200, report.text
    imported = report.json()
    assert imported["format"] == "json_lines"
    assert imported["rejected"] == []
    needs = {i["ocid"]: i["id"] for i in imported["created"] if i["entity"] == "need"}
    assert len(needs) == 32
    telecom = catalogue.get(f"/v1/needs/{needs[TELECOM_OCID]}").json()
    assert telecom["provenance"]["imported_by"] == partner["id"]
    assert (telecom["status"], telecom["cpv_codes"]) == ("open", ["32412100"])

    network, _key = register(catalogue, TELECOM_SUPPLIER)

    def network_ranked() -> list[dict[str, Any]]:
        response = matching.get(f"/v1/needs/{telecom['id']}/matches", params={"kind": "supplier"})
        return response.json()["items"] if response.status_code == 200 else []

    ranked_for_import = wait_for(network_ranked, timeout=30)
    assert ranked_for_import[0]["candidate_id"] == network["id"]
    assert set(statuses(ranked_for_import[0]).values()) <= {"passed", "not_applicable"}
    for_network = matching.get(f"/v1/organisations/{network['id']}/matches").json()["items"]
    assert telecom["id"] in {item["candidate_id"] for item in for_network}
