"""schemathesis' state machine over the catalogue, along its OpenAPI links, with an admin key.

The catalogue holds a supplier with an offer, a municipality with a need and a funding call
before the run: random bodies rarely pass the code lists (CPV, NUTS, ISO 3166), so these are
the records whose ids the lists hand to the read, change (with the ETag) and delete calls.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.catalogue.api.links import LINKS
from services.catalogue.app import create_app
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import (
    ADMIN_KEY,
    auth,
    funding_call_body,
    post_need,
    register,
)
from shared.openapi_links import link_problems
from shared.testing.contract import check_workflows


def test_every_link_resolves_to_an_operation_parameter_and_field() -> None:
    document = create_app(CatalogueSettings(database_url="sqlite://")).openapi()
    assert link_problems(document, LINKS) == []


def test_call_sequences_along_the_links_honour_the_document(
    client: TestClient, settings: CatalogueSettings
) -> None:
    _supplier, supplier_key = register(client, cpv_codes=["34928500"], nuts_codes=["ITC"])
    offer = {"kind": "product", "title": "LED luminaire 60W", "cpv_codes": ["31527200-8"]}
    assert client.post("/v1/offers", json=offer, headers=auth(supplier_key)).status_code == 201
    _city, city_key = register(client, kind="municipality", name="Torino")
    post_need(client, city_key)
    created = client.post("/v1/funding-calls", json=funding_call_body(), headers=auth(ADMIN_KEY))
    assert created.status_code == 201, created.text

    check_workflows(
        create_app(settings),
        headers=auth(ADMIN_KEY),
        roots=["POST /v1/api-keys"],
        readable_after_delete=["GET /v1/api-keys/{key_id}"],
    )
