"""Subscriptions over HTTP: ownership, ETags, the secret shown once, SSRF refusal, the pull feed,
signed deliveries (to an in-process recording transport), retries, dead letters and replay."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook

from services.catalogue.tests.builders import ADMIN_KEY, auth, post_need, register
from services.matching.settings import MatchingSettings
from services.matching.tests.api.test_matches import LED_APPRAISAL, LED_SUPPLIER, lender
from services.matching.tests.conftest import Stack, matching_app


@dataclass
class Receiver:
    """An in-process webhook endpoint: records requests, fails the first `failures`."""

    failures: int = 0
    status: int = 204
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(503)
        return httpx.Response(self.status)

    def bodies(self, secret: str) -> list[dict]:
        return [Webhook(secret).verify(r.content, dict(r.headers)) for r in self.requests]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def hooked(
    settings: MatchingSettings,
    catalogue: TestClient,
    evaluation: TestClient,
    receiver: Receiver,
) -> Iterator[Stack]:
    settings = settings.model_copy(
        update={"webhook_retry_seconds": [0.001, 0.001], "webhook_jitter": 0.0}
    )
    transport = httpx.MockTransport(receiver.handle)
    with matching_app(settings, catalogue, evaluation, transport) as matching:
        yield Stack(catalogue, evaluation, matching, settings)


def subscribe(stack: Stack, key: str, **body: object) -> dict:
    body.setdefault("url", "https://hooks.example.org/cityfit")
    response = stack.matching.post("/v1/subscriptions", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()


def city_with_need(stack: Stack) -> tuple[str, dict]:
    _city, key = register(stack.catalogue, kind="municipality", name="Torino")
    need = post_need(stack.catalogue, key)
    stack.sync()
    return key, need


def feed(stack: Stack, subscription_id: int, key: str, after: str | None = None) -> dict:
    params = {"after": after} if after else {}
    response = stack.matching.get(
        f"/v1/subscriptions/{subscription_id}/feed", params=params, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestCreating:
    def test_the_secret_is_shown_once_and_not_on_an_idempotent_replay(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        headers = {**auth(key), "Idempotency-Key": "sub-1"}
        body = {"filter": {"need_id": need["id"]}, "min_score": 0.1}
        first = stack.matching.post("/v1/subscriptions", json=body, headers=headers)
        assert first.status_code == 201
        assert first.json()["secret"].startswith("whsec_")
        assert first.headers["ETag"] == '"1"'
        again = stack.matching.post("/v1/subscriptions", json=body, headers=headers)
        assert again.status_code == 201
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["secret"] is None
        fetched = stack.matching.get(
            f"/v1/subscriptions/{first.json()['id']}", headers=auth(key)
        ).json()
        assert fetched["secret"] is None

    def test_a_filter_names_exactly_one_subject(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        for bad in ({}, {"need_id": need["id"], "category": "public_lighting"}, {"kind": "lender"}):
            response = stack.matching.post(
                "/v1/subscriptions", json={"filter": bad}, headers=auth(key)
            )
            assert response.status_code == 422, bad
            assert response.headers["content-type"].startswith("application/problem+json")

    def test_a_key_is_required(self, stack: Stack) -> None:
        response = stack.matching.post("/v1/subscriptions", json={"filter": {"nuts": "ITC"}})
        assert response.status_code == 401

    def test_an_organisation_subscribes_to_its_own_matches_only(self, stack: Stack) -> None:
        supplier, _ = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        _other, other_key = register(stack.catalogue, name="Rival")
        response = stack.matching.post(
            "/v1/subscriptions",
            json={"filter": {"organisation_id": supplier["id"]}},
            headers=auth(other_key),
        )
        assert response.status_code == 403


class TestWebhookTargets:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "ftp://example.org/hook",
            "http://user:pw@93.184.216.34/hook",
        ],
    )
    def test_private_loopback_and_link_local_targets_are_refused(
        self, settings: MatchingSettings, catalogue: TestClient, url: str
    ) -> None:
        strict = settings.model_copy(update={"allow_private_webhooks": False})
        with matching_app(strict, catalogue, None) as matching:
            _org, key = register(catalogue, kind="municipality", name="Torino")
            response = matching.post(
                "/v1/subscriptions",
                json={"url": url, "filter": {"nuts": "ITC"}},
                headers=auth(key),
            )
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["url"]

    def test_a_public_address_is_accepted(
        self, settings: MatchingSettings, catalogue: TestClient
    ) -> None:
        strict = settings.model_copy(update={"allow_private_webhooks": False})
        with matching_app(strict, catalogue, None) as matching:
            _org, key = register(catalogue, kind="municipality", name="Torino")
            response = matching.post(
                "/v1/subscriptions",
                json={"url": "https://93.184.216.34/hook", "filter": {"nuts": "ITC"}},
                headers=auth(key),
            )
        assert response.status_code == 201, response.text

    def test_the_setting_allows_loopback(self, stack: Stack) -> None:
        key, _need = city_with_need(stack)
        created = subscribe(stack, key, url="http://127.0.0.1:9/hook", filter={"nuts": "ITC"})
        assert created["url"] == "http://127.0.0.1:9/hook"


class TestOwnership:
    def test_another_organisation_gets_403_and_an_unknown_id_404(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, filter={"need_id": need["id"]})
        _other, other_key = register(stack.catalogue, kind="municipality", name="Milano")
        path = f"/v1/subscriptions/{created['id']}"
        for method, suffix in (
            ("GET", ""),
            ("GET", "/feed"),
            ("GET", "/deliveries"),
            ("POST", "/rotate-secret"),
        ):
            response = stack.matching.request(method, path + suffix, headers=auth(other_key))
            assert response.status_code == 403, (method, suffix)
        patch = stack.matching.patch(
            path, json={"min_score": 0.5}, headers={**auth(other_key), "If-Match": '"1"'}
        )
        assert patch.status_code == 403
        assert stack.matching.get("/v1/subscriptions/999999", headers=auth(key)).status_code == 404
        listed = stack.matching.get("/v1/subscriptions", headers=auth(other_key)).json()
        assert listed["items"] == []
        admin = stack.matching.get(path, headers=auth(ADMIN_KEY))
        assert admin.status_code == 200

    def test_the_owner_lists_its_subscriptions_page_by_page(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        ids = [subscribe(stack, key, filter={"need_id": need["id"]})["id"] for _ in range(3)]
        first = stack.matching.get("/v1/subscriptions?limit=2", headers=auth(key)).json()
        second = stack.matching.get(
            f"/v1/subscriptions?limit=2&cursor={first['next_cursor']}", headers=auth(key)
        ).json()
        assert [s["id"] for s in first["items"] + second["items"]] == ids
        assert second["next_cursor"] is None


class TestChanging:
    def test_patch_and_delete_need_the_current_etag(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, filter={"need_id": need["id"]})
        path = f"/v1/subscriptions/{created['id']}"
        missing = stack.matching.patch(path, json={"min_score": 0.4}, headers=auth(key))
        assert missing.status_code == 428
        ok = stack.matching.patch(
            path, json={"min_score": 0.4}, headers={**auth(key), "If-Match": '"1"'}
        )
        assert ok.status_code == 200
        assert ok.json()["min_score"] == 0.4
        assert ok.headers["ETag"] == '"2"'
        stale = stack.matching.patch(
            path, json={"url": None}, headers={**auth(key), "If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert stack.matching.delete(path, headers=auth(key)).status_code == 428
        assert (
            stack.matching.delete(path, headers={**auth(key), "If-Match": '"1"'}).status_code == 412
        )
        gone = stack.matching.delete(path, headers={**auth(key), "If-Match": '"2"'})
        assert gone.status_code == 204
        assert stack.matching.get(path, headers=auth(key)).status_code == 404

    def test_rotation_shows_the_new_secret_once(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, filter={"need_id": need["id"]})
        rotated = stack.matching.post(
            f"/v1/subscriptions/{created['id']}/rotate-secret", headers=auth(key)
        )
        assert rotated.status_code == 200
        assert rotated.json()["secret"].startswith("whsec_")
        assert rotated.json()["secret"] != created["secret"]
        assert rotated.json()["previous_secret_expires_at"] is not None


class TestEvents:
    def test_a_new_matching_supplier_is_a_created_event_in_the_feed(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, url=None, filter={"need_id": need["id"]})
        stack.sync()
        assert feed(stack, created["id"], key)["items"] == []
        supplier, _ = register(stack.catalogue, name="Lumen Street Lighting", **LED_SUPPLIER)
        stack.sync()
        page = feed(stack, created["id"], key)
        assert [e["type"] for e in page["items"]] == ["match.created"]
        data = page["items"][0]["data"]
        assert data["pair"] == {
            "need_id": need["id"],
            "candidate_kind": "supplier",
            "candidate_id": supplier["id"],
        }
        assert data["score"] > 0
        assert set(data["components"]) >= {"text", "cpv", "budget"}
        assert "Lumen Street Lighting" in data["explanation"]
        assert data["links"]["need"].endswith(f"/v1/needs/{need['id']}")
        assert data["links"]["candidate"].endswith(f"/v1/organisations/{supplier['id']}")
        # nothing new: an empty page still hands back a cursor to poll from
        later = feed(stack, created["id"], key, page["next_cursor"])
        assert later["items"] == []
        assert later["next_cursor"] == page["next_cursor"]
        # replay from the start gives the same events
        assert feed(stack, created["id"], key)["items"] == page["items"]

    def test_lender_events_respect_the_lenders_thresholds_on_the_appraisal(
        self, stack: Stack
    ) -> None:
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key, appraisal=LED_APPRAISAL)
        created = subscribe(stack, key, url=None, filter={"need_id": need["id"], "kind": "lender"})
        stack.sync()
        lenient = lender(stack, "Banca Verde", min_dscr=1.1)
        lender(stack, "Fondo Prudente", min_dscr=9.0)  # the appraisal's DSCR is far below 9
        stack.sync()
        events = feed(stack, created["id"], key)["items"]
        assert [(e["type"], e["data"]["pair"]["candidate_id"]) for e in events] == [
            ("match.created", lenient["id"])
        ]
        ranked = stack.matching.get(
            f"/v1/needs/{need['id']}/matches", params={"kind": "lender"}
        ).json()["items"]
        assert [i["candidate_id"] for i in ranked] == [lenient["id"]]

    def test_a_deactivated_supplier_is_a_removed_event(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, url=None, filter={"need_id": need["id"]})
        stack.sync()
        supplier, supplier_key = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        stack.sync()
        current = stack.catalogue.get(f"/v1/organisations/{supplier['id']}")
        patched = stack.catalogue.patch(
            f"/v1/organisations/{supplier['id']}",
            json={"contract_forms": ["grant"]},
            headers={**auth(supplier_key), "If-Match": current.headers["ETag"]},
        )
        assert patched.status_code == 200, patched.text
        stack.sync()
        types = [e["type"] for e in feed(stack, created["id"], key)["items"]]
        assert types == ["match.created", "match.removed"]

    def test_a_closed_need_removes_its_matches(self, stack: Stack) -> None:
        register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        key, need = city_with_need(stack)
        created = subscribe(stack, key, url=None, filter={"need_id": need["id"]})
        stack.sync()
        current = stack.catalogue.get(f"/v1/needs/{need['id']}")
        closed = stack.catalogue.patch(
            f"/v1/needs/{need['id']}",
            json={"status": "closed"},
            headers={**auth(key), "If-Match": current.headers["ETag"]},
        )
        assert closed.status_code == 200, closed.text
        stack.sync()
        types = [e["type"] for e in feed(stack, created["id"], key)["items"]]
        assert types == ["match.removed"]

    def test_a_supplier_hears_of_a_new_need_it_can_deliver(self, stack: Stack) -> None:
        supplier, supplier_key = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        stack.sync()
        created = subscribe(
            stack, supplier_key, url=None, filter={"organisation_id": supplier["id"]}
        )
        _key, need = city_with_need(stack)
        items = feed(stack, created["id"], supplier_key)["items"]
        assert [(e["type"], e["data"]["pair"]["need_id"]) for e in items] == [
            ("match.created", need["id"])
        ]

    def test_a_category_and_region_watch_sees_new_needs_there_only(self, stack: Stack) -> None:
        _supplier, supplier_key = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        stack.sync()
        created = subscribe(
            stack,
            supplier_key,
            url=None,
            filter={"category": "public_lighting", "nuts": "ITC1", "kind": "supplier"},
        )
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        inside = post_need(stack.catalogue, key)
        post_need(stack.catalogue, key, nuts_code="ITC41")
        stack.sync()
        items = feed(stack, created["id"], supplier_key)["items"]
        assert {e["data"]["pair"]["need_id"] for e in items} == {inside["id"]}

    def test_min_score_filters_weak_pairs(self, stack: Stack) -> None:
        key, need = city_with_need(stack)
        created = subscribe(stack, key, url=None, filter={"need_id": need["id"]}, min_score=0.99)
        stack.sync()
        register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        stack.sync()
        assert feed(stack, created["id"], key)["items"] == []


class TestDeliveries:
    def test_each_event_is_delivered_once_signed_with_the_secret(
        self, hooked: Stack, receiver: Receiver
    ) -> None:
        key, need = city_with_need(hooked)
        created = subscribe(hooked, key, filter={"need_id": need["id"]})
        hooked.sync()
        register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
        hooked.sync()
        assert hooked.deliver() == 1
        assert hooked.deliver() == 0
        (body,) = receiver.bodies(created["secret"])
        assert body["type"] == "match.created"
        events = feed(hooked, created["id"], key)["items"]
        assert receiver.requests[0].headers["webhook-id"] == events[0]["id"]
        log = hooked.matching.get(
            f"/v1/subscriptions/{created['id']}/deliveries", headers=auth(key)
        ).json()["items"]
        assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [
            ("delivered", 1, 204)
        ]

    def test_a_failing_receiver_gets_it_after_retries(
        self, hooked: Stack, receiver: Receiver
    ) -> None:
        receiver.failures = 2
        key, need = city_with_need(hooked)
        created = subscribe(hooked, key, filter={"need_id": need["id"]})
        hooked.sync()
        register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
        hooked.sync()
        while hooked.deliver():
            pass
        assert len(receiver.requests) == 3
        ids = {r.headers["webhook-id"] for r in receiver.requests}
        assert len(ids) == 1
        (delivery,) = hooked.matching.get(
            f"/v1/subscriptions/{created['id']}/deliveries", headers=auth(key)
        ).json()["items"]
        assert delivery["status"] == "delivered"
        assert delivery["attempts"] == 3

    def test_past_the_schedule_it_is_dead_and_replay_sends_it(
        self, hooked: Stack, receiver: Receiver
    ) -> None:
        receiver.failures = 3  # one attempt and two retries: all fail
        key, need = city_with_need(hooked)
        created = subscribe(hooked, key, filter={"need_id": need["id"]})
        hooked.sync()
        register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
        hooked.sync()
        while hooked.deliver():
            pass
        path = f"/v1/subscriptions/{created['id']}/deliveries"
        (dead,) = hooked.matching.get(path, headers=auth(key)).json()["items"]
        assert dead["status"] == "dead"
        assert dead["attempts"] == 3
        assert "503" in dead["last_error"]
        replayed = hooked.matching.post(f"{path}/{dead['id']}/replay", headers=auth(key))
        assert replayed.status_code == 202
        assert replayed.json()["status"] == "pending"
        assert hooked.deliver() == 1
        (done,) = hooked.matching.get(path, headers=auth(key)).json()["items"]
        assert done["status"] == "delivered"
        assert done["replays"] == 1
        assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1

    def test_a_redirect_is_not_followed(self, hooked: Stack, receiver: Receiver) -> None:
        receiver.status = 307
        key, need = city_with_need(hooked)
        created = subscribe(hooked, key, filter={"need_id": need["id"]})
        hooked.sync()
        register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
        hooked.sync()
        while hooked.deliver():
            pass
        (delivery,) = hooked.matching.get(
            f"/v1/subscriptions/{created['id']}/deliveries", headers=auth(key)
        ).json()["items"]
        assert delivery["status"] == "dead"
        assert "redirect" in delivery["last_error"]

    def test_during_a_rotation_both_signatures_are_sent(
        self, hooked: Stack, receiver: Receiver
    ) -> None:
        key, need = city_with_need(hooked)
        created = subscribe(hooked, key, filter={"need_id": need["id"]})
        hooked.sync()
        rotated = hooked.matching.post(
            f"/v1/subscriptions/{created['id']}/rotate-secret", headers=auth(key)
        ).json()
        register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
        hooked.sync()
        hooked.deliver()
        (request,) = receiver.requests
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        for secret in (created["secret"], rotated["secret"]):
            assert Webhook(secret).verify(request.content, dict(request.headers))["type"]

    def test_an_endpoint_failing_for_days_disables_its_subscription(
        self,
        settings: MatchingSettings,
        catalogue: TestClient,
        evaluation: TestClient,
        receiver: Receiver,
    ) -> None:
        receiver.failures = 100
        quick = settings.model_copy(
            update={
                "webhook_retry_seconds": [0.001],
                "webhook_jitter": 0.0,
                "webhook_disable_after_seconds": 0.001,
            }
        )
        transport = httpx.MockTransport(receiver.handle)
        with matching_app(quick, catalogue, evaluation, transport) as matching:
            stack = Stack(catalogue, evaluation, matching, quick)
            key, need = city_with_need(stack)
            created = subscribe(stack, key, filter={"need_id": need["id"]})
            stack.sync()
            register(catalogue, name="Lumen", **LED_SUPPLIER)
            stack.sync()
            while stack.deliver():
                pass
            shown = matching.get(f"/v1/subscriptions/{created['id']}", headers=auth(key))
            assert shown.json()["status"] == "disabled"
            assert "503" in shown.json()["disabled_reason"]
            enabled = matching.patch(
                f"/v1/subscriptions/{created['id']}",
                json={"active": True},
                headers={**auth(key), "If-Match": shown.headers["ETag"]},
            )
            assert enabled.json()["status"] == "active"
            assert enabled.json()["disabled_reason"] is None


def test_event_bodies_are_json_objects_with_type_timestamp_and_data(
    hooked: Stack, receiver: Receiver
) -> None:
    key, need = city_with_need(hooked)
    subscribe(hooked, key, filter={"need_id": need["id"]})
    hooked.sync()
    register(hooked.catalogue, name="Lumen", **LED_SUPPLIER)
    hooked.sync()
    hooked.deliver()
    body = json.loads(receiver.requests[0].content)
    assert set(body) == {"type", "timestamp", "data"}
