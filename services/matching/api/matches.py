"""Ranked matches in every direction, explanations, bundles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from services.matching.api import schemas
from services.matching.api.deps import BankabilityDep, IndexDep, PolicyDep, SessionDep
from services.matching.service import matches
from shared.app import service_router
from shared.identifiers import IdPath
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_int_cursor, encode_cursor

router = service_router(prefix="/v1", tags=["matches"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=64)]


def _page(ranking: matches.Ranking, offset: int, limit: int) -> dict[str, Any]:
    more = len(ranking.items) == limit
    return {
        "items": ranking.items,
        "next_cursor": encode_cursor(offset + limit) if more else None,
        "notes": ranking.notes,
    }


@router.get(
    "/needs/{need_id}/matches",
    response_model=schemas.MatchPage,
    summary="Ranked candidates for a need, each with score, components and explanation",
)
def list_need_matches(
    need_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    source: BankabilityDep,
    policy: PolicyDep,
    kind: schemas.CandidateKind = "supplier",
    limit: Limit = DEFAULT_LIMIT // 5,
    cursor: Cursor = None,
) -> dict[str, Any]:
    offset = decode_int_cursor(cursor)
    ranking = matches.for_need(
        session, index, source, policy, need_id=need_id, kind=kind, limit=limit, offset=offset
    )
    return _page(ranking, offset, limit)


@router.get(
    "/needs/{need_id}/matches/{candidate_kind}/{candidate_id}",
    response_model=schemas.WhyNotAnswer,
    summary="Why (or why not) this candidate: every constraint and component, and its rank",
)
def explain_match(
    need_id: IdPath,
    candidate_kind: schemas.CandidateKind,
    candidate_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    source: BankabilityDep,
    policy: PolicyDep,
) -> dict[str, Any]:
    return matches.explain_candidate(
        session,
        index,
        source,
        policy,
        need_id=need_id,
        kind=candidate_kind,
        candidate_id=candidate_id,
    )


@router.get(
    "/needs/{need_id}/bundles",
    response_model=schemas.BundleAnswer,
    summary="Joint-procurement bundles with similar needs that reach lenders' tickets",
)
def list_need_bundles(need_id: IdPath, index: IndexDep, policy: PolicyDep) -> dict[str, Any]:
    return matches.bundles_for(index, policy, need_id)


@router.get(
    "/organisations/{organisation_id}/matches",
    response_model=schemas.MatchPage,
    summary="Supplier: needs it can deliver; lender: needs it could finance; city: its needs' best",
)
def list_organisation_matches(
    organisation_id: IdPath,
    session: SessionDep,
    index: IndexDep,
    source: BankabilityDep,
    policy: PolicyDep,
    limit: Limit = DEFAULT_LIMIT // 5,
    cursor: Cursor = None,
) -> dict[str, Any]:
    offset = decode_int_cursor(cursor)
    ranking = matches.for_organisation(
        session,
        index,
        source,
        policy,
        organisation_id=organisation_id,
        limit=limit,
        offset=offset,
    )
    return _page(ranking, offset, limit)
