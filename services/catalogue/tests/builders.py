"""Keyword-default builders of catalogue test data, all through the public API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ADMIN_KEY = "cfk_testadmin0_" + "A" * 43


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def register(
    client: TestClient,
    *,
    kind: str = "supplier",
    name: str = "Lumen Street Lighting",
    country: str = "IT",
    headers: dict[str, str] | None = None,
    **profile: Any,
) -> tuple[dict[str, Any], str]:
    """Register an organisation; returns (organisation, api key)."""
    body = {
        "organisation": {"kind": kind, "name": name, "country": country, **profile},
        "contact_email": "contact@example.org",
    }
    response = client.post("/v1/registrations", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    payload = response.json()
    return payload["organisation"], payload["api_key"]


def need_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "LED public lighting retrofit",
        "description": "Replace 12,000 sodium lamps with LED and remote management",
        "category": "public_lighting",
        "cpv_codes": ["34928500"],
        "nuts_code": "ITC11",
        "budget": {"amount": 4_500_000, "currency": "EUR"},
        "contract_forms": ["epc", "ppp"],
        "needed_by": "2027-06-30",
    }
    body.update(overrides)
    return body


def post_need(client: TestClient, key: str, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/needs", json=need_body(**overrides), headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def funding_call_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Regional ERDF call for public lighting efficiency",
        "programme": "ERDF 2021-2027",
        "categories": ["public_lighting"],
        "eligible_nuts": ["ITC"],
        "opens_at": "2026-01-01",
        "closes_at": "2027-12-31",
        "grant": {
            "min": {"amount": 100_000, "currency": "EUR"},
            "max": {"amount": 2_000_000, "currency": "EUR"},
        },
        "co_financing_rate": 0.5,
        "eligible_kinds": ["municipality"],
    }
    body.update(overrides)
    return body
