"""Response models of the matching API. Match results and explanations are documents built by
the domain (`Match.to_dict()`, `WhyNot.to_dict()`, `BundleProposal.to_dict()`); the models
state their stable top-level fields and allow the detailed ones through."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contracts.vocabulary import NEED_CATEGORIES
from shared.identifiers import IdField

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


# --- subscriptions, feeds, deliveries ------------------------------------------------------------

WatchedKind = Literal["supplier", "lender", "funding_call"]
NeedCategory = Literal[*NEED_CATEGORIES]  # type: ignore[valid-type]
SubscriptionStatus = Literal["active", "disabled"]
EventType = Literal["match.created", "match.updated", "match.removed"]
DeliveryStatus = Literal["pending", "delivered", "dead"]
WebhookUrl = Annotated[
    str, Field(min_length=1, max_length=2000, examples=["https://example.org/hooks"])
]


class SubscriptionFilter(BaseModel):
    """What to watch: a need, an organisation's own matches, or the open needs of a category
    and/or NUTS region; `kind` narrows the candidates (suppliers, lenders or funding calls)."""

    model_config = ConfigDict(extra="forbid")

    need_id: IdField | None = None
    organisation_id: IdField | None = None
    category: NeedCategory | None = None
    nuts: Annotated[str, Field(pattern=r"^[A-Z]{2}[A-Z0-9]{0,3}$")] | None = None
    kind: WatchedKind | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> SubscriptionFilter:
        subjects = [
            self.need_id is not None,
            self.organisation_id is not None,
            self.category is not None or self.nuts is not None,
        ]
        if sum(subjects) != 1:
            raise ValueError(
                "name exactly one of need_id, organisation_id, or category and/or nuts"
            )
        return self


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = Field(default=None, description="webhook endpoint; none: pull only")
    filter: SubscriptionFilter
    min_score: float = Field(default=0.0, ge=0, le=1)


class SubscriptionUpdate(BaseModel):
    """Merge patch: fields sent replace; `url: null` turns webhooks off; `active: true`
    re-enables a subscription that was disabled for a failing endpoint."""

    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl | None = None
    filter: SubscriptionFilter | None = None
    min_score: float | None = Field(default=None, ge=0, le=1)
    active: bool | None = None


class SubscriptionPublic(BaseModel):
    id: int
    organisation_id: int
    url: str | None
    filter: dict[str, Any]
    min_score: float
    status: SubscriptionStatus
    disabled_reason: str | None
    failing_since: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="until then webhooks carry the old secret's signature too"
    )
    created_at: datetime
    updated_at: datetime
    secret: str | None = Field(
        default=None, description="the whsec_ signing secret: shown once, on creation or rotation"
    )


class EventPublic(BaseModel):
    id: str = Field(description="the webhook-id its deliveries carry")
    cursor: str
    type: EventType
    timestamp: str
    data: dict[str, Any]


class EventFeed(BaseModel):
    items: list[EventPublic]
    next_cursor: str = Field(description="pass as `after` to read on; returned on empty pages too")


class DeliveryPublic(BaseModel):
    id: int
    event_id: str
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    replays: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
