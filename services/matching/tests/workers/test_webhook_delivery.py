"""Webhook delivery end to end: the matching app's own delivery worker thread posting to a real
receiver process (`webhook_receiver.py`) that verifies every signature with `standardwebhooks`.

The feed follower is driven with `sync()`; deliveries run on the worker thread, so the tests
poll the receiver's record file with deadlines and assert on what arrived, never on timings.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.catalogue.tests.builders import auth, post_need, register
from services.matching.settings import MatchingSettings
from services.matching.tests.api.test_matches import LED_SUPPLIER
from services.matching.tests.conftest import Stack, matching_app

RECEIVER = Path(__file__).parent.parent / "webhook_receiver.py"
DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = predicate()
    return value


class ReceiverProcess:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.records_path = workdir / "received.jsonl"
        self.secrets_path = workdir / "secrets.json"
        self.secrets_path.write_text("{}")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self, *, fail_first: int = 0) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(RECEIVER),
                str(self.port),
                str(self.records_path),
                str(self.secrets_path),
                "--fail-first",
                str(fail_first),
            ]
        )

        def listening() -> bool:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return True
            except httpx.HTTPError:
                return False

        assert wait_for(listening), "the receiver did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def trust(self, subscription: dict) -> None:
        secrets = json.loads(self.secrets_path.read_text())
        secrets[str(subscription["id"])] = subscription["secret"]
        self.secrets_path.write_text(json.dumps(secrets))

    def records(self) -> list[dict]:
        if not self.records_path.exists():
            return []
        return [json.loads(line) for line in self.records_path.read_text().splitlines() if line]

    def accepted(self) -> Counter[str]:
        return Counter(r["id"] for r in self.records() if r["status"] == 204)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[ReceiverProcess]:
    process = ReceiverProcess(tmp_path)
    yield process
    process.stop()


@pytest.fixture
def live_settings(settings: MatchingSettings) -> MatchingSettings:
    return settings.model_copy(
        update={
            "deliver_webhooks": True,
            "webhook_poll_seconds": 0.05,
            "webhook_timeout_seconds": 2.0,
            "webhook_retry_seconds": [0.05, 0.1, 0.2],
            "webhook_jitter": 0.1,
        }
    )


@pytest.fixture
def live(
    live_settings: MatchingSettings, catalogue: TestClient, evaluation: TestClient
) -> Iterator[Stack]:
    with matching_app(live_settings, catalogue, evaluation) as matching:
        yield Stack(catalogue, evaluation, matching, live_settings)


def subscribe(stack: Stack, key: str, receiver: ReceiverProcess, **watch: Any) -> dict:
    response = stack.matching.post(
        "/v1/subscriptions",
        json={"url": receiver.url, "filter": watch},
        headers=auth(key),
    )
    assert response.status_code == 201, response.text
    subscription = response.json()
    receiver.trust(subscription)
    return subscription


def feed_ids(stack: Stack, subscription: dict, key: str) -> list[str]:
    page = stack.matching.get(
        f"/v1/subscriptions/{subscription['id']}/feed", headers=auth(key)
    ).json()
    return [event["id"] for event in page["items"]]


def deliveries(stack: Stack, subscription: dict, key: str) -> list[dict]:
    return stack.matching.get(
        f"/v1/subscriptions/{subscription['id']}/deliveries", headers=auth(key)
    ).json()["items"]


def all_in(stack: Stack, subscription: dict, key: str, status: str) -> list[dict] | None:
    """The delivery log once every delivery has `status`, else None."""
    items = deliveries(stack, subscription, key)
    return items if items and all(d["status"] == status for d in items) else None


def three_events(stack: Stack, receiver: ReceiverProcess) -> tuple[dict, str, list[str]]:
    """A city subscribes to its need; two suppliers register, one then stops matching."""
    _city, key = register(stack.catalogue, kind="municipality", name="Torino")
    need = post_need(stack.catalogue, key)
    stack.sync()
    subscription = subscribe(stack, key, receiver, need_id=need["id"])
    stack.sync()
    register(stack.catalogue, name="Lumen Street Lighting", **LED_SUPPLIER)
    second, second_key = register(stack.catalogue, name="Luce Nuova", **LED_SUPPLIER)
    stack.sync()
    current = stack.catalogue.get(f"/v1/organisations/{second['id']}")
    stack.catalogue.patch(
        f"/v1/organisations/{second['id']}",
        json={"contract_forms": ["grant"]},
        headers={**auth(second_key), "If-Match": current.headers["ETag"]},
    )
    stack.sync()
    ids = feed_ids(stack, subscription, key)
    assert len(ids) == 3
    return subscription, key, ids


class TestHealthyReceiver:
    def test_every_event_arrives_exactly_once_verified(
        self, live: Stack, receiver: ReceiverProcess
    ) -> None:
        receiver.start()
        subscription, key, ids = three_events(live, receiver)
        assert wait_for(lambda: set(receiver.accepted()) == set(ids))
        assert wait_for(
            lambda: all(d["status"] == "delivered" for d in deliveries(live, subscription, key))
        )
        records = receiver.records()
        assert all(r["verified"] for r in records)
        assert receiver.accepted() == Counter(dict.fromkeys(ids, 1))
        types = sorted(r["type"] for r in records)
        assert types == ["match.created", "match.created", "match.removed"]


class TestFailingReceiver:
    def test_an_event_arrives_after_retries(self, live: Stack, receiver: ReceiverProcess) -> None:
        receiver.start(fail_first=2)
        subscription, key, ids = three_events(live, receiver)
        assert wait_for(lambda: set(receiver.accepted()) == set(ids))
        assert receiver.accepted() == Counter(dict.fromkeys(ids, 1))
        failed = [r for r in receiver.records() if r["status"] == 503]
        assert len(failed) == 2
        log = wait_for(lambda: all_in(live, subscription, key, "delivered"))
        assert sum(d["attempts"] for d in log) == len(ids) + 2

    def test_down_past_the_schedule_it_is_dead_lettered_and_replay_sends_it(
        self, live: Stack, receiver: ReceiverProcess
    ) -> None:
        # nobody listens on the receiver's port: every attempt is refused
        subscription, key, ids = three_events(live, receiver)
        dead = wait_for(lambda: all_in(live, subscription, key, "dead"))
        assert len(dead) == 3
        assert all(d["attempts"] == 4 for d in dead)
        assert all(d["last_error"] for d in dead)
        receiver.start()
        for delivery in dead:
            replayed = live.matching.post(
                f"/v1/subscriptions/{subscription['id']}/deliveries/{delivery['id']}/replay",
                headers=auth(key),
            )
            assert replayed.status_code == 202, replayed.text
        assert wait_for(lambda: set(receiver.accepted()) == set(ids))
        assert receiver.accepted() == Counter(dict.fromkeys(ids, 1))


class TestRestart:
    def test_a_restart_in_the_middle_of_a_retry_schedule_loses_nothing(
        self,
        live_settings: MatchingSettings,
        catalogue: TestClient,
        evaluation: TestClient,
        receiver: ReceiverProcess,
    ) -> None:
        receiver.start(fail_first=3)
        manual = live_settings.model_copy(update={"deliver_webhooks": False})
        with matching_app(manual, catalogue, evaluation) as first:
            stack = Stack(catalogue, evaluation, first, manual)
            subscription, key, ids = three_events(stack, receiver)
            # one round by hand: every delivery's first attempt fails (503) and is rescheduled
            assert first.app.state.webhook_sender.run_once() == 3
            pending = deliveries(stack, subscription, key)
            assert [(d["status"], d["attempts"]) for d in pending] == [("pending", 1)] * 3
        # a new matching app on the same database, with its delivery worker running
        with matching_app(live_settings, catalogue, evaluation) as second:
            stack = Stack(catalogue, evaluation, second, live_settings)
            assert wait_for(lambda: set(receiver.accepted()) == set(ids))
            assert wait_for(
                lambda: all(
                    d["status"] == "delivered" for d in deliveries(stack, subscription, key)
                )
            )
        assert receiver.accepted() == Counter(dict.fromkeys(ids, 1))
        assert len([r for r in receiver.records() if r["status"] == 503]) == 3
