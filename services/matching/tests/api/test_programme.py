from __future__ import annotations

from datetime import timedelta

from services.catalogue.tests.builders import (
    ADMIN_KEY,
    auth,
    funding_call_body,
    post_need,
    register,
)
from services.matching.tests.conftest import Stack
from shared.clock import today

LED_SUPPLIER = {
    "description": "LED street lighting retrofits with point-to-point remote management",
    "cpv_codes": ["34928500", "31527200"],
    "nuts_codes": ["ITC"],
    "contract_forms": ["epc", "ppp"],
    "project_size": {
        "min": {"amount": 500_000, "currency": "EUR"},
        "max": {"amount": 20_000_000, "currency": "EUR"},
    },
}
LENDER = {
    "description": "Senior debt for public lighting and energy efficiency",
    "ticket": {
        "min": {"amount": 1_000_000, "currency": "EUR"},
        "max": {"amount": 50_000_000, "currency": "EUR"},
    },
    "contract_forms": ["epc", "ppp"],
    "instruments": ["senior_debt"],
    "nuts_codes": ["ITC"],
}
# Far from every candidate: another country, a budget under any ticket, no shared form
LONELY_NEED = {
    "title": "Car pooling platform for municipal staff",
    "description": "A small car pooling app",
    "category": "car_pooling",
    "cpv_codes": [],
    "nuts_code": "FR101",
    "budget": {"amount": 40_000, "currency": "EUR"},
    "contract_forms": ["concession"],
}


def summary(stack: Stack, **params: object) -> dict:
    answer = stack.matching.get("/v1/programme/summary", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def has_match(stack: Stack, need_id: int, kind: str) -> bool:
    page = stack.matching.get(f"/v1/needs/{need_id}/matches", params={"kind": kind, "limit": 1})
    assert page.status_code == 200, page.text
    return bool(page.json()["items"])


def catalogue_with_two_needs(stack: Stack) -> tuple[dict, dict]:
    register(stack.catalogue, name="Lumen Street Lighting", **LED_SUPPLIER)
    register(stack.catalogue, kind="lender", name="Banca Alpina", **LENDER)
    _torino, torino_key = register(stack.catalogue, kind="municipality", name="Torino")
    _lyon, lyon_key = register(stack.catalogue, kind="municipality", name="Lyon", country="FR")
    led = post_need(stack.catalogue, torino_key)
    lonely = post_need(stack.catalogue, lyon_key, **LONELY_NEED)
    stack.sync()
    return led, lonely


class TestProgrammeSummary:
    def test_counts_agree_with_the_matches_endpoints(self, stack: Stack) -> None:
        led, lonely = catalogue_with_two_needs(stack)
        answer = summary(stack)
        needs = (led["id"], lonely["id"])
        assert answer["open_needs"] == 2
        for kind in ("supplier", "lender"):
            expected = sum(has_match(stack, need_id, kind) for need_id in needs)
            assert answer[f"with_{kind}_match"] == expected
        # the scenario is built so that both outcomes occur
        assert has_match(stack, led["id"], "supplier")
        assert has_match(stack, led["id"], "lender")
        assert not has_match(stack, lonely["id"], "supplier")
        assert not has_match(stack, lonely["id"], "lender")

    def test_groups_by_category_and_region_and_sums_what_lacks_a_lender(self, stack: Stack) -> None:
        catalogue_with_two_needs(stack)
        answer = summary(stack)
        by_category = {group["category"]: group for group in answer["by_category"]}
        assert by_category["public_lighting"] == {
            "category": "public_lighting",
            "needs": 1,
            "with_supplier_match": 1,
            "with_lender_match": 1,
            "budget": [{"amount": 4_500_000, "currency": "EUR"}],
        }
        assert by_category["car_pooling"]["with_lender_match"] == 0
        regions = {group["nuts"]: group for group in answer["by_region"]}
        assert answer["region_level"] == 2
        assert set(regions) == {"ITC1", "FR10"}
        assert regions["ITC1"]["label"] == "Piemonte"
        assert answer["needs_without_lender"] == 1
        assert answer["budget_without_lender"] == [{"amount": 40_000, "currency": "EUR"}]
        countries = {group["nuts"] for group in summary(stack, region_level=0)["by_region"]}
        assert countries == {"IT", "FR"}

    def test_a_closed_need_is_not_counted(self, stack: Stack) -> None:
        led, _lonely = catalogue_with_two_needs(stack)
        current = stack.catalogue.get(f"/v1/needs/{led['id']}")
        closed = stack.catalogue.patch(
            f"/v1/needs/{led['id']}",
            json={"status": "closed"},
            headers={**auth(ADMIN_KEY), "If-Match": current.headers["etag"]},
        )
        assert closed.status_code == 200, closed.text
        stack.sync()
        answer = summary(stack)
        assert answer["open_needs"] == 1
        assert [group["category"] for group in answer["by_category"]] == ["car_pooling"]

    def test_a_new_need_shows_once_the_index_has_it(self, stack: Stack) -> None:
        _led, _lonely = catalogue_with_two_needs(stack)
        assert summary(stack)["open_needs"] == 2
        _city, key = register(stack.catalogue, kind="municipality", name="Milano")
        post_need(stack.catalogue, key, nuts_code="ITC4C")
        stack.sync()
        assert summary(stack)["open_needs"] == 3

    def test_funding_calls_open_today_and_closing_within_the_window(self, stack: Stack) -> None:
        day = today()
        calls = {
            "soon": (day - timedelta(days=30), day + timedelta(days=10)),
            "later": (day - timedelta(days=30), day + timedelta(days=100)),
            "over": (day - timedelta(days=60), day - timedelta(days=1)),
            "not yet open": (day + timedelta(days=5), day + timedelta(days=20)),
        }
        for title, (opens, closes) in calls.items():
            body = funding_call_body(
                title=f"Call {title}", opens_at=opens.isoformat(), closes_at=closes.isoformat()
            )
            created = stack.catalogue.post("/v1/funding-calls", json=body, headers=auth(ADMIN_KEY))
            assert created.status_code == 201, created.text
        stack.sync()
        listed = summary(stack)["calls_closing_soon"]
        assert [(call["title"], call["days_left"]) for call in listed] == [("Call soon", 10)]
        assert listed[0]["grant"]["max"] == {"amount": 2_000_000, "currency": "EUR"}
        wider = summary(stack, closing_within_days=120)["calls_closing_soon"]
        assert [call["title"] for call in wider] == ["Call soon", "Call later"]

    def test_anyone_may_read_it_and_bad_parameters_are_named(self, stack: Stack) -> None:
        answer = stack.matching.get("/v1/programme/summary", params={"region_level": 7})
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in answer.json()["errors"]] == ["region_level"]
        assert stack.matching.get("/v1/programme/summary").status_code == 200
