"""Settings common to every service, read from environment variables (pydantic-settings).

Each service subclasses `ServiceSettings` with its own env prefix (`CATALOGUE_`, `EVALUATION_`,
`MATCHING_`), so one process environment can configure all three without collisions.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", validate_default=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; defaults to a SQLite file under data_dir",
    )
    log_level: str = "INFO"
    json_logs: bool = True
    idempotency_ttl_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    catalogue_url: str = "http://127.0.0.1:8001"
    introspection_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    outbound_timeout_seconds: float = Field(default=2.0, gt=0, le=60)

    service_name: str = "service"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgres://")
        elif value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite", "postgresql+psycopg://")):
            raise ValueError("database_url must be a sqlite:/// or postgresql:// URL")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / f'{self.service_name}.sqlite3').resolve()}"
