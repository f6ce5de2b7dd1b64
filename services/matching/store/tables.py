"""Matching tables: the follower's cursor and the catalogue documents it has applied.

The in-memory index is rebuilt from `mirror_documents` on start, then the follower resumes the
feed from `feed_state`; both are written in one transaction per feed page, so a change is
applied exactly once even across crashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class FeedState(SQLModel, table=True):
    __tablename__ = "feed_state"

    id: int = Field(default=1, primary_key=True)
    cursor: str = Field(max_length=40)
    changes_applied: int = Field(default=0)
    updated_at: datetime


class MirrorDocument(SQLModel, table=True):
    __tablename__ = "mirror_documents"

    entity: str = Field(primary_key=True, max_length=16)
    id: int = Field(primary_key=True)
    data: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    updated_at: datetime


class Subscription(SQLModel, table=True):
    """What an organisation watches, where its webhooks go and the secret that signs them.

    The secret is kept in clear: HMAC signing needs it (it is only ever shown once to the
    owner). `synced` is false until the follower has recorded the subscription's current
    matches as its baseline, so events report changes after it was created."""

    __tablename__ = "subscriptions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    url: str | None = Field(default=None, max_length=2000)
    filter: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    min_score: float
    secret: str = Field(max_length=64)
    previous_secret: str | None = Field(default=None, max_length=64)
    previous_secret_expires_at: datetime | None = None
    status: str = Field(default="active", max_length=16)
    disabled_reason: str | None = Field(default=None, max_length=500)
    failing_since: datetime | None = None
    synced: bool = False
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime


class SubscriptionMatch(SQLModel, table=True):
    """A pair a subscription currently sees, as last reported: the state events diff against.

    `unit` names the ranking the pair came from (`need:12:supplier`, `organisation:supplier:7`)
    so a feed page reloads only the rankings it recomputes."""

    __tablename__ = "subscription_matches"

    subscription_id: int = Field(primary_key=True, foreign_key="subscriptions.id")
    need_id: int = Field(primary_key=True)
    candidate_kind: str = Field(primary_key=True, max_length=16)
    candidate_id: int = Field(primary_key=True)
    unit: str = Field(max_length=64, index=True)
    score: float
    rank: int | None = None
    summary: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))


class MatchEvent(SQLModel, table=True):
    """One event of one subscription: its pull feed, and the body its webhook carries."""

    __tablename__ = "match_events"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id")
    webhook_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=32)
    body: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    created_at: datetime


class WebhookDelivery(SQLModel, table=True):
    """Delivering one event to one subscription's URL: `pending` (due at `next_attempt_at`),
    `delivered`, or `dead` (every attempt failed; replay makes it pending again)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscriptions.id")
    event_id: int = Field(foreign_key="match_events.id")
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    replays: int = Field(default=0)
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = None
    created_at: datetime
