from __future__ import annotations

import time

from fastapi.testclient import TestClient

from services.catalogue.tests.builders import ADMIN_KEY, auth, need_body, post_need, register
from services.matching.app import create_app
from services.matching.domain import TextIndex
from services.matching.settings import MatchingSettings
from services.matching.tests.conftest import Stack, matching_app
from shared.testing.transport import unreachable_transport

LED_SUPPLIER = {
    "description": "LED street lighting retrofits with point-to-point remote management",
    "capabilities": ["LED street lighting", "remote management", "energy performance contracts"],
    "cpv_codes": ["34928500", "31527200"],
    "nuts_codes": ["ITC"],
    "contract_forms": ["epc", "ppp"],
    "project_size": {
        "min": {"amount": 500_000, "currency": "EUR"},
        "max": {"amount": 20_000_000, "currency": "EUR"},
    },
}
LED_APPRAISAL = {
    "template": "led_public_lighting",
    "inputs": {"points": 12000, "energy_price": 0.22, "cost_per_point": 550, "lifetime": 15},
    "financing": {"gearing": 0.7, "rate": 0.05, "tenor_years": 10},
}
ITALIAN_NEED = {
    "title": "Riqualificazione dell'illuminazione pubblica con tecnologia LED",
    "description": "Sostituzione dei corpi illuminanti con lampade LED e telegestione",
    "cpv_codes": [],
}


def lender(stack: Stack, name: str, **profile: object) -> dict:
    body = {
        "ticket": {
            "min": {"amount": 1_000_000, "currency": "EUR"},
            "max": {"amount": 50_000_000, "currency": "EUR"},
        },
        "contract_forms": ["epc", "ppp", "project_finance"],
        "instruments": ["senior_debt"],
        "nuts_codes": ["IT"],
        **profile,
    }
    organisation, _ = register(stack.catalogue, kind="lender", name=name, **body)
    return organisation


class TestNeedToSuppliers:
    def test_a_registered_supplier_is_ranked_with_its_explanation(self, stack: Stack) -> None:
        supplier, _ = register(stack.catalogue, name="Lumen Street Lighting", **LED_SUPPLIER)
        _city, city_key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, city_key)
        stack.sync()
        page = stack.matching.get(f"/v1/needs/{need['id']}/matches", params={"kind": "supplier"})
        assert page.status_code == 200
        first = page.json()["items"][0]
        assert first["candidate_id"] == supplier["id"]
        assert first["rank"] == 1
        assert set(first["components"]) >= {"text", "cpv", "budget", "fuzzy"}
        assert all(c["status"] != "failed" for c in first["constraints"])
        assert {c["name"] for c in first["constraints"]} >= {"region", "budget", "contract_forms"}
        assert first["top_terms"]
        assert "Lumen Street Lighting" in first["explanation"]

    def test_an_italian_need_finds_an_english_only_supplier(self, stack: Stack) -> None:
        supplier, _ = register(stack.catalogue, name="Lumen Street Lighting", **LED_SUPPLIER)
        register(stack.catalogue, name="Rail Freight Ltd", description="Rail freight logistics")
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key, **ITALIAN_NEED)
        stack.sync()
        items = stack.matching.get(f"/v1/needs/{need['id']}/matches").json()["items"]
        assert [i["candidate_id"] for i in items][:1] == [supplier["id"]]

    def test_a_deleted_need_and_a_deactivated_supplier_stop_matching(self, stack: Stack) -> None:
        supplier, supplier_key = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        stack.catalogue.patch(
            f"/v1/organisations/{supplier['id']}",
            json={"status": "inactive"},
            headers={**auth(supplier_key), "If-Match": '"1"'},
        )
        stack.sync()
        assert stack.matching.get(f"/v1/needs/{need['id']}/matches").json()["items"] == []
        stack.catalogue.delete(f"/v1/needs/{need['id']}", headers={**auth(key), "If-Match": '"1"'})
        stack.sync()
        assert stack.matching.get(f"/v1/needs/{need['id']}/matches").status_code == 404

    def test_pages_continue_with_the_cursor(self, stack: Stack) -> None:
        for n in range(5):
            register(stack.catalogue, name=f"Lumen {n}", **LED_SUPPLIER)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        url = f"/v1/needs/{need['id']}/matches"
        first = stack.matching.get(url, params={"limit": 3}).json()
        second = stack.matching.get(url, params={"limit": 3, "cursor": first["next_cursor"]}).json()
        ranks = [i["rank"] for i in first["items"] + second["items"]]
        assert ranks == [1, 2, 3, 4, 5]
        assert second["next_cursor"] is None


