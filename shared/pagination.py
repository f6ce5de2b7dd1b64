"""Cursor pagination: opaque cursors over a stable sort key, `{items, next_cursor}` bodies."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

from shared.errors import FieldError, ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageParams(BaseModel):
    limit: int
    cursor: str | None


async def page_params(  # async: pure, so FastAPI runs it without a thread hop
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def encode_cursor(position: Any) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, field: str = "cursor") -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "the cursor is not one this service issued",
            errors=[FieldError(field=field, reason="malformed cursor")],
        ) from exc


def decode_int_cursor(cursor: str | None, *, field: str = "cursor") -> int:
    """The last id seen, for lists ordered by integer primary key (0 when there is none)."""
    if cursor is None:
        return 0
    value = decode_cursor(cursor, field=field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationFailed(
            "the cursor is not one this service issued",
            errors=[FieldError(field=field, reason="malformed cursor")],
        )
    return value
