"""Response models of the matching API. Match results and explanations are documents built by
the domain (`Match.to_dict()`, `WhyNot.to_dict()`, `BundleProposal.to_dict()`); the models
state their stable top-level fields and allow the detailed ones through."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CandidateKind = Literal["supplier", "lender", "funding_call", "municipality"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class MatchResult(Open):
    candidate_kind: str
    candidate_id: int
    score: float
    rank: int | None = None
    components: dict[str, Any]
    constraints: list[dict[str, Any]]
    explanation: str


class MatchPage(BaseModel):
    items: list[MatchResult]
    next_cursor: str | None
    notes: list[str] = Field(
        default_factory=list, description="what could not be evaluated (e.g. evaluation down)"
    )


class WhyNotAnswer(Open):
    eligible: bool
    rank: int | None
    explanation: str
    notes: list[str] = Field(default_factory=list)


class BundleAnswer(Open):
    pass


class IndexStatus(Open):
    ready: bool
    feed: dict[str, Any]
    index: dict[str, Any]
