"""Offers, needs and funding calls: the happy paths and the refusals users meet."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.catalogue.tests.builders import (
    auth,
    funding_call_body,
    need_body,
    post_need,
    register,
)


class TestNeeds:
    def test_a_municipality_posts_reads_changes_and_deletes_a_need(
        self, client: TestClient
    ) -> None:
        _city, key = register(client, kind="municipality", name="Città di Torino")
        created = client.post("/v1/needs", json=need_body(), headers=auth(key))
        assert created.status_code == 201
        need = created.json()
        assert created.headers["Location"] == f"/v1/needs/{need['id']}"
        assert need["status"] == "open"
        assert need["budget"] == {
            "amount": 4_500_000.0,
            "currency": "EUR",
        }

        fetched = client.get(f"/v1/needs/{need['id']}")
        assert fetched.json() == need
        assert fetched.headers["ETag"] == '"1"'

        closed = client.patch(
            f"/v1/needs/{need['id']}",
            json={"status": "closed"},
            headers={**auth(key), "If-Match": '"1"'},
        )
        assert closed.status_code == 200
        assert closed.json()["status"] == "closed"

        stale = client.delete(f"/v1/needs/{need['id']}", headers={**auth(key), "If-Match": '"1"'})
        assert stale.status_code == 412
        deleted = client.delete(f"/v1/needs/{need['id']}", headers={**auth(key), "If-Match": '"2"'})
        assert deleted.status_code == 204
        assert client.get(f"/v1/needs/{need['id']}").status_code == 404

    def test_delete_without_if_match_is_428(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        need = post_need(client, key)
        assert client.delete(f"/v1/needs/{need['id']}", headers=auth(key)).status_code == 428

    def test_region_and_category_are_required(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        body = need_body()
        del body["nuts_code"], body["category"]
        response = client.post("/v1/needs", json=body, headers=auth(key))
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"nuts_code", "category"}

    def test_bad_values_are_named(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        body = need_body(
            category="teleportation",
            needed_by="2027-13-45",
            budget={"amount": -5, "currency": "EUR"},
            contract_forms=["barter"],
        )
        fields = {
            e["field"]
            for e in client.post("/v1/needs", json=body, headers=auth(key)).json()["errors"]
        }
        assert fields == {"category", "needed_by", "budget.amount", "contract_forms[0]"}

    def test_a_supplier_cannot_post_a_need(self, client: TestClient) -> None:
        _supplier, key = register(client, kind="supplier")
        response = client.post("/v1/needs", json=need_body(), headers=auth(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "organisation_id"

    def test_another_municipality_cannot_change_it(self, client: TestClient) -> None:
        _torino, torino_key = register(client, kind="municipality", name="Torino")
        _milano, milano_key = register(client, kind="municipality", name="Milano")
        need = post_need(client, torino_key)
        response = client.patch(
            f"/v1/needs/{need['id']}",
            json={"title": "Mine now"},
            headers={**auth(milano_key), "If-Match": '"1"'},
        )
        assert response.status_code == 403
        assert client.get(f"/v1/needs/{need['id']}").json()["title"] == need["title"]

    def test_a_partner_acts_for_the_municipalities_it_brought_in(
        self, client: TestClient, admin
    ) -> None:
        _partner, partner_key = register(client, kind="partner", name="Portale", headers=admin)
        city, _ = register(client, kind="municipality", name="Asti", headers=auth(partner_key))
        _other, _ = register(client, kind="municipality", name="Cuneo")
        ok = client.post(
            "/v1/needs", json=need_body(organisation_id=city["id"]), headers=auth(partner_key)
        )
        assert ok.status_code == 201
        assert ok.json()["organisation_id"] == city["id"]
        refused = client.post(
            "/v1/needs", json=need_body(organisation_id=_other["id"]), headers=auth(partner_key)
        )
        assert refused.status_code == 403

    def test_list_filters(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        post_need(client, key, title="LED lighting Torino")
        post_need(
            client,
            key,
            title="Traffic lights",
            category="traffic_lights",
            cpv_codes=["34996100"],
            nuts_code="ITC4C",
        )
        lights = client.get("/v1/needs", params={"category": "traffic_lights"}).json()["items"]
        assert [n["title"] for n in lights] == ["Traffic lights"]
        in_lombardy = client.get("/v1/needs", params={"nuts": "ITC4"}).json()["items"]
        assert [n["title"] for n in in_lombardy] == ["Traffic lights"]
        by_word = client.get("/v1/needs", params={"q": "led torino"}).json()["items"]
        assert [n["title"] for n in by_word] == ["LED lighting Torino"]

    def test_appraisal_inputs_are_kept(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        appraisal = {"template": "led_public_lighting", "inputs": {"points": 12000}}
        need = post_need(client, key, appraisal=appraisal)
        assert need["appraisal"]["template"] == "led_public_lighting"
        assert need["appraisal"]["inputs"] == {"points": 12000}
        assert need["appraisal"]["appraisal_id"] is None

    def test_an_appraisal_is_either_an_id_or_a_template(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        both = {"appraisal_id": 3, "template": "led_public_lighting"}
        response = client.post("/v1/needs", json=need_body(appraisal=both), headers=auth(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "appraisal"


class TestOffers:
    def test_a_supplier_manages_its_offers(self, client: TestClient) -> None:
        supplier, key = register(client)
        created = client.post(
            "/v1/offers",
            json={"kind": "product", "title": "LED luminaire 60W", "cpv_codes": ["31527200-8"]},
            headers=auth(key),
        )
        assert created.status_code == 201
        offer = created.json()
        assert offer["organisation_id"] == supplier["id"]
        assert offer["cpv_codes"] == ["31527200"]
        listed = client.get("/v1/offers", params={"organisation_id": supplier["id"]}).json()[
            "items"
        ]
        assert [o["id"] for o in listed] == [offer["id"]]
        patched = client.patch(
            f"/v1/offers/{offer['id']}",
            json={"price": {"amount": 250, "currency": "eur"}},
            headers={**auth(key), "If-Match": '"1"'},
        )
        assert patched.status_code == 200
        assert patched.json()["price"] == {
            "amount": 250.0,
            "currency": "EUR",
        }

    def test_a_lender_has_no_offers(self, client: TestClient) -> None:
        _lender, key = register(client, kind="lender", name="Banca Verde")
        response = client.post(
            "/v1/offers", json={"kind": "service", "title": "Loans"}, headers=auth(key)
        )
        assert response.status_code == 422


class TestFundingCalls:
    def test_admin_publishes_and_status_follows_the_dates(self, client: TestClient, admin) -> None:
        created = client.post("/v1/funding-calls", json=funding_call_body(), headers=admin)
        assert created.status_code == 201
        assert created.json()["status"] == "open"
        closed = client.post(
            "/v1/funding-calls",
            json=funding_call_body(title="Old call", opens_at="2020-01-01", closes_at="2020-12-31"),
            headers=admin,
        ).json()
        assert closed["status"] == "closed"
        open_now = client.get("/v1/funding-calls", params={"status": "open"}).json()["items"]
        assert [c["title"] for c in open_now] == [
            "Regional ERDF call for public lighting efficiency"
        ]

    def test_suppliers_cannot_publish_calls(self, client: TestClient) -> None:
        _supplier, key = register(client)
        assert (
            client.post(
                "/v1/funding-calls", json=funding_call_body(), headers=auth(key)
            ).status_code
            == 403
        )

    def test_period_and_rate_are_checked(self, client: TestClient, admin) -> None:
        body = funding_call_body(
            opens_at="2027-01-01", closes_at="2026-01-01", co_financing_rate=1.5
        )
        response = client.post("/v1/funding-calls", json=body, headers=admin)
        assert response.status_code == 422
        assert {e["field"] for e in response.json()["errors"]} == {"co_financing_rate"}
        body = funding_call_body(opens_at="2027-01-01", closes_at="2026-01-01")
        response = client.post("/v1/funding-calls", json=body, headers=admin)
        assert response.status_code == 422
        assert "opens_at must not be after closes_at" in response.json()["errors"][0]["reason"]
