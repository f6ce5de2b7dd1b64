"""The live index: a mirror of the catalogue and the immutable `TextIndex` snapshot readers use.

One writer (the feed follower) applies changes under a lock and swaps the snapshot reference;
readers take `snapshot()` once per request and never see a half-built index. A background refit
builds a fresh snapshot off the lock and catches up with what changed meanwhile before the swap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.matching.domain import (
    CatalogueMirror,
    IndexChanges,
    RecordError,
    StaleRefit,
    TextIndex,
)
from services.matching.domain.events import Touched
from shared.clock import utcnow

Change = tuple[str, int, str, Mapping[str, Any] | None]

# Below this many rows a fit takes milliseconds, while the drift rule (`TextIndex.needs_refit`)
# waits for thousands of new tokens: a young catalogue would match a newcomer on codes alone,
# its words unknown to a vocabulary fitted on the few records there were. So a young index
# refits within the page whose words are new enough to count as drift.
YOUNG_INDEX_ROWS = 1_000


@dataclass
class IndexStats:
    built_at: datetime | None = None
    build_seconds: float | None = None
    last_refit_at: datetime | None = None
    refits: int = 0
    rejected_changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Staged:
    snapshot: TextIndex
    touched: Touched
    refitted: bool = False


class LiveIndex:
    def __init__(self) -> None:
        self._mirror = CatalogueMirror()
        self._snapshot = TextIndex.build([])
        self._lock = threading.Lock()
        self.stats = IndexStats()
        self.ready = threading.Event()

    def snapshot(self) -> TextIndex:
        return self._snapshot

    @property
    def mirror(self) -> CatalogueMirror:
        return self._mirror

    def load(self, changes: Iterable[Change]) -> None:
        """Build from scratch (start-up from the stored mirror, or a rebuild)."""
        started = time.perf_counter()
        mirror = CatalogueMirror()
        for entity, record_id, op, data in changes:
            self._apply_one(mirror, entity, record_id, op, data)
        snapshot = TextIndex.build(mirror.index_records())
        with self._lock:
            self._mirror, self._snapshot = mirror, snapshot
            self.stats.built_at = utcnow()
            self.stats.build_seconds = time.perf_counter() - started
        self.ready.set()

    def apply(self, changes: Iterable[Change]) -> None:
        self.publish(self.stage(changes))

    def stage(self, changes: Iterable[Change]) -> Staged:
        """Apply `changes` to the mirror and build the snapshot they produce, unpublished.

        The follower computes a page's events on the staged snapshot and publishes it once the
        page is committed; if the commit fails it reloads the mirror from the database."""
        with self._lock:
            merged = IndexChanges()
            for entity, record_id, op, data in changes:
                merged = merged.merge(self._apply_one(self._mirror, entity, record_id, op, data))
            snapshot, refitted = self._snapshot, False
            if not merged.empty:
                snapshot = snapshot.with_changes(merged.upserts, merged.removals)
                if _young_and_drifted(snapshot):
                    snapshot, refitted = snapshot.refit(), True
            touched = Touched.from_changes(merged.upserts, merged.removals)
            return Staged(snapshot, touched, refitted)

    def publish(self, staged: Staged) -> None:
        with self._lock:
            self._snapshot = staged.snapshot
            if staged.refitted:
                self.stats.last_refit_at = utcnow()
                self.stats.refits += 1

    def _apply_one(
        self, mirror: CatalogueMirror, entity: str, record_id: int, op: str, data: Any
    ) -> Any:
        try:
            return mirror.apply(entity, record_id, op, data)
        except RecordError as exc:
            # a document the index cannot read must not stop the feed: it is reported instead
            self.stats.rejected_changes = [
                *self.stats.rejected_changes[-49:],
                f"{entity} {record_id}: {exc}",
            ]
            return mirror.apply(entity, record_id, "delete", None)

    def refit_if_drifted(self, *, force: bool = False) -> bool:
        """Refit off the lock when the vocabulary drifted (or when `force`d), then swap."""
        base = self._snapshot
        if not force and not base.needs_refit():
            return False
        fresh = base.refit()
        with self._lock:
            try:
                self._snapshot = fresh.catch_up(self._snapshot)
            except StaleRefit:
                return False
            self.stats.last_refit_at = utcnow()
            self.stats.refits += 1
        return True


def _young_and_drifted(snapshot: TextIndex) -> bool:
    drift = snapshot.drift
    return snapshot.count() < YOUNG_INDEX_ROWS and drift.excess > snapshot.params.drift_threshold
