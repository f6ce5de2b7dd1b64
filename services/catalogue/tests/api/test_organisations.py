from __future__ import annotations

from fastapi.testclient import TestClient

from services.catalogue.tests.builders import auth, register


class TestReadingOrganisations:
    def test_get_carries_an_etag(self, client: TestClient) -> None:
        org, _ = register(client)
        response = client.get(f"/v1/organisations/{org['id']}")
        assert response.status_code == 200
        assert response.headers["ETag"] == '"1"'
        assert response.json()["name"] == "Lumen Street Lighting"

    def test_missing_organisation_is_404(self, client: TestClient) -> None:
        response = client.get("/v1/organisations/999")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_filters_by_kind_and_name(self, client: TestClient) -> None:
        register(client, kind="supplier", name="Lumen Street Lighting")
        register(client, kind="lender", name="Banca Verde")
        register(client, kind="supplier", name="Semafori Italia")
        suppliers = client.get("/v1/organisations", params={"kind": "supplier"}).json()["items"]
        assert [o["name"] for o in suppliers] == ["Lumen Street Lighting", "Semafori Italia"]
        by_name = client.get("/v1/organisations", params={"q": "verde"}).json()["items"]
        assert [o["name"] for o in by_name] == ["Banca Verde"]

    def test_nuts_filter_is_hierarchical(self, client: TestClient) -> None:
        register(client, name="Piemonte-wide", nuts_codes=["ITC1"])
        register(client, name="Torino only", nuts_codes=["ITC11"])
        register(client, name="Lyon", country="FR", nuts_codes=["FRK26"])
        inside_turin = client.get("/v1/organisations", params={"nuts": "ITC11"}).json()["items"]
        assert {o["name"] for o in inside_turin} == {"Piemonte-wide", "Torino only"}
        in_north_west = client.get("/v1/organisations", params={"nuts": "ITC"}).json()["items"]
        assert {o["name"] for o in in_north_west} == {"Piemonte-wide", "Torino only"}

    def test_cpv_filter_is_hierarchical(self, client: TestClient) -> None:
        register(client, name="Traffic lights maker", cpv_codes=["34996100"])
        register(client, name="Road equipment", cpv_codes=["34990000"])
        register(client, name="Software house", cpv_codes=["48000000"])
        found = client.get("/v1/organisations", params={"cpv": "34996100-6"}).json()["items"]
        assert {o["name"] for o in found} == {"Traffic lights maker", "Road equipment"}

    def test_unknown_filter_code_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/organisations", params={"cpv": "12"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "cpv"


class TestUpdatingOrganisations:
    def test_patch_with_the_current_etag(self, client: TestClient) -> None:
        org, key = register(client, capabilities=["LED"])
        response = client.patch(
            f"/v1/organisations/{org['id']}",
            json={"description": "Street lighting retrofits", "capabilities": None},
            headers={**auth(key), "If-Match": '"1"'},
        )
        assert response.status_code == 200
        assert response.headers["ETag"] == '"2"'
        assert response.json()["description"] == "Street lighting retrofits"
        assert response.json()["capabilities"] == []

    def test_patch_without_if_match_is_428(self, client: TestClient) -> None:
        org, key = register(client)
        response = client.patch(
            f"/v1/organisations/{org['id']}", json={"name": "X"}, headers=auth(key)
        )
        assert response.status_code == 428

    def test_stale_if_match_is_412_and_changes_nothing(self, client: TestClient) -> None:
        org, key = register(client)
        headers = {**auth(key), "If-Match": '"1"'}
        assert (
            client.patch(
                f"/v1/organisations/{org['id']}", json={"name": "Lumen 2"}, headers=headers
            ).status_code
            == 200
        )
        stale = client.patch(
            f"/v1/organisations/{org['id']}", json={"name": "Lumen 3"}, headers=headers
        )
        assert stale.status_code == 412
        assert client.get(f"/v1/organisations/{org['id']}").json()["name"] == "Lumen 2"

    def test_another_organisation_is_403(self, client: TestClient) -> None:
        org, _ = register(client, name="Lumen")
        _other, other_key = register(client, name="Rival")
        response = client.patch(
            f"/v1/organisations/{org['id']}",
            json={"name": "Hijacked"},
            headers={**auth(other_key), "If-Match": '"1"'},
        )
        assert response.status_code == 403

    def test_no_key_is_401(self, client: TestClient) -> None:
        org, _ = register(client)
        response = client.patch(f"/v1/organisations/{org['id']}", json={"name": "X"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")

    def test_admin_may_deactivate_any_organisation(self, client: TestClient, admin) -> None:
        org, _ = register(client)
        response = client.patch(
            f"/v1/organisations/{org['id']}",
            json={"status": "inactive"},
            headers={**admin, "If-Match": "*"},
        )
        assert response.status_code == 200
        assert response.json()["status"] == "inactive"

    def test_kind_specific_fields_stay_with_their_kind(self, client: TestClient) -> None:
        org, key = register(client, kind="supplier")
        response = client.patch(
            f"/v1/organisations/{org['id']}",
            json={
                "ticket": {
                    "min": {"amount": 1, "currency": "EUR"},
                    "max": {"amount": 2, "currency": "EUR"},
                }
            },
            headers={**auth(key), "If-Match": '"1"'},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "ticket"

    def test_a_required_field_cannot_be_cleared(self, client: TestClient) -> None:
        org, key = register(client)
        response = client.patch(
            f"/v1/organisations/{org['id']}",
            json={"name": None},
            headers={**auth(key), "If-Match": '"1"'},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "name"
