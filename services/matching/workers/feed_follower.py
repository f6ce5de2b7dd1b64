"""Follows the catalogue's change feed into the matching database and the live index.

Each page is first staged on the in-memory index (the next snapshot, unpublished), then stored
(documents, cursor, and the match events and webhook deliveries the page causes: one
transaction), then the snapshot is published; after a crash the index is rebuilt from the
stored documents and the feed resumes from the stored cursor, so every change is applied
exactly once and its events are recorded exactly once. Catalogue being down only stops the
follower from advancing: matching keeps answering from its index and reports its lag.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine

from services.matching.clients.catalogue import CatalogueFeed, FeedGone
from services.matching.service.events import EventRecorder
from services.matching.service.index import LiveIndex
from services.matching.store import repository
from shared.clock import as_utc, utcnow
from shared.db import open_session, transaction

log = logging.getLogger("cityfit.matching.feed")

MAX_BACKOFF_SECONDS = 5.0


@dataclass
class FollowerStatus:
    cursor: str = repository.START_CURSOR
    caught_up_at: datetime | None = None
    last_poll_at: datetime | None = None
    last_error: str | None = None
    changes_applied: int = 0
    last_success_at: datetime | None = None  # the last poll the catalogue answered
    last_change_at: datetime | None = None  # when the last change was applied (kept on restart)
    failing_since: datetime | None = None  # the first failed poll of the current failures
    feed_failed: bool = False  # whether the last error was the feed's (not the database's)

    @property
    def reachable(self) -> bool | None:
        """Whether the catalogue's feed answered the last poll; None before the first."""
        if self.last_error is not None and self.feed_failed:
            return False
        return None if self.last_success_at is None else True

    def failed(self, error: str, at: datetime, *, feed: bool) -> None:
        self.last_error = error
        self.feed_failed = feed
        if self.failing_since is None:
            self.failing_since = at

    def lag_seconds(self) -> float | None:
        """0 while caught up; since when it last was, while behind or cut off."""
        if self.caught_up_at is None:
            return None
        if self.last_error is None and self.last_poll_at == self.caught_up_at:
            return 0.0
        return round((utcnow() - self.caught_up_at).total_seconds(), 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cursor": self.cursor,
            "caught_up": self.lag_seconds() == 0.0,
            "lag_seconds": self.lag_seconds(),
            "caught_up_at": self.caught_up_at,
            "last_poll_at": self.last_poll_at,
            "last_error": self.last_error,
            "changes_applied": self.changes_applied,
            "reachable": self.reachable,
            "last_success_at": self.last_success_at,
            "last_change_at": self.last_change_at,
            "failing_since": self.failing_since,
            "failing_seconds": (
                None
                if self.failing_since is None
                else round((utcnow() - self.failing_since).total_seconds(), 3)
            ),
        }


