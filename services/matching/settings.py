"""Matching settings (environment variables prefixed `MATCHING_`).

Scoring weights per candidate kind are a JSON mapping, e.g.
`MATCHING_WEIGHTS='{"lender": {"budget": 0.5, "bankability": 0.3, "text": 0.2}}'`; a kind given
replaces that kind's defaults (documented in `services.matching.domain.scoring`).

Subscriptions and webhooks: `MATCHING_EVENT_SCORE_DELTA` and `MATCHING_EVENT_RANK_DELTA` say
when a match changed materially (`match.updated`); `MATCHING_SUBSCRIPTION_MAX_RANK` how deep a
ranking a subscription watches; `MATCHING_WEBHOOK_RETRY_SECONDS` the waits between attempts (a
JSON list; each wait is jittered by +-`MATCHING_WEBHOOK_JITTER`; after the last attempt the
delivery is dead-lettered); `MATCHING_WEBHOOK_DISABLE_AFTER_SECONDS` how long an endpoint may
fail before its subscription is disabled; `MATCHING_ALLOW_PRIVATE_WEBHOOKS` lets webhook URLs
resolve to private, loopback or link-local addresses (tests and the local demo only).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from services.matching.domain import ScoringWeights
from shared.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    port: int = Field(default=8003, ge=1, le=65535)
    evaluation_url: str = "http://127.0.0.1:8002"
    follow_feed: bool = Field(default=True, description="run the feed follower in the app")
    feed_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    feed_page_size: int = Field(default=500, ge=1, le=500)
    bankability_timeout_seconds: float = Field(default=1.0, gt=0, le=30)
    bankability_ttl_seconds: float = Field(default=300, ge=0, le=86_400)
    refit_check_seconds: float = Field(default=30, gt=0, le=86_400)
    budget_tolerance: float = Field(default=0.2, ge=0, le=1)
    weights: dict[str, dict[str, float]] = Field(default_factory=dict)

    event_score_delta: float = Field(default=0.02, gt=0, le=1)
    event_rank_delta: int = Field(default=3, ge=1, le=1000)
    subscription_max_rank: int = Field(default=50, ge=1, le=500)
    secret_overlap_seconds: float = Field(default=86_400, ge=0, le=30 * 86_400)
    deliver_webhooks: bool = Field(default=True, description="run the delivery worker in the app")
    allow_private_webhooks: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    webhook_concurrency: int = Field(default=8, ge=1, le=64)
    webhook_batch: int = Field(default=100, ge=1, le=1000)
    # 11 attempts over about 26 hours: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 10 h
    webhook_retry_seconds: list[float] = Field(
        default_factory=lambda: [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 36000]
    )
    webhook_jitter: float = Field(default=0.2, ge=0, lt=1)
    webhook_disable_after_seconds: float = Field(default=3 * 86_400, gt=0)

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, Any]) -> dict[str, Any]:
        ScoringWeights.from_mapping(value)  # refuses unknown kinds, components, negative weights
        return value

    @field_validator("webhook_retry_seconds")
    @classmethod
    def _sane_schedule(cls, value: list[float]) -> list[float]:
        if len(value) > 30 or any(wait <= 0 or wait > 7 * 86_400 for wait in value):
            raise ValueError("at most 30 waits, each above 0 and at most 7 days")
        return value
