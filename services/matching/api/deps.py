"""Dependency aliases of the matching API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.matching.clients.evaluation import BankabilitySource
from services.matching.domain import MatchPolicy, TextIndex
from services.matching.service.subscriptions import TargetPolicy
from shared.app import SessionDep
from shared.auth import CallerDep

# The dependencies that only touch application state (no I/O) are `async def`: FastAPI runs
# a plain `def` dependency in the thread pool, a hop to another thread and back per dependency.


async def current_index(request: Request) -> TextIndex:
    """The snapshot this request reads from start to end."""
    return request.app.state.index.snapshot()


IndexDep = Annotated[TextIndex, Depends(current_index)]


async def bankability_source(request: Request) -> BankabilitySource:
    return request.app.state.bankability


BankabilityDep = Annotated[BankabilitySource, Depends(bankability_source)]


async def match_policy(request: Request) -> MatchPolicy:
    return request.app.state.policy


PolicyDep = Annotated[MatchPolicy, Depends(match_policy)]


async def target_policy(request: Request) -> TargetPolicy:
    return TargetPolicy(allow_private=request.app.state.settings.allow_private_webhooks)


TargetPolicyDep = Annotated[TargetPolicy, Depends(target_policy)]

__all__ = [
    "BankabilityDep",
    "CallerDep",
    "IndexDep",
    "PolicyDep",
    "SessionDep",
    "TargetPolicyDep",
]
