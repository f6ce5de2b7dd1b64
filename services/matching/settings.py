"""Matching settings (environment variables prefixed `MATCHING_`).

Scoring weights per candidate kind are a JSON mapping, e.g.
`MATCHING_WEIGHTS='{"lender": {"budget": 0.5, "bankability": 0.3, "text": 0.2}}'`; a kind given
replaces that kind's defaults (documented in `services.matching.domain.scoring`).
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

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, Any]) -> dict[str, Any]:
        ScoringWeights.from_mapping(value)  # refuses unknown kinds, components, negative weights
        return value
