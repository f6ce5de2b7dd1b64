"""Catalogue stopped: matching keeps answering from its index, stays ready but degraded
(`/readyz` 200 with the catalogue feed's failure and the index lag: every matching replica
follows the same catalogue, so failing readiness would take them all out of the load balancer
and turn stale answers into none), reports the lag in `/v1/index/status`, and catches up when
the catalogue is back."""

from __future__ import annotations

from typing import Any

import httpx

from services.catalogue.tests.builders import auth
from tests.e2e.processes import ServiceProcesses, wait_for
from tests.e2e.test_matching_flow import LED_SUPPLIER, NEED, register


def test_matching_answers_from_its_index_and_reports_its_lag_while_catalogue_is_down(
    stack: ServiceProcesses,
) -> None:
    catalogue, matching = stack.url("catalogue"), httpx.Client(base_url=stack.url("matching"))
    supplier = register(catalogue, LED_SUPPLIER)["organisation"]
    city = register(catalogue, {"kind": "municipality", "name": "Torino", "country": "IT"})
    need = httpx.post(f"{catalogue}/v1/needs", json=NEED, headers=auth(city["api_key"])).json()

    def suppliers() -> list[dict[str, Any]]:
        response = matching.get(f"/v1/needs/{need['id']}/matches", params={"kind": "supplier"})
        return response.json()["items"] if response.status_code == 200 else []

    def feed() -> dict[str, Any]:
        return matching.get("/v1/index/status").json()["feed"]

    def answer(items: list[dict[str, Any]]) -> list[tuple[int, dict[str, str]]]:
        """Who is ranked, and each constraint's verdict (scores may move with a refit)."""
        return [
            (item["candidate_id"], {c["name"]: c["status"] for c in item["constraints"]})
            for item in items
        ]

    assert wait_for(suppliers)
    assert wait_for(lambda: feed()["caught_up"])
    before = answer(suppliers())
    assert [candidate for candidate, _checks in before] == [supplier["id"]]
    ready = matching.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "index": "ok", "catalogue_feed": "ok"},
    }
    assert feed()["reachable"] is True
    assert feed()["failing_since"] is None
    applied = feed()["changes_applied"]

    stack.stop("catalogue")
    down = wait_for(lambda: (status := feed())["reachable"] is False and status, timeout=30)
    assert down, "matching did not notice the catalogue had stopped"
    assert down["last_error"].startswith("catalogue feed:")
    assert down["failing_since"] is not None
    assert down["last_success_at"] is not None
    assert down["last_change_at"] is not None
    assert down["changes_applied"] == applied
    lagging = wait_for(lambda: (status := feed())["lag_seconds"] > 0 and status, timeout=30)
    assert lagging, "the lag did not grow while the catalogue was down"
    assert lagging["caught_up"] is False
    assert lagging["failing_seconds"] > 0

    # reads still answered from the index, exactly as before
    assert answer(suppliers()) == before
    why = matching.get(f"/v1/needs/{need['id']}/matches/supplier/{supplier['id']}")
    assert why.status_code == 200
    assert why.json()["eligible"] is True

    # ready, degraded: the failure and the lag are named
    degraded = matching.get("/readyz")
    assert degraded.status_code == 200
    body = degraded.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["index"] == "ok"
    assert body["checks"]["catalogue_feed"].startswith("degraded: catalogue feed unreachable")
    assert "index lag" in body["checks"]["catalogue_feed"]

    # back: the follower catches up and the readiness clears
    stack.start("catalogue")
    newcomer = register(catalogue, {**LED_SUPPLIER, "name": "Luce Nuova"})["organisation"]
    assert wait_for(lambda: newcomer["id"] in {i["candidate_id"] for i in suppliers()}, timeout=30)
    recovered = wait_for(lambda: (status := feed())["caught_up"] and status, timeout=30)
    assert recovered["reachable"] is True
    assert recovered["failing_since"] is None
    assert recovered["lag_seconds"] == 0
    assert recovered["changes_applied"] > applied
    assert matching.get("/readyz").json()["status"] == "ready"
