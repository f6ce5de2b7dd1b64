"""Searching the shipped code lists (offset cursors: the lists never change under a client)."""

from __future__ import annotations

from typing import Literal

from services.catalogue.api import schemas
from shared.pagination import Page, decode_int_cursor, encode_cursor
from shared.reference.cpv import search_cpv
from shared.reference.nuts import search_nuts

SEARCHES = {"cpv": search_cpv, "nuts": search_nuts}


def search(
    code_list: Literal["cpv", "nuts"], q: str, cursor: str | None, limit: int
) -> Page[schemas.CodePublic]:
    offset = decode_int_cursor(cursor)
    # one extra row tells whether there is a next page without counting the matches
    entries = SEARCHES[code_list](q.strip(), limit=limit + 1, offset=offset)
    items = [
        schemas.CodePublic(
            code=entry.code,
            label=entry.label,
            level=entry.level,
            code_with_check_digit=entry.code_with_check_digit,
            country=entry.country,
        )
        for entry in entries[:limit]
    ]
    next_cursor = encode_cursor(offset + limit) if len(entries) > limit else None
    return Page(items=items, next_cursor=next_cursor)
