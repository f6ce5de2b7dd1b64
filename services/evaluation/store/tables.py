"""Evaluation tables: stored appraisals with everything needed to reproduce them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class AppraisalRecord(SQLModel, table=True):
    __tablename__ = "appraisals"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(index=True)
    template: str | None = Field(default=None, max_length=64)
    template_version: str | None = Field(default=None, max_length=32)
    request: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    results: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    bankability: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime
