from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import auth, register


def registration(**organisation: object) -> dict[str, object]:
    return {
        "organisation": {"kind": "supplier", "name": "Lumen", "country": "IT", **organisation},
        "contact_email": "ops@lumen.example",
    }


class TestSelfRegistration:
    def test_returns_the_organisation_and_a_working_key_once(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(cpv_codes=["34996100-6"]))
        assert response.status_code == 201
        body = response.json()
        assert body["organisation"]["kind"] == "supplier"
        assert body["organisation"]["cpv_codes"] == ["34996100"]
        assert body["api_key"].startswith("cfk_")
        assert response.headers["Location"] == f"/v1/organisations/{body['organisation']['id']}"
        who = client.get("/v1/auth/introspect", headers=auth(body["api_key"]))
        assert who.json()["organisation_id"] == body["organisation"]["id"]
        assert who.json()["role"] == "supplier"

    def test_the_key_is_stored_only_as_a_digest(
        self, client: TestClient, settings: CatalogueSettings
    ) -> None:
        _org, key = register(client)
        engine = create_engine(settings.resolved_database_url())
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT prefix, digest FROM api_keys")).all()
        engine.dispose()
        assert all(key not in row.digest and len(row.digest) == 64 for row in stored)
        assert any(key.split("_")[1] == row.prefix for row in stored)

    def test_partner_platforms_need_an_admin(self, client: TestClient, admin) -> None:
        body = registration(kind="partner", name="Portale Appalti")
        refused = client.post("/v1/registrations", json=body)
        assert refused.status_code == 403
        accepted = client.post("/v1/registrations", json=body, headers=admin)
        assert accepted.status_code == 201

    def test_an_organisation_a_partner_registers_is_one_it_brought_in(
        self, client: TestClient, admin
    ) -> None:
        partner, partner_key = register(client, kind="partner", name="Portale", headers=admin)
        city, _ = register(
            client, kind="municipality", name="Comune di Asti", headers=auth(partner_key)
        )
        assert city["brought_by_id"] == partner["id"]


class TestRegistrationRefusals:
    def test_unknown_field_is_named(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(colour="blue"))
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert {"field": "organisation.colour", "reason": "unknown field"} in response.json()[
            "errors"
        ]

    def test_a_nul_character_is_named_and_nothing_is_written(self, client: TestClient) -> None:
        # PostgreSQL cannot store U+0000 in text or jsonb: schemathesis found it as a 500 there
        before = client.get("/v1/organisations").json()["items"]
        body = registration(references=[{"title": "LED\x00"}], description="fine")
        response = client.post("/v1/registrations", json=body)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "organisation.references[0].title",
                "reason": "text may not contain a NUL character",
            }
        ]
        assert client.get("/v1/organisations").json()["items"] == before

    def test_unknown_cpv_code_is_named(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(cpv_codes=["99999999"]))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "organisation.cpv_codes[0]"

    def test_wrong_check_digit_is_refused(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(cpv_codes=["34996100-7"]))
        assert response.status_code == 422
        assert "check digit" in response.json()["errors"][0]["reason"]

    def test_unknown_country_is_named(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(country="ZZ"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "organisation.country"

    def test_unknown_region_and_currency_are_named(self, client: TestClient) -> None:
        body = registration(
            nuts_codes=["ZZ9"],
            project_size={
                "min": {"amount": 1, "currency": "EUX"},
                "max": {"amount": 2, "currency": "EUR"},
            },
        )
        fields = {e["field"] for e in client.post("/v1/registrations", json=body).json()["errors"]}
        assert fields == {"organisation.nuts_codes[0]", "organisation.project_size.min.currency"}

    def test_range_must_be_ordered(self, client: TestClient) -> None:
        body = registration(
            project_size={
                "min": {"amount": 5_000_000, "currency": "EUR"},
                "max": {"amount": 1_000_000, "currency": "EUR"},
            }
        )
        response = client.post("/v1/registrations", json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "organisation.project_size"
        assert "min must not exceed max" in response.json()["errors"][0]["reason"]

    def test_lender_fields_on_a_supplier_are_refused(self, client: TestClient) -> None:
        response = client.post("/v1/registrations", json=registration(min_dscr=1.2))
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {"field": "organisation.min_dscr", "reason": "only lenders have min_dscr"}
        ]

    def test_overlong_name_and_bad_email_are_named(self, client: TestClient) -> None:
        body = registration(name="x" * 201)
        body["contact_email"] = "not-an-email"
        fields = {e["field"] for e in client.post("/v1/registrations", json=body).json()["errors"]}
        assert fields == {"organisation.name", "contact_email"}

    def test_a_refused_registration_writes_nothing(self, client: TestClient) -> None:
        organisations_before = client.get("/v1/organisations").json()["items"]
        changes_before = client.get("/v1/changes").json()["items"]
        client.post("/v1/registrations", json=registration(cpv_codes=["99999999"]))
        assert client.get("/v1/organisations").json()["items"] == organisations_before
        assert client.get("/v1/changes").json()["items"] == changes_before

    def test_malformed_json_is_a_problem(self, client: TestClient) -> None:
        response = client.post(
            "/v1/registrations",
            content=b'{"organisation": ',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    def test_nan_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/v1/registrations",
            content=(
                b'{"organisation": {"kind": "lender", "name": "Banca", "country": "IT",'
                b' "min_dscr": NaN}, "contact_email": "a@b.example"}'
            ),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "organisation.min_dscr"


def test_a_nul_character_in_a_search_is_named_not_a_500(client: TestClient) -> None:
    # found by the stateful schemathesis run on PostgreSQL, which refuses NUL even in a pattern
    response = client.get("/v1/offers", params={"q": "luce\x00led"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"field": "query.q", "reason": "text may not contain a NUL character"}
    ]
