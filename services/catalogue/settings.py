"""Catalogue settings (environment variables prefixed `CATALOGUE_`)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import key_prefix
from shared.settings import ServiceSettings


class CatalogueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOGUE_", extra="ignore")

    service_name: str = "catalogue"
    port: int = Field(default=8001, ge=1, le=65535)
    bootstrap_admin_key: str | None = Field(
        default=None,
        description="a cfk_ key made a working admin key at start (for deployments and tests)",
    )

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _well_formed_key(cls, value: str | None) -> str | None:
        if value is not None and key_prefix(value) is None:
            raise ValueError("must look like cfk_<10 characters>_<secret>; see `cityfit admin-key`")
        return value