class FeedFollower:
    def __init__(
        self,
        engine: Engine,
        feed: CatalogueFeed,
        index: LiveIndex,
        *,
        page_size: int,
        poll_seconds: float,
        refit_check_seconds: float,
        events: EventRecorder | None = None,
    ) -> None:
        self._engine = engine
        self._feed = feed
        self._index = index
        self._page_size = page_size
        self._poll_seconds = poll_seconds
        self._refit_check_seconds = refit_check_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._rebuild = threading.Lock()
        self._events = events
        # after a rebuild, replayed history is not news: events resume once caught up
        self._replaying = False
        self._fit_when_caught_up = False
        self.status = FollowerStatus()

    def load(self) -> None:
        """Rebuild the index from the stored documents and resume from the stored cursor."""
        with open_session(self._engine) as session:
            state = repository.get_feed_state(session)
            documents = [
                (doc.entity, doc.id, "upsert", doc.data)
                for doc in repository.iter_documents(session)
            ]
        # offers fold into organisations, so organisations go first
        documents.sort(key=lambda change: change[0] == "offer")
        self._index.load(documents)
        # an index grown from nothing is fitted on its first page only: refit once caught up
        self._fit_when_caught_up = not documents
        if state is not None:
            self.status.cursor = state.cursor
            self.status.changes_applied = state.changes_applied
            self.status.last_change_at = as_utc(state.updated_at)

    def rebuild(self) -> None:
        """Forget everything and replay the feed from the start."""
        with self._rebuild:
            with transaction(self._engine) as session:
                repository.reset(session)
            self._index.load([])
            self.status = FollowerStatus()
            self._replaying = True
            self._fit_when_caught_up = True

    def poll_once(self) -> int:
        """Read and apply one page; the number of changes applied."""
        with self._rebuild:
            now = utcnow()
            self.status.last_poll_at = now
            page = self._feed.read(self.status.cursor, self._page_size)
            changes = [(c.entity, c.id, c.op, c.data) for c in page.items]
            self.status.last_success_at = now
            if changes:
                self._store_page(changes, page.next_cursor, now)
                self.status.changes_applied += len(changes)
                self.status.last_change_at = now
            elif self._events is not None and not self._replaying:
                self._baseline_new_subscriptions()
            self.status.cursor = page.next_cursor
            self.status.last_error = None
            self.status.failing_since = None
            if len(changes) < self._page_size:
                if self._fit_when_caught_up:
                    self._fit_when_caught_up = False
                    self._index.refit_if_drifted(force=True)
                self.status.caught_up_at = now
                self._replaying = False
            return len(changes)

    def _store_page(self, changes: list[Any], cursor: str, now: datetime) -> None:
        before = self._index.snapshot()
        staged = self._index.stage(changes)
        try:
            with transaction(self._engine) as session:
                repository.save_page(session, changes=changes, cursor=cursor, at=now)
                if self._events is not None and not self._replaying:
                    self._events.record_page(
                        session,
                        before=before,
                        after=staged.snapshot,
                        touched=staged.touched,
                        at=now,
                    )
        except BaseException:
            # the mirror ran ahead of what was stored: rebuild it from the database
            self.load()
            raise
        self._index.publish(staged)

    def _baseline_new_subscriptions(self) -> None:
        assert self._events is not None
        with open_session(self._engine) as session:
            pending = repository.has_unsynced_subscriptions(session)
        if pending:
            with transaction(self._engine) as session:
                self._events.baseline_pending(session, self._index.snapshot())

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="feed-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        next_refit_check = time.monotonic() + self._refit_check_seconds
        failures = 0
        reload = False
        while not self._stop.is_set():
            try:
                if reload:
                    self.load()
                    reload = False
                applied = self.poll_once()
                failures = 0
            except FeedGone as exc:
                log.warning("feed cursor too old, rebuilding the index: %s", exc)
                self.rebuild()
                continue
            except (httpx.HTTPError, ValueError) as exc:
                failures += 1
                self.status.failed(f"catalogue feed: {exc}", utcnow(), feed=True)
                self._back_off(failures)
                continue
            except Exception as exc:  # the database, say: the thread must outlive it
                log.exception("feed follower failed; the index is reloaded before retrying")
                failures += 1
                self.status.failed(f"feed follower: {exc}", utcnow(), feed=False)
                # the mirror may hold a page that was never stored
                reload = True
                self._back_off(failures)
                continue
            if time.monotonic() > next_refit_check:
                next_refit_check = time.monotonic() + self._refit_check_seconds
                if self._index.refit_if_drifted():
                    log.info("index refitted", extra={"status": self._index.snapshot().status()})
            if applied < self._page_size:
                self._stop.wait(self._poll_seconds)

    def _back_off(self, failures: int) -> None:
        # backs off, but retries at least every 5 s: a feed read is cheap for the catalogue,
        # and freshness should come back within seconds of the failure's end
        backoff = self._poll_seconds * 2 ** min(failures, 8)
        self._stop.wait(min(MAX_BACKOFF_SECONDS, backoff))
