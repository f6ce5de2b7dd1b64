"""Webhook deliveries: claiming the due ones, and recording each attempt's outcome.

A worker claims due deliveries in a short transaction (on PostgreSQL `FOR UPDATE SKIP LOCKED`,
so several workers share the table) and leases them by moving `next_attempt_at` past the
attempt timeout; it sends them outside any transaction, then records each outcome. A worker
that dies mid-attempt loses nothing: the lease expires and the delivery is tried again (at
least once; receivers deduplicate by `webhook-id`).

Schedule: attempt n + 1 comes `retry_seconds[n - 1]` after attempt n fails, times a random
factor in [1 - jitter, 1 + jitter]; after 1 + len(retry_seconds) failed attempts the delivery
is `dead` (dead-lettered; replay sends it again). A subscription whose endpoint has failed
without a single success for `disable_after_seconds` is disabled with the reason, and its
pending deliveries are dead-lettered.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from services.matching.clients.webhooks import Outcome
from services.matching.service.subscriptions import active_secrets
from services.matching.service.targets import TargetRefused, check_target
from services.matching.store import repository
from shared.clock import as_utc
from shared.db import is_sqlite
from shared.webhooks import headers as webhook_headers


@dataclass(frozen=True)
class DeliveryPolicy:
    retry_seconds: Sequence[float]
    jitter: float
    lease_seconds: float
    disable_after_seconds: float
    allow_private: bool
    rng: random.Random = field(default_factory=random.Random)

    def next_wait(self, attempts: int) -> float | None:
        """Seconds until the next attempt after `attempts` failed ones; None: no more."""
        if attempts > len(self.retry_seconds):
            return None
        spread = 1 + self.rng.uniform(-self.jitter, self.jitter)
        return self.retry_seconds[attempts - 1] * spread


@dataclass(frozen=True)
class Attempt:
    """One claimed delivery, ready to send: the exact bytes and headers."""

    delivery_id: int
    url: str
    body: bytes
    headers: dict[str, str]


def claim(session: Session, *, now: datetime, limit: int, policy: DeliveryPolicy) -> list[Attempt]:
    rows = repository.claim_due_deliveries(
        session, now=now, limit=limit, skip_locked=not is_sqlite(session.get_bind().engine)
    )
    attempts: list[Attempt] = []
    lease = now + timedelta(seconds=policy.lease_seconds)
    timestamp = int(now.timestamp())
    subscriptions = repository.get_subscriptions(session, {d.subscription_id for d in rows})
    events = repository.get_events(session, {d.event_id for d in rows})
    leased: list[int] = []
    orphaned: list[int] = []
    for delivery in rows:
        subscription = subscriptions.get(delivery.subscription_id)
        event = events.get(delivery.event_id)
        if subscription is None or event is None:
            continue
        if subscription.url is None or subscription.status != "active":
            orphaned.append(delivery.id)  # type: ignore[arg-type]
            continue
        leased.append(delivery.id)  # type: ignore[arg-type]
        body = json.dumps(event.body, separators=(",", ":"), ensure_ascii=False)
        signed = webhook_headers(
            active_secrets(subscription, now), event.webhook_id, timestamp, body
        )
        attempts.append(Attempt(delivery.id, subscription.url, body.encode(), signed))  # type: ignore[arg-type]
    repository.set_deliveries(session, leased, next_attempt_at=lease)
    repository.set_deliveries(
        session,
        orphaned,
        status="dead",
        next_attempt_at=None,
        last_error="the subscription has no URL or is disabled",
    )
    return attempts


def check(attempt: Attempt, policy: DeliveryPolicy) -> Outcome | None:
    """Refuse, before sending, a URL that now resolves to a forbidden address."""
    try:
        check_target(attempt.url, allow_private=policy.allow_private)
    except TargetRefused as exc:
        return Outcome(False, error=f"refused: {exc}"[:500])
    return None


def record(
    session: Session,
    attempt: Attempt,
    outcome: Outcome,
    *,
    now: datetime,
    policy: DeliveryPolicy,
) -> None:
    record_many(session, [(attempt, outcome)], now=now, policy=policy)


def record_many(
    session: Session,
    results: Sequence[tuple[Attempt, Outcome]],
    *,
    now: datetime,
    policy: DeliveryPolicy,
) -> None:
    """Record a batch of outcomes in one go: the deliveries and their subscriptions are read
    (locked on PostgreSQL) once, the outcomes applied in order, and the delivery rows written
    back with one executemany UPDATE by primary key."""
    if not results:
        return
    rows = repository.get_deliveries(session, [a.delivery_id for a, _ in results], for_update=True)
    subscriptions = repository.get_subscriptions(
        session, {d.subscription_id for d in rows.values()}, for_update=True
    )
    updates: list[dict[str, Any]] = []
    disabled: dict[int, str] = {}
    for attempt, outcome in results:
        delivery = rows.get(attempt.delivery_id)
        if delivery is None or delivery.status != "pending":
            continue
        subscription = subscriptions.get(delivery.subscription_id)
        if subscription is None or subscription.id in disabled:
            continue  # disabled earlier in this batch: its pending deliveries die below
        attempts = delivery.attempts + 1
        values: dict[str, Any] = {
            "id": delivery.id,
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
        }
        updates.append(values)
        if outcome.delivered:
            values.update(
                status="delivered", delivered_at=now, next_attempt_at=None, last_error=None
            )
            if subscription.failing_since is not None:
                subscription.failing_since = None
                session.add(subscription)
            continue
        values["last_error"] = outcome.error
        wait = policy.next_wait(attempts)
        if wait is None:
            values.update(status="dead", next_attempt_at=None)
        else:
            values["next_attempt_at"] = now + timedelta(seconds=wait)
        if subscription.failing_since is None:
            subscription.failing_since = now
        elif (now - as_utc(subscription.failing_since)).total_seconds() >= (
            policy.disable_after_seconds
        ) and subscription.status == "active":
            since = as_utc(subscription.failing_since).isoformat(timespec="seconds")
            subscription.status = "disabled"
            subscription.disabled_reason = (
                f"the endpoint has failed every delivery since {since}; last: {outcome.error}"
            )[:500]
            subscription.version += 1
            disabled[subscription.id] = f"subscription disabled: {subscription.disabled_reason}"  # type: ignore[index]
        session.add(subscription)
    repository.update_deliveries(session, updates)
    for subscription_id, reason in disabled.items():
        repository.kill_pending_deliveries(session, subscription_id, reason)
    session.flush()
