"""Idempotency records expire after their TTL (the purger runs in every service's lifespan)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from services.catalogue.app import MIGRATIONS
from shared import idempotency
from shared.clock import utcnow
from shared.db import make_engine, open_session
from shared.testing.databases import DatabaseFactory


def test_records_older_than_the_ttl_are_purged(database_factory: DatabaseFactory) -> None:
    engine = make_engine(database_factory.fresh("catalogue", Path(MIGRATIONS)))
    now = utcnow()
    with open_session(engine, write=True) as session:
        session.execute(
            insert(idempotency.IdempotencyRecord),
            [
                {
                    "scope": "s",
                    "key": "old",
                    "fingerprint": "f",
                    "state": "completed",
                    "created_at": now - timedelta(hours=25),
                },
                {
                    "scope": "s",
                    "key": "fresh",
                    "fingerprint": "f",
                    "state": "completed",
                    "created_at": now - timedelta(hours=1),
                },
            ],
        )
        session.commit()
    removed = idempotency.ExpiredKeyPurger(engine, timedelta(hours=24)).purge_once()
    with open_session(engine) as session:
        keys = session.execute(select(idempotency.IdempotencyRecord.key)).scalars().all()
        count = session.execute(
            select(func.count()).select_from(idempotency.IdempotencyRecord)
        ).scalar_one()
    engine.dispose()
    assert removed == 1
    assert keys == ["fresh"]
    assert count == 1
