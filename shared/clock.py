"""The platform's notion of now: aware UTC, as every timestamp column stores it."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(UTC).date()


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands every timestamp back naive, in UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
