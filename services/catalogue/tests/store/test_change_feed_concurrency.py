"""The change feed under concurrent transactions (DESIGN.md, "The change feed, precisely").

On PostgreSQL ids are taken before commit and transactions commit out of order, so a follower
reading `id > cursor` can step past a row that commits a moment later. The first test shows the
naive query losing that row and the feed not losing it; the second runs concurrent writers
against a follower that persists its cursor and checks every change arrives exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from services.catalogue.service import changes
from services.catalogue.settings import CatalogueSettings
from services.catalogue.store import repository
from services.catalogue.store.tables import ChangeRecord
from shared.db import make_engine, open_session


def _write_change(session: Session, entity_id: int) -> None:
    repository.record_change(
        session, entity="need", entity_id=entity_id, op="upsert", data={}, at=datetime.now(UTC)
    )


def _naive_page(session: Session, after_id: int) -> list[int]:
    rows = session.execute(
        select(ChangeRecord.id).where(ChangeRecord.id > after_id).order_by(ChangeRecord.id)  # type: ignore[arg-type]
    )
    return [row[0] for row in rows]


@pytest.mark.postgres_only
def test_a_late_commit_is_lost_by_the_naive_query_but_not_by_the_feed(
    settings: CatalogueSettings,
) -> None:
    engine = make_engine(settings.resolved_database_url())
    early, late = open_session(engine, write=True), open_session(engine, write=True)
    try:
        _write_change(early, entity_id=1)  # takes the lower id, commits last
        early.flush()
        _write_change(late, entity_id=2)
        late.commit()

        with open_session(engine) as reader:
            naive_seen = _naive_page(reader, after_id=0)
            feed_page = changes.read(reader, None, 100)
        assert len(naive_seen) == 1  # the naive follower sees the late row and moves past it ...
        naive_cursor = max(naive_seen)
        assert feed_page.items == []  # ... the feed waits for the older transaction
        feed_cursor = feed_page.next_cursor

        early.commit()
        with open_session(engine) as reader:
            naive_after = _naive_page(reader, after_id=naive_cursor)
            feed_after = changes.read(reader, feed_cursor, 100).items
        assert naive_after == []  # the naive follower never sees entity 1
        assert [item.id for item in feed_after] == [1, 2]
    finally:
        early.close()
        late.close()
        engine.dispose()


def test_concurrent_writers_never_make_the_follower_skip_or_repeat(
    settings: CatalogueSettings,
) -> None:
    engine = make_engine(settings.resolved_database_url())
    writers, per_writer = 4, 15
    done = threading.Event()
    seen: list[int] = []

    def write(worker: int) -> None:
        rng = random.Random(worker)
        for n in range(per_writer):
            with open_session(engine, write=True) as session:
                _write_change(session, entity_id=worker * 1000 + n)
                session.flush()
                time.sleep(rng.uniform(0, 0.01))  # hold the transaction open: out-of-order commits
                session.commit()

    def follow() -> None:
        cursor: str | None = None
        while True:
            finished = done.is_set()
            with open_session(engine) as session:
                page = changes.read(session, cursor, 7)
            seen.extend(item.id for item in page.items)
            cursor = page.next_cursor
            if finished and not page.items:
                return

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    follower = threading.Thread(target=follow)
    follower.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join(timeout=60)
    engine.dispose()

    expected = {w * 1000 + n for w in range(writers) for n in range(per_writer)}
    assert len(seen) == len(expected)  # nothing repeated
    assert set(seen) == expected  # nothing skipped


@pytest.mark.postgres_only
def test_changes_carry_the_writing_transaction(settings: CatalogueSettings) -> None:
    engine = make_engine(settings.resolved_database_url())
    with open_session(engine, write=True) as session:
        _write_change(session, entity_id=1)
        _write_change(session, entity_id=2)
        txid = session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one()
        session.commit()
    with open_session(engine) as session:
        stored = session.execute(select(ChangeRecord.txid)).scalars().all()  # type: ignore[call-overload]
    engine.dispose()
    assert stored == [txid, txid]
