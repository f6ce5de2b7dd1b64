from __future__ import annotations

from fastapi.testclient import TestClient

from services.catalogue.tests.builders import auth, register


class TestFurtherKeys:
    def test_an_organisation_issues_lists_and_revokes_keys(self, client: TestClient) -> None:
        org, first_key = register(client)
        issued = client.post("/v1/api-keys", json={"label": "ERP"}, headers=auth(first_key))
        assert issued.status_code == 201
        second = issued.json()
        assert second["role"] == "supplier"
        assert second["organisation_id"] == org["id"]
        assert client.get("/v1/auth/introspect", headers=auth(second["api_key"])).status_code == 200

        listed = client.get("/v1/api-keys", headers=auth(first_key)).json()["items"]
        assert [k["label"] for k in listed] == ["first key", "ERP"]
        assert all("api_key" not in k for k in listed)

        etag = client.get(f"/v1/api-keys/{second['id']}", headers=auth(first_key)).headers["ETag"]
        revoked = client.delete(
            f"/v1/api-keys/{second['id']}", headers={**auth(first_key), "If-Match": etag}
        )
        assert revoked.status_code == 204

    def test_a_revoked_key_stops_working_at_once(self, client: TestClient) -> None:
        _org, key = register(client)
        key_id = client.get("/v1/auth/introspect", headers=auth(key)).json()["key_id"]
        client.delete(f"/v1/api-keys/{key_id}", headers={**auth(key), "If-Match": '"1"'})
        response = client.get("/v1/auth/introspect", headers=auth(key))
        assert response.status_code == 401
        assert response.json()["detail"] == "the API key is unknown or revoked"

    def test_revocation_needs_if_match(self, client: TestClient) -> None:
        _org, key = register(client)
        key_id = client.get("/v1/auth/introspect", headers=auth(key)).json()["key_id"]
        assert client.delete(f"/v1/api-keys/{key_id}", headers=auth(key)).status_code == 428
        stale = client.delete(f"/v1/api-keys/{key_id}", headers={**auth(key), "If-Match": '"7"'})
        assert stale.status_code == 412

    def test_keys_of_others_are_invisible(self, client: TestClient) -> None:
        _a, key_a = register(client, name="A")
        _b, key_b = register(client, name="B")
        key_b_id = client.get("/v1/auth/introspect", headers=auth(key_b)).json()["key_id"]
        assert client.get(f"/v1/api-keys/{key_b_id}", headers=auth(key_a)).status_code == 404
        refused = client.delete(
            f"/v1/api-keys/{key_b_id}", headers={**auth(key_a), "If-Match": "*"}
        )
        assert refused.status_code == 404
        assert client.get("/v1/auth/introspect", headers=auth(key_b)).status_code == 200

    def test_no_escalation_to_admin(self, client: TestClient) -> None:
        _org, key = register(client)
        response = client.post("/v1/api-keys", json={"role": "admin"}, headers=auth(key))
        assert response.status_code == 403

    def test_admin_issues_a_key_for_another_organisation(self, client: TestClient, admin) -> None:
        org, _ = register(client)
        response = client.post("/v1/api-keys", json={"organisation_id": org["id"]}, headers=admin)
        assert response.status_code == 201
        assert response.json()["organisation_id"] == org["id"]


class TestAuthentication:
    def test_malformed_and_unknown_keys_are_401(self, client: TestClient) -> None:
        for header in ("Basic abc", "Bearer nonsense", "Bearer cfk_aaaaaaaaaa_wrongsecret"):
            response = client.get("/v1/auth/introspect", headers={"Authorization": header})
            assert response.status_code == 401, header
            assert response.headers["content-type"] == "application/problem+json"

    def test_a_key_with_a_right_prefix_but_wrong_secret_is_401(self, client: TestClient) -> None:
        _org, key = register(client)
        forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        assert client.get("/v1/auth/introspect", headers=auth(forged)).status_code == 401
