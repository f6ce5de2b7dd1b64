"""Every matching query lives here. Functions take a session; none commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from services.matching.store.tables import (
    FeedState,
    MatchEvent,
    MirrorDocument,
    Subscription,
    SubscriptionMatch,
    WebhookDelivery,
)

IN_CHUNK = 500

START_CURSOR = "0-0"


def get_feed_state(session: Session) -> FeedState | None:
    return session.get(FeedState, 1)


def save_page(
    session: Session,
    *,
    changes: Sequence[tuple[str, int, str, dict[str, Any] | None]],
    cursor: str,
    at: datetime,
) -> None:
    """One feed page, in order: the documents it changed and the cursor after it, in one
    transaction, so a page is applied exactly once whatever happens to the process."""
    for entity, record_id, op, data in changes:
        existing = session.get(MirrorDocument, (entity, record_id))
        if op == "delete" or data is None:
            if existing is not None:
                session.delete(existing)
        elif existing is None:
            session.add(MirrorDocument(entity=entity, id=record_id, data=data, updated_at=at))
        else:
            existing.data, existing.updated_at = data, at
            session.add(existing)
        session.flush()
    state = session.get(FeedState, 1)
    if state is None:
        session.add(FeedState(id=1, cursor=cursor, changes_applied=len(changes), updated_at=at))
    else:
        state.cursor = cursor
        state.changes_applied += len(changes)
        state.updated_at = at
        session.add(state)
    session.flush()


def get_document(session: Session, entity: str, record_id: int) -> MirrorDocument | None:
    return session.get(MirrorDocument, (entity, record_id))


def iter_documents(session: Session, batch: int = 5_000) -> Iterator[MirrorDocument]:
    statement = select(MirrorDocument).order_by(MirrorDocument.entity, MirrorDocument.id)  # type: ignore[arg-type]
    yield from session.execute(statement.execution_options(yield_per=batch)).scalars()


def count_documents(session: Session) -> int:
    return session.execute(select(func.count()).select_from(MirrorDocument)).scalar_one()


def reset(session: Session) -> None:
    """Forget the mirror and the cursor; subscriptions take a fresh baseline after the replay."""
    session.execute(delete(MirrorDocument))
    session.execute(delete(FeedState))
    session.execute(delete(SubscriptionMatch))
    session.execute(update(Subscription).values(synced=False))


# --- subscriptions -------------------------------------------------------------------------------


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def get_subscription(
    session: Session, subscription_id: int, *, for_update: bool = False
) -> Subscription | None:
    return session.get(Subscription, subscription_id, with_for_update=for_update or None)


def list_subscriptions_page(
    session: Session, *, organisation_id: int | None, after_id: int, limit: int
) -> list[Subscription]:
    statement = select(Subscription).where(Subscription.id > after_id)  # type: ignore[operator]
    if organisation_id is not None:
        statement = statement.where(Subscription.organisation_id == organisation_id)  # type: ignore[arg-type]
    statement = statement.order_by(Subscription.id).limit(limit)  # type: ignore[arg-type]
    return list(session.execute(statement).scalars())


def list_all_subscriptions(session: Session) -> list[Subscription]:
    return list(session.execute(select(Subscription).order_by(Subscription.id)).scalars())  # type: ignore[arg-type]


def has_unsynced_subscriptions(session: Session) -> bool:
    statement = select(Subscription.id).where(Subscription.synced.is_(False)).limit(1)  # type: ignore[union-attr, attr-defined]
    return session.execute(statement).first() is not None


def delete_subscription(session: Session, subscription: Subscription) -> None:
    # children first: the foreign keys cascade in the database, but say it for every dialect
    for table in (WebhookDelivery, MatchEvent, SubscriptionMatch):
        session.execute(delete(table).where(table.subscription_id == subscription.id))  # type: ignore[attr-defined]
    session.delete(subscription)
    session.flush()


# --- the pairs each subscription last reported ----------------------------------------------


def clear_pairs(session: Session, subscription_id: int) -> None:
    session.execute(
        delete(SubscriptionMatch).where(SubscriptionMatch.subscription_id == subscription_id)  # type: ignore[arg-type]
    )


def list_pairs(session: Session, units: Sequence[str]) -> list[SubscriptionMatch]:
    rows: list[SubscriptionMatch] = []
    for start in range(0, len(units), IN_CHUNK):
        chunk = list(units[start : start + IN_CHUNK])
        statement = select(SubscriptionMatch).where(SubscriptionMatch.unit.in_(chunk))  # type: ignore[attr-defined]
        rows += session.execute(statement).scalars()
    return rows


def list_units_of_needs(session: Session, need_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(subscription id, unit) of every stored pair involving one of `need_ids`."""
    found: list[tuple[int, str]] = []
    ids = list(need_ids)
    for start in range(0, len(ids), IN_CHUNK):
        statement = (
            select(SubscriptionMatch.subscription_id, SubscriptionMatch.unit)
            .where(SubscriptionMatch.need_id.in_(ids[start : start + IN_CHUNK]))  # type: ignore[attr-defined]
            .distinct()
        )
        found += [(row[0], row[1]) for row in session.execute(statement)]
    return found