class TestWhyNot:
    def test_an_excluded_candidate_names_the_constraint(self, stack: Stack) -> None:
        far, _ = register(
            stack.catalogue,
            name="Lumière Lyon",
            country="FR",
            **{**LED_SUPPLIER, "nuts_codes": ["FRK"]},
        )
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        answer = stack.matching.get(f"/v1/needs/{need['id']}/matches/supplier/{far['id']}").json()
        assert answer["eligible"] is False
        assert answer["rank"] is None
        assert [c["name"] for c in answer["excluded_by"]] == ["region"]

    def test_unknown_need_or_candidate_is_404(self, stack: Stack) -> None:
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        assert stack.matching.get("/v1/needs/999/matches").status_code == 404
        unknown = stack.matching.get(f"/v1/needs/{need['id']}/matches/supplier/999")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"


class TestLendersAndBankability:
    def test_lender_thresholds_are_checked_against_the_appraisal(self, stack: Stack) -> None:
        lenient = lender(stack, "Banca Verde", min_dscr=1.1)
        strict = lender(stack, "Fondo Prudente", min_dscr=9.0)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key, appraisal=LED_APPRAISAL)
        stack.sync()
        items = stack.matching.get(
            f"/v1/needs/{need['id']}/matches", params={"kind": "lender"}
        ).json()["items"]
        assert [i["candidate_id"] for i in items] == [lenient["id"]]
        why = stack.matching.get(f"/v1/needs/{need['id']}/matches/lender/{strict['id']}").json()
        assert [c["name"] for c in why["excluded_by"]] == ["lender_min_dscr"]

    def test_evaluation_down_gives_a_degraded_but_correct_answer(
        self, settings: MatchingSettings, catalogue: TestClient
    ) -> None:
        lenient = lender(
            Stack(catalogue, catalogue, catalogue, settings), "Banca Verde", min_dscr=1.1
        )
        _city, key = register(catalogue, kind="municipality", name="Torino")
        need = post_need(catalogue, key, appraisal=LED_APPRAISAL)
        with matching_app(settings, catalogue, evaluation=None) as matching:
            Stack(catalogue, catalogue, matching, settings).sync()
            page = matching.get(f"/v1/needs/{need['id']}/matches", params={"kind": "lender"})
        assert page.status_code == 200
        body = page.json()
        assert [i["candidate_id"] for i in body["items"]] == [lenient["id"]]
        statuses = {c["name"]: c["status"] for c in body["items"][0]["constraints"]}
        assert statuses["lender_min_dscr"] == "not_evaluated"
        assert any("not evaluated" in note for note in body["notes"])


class TestOtherDirections:
    def test_a_supplier_sees_the_open_needs_it_can_deliver(self, stack: Stack) -> None:
        supplier, _ = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        lighting = post_need(stack.catalogue, key)
        post_need(
            stack.catalogue,
            key,
            title="Urban freight consolidation centre",
            description="A consolidation centre for last-mile deliveries",
            category="urban_freight_logistics",
            cpv_codes=["63120000"],
        )
        stack.sync()
        items = stack.matching.get(f"/v1/organisations/{supplier['id']}/matches").json()["items"]
        assert [i["candidate_id"] for i in items] == [lighting["id"]]

    def test_a_municipality_pages_through_its_needs_best_matches(self, stack: Stack) -> None:
        for name in ("Lumen", "Lux", "Faro"):
            register(stack.catalogue, name=name, **LED_SUPPLIER)
        city, key = register(stack.catalogue, kind="municipality", name="Torino")
        post_need(stack.catalogue, key)
        post_need(stack.catalogue, key, title="LED lighting of the ring road")
        stack.sync()
        url = f"/v1/organisations/{city['id']}/matches"
        whole = stack.matching.get(url, params={"limit": 50}).json()
        assert len(whole["items"]) == 6  # three suppliers for each of two needs
        assert whole["next_cursor"] is None

        pages, cursor = [], None
        while True:
            params = {"limit": 4} | ({"cursor": cursor} if cursor else {})
            page = stack.matching.get(url, params=params).json()
            assert len(page["items"]) <= 4
            pages += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        def pair(item: dict) -> tuple:
            return (item["subject"]["id"], item["candidate_kind"], item["candidate_id"])

        assert [pair(item) for item in pages] == [pair(item) for item in whole["items"]]
        scores = [item["score"] for item in whole["items"]]
        assert scores == sorted(scores, reverse=True)

    def test_similar_municipalities_and_bundles(self, stack: Stack) -> None:
        lender(
            stack,
            "Fondo Grande",
            ticket={
                "min": {"amount": 5_000_000, "currency": "EUR"},
                "max": {"amount": 50_000_000, "currency": "EUR"},
            },
        )
        cities = []
        for name, region in (("Torino", "ITC11"), ("Asti", "ITC17"), ("Cuneo", "ITC16")):
            city, key = register(stack.catalogue, kind="municipality", name=name)
            cities.append(
                (
                    city,
                    post_need(
                        stack.catalogue,
                        key,
                        nuts_code=region,
                        budget={"amount": 2_000_000, "currency": "EUR"},
                    ),
                )
            )
        stack.sync()
        need = cities[0][1]
        peers = stack.matching.get(
            f"/v1/needs/{need['id']}/matches", params={"kind": "municipality"}
        ).json()["items"]
        assert {p["candidate_id"] for p in peers} == {cities[1][0]["id"], cities[2][0]["id"]}
        bundles = stack.matching.get(f"/v1/needs/{need['id']}/bundles").json()
        assert bundles["bundles"], bundles
        best = bundles["bundles"][0]
        assert {m["need_id"] for m in best["members"]} >= {need["id"]}
        assert best["lenders"]


