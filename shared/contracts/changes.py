"""The catalogue change feed as followers read it (`GET /v1/changes`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

ChangeEntity = Literal["organisation", "offer", "need", "funding_call"]
ChangeOp = Literal["upsert", "delete"]


class Change(BaseModel):
    cursor: str
    entity: ChangeEntity
    id: int
    op: ChangeOp
    data: dict[str, Any] | None
    at: datetime


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str
