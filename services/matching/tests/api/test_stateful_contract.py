"""schemathesis' state machine over matching, along its OpenAPI links, as a municipality.

Before the run the index holds a supplier and the municipality's need, and the municipality
subscribes to that need with a webhook URL, so the supplier's arrival left a match event and a
pending delivery: subscriptions lead to their feed, deliveries (replayed by id) and the watched
need's rankings, rankings to each candidate's why-not and to the candidate's own matches.
"""

from __future__ import annotations

from services.catalogue.tests.builders import auth, post_need, register
from services.matching.api.links import LINKS
from services.matching.app import create_app
from services.matching.settings import MatchingSettings
from services.matching.tests.conftest import Stack
from shared.openapi_links import link_problems
from shared.testing.contract import check_workflows


def test_every_link_resolves_to_an_operation_parameter_and_field() -> None:
    document = create_app(MatchingSettings(database_url="sqlite://")).openapi()
    assert link_problems(document, LINKS) == []


def test_call_sequences_along_the_links_honour_the_document(stack: Stack) -> None:
    _city, city_key = register(stack.catalogue, kind="municipality", name="Torino")
    need = post_need(stack.catalogue, city_key)
    subscribed = stack.matching.post(
        "/v1/subscriptions",
        json={"url": "http://127.0.0.1:9/hooks", "filter": {"need_id": need["id"]}},
        headers=auth(city_key),
    )
    assert subscribed.status_code == 201, subscribed.text
    stack.sync()
    register(stack.catalogue, name="Lumen", cpv_codes=["34928500"], nuts_codes=["ITC"])
    stack.sync()
    deliveries = stack.matching.get(
        f"/v1/subscriptions/{subscribed.json()['id']}/deliveries", headers=auth(city_key)
    )
    assert deliveries.json()["items"], "the supplier's match left no delivery to replay"

    check_workflows(stack.matching.app, headers=auth(city_key), roots=["POST /v1/subscriptions"])
