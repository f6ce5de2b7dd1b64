"""Every matching query lives here. Functions take a session; none commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update
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
    transaction, so a page is applied exactly once whatever happens to the process.

    Written in bulk: each document touched ends as the page's last change to it left it, so
    every touched key is deleted and the surviving documents inserted afresh."""
    final: dict[tuple[str, int], dict[str, Any] | None] = {}
    for entity, record_id, op, data in changes:
        final[(entity, record_id)] = None if op == "delete" or data is None else data
    table = MirrorDocument.__table__  # type: ignore[attr-defined]
    keys = list(final)
    for start in range(0, len(keys), IN_CHUNK):
        chunk = keys[start : start + IN_CHUNK]
        session.execute(delete(table).where(tuple_(table.c.entity, table.c.id).in_(chunk)))
    rows = [
        {"entity": entity, "id": record_id, "data": data, "updated_at": at}
        for (entity, record_id), data in final.items()
        if data is not None
    ]
    if rows:
        session.execute(insert(table), rows)
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


def clear_pairs_of(session: Session, subscription_ids: Sequence[int]) -> None:
    ids = list(subscription_ids)
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(
            delete(SubscriptionMatch).where(
                SubscriptionMatch.subscription_id.in_(ids[start : start + IN_CHUNK])  # type: ignore[attr-defined]
            )
        )


def insert_pairs(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SubscriptionMatch.__table__), rows)  # type: ignore[attr-defined]


def replace_pairs(
    session: Session,
    keys: Sequence[tuple[int, tuple[int, str, int]]],
    rows: list[dict[str, Any]],
) -> None:
    """Forget the pairs `keys` ((subscription id, (need, kind, candidate))), then store `rows`:
    one executemany DELETE by primary key and one bulk INSERT, whatever the pairs were."""
    table = SubscriptionMatch.__table__  # type: ignore[attr-defined]
    if keys:
        statement = delete(table).where(
            table.c.subscription_id == bindparam("k_subscription"),
            table.c.need_id == bindparam("k_need"),
            table.c.candidate_kind == bindparam("k_kind"),
            table.c.candidate_id == bindparam("k_candidate"),
        )
        session.execute(
            statement,
            [
                {"k_subscription": s, "k_need": n, "k_kind": k, "k_candidate": c}
                for s, (n, k, c) in keys
            ],
        )
    insert_pairs(session, rows)


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


def insert_events(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert (executemany with RETURNING): the new ids, in the order of `rows`."""
    if not rows:
        return []
    statement = insert(MatchEvent).returning(MatchEvent.id, sort_by_parameter_order=True)  # type: ignore[arg-type]
    return [row[0] for row in session.execute(statement, rows)]


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(WebhookDelivery.__table__), rows)  # type: ignore[attr-defined]


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


def get_subscriptions(
    session: Session, ids: set[int], *, for_update: bool = False
) -> dict[int, Subscription]:
    if not ids:
        return {}
    statement = (
        select(Subscription)
        .where(Subscription.id.in_(sorted(ids)))  # type: ignore[union-attr]
        .order_by(Subscription.id)  # type: ignore[arg-type]
    )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
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


def get_deliveries(
    session: Session, ids: Sequence[int], *, for_update: bool = False
) -> dict[int, WebhookDelivery]:
    """Deliveries by id (locked in id order on PostgreSQL when `for_update`)."""
    found: dict[int, WebhookDelivery] = {}
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), IN_CHUNK):
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ordered[start : start + IN_CHUNK]))  # type: ignore[union-attr]
            .order_by(WebhookDelivery.id)  # type: ignore[arg-type]
            .execution_options(populate_existing=True)
        )
        if for_update:
            statement = statement.with_for_update()
        found.update({row.id: row for row in session.execute(statement).scalars()})  # type: ignore[misc]
    return found


def set_deliveries(session: Session, ids: Sequence[int], **values: Any) -> None:
    """The same values on every delivery of `ids` (one UPDATE per chunk)."""
    ids = list(ids)
    for start in range(0, len(ids), IN_CHUNK):
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids[start : start + IN_CHUNK]))  # type: ignore[union-attr]
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def update_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Per-delivery values, keyed by `id`: one executemany UPDATE per set of columns."""
    table = WebhookDelivery.__table__  # type: ignore[attr-defined]
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for columns, group in groups.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("v_id"))
            .values({name: bindparam(f"v_{name}") for name in columns if name != "id"})
        )
        session.execute(
            statement, [{f"v_{name}": value for name, value in row.items()} for row in group]
        )


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
