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
from typing import Any

from sqlmodel import Session

from services.matching.clients.evaluation import BankabilitySource
from services.matching.domain import Bankability, MatchPolicy, Need, TextIndex
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
from services.matching.service import matches
from services.matching.store import repository
from services.matching.store.tables import Subscription, SubscriptionMatch
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
        bankability: BankabilitySource | None = None,
    ) -> None:
        self._bankability = bankability
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
        pairs: dict[tuple[int, PairKey], dict[str, Any]] = {}
        for row in rows:
            watch = Watch.from_filter(row.filter, row.min_score)
            for unit in sorted(watch.units(context)):
                for state in self._rank(session, index, unit, cache).values():
                    if watch.sees(state):
                        # one row per pair: a later unit's state replaces an earlier one's
                        pairs[(row.id, state.key)] = _pair_values(row.id, unit, state)  # type: ignore[index, arg-type]
        ids = [row.id for row in rows]
        repository.clear_pairs_of(session, ids)  # type: ignore[arg-type]
        repository.insert_pairs(session, list(pairs.values()))
        for row in rows:
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
        # the state each reported pair ends the page in: None (gone) or the row to store
        remembered: dict[tuple[int, PairKey], dict[str, Any] | None] = {}
        for unit in sorted(work):
            name = unit_name(unit)
            ranked = self._rank(session, after, unit, cache)
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
                    self._remember(remembered, subscription_id, unit, event)
                    recorded.append((row, event))
        repository.replace_pairs(
            session,
            list(remembered),
            [values for values in remembered.values() if values is not None],
        )
        self._store_events(session, recorded, at)
        self.stats.events += len(recorded)
        return len(recorded)

    def _rank(
        self,
        session: Session,
        index: TextIndex,
        unit: Unit,
        cache: dict[Unit, dict[PairKey, PairState]],
    ) -> dict[PairKey, PairState]:
        if unit not in cache:
            bankability, needs_bankability = self._figures(session, index, unit)
            cache[unit] = rank_unit(
                index,
                unit,
                policy=self._policy,
                today=today(),
                max_rank=self._max_rank,
                bankability=bankability,
                needs_bankability=needs_bankability,
            )
            self.stats.units_ranked += 1
        return cache[unit]

    def _figures(
        self, session: Session, index: TextIndex, unit: Unit
    ) -> tuple[Bankability | None, dict[int, Bankability] | None]:
        """The bankability a lender ranking needs, looked up as the matches endpoints do."""
        scope, kind, record_id = unit
        if self._bankability is None or kind != "lender":
            return None, None
        if scope == "need":
            need = index.get(("need", record_id))
            if not isinstance(need, Need):
                return None, None
            figures, _notes = matches.need_bankability(session, self._bankability, need)
            return figures, None
        figures_by_need, _notes = matches.open_needs_bankability(session, index, self._bankability)
        return None, figures_by_need

    @staticmethod
    def _remember(
        remembered: dict[tuple[int, PairKey], dict[str, Any] | None],
        subscription_id: int,
        unit: Unit,
        event: MatchEvent,
    ) -> None:
        """The reported state becomes the one the next diff starts from (stored in bulk)."""
        key = (subscription_id, event.state.key)
        if event.current is None:
            remembered[key] = None
        else:
            remembered[key] = _pair_values(subscription_id, unit, event.current)

    def _store_events(
        self, session: Session, recorded: Iterable[tuple[Subscription, MatchEvent]], at: datetime
    ) -> None:
        """Events and their deliveries as two bulk inserts (ids taken with RETURNING)."""
        subscriptions: list[Subscription] = []
        rows: list[dict[str, Any]] = []
        for subscription, event in recorded:
            state = event.state
            body = event.body(subscription_id=subscription.id, at=at, links=self._links(state))  # type: ignore[arg-type]
            subscriptions.append(subscription)
            rows.append(
                {
                    "subscription_id": subscription.id,
                    "webhook_id": new_message_id(),
                    "type": event.type,
                    "body": body,
                    "created_at": at,
                }
            )
        if not rows:
            return
        event_ids = repository.insert_events(session, rows)
        deliveries = [
            {
                "subscription_id": subscription.id,
                "event_id": event_id,
                "status": "pending",
                "attempts": 0,
                "replays": 0,
                "next_attempt_at": at,
                "created_at": at,
            }
            for subscription, event_id in zip(subscriptions, event_ids, strict=True)
            if subscription.url is not None and subscription.status == "active"
        ]
        repository.insert_deliveries(session, deliveries)

    def _links(self, state: PairState) -> dict[str, str]:
        path = CANDIDATE_PATHS.get(state.candidate_kind, "organisations")
        return {
            "need": f"{self._catalogue_url}/v1/needs/{state.need_id}",
            "candidate": f"{self._catalogue_url}/v1/{path}/{state.candidate_id}",
            "match": (
                f"/v1/needs/{state.need_id}/matches/{state.candidate_kind}/{state.candidate_id}"
            ),
        }


def _pair_values(subscription_id: int, unit: Unit, state: PairState) -> dict[str, Any]:
    return {
        "subscription_id": subscription_id,
        "need_id": state.need_id,
        "candidate_kind": state.candidate_kind,
        "candidate_id": state.candidate_id,
        "unit": unit_name(unit),
        "score": state.score,
        "rank": state.rank,
        "summary": dict(state.summary),
    }


def _pair_state(row: SubscriptionMatch) -> PairState:
    return PairState(
        need_id=row.need_id,
        candidate_kind=row.candidate_kind,
        candidate_id=row.candidate_id,
        score=row.score,
        rank=row.rank,
        summary=row.summary,
    )
