"""Use cases of subscriptions: create, read, change, delete, rotate the secret; the pull feed,
the delivery log and replay. Only the owning organisation (or an admin) sees or changes one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.matching.api import schemas
from services.matching.service.targets import TargetRefused, check_target
from services.matching.store import repository
from services.matching.store.tables import MatchEvent, Subscription, WebhookDelivery
from shared.auth import Caller
from shared.clock import as_utc, utcnow
from shared.concurrency import check_if_match
from shared.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from shared.pagination import encode_cursor
from shared.webhooks import new_secret


@dataclass(frozen=True)
class TargetPolicy:
    allow_private: bool


def _check_url(url: str | None, policy: TargetPolicy) -> None:
    if url is None:
        return
    try:
        check_target(url, allow_private=policy.allow_private)
    except TargetRefused as exc:
        raise ValidationFailed(
            f"url refused: {exc}", errors=[FieldError(field="url", reason=str(exc))]
        ) from exc


def _check_filter(caller: Caller, watch: schemas.SubscriptionFilter) -> None:
    if (
        watch.organisation_id is not None
        and watch.organisation_id != caller.organisation_id
        and not caller.is_admin
    ):
        raise Forbidden("an organisation subscribes to its own matches only")


def create(
    session: Session, caller: Caller, body: schemas.SubscriptionCreate, policy: TargetPolicy
) -> Subscription:
    _check_filter(caller, body.filter)
    _check_url(body.url, policy)
    now = utcnow()
    return repository.add(
        session,
        Subscription(
            organisation_id=caller.organisation_id,
            url=body.url,
            filter=body.filter.model_dump(exclude_none=True),
            min_score=body.min_score,
            secret=new_secret(),
            created_at=now,
            updated_at=now,
        ),
    )


def get_owned(
    session: Session, caller: Caller, subscription_id: int, *, for_update: bool = False
) -> Subscription:
    row = repository.get_subscription(session, subscription_id, for_update=for_update)
    if row is None:
        raise NotFound(f"subscription {subscription_id} does not exist")
    if row.organisation_id != caller.organisation_id and not caller.is_admin:
        raise Forbidden(f"subscription {subscription_id} belongs to another organisation")
    return row


def list_page(session: Session, caller: Caller, *, after_id: int, limit: int) -> list[Subscription]:
    owner = None if caller.is_admin else caller.organisation_id
    return repository.list_subscriptions_page(
        session, organisation_id=owner, after_id=after_id, limit=limit
    )


def update(
    session: Session,
    caller: Caller,
    subscription_id: int,
    body: schemas.SubscriptionUpdate,
    *,
    if_match: str | None,
    policy: TargetPolicy,
) -> Subscription:
    row = get_owned(session, caller, subscription_id, for_update=True)
    check_if_match(if_match, row.version)
    sent = body.model_fields_set
    if "url" in sent:
        _check_url(body.url, policy)
        row.url = body.url
    if "filter" in sent:
        if body.filter is None:
            raise ValidationFailed(
                "filter cannot be removed", errors=[FieldError(field="filter", reason="required")]
            )
        _check_filter(caller, body.filter)
        row.filter = body.filter.model_dump(exclude_none=True)
    if "min_score" in sent:
        if body.min_score is None:
            raise ValidationFailed(
                "min_score cannot be removed",
                errors=[FieldError(field="min_score", reason="required")],
            )
        row.min_score = body.min_score
    if sent & {"filter", "min_score"}:
        # what it watches changed: the follower takes a new baseline, events resume from it
        repository.clear_pairs(session, row.id)  # type: ignore[arg-type]
        row.synced = False
    if body.active is True and row.status == "disabled":
        row.status, row.disabled_reason, row.failing_since = "active", None, None
    elif body.active is False and row.status == "active":
        row.status, row.disabled_reason = "disabled", "disabled by its owner"
        repository.kill_pending_deliveries(session, row.id, "subscription disabled by its owner")  # type: ignore[arg-type]
    row.version += 1
    row.updated_at = utcnow()
    return repository.add(session, row)


def delete(session: Session, caller: Caller, subscription_id: int, *, if_match: str | None) -> None:
    row = get_owned(session, caller, subscription_id, for_update=True)
    check_if_match(if_match, row.version)
    repository.delete_subscription(session, row)


def rotate_secret(
    session: Session, caller: Caller, subscription_id: int, *, overlap_seconds: float
) -> Subscription:
    """A new secret; the old one keeps signing (beside the new) for the overlap window."""
    row = get_owned(session, caller, subscription_id, for_update=True)
    now = utcnow()
    row.previous_secret = row.secret
    row.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    row.secret = new_secret()
    row.version += 1
    row.updated_at = now
    return repository.add(session, row)


def active_secrets(row: Subscription, now: datetime) -> list[str]:
    """The secrets a webhook is signed with now: the current one, and the previous one
    during its overlap window."""
    keys = [row.secret]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and as_utc(expires) > now:
        keys.append(row.previous_secret)
    return keys


def to_public(row: Subscription, *, secret: str | None = None) -> schemas.SubscriptionPublic:
    return schemas.SubscriptionPublic(
        id=row.id,  # type: ignore[arg-type]
        organisation_id=row.organisation_id,
        url=row.url,
        filter=row.filter,
        min_score=row.min_score,
        status=row.status,  # type: ignore[arg-type]
        disabled_reason=row.disabled_reason,
        failing_since=as_utc(row.failing_since) if row.failing_since else None,
        previous_secret_expires_at=as_utc(row.previous_secret_expires_at)
        if row.previous_secret_expires_at
        else None,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        secret=secret,
    )


# --- the pull feed, the delivery log, replay ---------------------------------------------------


def feed(
    session: Session, caller: Caller, subscription_id: int, *, after_id: int, limit: int
) -> dict[str, Any]:
    get_owned(session, caller, subscription_id)
    events = repository.list_events(session, subscription_id, after_id=after_id, limit=limit)
    last = events[-1].id if events else after_id
    return {
        "items": [event_public(event) for event in events],
        "next_cursor": encode_cursor(last),
    }


def event_public(event: MatchEvent) -> dict[str, Any]:
    return {**event.body, "id": event.webhook_id, "cursor": encode_cursor(event.id)}


def deliveries(
    session: Session,
    caller: Caller,
    subscription_id: int,
    *,
    after_id: int,
    limit: int,
    status: str | None,
) -> list[dict[str, Any]]:
    get_owned(session, caller, subscription_id)
    rows = repository.list_deliveries(
        session, subscription_id, after_id=after_id, limit=limit, status=status
    )
    return [delivery_public(delivery, event) for delivery, event in rows]


def delivery_public(delivery: WebhookDelivery, event: MatchEvent) -> dict[str, Any]:
    def aware(moment: datetime | None) -> datetime | None:
        return as_utc(moment) if moment is not None else None

    return {
        "id": delivery.id,
        "event_id": event.webhook_id,
        "event_type": event.type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "replays": delivery.replays,
        "next_attempt_at": aware(delivery.next_attempt_at),
        "last_attempt_at": aware(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": aware(delivery.delivered_at),
        "created_at": as_utc(delivery.created_at),
    }


def replay(
    session: Session, caller: Caller, subscription_id: int, delivery_id: int
) -> dict[str, Any]:
    """Send a delivery again from its first attempt (a dead-lettered one, or a delivered one
    the receiver lost); it keeps its webhook-id, so a receiver that has it can tell."""
    row = get_owned(session, caller, subscription_id)
    delivery = repository.get_delivery(session, delivery_id, for_update=True)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise NotFound(f"delivery {delivery_id} of subscription {subscription_id} does not exist")
    if row.url is None:
        raise Conflict("the subscription has no URL to deliver to; set one first")
    if row.status != "active":
        raise Conflict(f"the subscription is disabled ({row.disabled_reason}); re-enable it first")
    if delivery.status == "pending":
        raise Conflict("the delivery is already pending: it is being retried")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.replays += 1
    delivery.next_attempt_at = utcnow()
    repository.add(session, delivery)
    event = repository.get_event(session, delivery.event_id)
    assert event is not None
    return delivery_public(delivery, event)