def list_units_named(session: Session, units: Sequence[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for start in range(0, len(units), IN_CHUNK):
        statement = (
            select(SubscriptionMatch.subscription_id, SubscriptionMatch.unit)
            .where(SubscriptionMatch.unit.in_(list(units[start : start + IN_CHUNK])))  # type: ignore[attr-defined]
            .distinct()
        )
        found += [(row[0], row[1]) for row in session.execute(statement)]
    return found


def get_pair(
    session: Session, subscription_id: int, key: tuple[int, str, int]
) -> SubscriptionMatch | None:
    return session.get(SubscriptionMatch, (subscription_id, *key))


# --- events and deliveries ------------------------------------------------------------------------


def list_events(
    session: Session, subscription_id: int, *, after_id: int, limit: int
) -> list[MatchEvent]:
    statement = (
        select(MatchEvent)
        .where(MatchEvent.subscription_id == subscription_id, MatchEvent.id > after_id)  # type: ignore[arg-type, operator]
        .order_by(MatchEvent.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    return list(session.execute(statement).scalars())


def get_subscriptions(session: Session, ids: set[int]) -> dict[int, Subscription]:
    if not ids:
        return {}
    statement = select(Subscription).where(Subscription.id.in_(sorted(ids)))  # type: ignore[union-attr]
    return {row.id: row for row in session.execute(statement).scalars()}  # type: ignore[misc]


def get_events(session: Session, ids: set[int]) -> dict[int, MatchEvent]:
    found: dict[int, MatchEvent] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), IN_CHUNK):
        chunk = ordered[start : start + IN_CHUNK]
        statement = select(MatchEvent).where(MatchEvent.id.in_(chunk))  # type: ignore[union-attr]
        found.update({row.id: row for row in session.execute(statement).scalars()})  # type: ignore[misc]
    return found


def get_event(session: Session, event_id: int) -> MatchEvent | None:
    return session.get(MatchEvent, event_id)


def list_deliveries(
    session: Session, subscription_id: int, *, after_id: int, limit: int, status: str | None
) -> list[tuple[WebhookDelivery, MatchEvent]]:
    statement = (
        select(WebhookDelivery, MatchEvent)
        .join(MatchEvent, MatchEvent.id == WebhookDelivery.event_id)  # type: ignore[arg-type]
        .where(
            WebhookDelivery.subscription_id == subscription_id,  # type: ignore[arg-type]
            WebhookDelivery.id > after_id,  # type: ignore[operator]
        )
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)  # type: ignore[arg-type]
    statement = statement.order_by(WebhookDelivery.id).limit(limit)  # type: ignore[arg-type]
    return [(row[0], row[1]) for row in session.execute(statement)]


def get_delivery(
    session: Session, delivery_id: int, *, for_update: bool = False
) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_id, with_for_update=for_update or None)


def claim_due_deliveries(
    session: Session, *, now: datetime, limit: int, skip_locked: bool
) -> list[WebhookDelivery]:
    """Pending deliveries due by `now`, oldest first, locked for this transaction.

    On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several workers share the table, each taking
    rows no other holds; SQLite has one writer at a time, so a plain select is enough there."""
    statement = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == "pending",  # type: ignore[arg-type]
            WebhookDelivery.next_attempt_at <= now,  # type: ignore[operator]
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)  # type: ignore[arg-type]
        .limit(limit)
    )
    if skip_locked:
        statement = statement.with_for_update(skip_locked=True)
    return list(session.execute(statement).scalars())


def kill_pending_deliveries(session: Session, subscription_id: int, reason: str) -> None:
    session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription_id,  # type: ignore[arg-type]
            WebhookDelivery.status == "pending",  # type: ignore[arg-type]
        )
        .values(status="dead", next_attempt_at=None, last_error=reason[:500])
    )


def count_deliveries(session: Session, *, status: str | None = None) -> int:
    statement = select(func.count()).select_from(WebhookDelivery)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)  # type: ignore[arg-type]
    return session.execute(statement).scalar_one()
