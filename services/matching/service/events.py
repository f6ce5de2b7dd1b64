"""Turning feed pages into match events and webhook deliveries, inside the page's transaction.

The follower calls `EventRecorder.record_page(session, before, after, touched)` in the
transaction that stores the page's documents and cursor, with `after` the index snapshot the
page produces (not yet published): the events, their deliveries and the pair states they
report commit together with the cursor, or not at all, so no change is missed or reported
twice whatever happens to the process.

A subscription created (or re-filtered) since the last page first gets a silent baseline on
`before`, the snapshot every change committed before it was saved is already in; the page's
changes are then diffed as for every other subscription, so events report what changed after
the subscription existed. See `services.matching.domain.events` for what each event means.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.matching.domain import MatchPolicy, TextIndex
from services.matching.domain.events import (
    EventThresholds,
    MatchEvent,
    PairKey,
    PairState,
    Touched,
    Unit,
    Watch,
    WatchContext,
    affected,
    diff_pairs,
    parse_unit,
    rank_unit,
    unit_name,
)
from services.matching.store import repository
from services.matching.store.tables import (
    MatchEvent as EventRow,
)
from services.matching.store.tables import (
    Subscription,
    SubscriptionMatch,
    WebhookDelivery,
)
from shared.clock import today
from shared.webhooks import new_message_id

log = logging.getLogger("cityfit.matching.events")

CANDIDATE_PATHS = {
    "supplier": "organisations",
    "lender": "organisations",
    "municipality": "organisations",
    "funding_call": "funding-calls",
}


@dataclass
class EventStats:
    events: int = 0
    pages: int = 0
    units_ranked: int = 0


class EventRecorder:
    def __init__(
        self,
        *,
        policy: MatchPolicy,
        thresholds: EventThresholds,
        max_rank: int,
        catalogue_url: str,
    ) -> None:
        self._policy = policy
        self._thresholds = thresholds
        self._max_rank = max_rank
        self._catalogue_url = catalogue_url.rstrip("/")
        self.stats = EventStats()

    # --- baselines ---------------------------------------------------------------------------

    def baseline_pending(self, session: Session, index: TextIndex) -> int:
        """Record the current pairs of subscriptions that have none yet, without events."""
        pending = [row for row in repository.list_all_subscriptions(session) if not row.synced]
        self._baseline(session, pending, index)
        return len(pending)

    def _baseline(self, session: Session, rows: list[Subscription], index: TextIndex) -> None:
        if not rows:
            return
        context = WatchContext(index)
        cache: dict[Unit, dict[PairKey, PairState]] = {}
        for row in rows:
            watch = Watch.from_filter(row.filter, row.min_score)
            repository.clear_pairs(session, row.id)  # type: ignore[arg-type]
            for unit in sorted(watch.units(context)):
                for state in self._rank(index, unit, cache).values():
                    if watch.sees(state):
                        session.add(_pair_row(row.id, unit, state))  # type: ignore[arg-type]
            row.synced = True
            session.add(row)
        session.flush()

    # --- a feed page ---------------------------------------------------------------------------

    def record_page(
        self,
        session: Session,
        *,
        before: TextIndex,
        after: TextIndex,
        touched: Touched,
        at: datetime,
    ) -> int:
        """Events and deliveries of one page; the number of events."""
        rows = repository.list_all_subscriptions(session)
        self._baseline(session, [row for row in rows if not row.synced], before)
        self.stats.pages += 1
        if not rows or touched.empty:
            return 0
        by_id = {row.id: row for row in rows}
        context = WatchContext(after)
        watches = {row.id: Watch.from_filter(row.filter, row.min_score) for row in rows}
        watched: dict[int, set[Unit]] = {}
        work: dict[Unit, set[int]] = defaultdict(set)
        for row in rows:
            watched[row.id] = watch_units = watches[row.id].units(context)  # type: ignore[index]
            for unit in watch_units:
                if affected(unit, touched):
                    work[unit].add(row.id)  # type: ignore[arg-type]
        # pairs reported earlier whose need or organisation changed, even if no longer watched
        org_units = [unit_name(("organisation", kind, oid)) for kind, oid in touched.organisations]
        stored = repository.list_units_of_needs(session, sorted(touched.needs))
        stored += repository.list_units_named(session, org_units)
        for subscription_id, name in stored:
            if subscription_id in by_id:
                work[parse_unit(name)].add(subscription_id)
        if not work:
            return 0
        previous: dict[tuple[int, str], dict[PairKey, SubscriptionMatch]] = defaultdict(dict)
        for pair in repository.list_pairs(session, [unit_name(unit) for unit in work]):
            key = (pair.need_id, pair.candidate_kind, pair.candidate_id)
            previous[(pair.subscription_id, pair.unit)][key] = pair
        cache: dict[Unit, dict[PairKey, PairState]] = {}
        recorded: list[tuple[Subscription, MatchEvent]] = []
        for unit in sorted(work):
            name = unit_name(unit)
            ranked = self._rank(after, unit, cache)
            for subscription_id in sorted(work[unit]):
                row = by_id[subscription_id]
                watch = watches[subscription_id]
                current = (
                    {key: s for key, s in ranked.items() if watch.sees(s)}
                    if unit in watched[subscription_id]
                    else {}
                )
                stored_rows = previous.get((subscription_id, name), {})
                before_states = {key: _pair_state(pair) for key, pair in stored_rows.items()}
                for event in diff_pairs(before_states, current, self._thresholds):
                    self._remember(session, row, unit, event, stored_rows)
                    recorded.append((row, event))
        self._store_events(session, recorded, at)
        self.stats.events += len(recorded)
        return len(recorded)

    def _rank(
        self, index: TextIndex, unit: Unit, cache: dict[Unit, dict[PairKey, PairState]]
    ) -> dict[PairKey, PairState]:
        if unit not in cache:
            cache[unit] = rank_unit(
                index, unit, policy=self._policy, today=today(), max_rank=self._max_rank
            )
            self.stats.units_ranked += 1
        return cache[unit]

    def _remember(
        self,
        session: Session,
        row: Subscription,
        unit: Unit,
        event: MatchEvent,
        stored: dict[PairKey, SubscriptionMatch],
    ) -> None:
        """The reported state becomes the one the next diff starts from."""
        key = event.state.key
        existing = stored.get(key) or repository.get_pair(session, row.id, key)  # type: ignore[arg-type]
        if event.current is None:
            if existing is not None:
                session.delete(existing)
            return
        if existing is None:
            session.add(_pair_row(row.id, unit, event.current))  # type: ignore[arg-type]
            return
        existing.unit = unit_name(unit)
        existing.score, existing.rank = event.current.score, event.current.rank
        existing.summary = dict(event.current.summary)
        session.add(existing)

    def _store_events(
        self, session: Session, recorded: Iterable[tuple[Subscription, MatchEvent]], at: datetime
    ) -> None:
        rows: list[tuple[Subscription, EventRow]] = []
        for subscription, event in recorded:
            state = event.state
            body = event.body(subscription_id=subscription.id, at=at, links=self._links(state))  # type: ignore[arg-type]
            rows.append(
                (
                    subscription,
                    EventRow(
                        subscription_id=subscription.id,  # type: ignore[arg-type]
                        webhook_id=new_message_id(),
                        type=event.type,
                        body=body,
                        created_at=at,
                    ),
                )
            )
        session.add_all([event for _, event in rows])
        session.flush()
        deliveries = [
            WebhookDelivery(
                subscription_id=subscription.id,  # type: ignore[arg-type]
                event_id=event.id,  # type: ignore[arg-type]
                status="pending",
                next_attempt_at=at,
                created_at=at,
            )
            for subscription, event in rows
            if subscription.url is not None and subscription.status == "active"
        ]
        session.add_all(deliveries)
        session.flush()

    def _links(self, state: PairState) -> dict[str, str]:
        path = CANDIDATE_PATHS.get(state.candidate_kind, "organisations")
        return {
            "need": f"{self._catalogue_url}/v1/needs/{state.need_id}",
            "candidate": f"{self._catalogue_url}/v1/{path}/{state.candidate_id}",
            "match": (
                f"/v1/needs/{state.need_id}/matches/{state.candidate_kind}/{state.candidate_id}"
            ),
        }


def _pair_row(subscription_id: int, unit: Unit, state: PairState) -> SubscriptionMatch:
    return SubscriptionMatch(
        subscription_id=subscription_id,
        need_id=state.need_id,
        candidate_kind=state.candidate_kind,
        candidate_id=state.candidate_id,
        unit=unit_name(unit),
        score=state.score,
        rank=state.rank,
        summary=dict(state.summary),
    )


def _pair_state(row: SubscriptionMatch) -> PairState:
    return PairState(
        need_id=row.need_id,
        candidate_kind=row.candidate_kind,
        candidate_id=row.candidate_id,
        score=row.score,
        rank=row.rank,
        summary=row.summary,
    )
