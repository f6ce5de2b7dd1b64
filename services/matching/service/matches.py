"""Use cases of the matching API: rankings in every direction, why-not, bundles, status.

Each request reads one index snapshot. Needs carrying an appraisal get their bankability from
evaluation (cached); when evaluation cannot be reached the answer still comes, with the lender
thresholds marked not evaluated and a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlmodel import Session

from services.matching.clients.evaluation import BankabilitySource
from services.matching.domain import (
    Bankability,
    MatchPolicy,
    Need,
    Organisation,
    TextIndex,
    UnknownCandidate,
    UnsupportedDirection,
    propose_bundles,
    rank_for_need,
    rank_for_organisation,
    why_not,
)
from services.matching.store import repository
from shared.clock import today
from shared.errors import FieldError, NotFound, ValidationFailed

NEED_DIRECTIONS = ("supplier", "lender", "funding_call", "municipality")
MAX_BANKABILITY_LOOKUPS = 200


@dataclass(frozen=True)
class Ranking:
    items: list[dict[str, Any]]
    notes: list[str]


def _need(index: TextIndex, need_id: int) -> Need:
    need = index.get(("need", need_id))
    if not isinstance(need, Need):
        raise NotFound(f"need {need_id} is not in the matching index (yet)")
    return need


def need_bankability(
    session: Session, source: BankabilitySource, need: Need
) -> tuple[Bankability | None, list[str]]:
    document = repository.get_document(session, "need", need.id)
    if document is None:
        return None, []
    appraisal = document.data.get("appraisal")
    figures = source.for_need(need, appraisal, str(document.data.get("updated_at")))
    if figures is not None and not figures.available:
        return figures, [
            f"bankability of need {need.id} not evaluated: {figures.reason}; lender thresholds "
            "(minimum DSCR, target IRR) are reported as not_evaluated"
        ]
    return figures, []


def for_need(
    session: Session,
    index: TextIndex,
    source: BankabilitySource,
    policy: MatchPolicy,
    *,
    need_id: int,
    kind: str,
    limit: int,
    offset: int,
) -> Ranking:
    need = _need(index, need_id)
    bankability, notes = need_bankability(session, source, need) if kind == "lender" else (None, [])
    matches = rank_for_need(
        index,
        need,
        kind,
        today=today(),
        bankability=bankability,
        policy=policy,
        limit=limit,
        offset=offset,
    )
    return Ranking(items=[match.to_dict() for match in matches], notes=notes)


def explain_candidate(
    session: Session,
    index: TextIndex,
    source: BankabilitySource,
    policy: MatchPolicy,
    *,
    need_id: int,
    kind: str,
    candidate_id: int,
) -> dict[str, Any]:
    need = _need(index, need_id)
    bankability, notes = need_bankability(session, source, need) if kind == "lender" else (None, [])
    try:
        answer = why_not(
            index, need, kind, candidate_id, today=today(), bankability=bankability, policy=policy
        )
    except UnknownCandidate as exc:
        raise NotFound(str(exc)) from exc
    return {**answer.to_dict(), "notes": notes}


def bundles_for(index: TextIndex, policy: MatchPolicy, need_id: int) -> dict[str, Any]:
    need = _need(index, need_id)
    return propose_bundles(index, need, today=today(), policy=policy).to_dict()


def for_organisation(
    session: Session,
    index: TextIndex,
    source: BankabilitySource,
    policy: MatchPolicy,
    *,
    organisation_id: int,
    limit: int,
    offset: int,
) -> Ranking:
    organisation = None
    for kind in ("supplier", "lender", "municipality"):
        record = index.get((kind, organisation_id))
        if isinstance(record, Organisation):
            organisation = record
            break
    if organisation is None:
        raise NotFound(f"organisation {organisation_id} is not in the matching index")
    if organisation.kind == "municipality":
        return _municipality_view(
            session, index, source, policy, municipality=organisation, limit=limit, offset=offset
        )
    notes: list[str] = []
    figures: dict[int, Bankability] = {}
    if organisation.kind == "lender":
        figures, notes = open_needs_bankability(session, index, source)
    try:
        matches = rank_for_organisation(
            index, organisation, bankability=figures, policy=policy, limit=limit, offset=offset
        )
    except UnsupportedDirection as exc:
        raise ValidationFailed(
            str(exc), errors=[FieldError(field="organisation_id", reason=str(exc))]
        ) from exc
    return Ranking(items=[match.to_dict() for match in matches], notes=notes)


def open_needs_bankability(
    session: Session, index: TextIndex, source: BankabilitySource
) -> tuple[dict[int, Bankability], list[str]]:
    figures: dict[int, Bankability] = {}
    notes: list[str] = []
    for need in islice(index.records("need"), MAX_BANKABILITY_LOOKUPS):
        if not isinstance(need, Need) or not need.has_appraisal:
            continue
        summary, need_notes = need_bankability(session, source, need)
        if summary is not None:
            figures[need.id] = summary
        notes += need_notes
    return figures, notes[:5]


def _municipality_view(
    session: Session,
    index: TextIndex,
    source: BankabilitySource,
    policy: MatchPolicy,
    *,
    municipality: Organisation,
    limit: int,
    offset: int,
) -> Ranking:
    """Its needs' best matches of every kind, merged best first, one page of them.

    Any item on the page is within the first `offset + limit` of its own need's ranking of its
    kind, so those are all that is ranked; ties are broken by need, kind and candidate so that
    pages don't overlap.
    """
    items: list[dict[str, Any]] = []
    notes: list[str] = []
    for need in index.records("need"):
        if not isinstance(need, Need) or need.organisation_id != municipality.id:
            continue
        for kind in ("supplier", "lender", "funding_call"):
            ranking = for_need(
                session,
                index,
                source,
                policy,
                need_id=need.id,
                kind=kind,
                limit=offset + limit,
                offset=0,
            )
            items += ranking.items
            notes += ranking.notes
    items.sort(
        key=lambda item: (
            -item["score"],
            item["subject"]["id"],
            item["candidate_kind"],
            item["candidate_id"],
        )
    )
    return Ranking(items=items[offset : offset + limit], notes=list(dict.fromkeys(notes)))
