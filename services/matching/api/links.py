"""The matching service's OpenAPI links: where a response's values feed the next call.

A created subscription is read, changed (its `ETag` as the `If-Match`), rotated, deleted, and
its feed and delivery log read, by its id; the need or organisation it watches leads to their
rankings; a ranking leads to the why (or why not) of each candidate, to the candidate's own
matches and to its next page; a delivery is replayed by its id.
"""

from __future__ import annotations

from shared.openapi_links import BODY_ID, IF_MATCH, Link, fan_out

SUBSCRIPTION = "/v1/subscriptions/{subscription_id}"
NEED_MATCHES = "/v1/needs/{need_id}/matches"
ORGANISATION_MATCHES = "/v1/organisations/{organisation_id}/matches"
FIRST = "$response.body#/items/0"


def _subscription_links(source: str, status: str) -> list[Link]:
    """What a response carrying one subscription (`SubscriptionPublic`) leads to."""
    by_id = {"path.subscription_id": BODY_ID}
    return fan_out(
        source,
        status,
        {
            f"GET {SUBSCRIPTION}": by_id,
            f"PATCH {SUBSCRIPTION}": {**by_id, **IF_MATCH},
            f"DELETE {SUBSCRIPTION}": {**by_id, **IF_MATCH},
            f"POST {SUBSCRIPTION}/rotate-secret": by_id,
            f"GET {SUBSCRIPTION}/feed": by_id,
            f"GET {SUBSCRIPTION}/deliveries": by_id,
            f"GET {NEED_MATCHES}": {"path.need_id": "$response.body#/filter/need_id"},
            "GET /v1/needs/{need_id}/bundles": {"path.need_id": "$response.body#/filter/need_id"},
            f"GET {ORGANISATION_MATCHES}": {
                "path.organisation_id": "$response.body#/organisation_id"
            },
        },
    )


def _ranking_links() -> list[Link]:
    need = {"path.need_id": "$request.path.need_id"}
    return [
        *fan_out(
            f"GET {NEED_MATCHES}",
            "200",
            {
                "GET /v1/needs/{need_id}/matches/{candidate_kind}/{candidate_id}": {
                    **need,
                    "path.candidate_kind": f"{FIRST}/candidate_kind",
                    "path.candidate_id": f"{FIRST}/candidate_id",
                },
                "GET /v1/needs/{need_id}/bundles": need,
                f"GET {ORGANISATION_MATCHES}": {"path.organisation_id": f"{FIRST}/candidate_id"},
            },
        ),
        Link(
            f"GET {NEED_MATCHES}",
            "200",
            f"GET {NEED_MATCHES}",
            {
                **need,
                "query.kind": "$request.query.kind",
                "query.cursor": "$response.body#/next_cursor",
            },
            description="the next page of the same ranking",
        ),
        Link(
            f"GET {ORGANISATION_MATCHES}",
            "200",
            f"GET {NEED_MATCHES}",
            {"path.need_id": f"{FIRST}/candidate_id"},
            description="a supplier's or lender's matches are needs: their own rankings",
        ),
    ]


def _delivery_links() -> list[Link]:
    subscription = {"path.subscription_id": "$request.path.subscription_id"}
    return [
        Link(
            f"GET {SUBSCRIPTION}/deliveries",
            "200",
            f"POST {SUBSCRIPTION}/deliveries/{{delivery_id}}/replay",
            {**subscription, "path.delivery_id": f"{FIRST}/id"},
        ),
        Link(
            f"GET {SUBSCRIPTION}/deliveries",
            "200",
            f"GET {SUBSCRIPTION}/deliveries",
            {**subscription, "query.cursor": "$response.body#/next_cursor"},
        ),
        Link(
            f"GET {SUBSCRIPTION}/feed",
            "200",
            f"GET {SUBSCRIPTION}/feed",
            {**subscription, "query.after": "$response.body#/next_cursor"},
        ),
    ]


LINKS: list[Link] = [
    *_subscription_links("POST /v1/subscriptions", "201"),
    *_subscription_links(f"GET {SUBSCRIPTION}", "200"),
    *_subscription_links(f"PATCH {SUBSCRIPTION}", "200"),
    *_subscription_links(f"POST {SUBSCRIPTION}/rotate-secret", "200"),
    *fan_out(
        "GET /v1/subscriptions",
        "200",
        {
            "GET /v1/subscriptions": {"query.cursor": "$response.body#/next_cursor"},
            f"GET {SUBSCRIPTION}/deliveries": {"path.subscription_id": f"{FIRST}/id"},
            f"GET {NEED_MATCHES}": {"path.need_id": f"{FIRST}/filter/need_id"},
        },
    ),
    *_ranking_links(),
    *_delivery_links(),
]
