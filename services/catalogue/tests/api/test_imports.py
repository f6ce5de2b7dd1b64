"""`POST /v1/imports/ocds` on the publishers' own files: what is created, updated, rejected."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.catalogue.store import repository
from services.catalogue.tests.builders import auth, register
from tests.samples import OCDS

ANAC = OCDS / "it-anac" / "anac-2022-compiled-releases.sample.json"
URL = "/v1/imports/ocds"


@pytest.fixture
def partner(client: TestClient, admin: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    organisation, key = register(
        client, kind="partner", name="Open procurement bridge", headers=admin
    )
    return organisation, auth(key)


def post(
    client: TestClient,
    headers: dict[str, str],
    body: bytes | Any,
    *,
    media_type: str = "application/json",
    params: dict[str, str] | None = None,
) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        URL, content=content, headers={**headers, "Content-Type": media_type}, params=params
    )


def anac_releases() -> list[dict[str, Any]]:
    return json.loads(ANAC.read_text())


def all_items(client: TestClient, path: str) -> list[dict[str, Any]]:
    return client.get(path, params={"limit": 500}).json()["items"]


def changes(client: TestClient) -> list[dict[str, Any]]:
    return client.get("/v1/changes", params={"limit": 500}).json()["items"]


class TestAnacImport:
    def test_every_tender_becomes_a_need_with_its_provenance(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        organisation, headers = partner
        response = post(client, headers, ANAC.read_bytes())
        assert response.status_code == 200, response.text
        report = response.json()
        needs = [item for item in report["created"] if item["entity"] == "need"]
        assert (report["format"], report["releases"], len(needs)) == ("release_list", 32, 32)
        assert report["rejected"] == []

        [como] = [
            n for n in all_items(client, "/v1/needs") if n["title"] == "ESPURGO MECCANICO SACCHE"
        ]
        assert como["cpv_codes"] == ["45246410"]
        assert como["budget"] == {"amount": 79592.73, "currency": "EUR"}
        assert como["nuts_code"] == "ITC42"
        assert como["provenance"]["ocid"] == "ocds-hu01ve-7299911"
        assert como["provenance"]["release_id"] == "ocds-hu01ve-7299911-2022-02-22T12:00:00Z"
        assert como["provenance"]["imported_by"] == organisation["id"]
        buyer = client.get(f"/v1/organisations/{como['organisation_id']}").json()
        assert (buyer["name"], buyer["kind"]) == ("COMUNE DI COMO", "municipality")
        assert buyer["identifier"] == {"scheme": "IT-CF", "id": "80005370137"}
        assert buyer["brought_by_id"] == organisation["id"]
        assert buyer["provenance"]["source"] == "ocds"

        # the feed carries every created record, exactly as an API write would
        feed = changes(client)
        need_ids = {item["id"] for item in needs}
        assert {c["id"] for c in feed if c["entity"] == "need"} == need_ids
        fed = next(c for c in feed if c["entity"] == "need" and c["id"] == como["id"])
        assert fed["data"]["provenance"]["ocid"] == "ocds-hu01ve-7299911"
        # and the code index: the need is found by its CPV division
        assert como["id"] in {n["id"] for n in all_items(client, "/v1/needs?cpv=45000000")}

    def test_the_same_package_twice_changes_nothing(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        first = post(client, headers, ANAC.read_bytes()).json()
        feed_before = changes(client)
        second = post(client, headers, ANAC.read_bytes()).json()
        assert second["counts"] == {
            "created": 0,
            "updated": 0,
            "unchanged": first["counts"]["created"],
            "rejected": 0,
        }
        assert changes(client) == feed_before

    def test_json_lines_import_the_same_tenders(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        lines = (OCDS / "it-anac" / "anac-2022-compiled-releases.sample.jsonl").read_bytes()
        report = post(client, headers, lines, media_type="application/x-ndjson").json()
        assert report["format"] == "json_lines"
        assert report["counts"]["rejected"] == 0
        again = post(client, headers, ANAC.read_bytes()).json()
        assert again["counts"]["created"] == 0


class TestNewerAndOlderReleases:
    def test_a_newer_release_updates_the_need_and_an_older_one_is_ignored(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        release = next(r for r in anac_releases() if r["ocid"] == "ocds-hu01ve-7299911")
        post(client, headers, {"releases": [release]})
        [need] = all_items(client, "/v1/needs")

        newer = copy.deepcopy(release)
        newer["id"], newer["date"] = "newer", "2023-01-01T00:00:00Z"
        newer["tender"]["value"]["amount"] = 90000
        newer["parties"][1]["name"] = "FOTIR S.R.L."  # the supplier, renamed
        report = post(client, headers, {"releases": [newer]}).json()
        updated = {(i["entity"], i["source_key"]): i["id"] for i in report["updated"]}
        assert updated[("need", release["ocid"])] == need["id"]
        supplier = client.get(f"/v1/organisations/{updated[('organisation', 'IT-CF-01445350125')]}")
        assert supplier.json()["name"] == "FOTIR S.R.L."
        assert supplier.json()["provenance"]["release_id"] == "newer"
        current = client.get(f"/v1/needs/{need['id']}").json()
        assert current["budget"]["amount"] == 90000
        assert current["provenance"]["release_id"] == "newer"

        older = copy.deepcopy(release)
        older["id"], older["date"] = "older", "2019-01-01T00:00:00Z"
        older["tender"]["value"]["amount"] = 1
        report = post(client, headers, {"releases": [older]}).json()
        [ignored] = [i for i in report["unchanged"] if i["entity"] == "need"]
        assert "older than release newer" in ignored["reason"]
        assert client.get(f"/v1/needs/{need['id']}").json()["budget"]["amount"] == 90000

    def test_releases_of_one_process_in_one_package_are_merged_by_date(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        release = next(r for r in anac_releases() if r["ocid"] == "ocds-hu01ve-7299911")
        later = {
            "ocid": release["ocid"],
            "id": "amendment",
            "date": "2023-05-01T00:00:00Z",
            "tender": {"title": "Espurgo meccanico delle sacche (rettifica)"},
        }
        # the later release comes first in the package: order is by date, not position
        report = post(client, headers, {"releases": [later, release]}).json()
        [created] = [i for i in report["created"] if i["entity"] == "need"]
        need = client.get(f"/v1/needs/{created['id']}").json()
        assert need["title"] == "Espurgo meccanico delle sacche (rettifica)"
        assert need["budget"]["amount"] == 79592.73  # from the earlier release
        assert need["provenance"]["release_id"] == "amendment"


class TestRejections:
    def test_bad_releases_are_rejected_with_pointers_and_the_good_ones_imported(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        releases = anac_releases()[:3]
        releases[1]["tender"]["value"]["currency"] = "EURO"
        releases.append({"ocid": "ocds-x-1", "id": "1"})
        report = post(client, headers, {"releases": releases}).json()
        assert len([i for i in report["created"] if i["entity"] == "need"]) == 2
        rejected = {r["pointer"]: r for r in report["rejected"]}
        assert rejected["/releases/1"]["errors"] == [
            {
                "pointer": "/releases/1/tender/value/currency",
                "reason": "'EURO' is not an ISO 4217 currency code (e.g. EUR, GBP, MDL, UAH)",
            }
        ]
        assert rejected["/releases/3/date"]["entity"] == "release"

    def test_a_body_broken_off_half_way_changes_nothing(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        feed_before = changes(client)
        raw = ANAC.read_bytes()
        response = post(client, headers, raw[: len(raw) * 2 // 3])
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "body"
        assert all_items(client, "/v1/needs") == []
        assert changes(client) == feed_before

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b'{"hello": "world"}',
            b'{"releases": {"0": {}}}',
            b"42",
            b'{"releases": [{"ocid": ' + b"[" * 5000 + b"]" * 5000 + b"}]}",
        ],
    )
    def test_what_is_not_an_ocds_document_is_a_422(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]], body: bytes
    ) -> None:
        _, headers = partner
        response = post(client, headers, body)
        assert response.status_code == 422
        assert response.json()["status"] == 422

    def test_only_partners_and_admins_import(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        _, supplier_key = register(client)
        response = post(client, auth(supplier_key), ANAC.read_bytes())
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
        assert post(client, {}, ANAC.read_bytes()).status_code == 401
        assert post(client, admin, ANAC.read_bytes()).status_code == 200


class TestOtherPublishers:
    def test_outside_the_eu_parties_are_imported_and_tenders_rejected_with_the_reason(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        path = OCDS / "ukraine" / "records" / "ocds-be6bcu-UA-2016-12-29-000657-c.json"
        report = post(client, headers, path.read_bytes()).json()
        created = {i["source_key"]: i for i in report["created"]}
        bank = client.get(f"/v1/organisations/{created['UA-EDR-00032106']['id']}").json()
        assert (bank["name"], bank["country"]) == ("Національний банк України", "UA")
        [rejected] = report["rejected"]
        assert rejected["entity"] == "need"
        assert "outside NUTS" in rejected["errors"][0]["reason"]

    def test_moldovan_parties_take_the_country_the_partner_names(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        raw = (OCDS / "moldova" / "records" / "ocds-ngfbwp-17481081.json").read_bytes()
        without = post(client, headers, raw).json()
        assert without["counts"]["created"] == 0
        report = post(client, headers, raw, params={"country": "MD"}).json()
        names = {
            client.get(f"/v1/organisations/{i['id']}").json()["name"] for i in report["created"]
        }
        assert names == {"CONSILIUL RAIONAL CAHUL", "S.R.L. LUKOIL-Moldova"}
        pointers = {e["pointer"] for r in report["rejected"] for e in r["errors"]}
        assert "/compiledRelease/parties/1/name" in pointers  # the nameless tenderer

    def test_the_fictional_example_keeps_its_parties_identifiers(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        path = OCDS / "fictional-example" / "ocds-213czf-000-00001.release-package.json"
        report = post(client, headers, path.read_bytes()).json()
        assert report["publisher"] == "Open Data Services Co-operative Limited"
        assert {i["source_key"] for i in report["created"]} == {
            "GB-LAC-E09000003",
            "GB-COH-11111111.0",
            "GB-COH-22222222.0",
        }


def test_an_idempotency_key_replays_the_report(
    client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
) -> None:
    _, headers = partner
    keyed = {**headers, "Idempotency-Key": "anac-2022"}
    first = post(client, keyed, ANAC.read_bytes())
    again = post(client, keyed, ANAC.read_bytes())
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert post(client, keyed, b'{"releases": []}').status_code == 422


class TestClaiming:
    def claim_body(self, **organisation: Any) -> dict[str, Any]:
        return {
            "organisation": {
                "kind": "municipality",
                "name": "Comune di Como",
                "country": "IT",
                "identifier": {"scheme": "IT-CF", "id": "80005370137"},
                **organisation,
            },
            "contact_email": "protocollo@comune.como.it",
        }

    def test_the_importing_partner_hands_the_profile_over(
        self, client: TestClient, partner: tuple[dict[str, Any], dict[str, str]]
    ) -> None:
        _, headers = partner
        post(client, headers, ANAC.read_bytes())
        [como_need] = [
            n for n in all_items(client, "/v1/needs") if n["title"] == "ESPURGO MECCANICO SACCHE"
        ]
        imported_id = como_need["organisation_id"]

        anonymous = client.post("/v1/registrations", json=self.claim_body())
        assert anonymous.status_code == 409
        assert "partner that imported it" in anonymous.json()["detail"]

        claimed = client.post("/v1/registrations", json=self.claim_body(), headers=headers)
        assert claimed.status_code == 201, claimed.text
        organisation = claimed.json()["organisation"]
        assert organisation["id"] == imported_id
        assert organisation["name"] == "Comune di Como"
        assert organisation["brought_by_id"] is None
        assert organisation["provenance"]["claimed_at"] is not None
        own_key = auth(claimed.json()["api_key"])
        assert client.get("/v1/auth/introspect", headers=own_key).json()["organisation_id"] == (
            imported_id
        )

        # the partner's rights end: it can no longer change the profile or the needs...
        etag = client.get(f"/v1/organisations/{imported_id}").headers["ETag"]
        patch = client.patch(
            f"/v1/organisations/{imported_id}",
            json={"description": "x"},
            headers={**headers, "If-Match": etag},
        )
        assert patch.status_code == 403
        # ...and a re-import, even of a newer release, leaves the claimed records alone
        report = post(client, headers, ANAC.read_bytes()).json()
        assert report["counts"]["updated"] == 0
        newer = next(r for r in anac_releases() if r["ocid"] == "ocds-hu01ve-7299911")
        newer["id"], newer["date"] = "newer", "2023-01-01T00:00:00Z"
        newer["tender"]["value"]["amount"] = 1
        newer["parties"][0]["name"] = "COMUNE DI COMO (rettifica)"
        report = post(client, headers, {"releases": [newer]}).json()
        assert report["updated"] == []
        reasons = {i["entity"]: i["reason"] for i in report["unchanged"] if i["id"] == imported_id}
        assert "claimed" in reasons["organisation"]
        [need_left] = [i for i in report["unchanged"] if i["entity"] == "need"]
        assert need_left["reason"] == "this record belongs to another organisation"
        assert client.get(f"/v1/needs/{como_need['id']}").json()["budget"]["amount"] == 79592.73
        # while the municipality edits its own need
        need_etag = client.get(f"/v1/needs/{como_need['id']}").headers["ETag"]
        edit = client.patch(
            f"/v1/needs/{como_need['id']}",
            json={"category": "other", "description": "Spurgo delle sacche"},
            headers={**own_key, "If-Match": need_etag},
        )
        assert edit.status_code == 200, edit.text
        assert edit.json()["provenance"]["ocid"] == "ocds-hu01ve-7299911"

    def test_a_claimed_or_registered_identifier_cannot_be_registered_again(
        self, client: TestClient, admin: dict[str, str]
    ) -> None:
        first = client.post("/v1/registrations", json=self.claim_body())
        assert first.status_code == 201
        again = client.post("/v1/registrations", json=self.claim_body(), headers=admin)
        assert again.status_code == 409

    def test_an_identifier_taken_between_lookup_and_insert_is_a_conflict(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # the lookup misses a concurrent registration of the same identifier: the unique index
        # refuses the insert, and the caller hears 409, never a 500
        first = client.post("/v1/registrations", json=self.claim_body())
        assert first.status_code == 201
        monkeypatch.setattr(repository, "get_organisation_by_identifier", lambda *_: None)
        racing = client.post("/v1/registrations", json=self.claim_body())
        assert racing.status_code == 409, racing.text
        assert "same moment" in racing.json()["detail"]
        listed = client.get("/v1/organisations", params={"limit": 500}).json()["items"]
        assert [item["name"] for item in listed].count("Comune di Como") == 1
