"""A write is acknowledged only after it is committed, and a list pages stably under inserts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.catalogue.tests.builders import auth, register
from shared.db import UnitOfWork


class TestCommitBeforeResponse:
    def test_a_failed_commit_is_never_acknowledged(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        before = client.get("/v1/organisations").json()["items"]

        def failing_commit(self: UnitOfWork) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr(UnitOfWork, "commit", failing_commit)
        response = client.post(
            "/v1/registrations",
            json={
                "organisation": {"kind": "supplier", "name": "Lumen", "country": "IT"},
                "contact_email": "a@lumen.example",
            },
        )
        monkeypatch.undo()
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert "api_key" not in response.text
        assert client.get("/v1/organisations").json()["items"] == before


class TestPagination:
    def test_pages_stay_stable_while_records_are_inserted(self, client: TestClient) -> None:
        for n in range(7):
            register(client, name=f"Existing {n}")
        existing = {
            o["id"] for o in client.get("/v1/organisations", params={"limit": 500}).json()["items"]
        }
        seen: list[int] = []
        cursor = None
        inserted = 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/organisations", params=params).json()
            seen += [o["id"] for o in page["items"]]
            register(client, name=f"Concurrent {inserted}")  # lands after the client's position
            inserted += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen))
        assert existing <= set(seen)
        assert seen == sorted(seen)

    def test_limit_bounds_and_bad_cursor_are_refused(self, client: TestClient) -> None:
        assert client.get("/v1/needs", params={"limit": 0}).status_code == 422
        assert client.get("/v1/needs", params={"limit": 501}).status_code == 422
        response = client.get("/v1/needs", params={"cursor": "not-a-cursor"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cursor"


class TestReferenceLists:
    def test_cpv_search_pages_through_matches(self, client: TestClient) -> None:
        first = client.get("/v1/reference/cpv", params={"q": "lighting", "limit": 2}).json()
        second = client.get(
            "/v1/reference/cpv",
            params={"q": "lighting", "limit": 2, "cursor": first["next_cursor"]},
        ).json()
        codes = [c["code"] for c in first["items"] + second["items"]]
        assert len(codes) == len(set(codes)) == 4
        assert all("light" in c["label"].lower() for c in first["items"] + second["items"])

    def test_nuts_search_by_code_prefix(self, client: TestClient) -> None:
        items = client.get("/v1/reference/nuts", params={"q": "ITC1"}).json()["items"]
        assert items[0]["code"] == "ITC1"
        assert {"ITC11", "ITC12"} <= {i["code"] for i in items}


class TestObservability:
    def test_request_id_is_taken_or_made_and_echoed(self, client: TestClient) -> None:
        given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert given.headers["X-Request-ID"] == "abc-123"
        made = client.get("/healthz")
        assert len(made.headers["X-Request-ID"]) == 32
        unsafe = client.get("/healthz", headers={"X-Request-ID": "x" * 300})
        assert unsafe.headers["X-Request-ID"] != "x" * 300

    def test_metrics_count_requests_by_route(self, client: TestClient) -> None:
        _org, key = register(client)
        client.get("/v1/auth/introspect", headers=auth(key))
        metrics = client.get("/metrics").text
        assert (
            'http_requests_total{method="GET",route="/v1/auth/introspect",service="catalogue",'
            'status="200"} 1.0'
        ) in metrics
        assert "http_request_duration_seconds_bucket" in metrics

    def test_readiness_checks_the_database(self, client: TestClient) -> None:
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["checks"] == {"database": "ok"}

    def test_unknown_route_is_a_problem(self, client: TestClient) -> None:
        response = client.get("/v1/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
