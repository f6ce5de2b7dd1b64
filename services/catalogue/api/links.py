"""The catalogue's OpenAPI links: where a response's values feed the next call.

A registration's organisation is read and changed by its id, and owns the offers and needs
created for it; every created or fetched record is read, changed and deleted by its id, with its
`ETag` as the `If-Match` of the change; every list and the change feed continue from their
`next_cursor`.
"""

from __future__ import annotations

from shared.openapi_links import BODY_ID, IF_MATCH, Link, fan_out

ORGANISATION = "/v1/organisations/{organisation_id}"
API_KEY = "/v1/api-keys/{key_id}"
NEXT_PAGE = {"query.cursor": "$response.body#/next_cursor"}


def _record_links(collection: str) -> list[Link]:
    """Create, read, change and delete of one kind of record (offers, needs, funding calls)."""
    item = f"/v1/{collection}/{{record_id}}"
    by_id = {"path.record_id": BODY_ID}
    guarded = {**by_id, **IF_MATCH}
    follow_up = {f"GET {item}": by_id, f"PATCH {item}": guarded, f"DELETE {item}": guarded}
    return [
        *fan_out(f"POST /v1/{collection}", "201", follow_up),
        *fan_out(f"GET {item}", "200", follow_up),
        *fan_out(f"PATCH {item}", "200", follow_up),
        Link(f"GET /v1/{collection}", "200", f"GET /v1/{collection}", NEXT_PAGE),
    ]


def _organisation_links() -> list[Link]:
    registered = "$response.body#/organisation/id"
    owned_by_registered = {"organisation_id": registered}
    by_id = {"path.organisation_id": BODY_ID}
    return [
        *fan_out(
            "POST /v1/registrations",
            "201",
            {
                f"GET {ORGANISATION}": {"path.organisation_id": registered},
                f"PATCH {ORGANISATION}": {"path.organisation_id": registered, **IF_MATCH},
                "GET /v1/offers": {"query.organisation_id": registered},
                "GET /v1/needs": {"query.organisation_id": registered},
                f"GET {API_KEY}": {"path.key_id": "$response.body#/key/id"},
            },
        ),
        # an admin (or partner) creates records on behalf of the organisation just registered
        *[
            Link("POST /v1/registrations", "201", f"POST /v1/{collection}", {}, owned_by_registered)
            for collection in ("offers", "needs")
        ],
        *fan_out(
            f"GET {ORGANISATION}",
            "200",
            {
                f"PATCH {ORGANISATION}": {**by_id, **IF_MATCH},
                "GET /v1/offers": {"query.organisation_id": BODY_ID},
                "GET /v1/needs": {"query.organisation_id": BODY_ID},
            },
        ),
        *fan_out(
            f"PATCH {ORGANISATION}",
            "200",
            {f"GET {ORGANISATION}": by_id, f"PATCH {ORGANISATION}": {**by_id, **IF_MATCH}},
        ),
        Link("GET /v1/organisations", "200", "GET /v1/organisations", NEXT_PAGE),
    ]


def _key_links() -> list[Link]:
    by_id = {"path.key_id": BODY_ID}
    revoke = {**by_id, **IF_MATCH}
    return [
        *fan_out(
            "POST /v1/api-keys", "201", {f"GET {API_KEY}": by_id, f"DELETE {API_KEY}": revoke}
        ),
        Link(f"GET {API_KEY}", "200", f"DELETE {API_KEY}", revoke),
        Link("GET /v1/api-keys", "200", "GET /v1/api-keys", NEXT_PAGE),
    ]


LINKS: list[Link] = [
    *_organisation_links(),
    *_record_links("offers"),
    *_record_links("needs"),
    *_record_links("funding-calls"),
    *_key_links(),
    Link(
        "GET /v1/changes", "200", "GET /v1/changes", {"query.after": "$response.body#/next_cursor"}
    ),
    Link("GET /v1/reference/cpv", "200", "GET /v1/reference/cpv", NEXT_PAGE),
    Link("GET /v1/reference/nuts", "200", "GET /v1/reference/nuts", NEXT_PAGE),
]