class TestIndexLifecycle:
    def test_a_restart_resumes_without_applying_anything_twice(
        self, stack: Stack, settings: MatchingSettings
    ) -> None:
        supplier, _ = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        before = stack.matching.get("/v1/index/status").json()["feed"]
        with matching_app(settings, stack.catalogue, stack.evaluation) as restarted:
            status = restarted.get("/v1/index/status").json()
            assert status["feed"]["cursor"] == before["cursor"]
            assert status["feed"]["changes_applied"] == before["changes_applied"]
            items = restarted.get(f"/v1/needs/{need['id']}/matches").json()["items"]
            assert [i["candidate_id"] for i in items] == [supplier["id"]]
            Stack(stack.catalogue, stack.evaluation, restarted, settings).sync()
            after = restarted.get("/v1/index/status").json()["feed"]
            assert after["changes_applied"] == before["changes_applied"]

    def test_an_index_grown_from_nothing_is_refitted_once_caught_up(
        self, settings: MatchingSettings, catalogue: TestClient, evaluation: TestClient
    ) -> None:
        for n in range(4):
            register(catalogue, name=f"Lumen {n}", **LED_SUPPLIER)
        register(catalogue, name="Rail freight", description="Intermodal rail freight terminals")
        paged = settings.model_copy(update={"feed_page_size": 2})
        with matching_app(paged, catalogue, evaluation) as matching:
            Stack(catalogue, evaluation, matching, paged).sync()
            status = matching.get("/v1/index/status").json()["index"]
            live = matching.app.state.index.snapshot()
        full = TextIndex.build(live.records())
        assert status["refits"] == 1
        assert live.vocabulary_size == full.vocabulary_size  # fitted on everything, not page 1

    def test_rebuild_is_for_admins_and_replays_the_feed(self, stack: Stack) -> None:
        _supplier, supplier_key = register(stack.catalogue, name="Lumen", **LED_SUPPLIER)
        _city, key = register(stack.catalogue, kind="municipality", name="Torino")
        need = post_need(stack.catalogue, key)
        stack.sync()
        url = f"/v1/needs/{need['id']}/matches"
        before = stack.matching.get(url).json()["items"]
        refused = stack.matching.post("/v1/index/rebuild", headers=auth(supplier_key))
        assert refused.status_code == 403
        accepted = stack.matching.post("/v1/index/rebuild", headers=auth(ADMIN_KEY))
        assert accepted.status_code == 202
        assert stack.matching.get(url).status_code == 404  # emptied ...
        stack.sync()
        assert stack.matching.get(url).json()["items"] == before  # ... and replayed

    def test_catalogue_down_keeps_answers_and_reports_it(
        self, settings: MatchingSettings, catalogue: TestClient, evaluation: TestClient
    ) -> None:
        register(catalogue, name="Lumen", **LED_SUPPLIER)
        _city, key = register(catalogue, kind="municipality", name="Torino")
        need = post_need(catalogue, key)
        with matching_app(settings, catalogue, evaluation) as matching:
            Stack(catalogue, evaluation, matching, settings).sync()
        cut_off = create_app(settings, catalogue_transport=unreachable_transport())
        with TestClient(cut_off) as matching:
            follower = matching.app.state.follower
            try:
                follower.poll_once()
            except Exception as exc:  # the follower thread records this; here we do
                follower.status.last_error = str(exc)
            assert matching.get(f"/v1/needs/{need['id']}/matches").json()["items"]
            feed = matching.get("/v1/index/status").json()["feed"]
            assert feed["last_error"]
            assert feed["caught_up"] is False

    def test_the_follower_thread_makes_a_write_matchable(
        self, settings: MatchingSettings, catalogue: TestClient, evaluation: TestClient
    ) -> None:
        live = settings.model_copy(update={"follow_feed": True, "feed_poll_seconds": 0.05})
        _city, key = register(catalogue, kind="municipality", name="Torino")
        need = post_need(catalogue, key, **need_body(title="LED street lighting"))
        with matching_app(live, catalogue, evaluation) as matching:
            supplier, _ = register(catalogue, name="Lumen", **LED_SUPPLIER)
            deadline = time.monotonic() + 20
            found: list[int] = []
            while time.monotonic() < deadline and supplier["id"] not in found:
                page = matching.get(f"/v1/needs/{need['id']}/matches")
                found = [i["candidate_id"] for i in page.json().get("items", [])]
                time.sleep(0.05)
        assert supplier["id"] in found
