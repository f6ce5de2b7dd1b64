from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert

from services.catalogue.tests.builders import auth, need_body, register
from shared import idempotency


class TestIdempotencyKey:
    def test_same_key_and_body_replays_the_first_response(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Città di Torino")
        headers = {**auth(key), "Idempotency-Key": "need-1"}
        first = client.post("/v1/needs", json=need_body(), headers=headers)
        again = client.post("/v1/needs", json=need_body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Idempotent-Replayed"] == "true"
        assert len(client.get("/v1/needs").json()["items"]) == 1

    def test_same_key_with_another_body_is_422(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Città di Torino")
        headers = {**auth(key), "Idempotency-Key": "need-1"}
        client.post("/v1/needs", json=need_body(), headers=headers)
        other = client.post("/v1/needs", json=need_body(title="Traffic lights"), headers=headers)
        assert other.status_code == 422
        assert other.json()["errors"][0]["field"] == "Idempotency-Key"
        assert len(client.get("/v1/needs").json()["items"]) == 1

    def test_keys_are_scoped_by_credential(self, client: TestClient) -> None:
        _a, key_a = register(client, kind="municipality", name="Torino")
        _b, key_b = register(client, kind="municipality", name="Milano")
        for key in (key_a, key_b):
            response = client.post(
                "/v1/needs", json=need_body(), headers={**auth(key), "Idempotency-Key": "same"}
            )
            assert response.status_code == 201
        assert len(client.get("/v1/needs").json()["items"]) == 2

    def test_a_duplicate_while_the_first_is_in_flight_is_409(
        self, client: TestClient, settings
    ) -> None:
        _city, key = register(client, kind="municipality", name="Città di Torino")
        body = client.build_request("POST", "/v1/needs", json=need_body()).content
        engine = create_engine(settings.resolved_database_url())
        with engine.begin() as connection:
            connection.execute(
                insert(idempotency.IdempotencyRecord),
                [
                    {
                        "scope": idempotency.scope_for(f"Bearer {key}"),
                        "key": "in-flight",
                        "fingerprint": idempotency.fingerprint_for("POST", "/v1/needs", body),
                        "state": "in_progress",
                        "created_at": datetime.now(UTC),
                    }
                ],
            )
        engine.dispose()
        response = client.post(
            "/v1/needs",
            content=body,
            headers={
                **auth(key),
                "Idempotency-Key": "in-flight",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 409
        assert client.get("/v1/needs").json()["items"] == []

    def test_a_failed_request_releases_its_key(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Città di Torino")
        headers = {**auth(key), "Idempotency-Key": "retry-me"}
        failed = client.post("/v1/needs", json=need_body(nuts_code="ZZZ"), headers=headers)
        assert failed.status_code == 422
        fixed = client.post("/v1/needs", json=need_body(nuts_code="ZZZ"), headers=headers)
        assert fixed.status_code == 422  # the same bad body is judged again, not replayed
        assert "Idempotent-Replayed" not in fixed.headers

    def test_registration_replay_does_not_show_the_key_again(self, client: TestClient) -> None:
        body = {
            "organisation": {"kind": "supplier", "name": "Lumen", "country": "IT"},
            "contact_email": "a@lumen.example",
        }
        first = client.post("/v1/registrations", json=body, headers={"Idempotency-Key": "reg"})
        again = client.post("/v1/registrations", json=body, headers={"Idempotency-Key": "reg"})
        assert first.status_code == again.status_code == 201
        assert first.json()["api_key"].startswith("cfk_")
        assert again.json()["api_key"] is None
        assert again.json()["organisation"] == first.json()["organisation"]
        assert len(client.get("/v1/organisations?kind=supplier").json()["items"]) == 1
