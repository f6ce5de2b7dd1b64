"""Matching tables: the follower's cursor and the catalogue documents it has applied.

The in-memory index is rebuilt from `mirror_documents` on start, then the follower resumes the
feed from `feed_state`; both are written in one transaction per feed page, so a change is
applied exactly once even across crashes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class FeedState(SQLModel, table=True):
    __tablename__ = "feed_state"

    id: int = Field(default=1, primary_key=True)
    cursor: str = Field(max_length=40)
    changes_applied: int = Field(default=0)
    updated_at: datetime


class MirrorDocument(SQLModel, table=True):
    __tablename__ = "mirror_documents"

    entity: str = Field(primary_key=True, max_length=16)
    id: int = Field(primary_key=True)
    data: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    updated_at: datetime
