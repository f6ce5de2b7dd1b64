"""Match events: what a subscription hears when the matches it watches change.

A subscription watches *units*, rankings the index computes: `("need", kind, need_id)` is a
need's ranking of candidates of `kind` (`supplier`, `lender`, `funding_call`);
`("organisation", kind, organisation_id)` is a supplier's or lender's ranking of open needs.
`Watch.units` lists a subscription's units: a need's three rankings (or the one of `kind`),
an organisation's own ranking (a municipality: the rankings of each of its needs), or the
rankings of every open need of a category and/or under a NUTS region.

A pair (need, candidate) is *seen* by a subscription when it is in the top
`max_rank` of one of its units and scores at least the subscription's `min_score`. A feed page
changes some records (`Touched`); a unit is recomputed only when the page can have changed it
(`affected`: its need changed, or a candidate of its kind; for an organisation's ranking, the
organisation or any need), so a page costs one ranking per affected unit, shared by every
subscription watching it.

`diff_pairs(previous, current)` compares the last reported state of each pair with the
recomputed one: `match.created` for a pair now seen that was not, `match.removed` for one no
longer seen (need closed or deleted, candidate deactivated, a constraint now failing, score
below `min_score` or rank beyond `max_rank`), `match.updated` when the score moved by at least
`score_delta` (absolute, score in 0..1) or the rank by at least `rank_delta` places since the
last report. Small moves are not reported and not recorded, so drift accumulates until it is
material. Checked by `tests/domain/test_events.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.matching.domain.assessment import MatchPolicy
from services.matching.domain.explanation import Match
from services.matching.domain.ranking import rank_for_need, rank_for_organisation
from services.matching.domain.records import Bankability, IndexRecord, Key, Need, Organisation
from services.matching.domain.text_index import TextIndex

CREATED = "match.created"
UPDATED = "match.updated"
REMOVED = "match.removed"
EVENT_TYPES = (CREATED, UPDATED, REMOVED)
CANDIDATE_KINDS = ("supplier", "lender", "funding_call")
ORGANISATION_KINDS = ("supplier", "lender")

PairKey = tuple[int, str, int]  # need id, candidate kind, candidate id
Unit = tuple[str, str, int]  # ("need", candidate kind, need id) | ("organisation", kind, id)


def unit_name(unit: Unit) -> str:
    return f"{unit[0]}:{unit[1]}:{unit[2]}"


def parse_unit(name: str) -> Unit:
    scope, kind, record_id = name.split(":")
    return (scope, kind, int(record_id))


@dataclass(frozen=True, slots=True)
class PairState:
    """A pair as a subscription last saw it: score (0..1), rank in its unit, and a summary
    (components, explanation, names) for the event that reports it."""

    need_id: int
    candidate_kind: str
    candidate_id: int
    score: float
    rank: int | None
    summary: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> PairKey:
        return (self.need_id, self.candidate_kind, self.candidate_id)


@dataclass(frozen=True, slots=True)
class EventThresholds:
    score_delta: float = 0.02
    rank_delta: int = 3


@dataclass(frozen=True, slots=True)
class MatchEvent:
    type: str
    previous: PairState | None
    current: PairState | None

    @property
    def state(self) -> PairState:
        state = self.current or self.previous
        assert state is not None
        return state

    def body(self, *, subscription_id: int, at: datetime, links: Mapping[str, str]) -> dict:
        """The event document: `{type, timestamp, data}` (Standard Webhooks payload shape)."""
        state = self.state
        data: dict[str, Any] = {
            "subscription_id": subscription_id,
            "pair": {
                "need_id": state.need_id,
                "candidate_kind": state.candidate_kind,
                "candidate_id": state.candidate_id,
            },
            "score": round(state.score, 6),
            "rank": state.rank,
            "components": dict(state.summary.get("components", {})),
            "explanation": state.summary.get("explanation", ""),
            "need_title": state.summary.get("need_title"),
            "candidate_name": state.summary.get("candidate_name"),
            "links": dict(links),
        }
        if self.previous is not None and self.current is not None:
            data["previous"] = {
                "score": round(self.previous.score, 6),
                "rank": self.previous.rank,
            }
        return {"type": self.type, "timestamp": at.isoformat(), "data": data}


def diff_pairs(
    previous: Mapping[PairKey, PairState],
    current: Mapping[PairKey, PairState],
    thresholds: EventThresholds,
) -> list[MatchEvent]:
    """Events turning `previous` (as last reported) into `current`, in pair order."""
    events: list[MatchEvent] = []
    for key in sorted(previous.keys() | current.keys()):
        before, after = previous.get(key), current.get(key)
        if before is None and after is not None:
            events.append(MatchEvent(CREATED, None, after))
        elif after is None and before is not None:
            events.append(MatchEvent(REMOVED, before, None))
        elif before is not None and after is not None and _material(before, after, thresholds):
            events.append(MatchEvent(UPDATED, before, after))
    return events


def _material(before: PairState, after: PairState, thresholds: EventThresholds) -> bool:
    if abs(after.score - before.score) >= thresholds.score_delta - 1e-12:
        return True
    if before.rank is None or after.rank is None:
        return before.rank != after.rank
    return abs(after.rank - before.rank) >= thresholds.rank_delta


@dataclass(frozen=True, slots=True)
class Touched:
    """What one feed page changed: need ids, candidate kinds, organisation keys."""

    needs: frozenset[int] = frozenset()
    kinds: frozenset[str] = frozenset()
    organisations: frozenset[Key] = frozenset()

    @classmethod
    def from_changes(cls, upserts: Iterable[IndexRecord], removals: Iterable[Key]) -> Touched:
        keys = [record.key for record in upserts] + list(removals)
        return cls(
            needs=frozenset(key[1] for key in keys if key[0] == "need"),
            kinds=frozenset(key[0] for key in keys if key[0] != "need"),
            organisations=frozenset(key for key in keys if key[0] in ORGANISATION_KINDS),
        )

    @property
    def empty(self) -> bool:
        return not self.needs and not self.kinds


def affected(unit: Unit, touched: Touched) -> bool:
    scope, kind, record_id = unit
    if scope == "need":
        return record_id in touched.needs or kind in touched.kinds
    return (kind, record_id) in touched.organisations or bool(touched.needs)


class WatchContext:
    """Lookups over one snapshot's needs, built once per feed page and shared by every watch."""

    def __init__(self, index: TextIndex) -> None:
        self.index = index
        self._by_organisation: dict[int, list[int]] | None = None
        self._open: list[Need] | None = None

    def needs_of(self, organisation_id: int) -> list[int]:
        if self._by_organisation is None:
            grouped: dict[int, list[int]] = defaultdict(list)
            for need in self.index.records("need"):
                if isinstance(need, Need):
                    grouped[need.organisation_id].append(need.id)
            self._by_organisation = grouped
        return self._by_organisation.get(organisation_id, [])

    def open_needs(self) -> list[Need]:
        if self._open is None:
            self._open = [
                need
                for need in self.index.records("need")
                if isinstance(need, Need) and need.status == "open"
            ]
        return self._open

    def organisation(self, organisation_id: int) -> Organisation | None:
        for kind in ("supplier", "lender", "municipality"):
            record = self.index.get((kind, organisation_id))
            if isinstance(record, Organisation):
                return record
        return None


@dataclass(frozen=True, slots=True)
class Watch:
    """A subscription's filter: exactly one of need, organisation, or category / region, with
    an optional candidate kind; and the minimum score of a pair it hears about."""

    min_score: float = 0.0
    need_id: int | None = None
    organisation_id: int | None = None
    category: str | None = None
    nuts: str | None = None
    kind: str | None = None

    @classmethod
    def from_filter(cls, document: Mapping[str, Any], min_score: float) -> Watch:
        return cls(
            min_score=min_score,
            need_id=document.get("need_id"),
            organisation_id=document.get("organisation_id"),
            category=document.get("category"),
            nuts=document.get("nuts"),
            kind=document.get("kind"),
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,) if self.kind else CANDIDATE_KINDS

    def units(self, context: WatchContext) -> set[Unit]:
        if self.need_id is not None:
            return {("need", kind, self.need_id) for kind in self.kinds}
        if self.organisation_id is not None:
            organisation = context.organisation(self.organisation_id)
            if organisation is None:
                return set()
            if organisation.kind in ORGANISATION_KINDS:
                return {("organisation", organisation.kind, organisation.id)}
            needs = context.needs_of(organisation.id)
            return {("need", kind, need_id) for need_id in needs for kind in self.kinds}
        return {
            ("need", kind, need.id)
            for need in context.open_needs()
            if (self.category is None or need.category == self.category)
            and (self.nuts is None or need.nuts_code.startswith(self.nuts))
            for kind in self.kinds
        }

    def sees(self, state: PairState) -> bool:
        return state.score >= self.min_score


def rank_unit(
    index: TextIndex,
    unit: Unit,
    *,
    policy: MatchPolicy,
    today: date,
    max_rank: int,
    bankability: Bankability | None = None,
    needs_bankability: Mapping[int, Bankability] | None = None,
) -> dict[PairKey, PairState]:
    """The pairs of one unit's top `max_rank`, eligible ones only, keyed by pair.

    `bankability` is the unit need's appraisal summary and `needs_bankability` the summaries of
    open needs (a lender's own ranking), exactly as the matches endpoints use them, so an event
    never reports a pair those endpoints exclude on a lender's thresholds."""
    scope, kind, record_id = unit
    if scope == "need":
        need = index.get(("need", record_id))
        if not isinstance(need, Need):
            return {}
        matches = rank_for_need(
            index,
            need,
            kind,
            today=today,
            policy=policy,
            limit=max_rank,
            bankability=bankability if kind == "lender" else None,
        )
        states = [
            _state(index, match, need_id=need.id, candidate=match.candidate) for match in matches
        ]
    else:
        organisation = index.get((kind, record_id))
        if not isinstance(organisation, Organisation):
            return {}
        matches = rank_for_organisation(
            index,
            organisation,
            policy=policy,
            limit=max_rank,
            bankability=needs_bankability if kind == "lender" else None,
        )
        states = [
            _state(index, match, need_id=match.candidate[1], candidate=organisation.key)
            for match in matches
        ]
    return {state.key: state for state in states}


def _state(index: TextIndex, match: Match, *, need_id: int, candidate: Key) -> PairState:
    need = index.get(("need", need_id))
    other = index.get(candidate)
    return PairState(
        need_id=need_id,
        candidate_kind=candidate[0],
        candidate_id=candidate[1],
        score=match.score,
        rank=match.rank,
        summary={
            "components": {c.name: round(c.value, 6) for c in match.pair.components},
            "explanation": match.explanation,
            "need_title": getattr(need, "title", None),
            "candidate_name": getattr(other, "name", None) or getattr(other, "title", None),
        },
    )
