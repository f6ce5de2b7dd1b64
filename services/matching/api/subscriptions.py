"""Subscriptions, their pull feeds, webhook delivery logs and replay."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response, status

from services.matching.api import schemas
from services.matching.api.deps import CallerDep, SessionDep, TargetPolicyDep
from services.matching.service import subscriptions
from shared.app import service_router, set_replay_body
from shared.concurrency import IfMatchHeader, set_etag
from shared.identifiers import IdPath
from shared.pagination import MAX_LIMIT, Page, PageDep, decode_int_cursor, encode_cursor

router = service_router(prefix="/v1/subscriptions", tags=["subscriptions"])

After = Annotated[
    str | None, Query(max_length=512, description="next_cursor of the previous feed page")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.SubscriptionPublic,
    summary="Subscribe to matches; the whsec_ signing secret is shown this once",
)
def create_subscription(
    body: schemas.SubscriptionCreate,
    session: SessionDep,
    caller: CallerDep,
    policy: TargetPolicyDep,
    request: Request,
    response: Response,
) -> schemas.SubscriptionPublic:
    row = subscriptions.create(session, caller, body, policy)
    response.headers["Location"] = f"/v1/subscriptions/{row.id}"
    set_etag(response, row.version)
    set_replay_body(request, subscriptions.to_public(row))
    return subscriptions.to_public(row, secret=row.secret)


@router.get(
    "",
    response_model=Page[schemas.SubscriptionPublic],
    summary="Your organisation's subscriptions (an admin's: all)",
)
def list_subscriptions(session: SessionDep, caller: CallerDep, page: PageDep) -> dict[str, Any]:
    rows = subscriptions.list_page(
        session, caller, after_id=decode_int_cursor(page.cursor), limit=page.limit
    )
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == page.limit else None
    return {"items": [subscriptions.to_public(row) for row in rows], "next_cursor": next_cursor}


@router.get(
    "/{subscription_id}",
    response_model=schemas.SubscriptionPublic,
    summary="A subscription (its status says whether and why it was disabled)",
)
def get_subscription(
    subscription_id: IdPath, session: SessionDep, caller: CallerDep, response: Response
) -> schemas.SubscriptionPublic:
    row = subscriptions.get_owned(session, caller, subscription_id)
    set_etag(response, row.version)
    return subscriptions.to_public(row)


@router.patch(
    "/{subscription_id}",
    response_model=schemas.SubscriptionPublic,
    summary="Change a subscription (merge patch, If-Match required)",
)
def update_subscription(
    subscription_id: IdPath,
    body: schemas.SubscriptionUpdate,
    session: SessionDep,
    caller: CallerDep,
    policy: TargetPolicyDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> schemas.SubscriptionPublic:
    row = subscriptions.update(
        session, caller, subscription_id, body, if_match=if_match, policy=policy
    )
    set_etag(response, row.version)
    return subscriptions.to_public(row)


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription, its feed and deliveries (If-Match required)",
)
def delete_subscription(
    subscription_id: IdPath, session: SessionDep, caller: CallerDep, if_match: IfMatchHeader = None
) -> Response:
    subscriptions.delete(session, caller, subscription_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{subscription_id}/rotate-secret",
    response_model=schemas.SubscriptionPublic,
    summary="A new signing secret, shown this once; the old one also signs during the overlap",
)
def rotate_subscription_secret(
    subscription_id: IdPath,
    session: SessionDep,
    caller: CallerDep,
    request: Request,
    response: Response,
) -> schemas.SubscriptionPublic:
    overlap = request.app.state.settings.secret_overlap_seconds
    row = subscriptions.rotate_secret(session, caller, subscription_id, overlap_seconds=overlap)
    set_etag(response, row.version)
    set_replay_body(request, subscriptions.to_public(row))
    return subscriptions.to_public(row, secret=row.secret)


@router.get(
    "/{subscription_id}/feed",
    response_model=schemas.EventFeed,
    summary="The subscription's match events (pull), replayable from any cursor",
)
def read_subscription_feed(
    subscription_id: IdPath,
    session: SessionDep,
    caller: CallerDep,
    after: After = None,
    limit: Limit = 100,
) -> dict[str, Any]:
    return subscriptions.feed(
        session,
        caller,
        subscription_id,
        after_id=decode_int_cursor(after, field="after"),
        limit=limit,
    )


@router.get(
    "/{subscription_id}/deliveries",
    response_model=Page[schemas.DeliveryPublic],
    summary="The webhook delivery log: attempts, last answer, dead letters",
)
def list_subscription_deliveries(
    subscription_id: IdPath,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    status: schemas.DeliveryStatus | None = None,
) -> dict[str, Any]:
    items = subscriptions.deliveries(
        session,
        caller,
        subscription_id,
        after_id=decode_int_cursor(page.cursor),
        limit=page.limit,
        status=status,
    )
    next_cursor = encode_cursor(items[-1]["id"]) if len(items) == page.limit else None
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.DeliveryPublic,
    summary="Send a delivery again (a dead-lettered one, or one the receiver lost)",
)
def replay_delivery(
    subscription_id: IdPath, delivery_id: IdPath, session: SessionDep, caller: CallerDep
) -> dict[str, Any]:
    return subscriptions.replay(session, caller, subscription_id, delivery_id)
