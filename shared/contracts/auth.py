"""What catalogue's `GET /v1/auth/introspect` answers about the presented API key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Role = Literal["supplier", "lender", "municipality", "partner", "admin"]
ROLES: tuple[Role, ...] = ("supplier", "lender", "municipality", "partner", "admin")


class KeyIntrospection(BaseModel):
    key_id: int
    key_prefix: str
    organisation_id: int
    organisation_kind: str
    role: Role
    active: bool = True
