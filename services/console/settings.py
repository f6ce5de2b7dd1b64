"""Console settings (environment variables prefixed `CONSOLE_`).

The console serves the web pages and passes `/api/{service}/v1/...` through to the three
services, so it needs only their URLs and how long to wait for them: a Monte Carlo of 10,000
draws or a first ranking can take a few seconds, longer than a service-to-service call.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    service_name: str = "console"
    port: int = Field(default=8000, ge=1, le=65535)
    evaluation_url: str = "http://127.0.0.1:8002"
    matching_url: str = "http://127.0.0.1:8003"
    upstream_timeout_seconds: float = Field(default=30.0, gt=0, le=300)

    def upstream_urls(self) -> dict[str, str]:
        return {
            "catalogue": self.catalogue_url,
            "evaluation": self.evaluation_url,
            "matching": self.matching_url,
        }
