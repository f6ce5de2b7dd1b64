"""Reading and compacting the change feed.

Cursor: `"<txid>-<id>"`, the position of the last change handed out (`0-0` before the first).
On SQLite txid is always 0 and the order is the id order; on PostgreSQL the order is (txid, id)
and only changes of transactions older than every running one are handed out (see
`repository.list_changes`). Compaction keeps the newest change of every record, deletes
included, so every cursor stays usable and a replay from the start rebuilds the catalogue.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session

from services.catalogue.service.errors import invalid
from services.catalogue.store import repository
from shared.contracts.changes import Change, ChangePage

_CURSOR = re.compile(r"^(\d{1,19})-(\d{1,19})$")
START = (0, 0)


def parse_cursor(after: str | None) -> tuple[int, int]:
    if after is None or after in {"", "0"}:
        return START
    match = _CURSOR.match(after)
    if match is None:
        raise invalid("after", "a cursor is '<txid>-<id>' as returned in next_cursor")
    return int(match.group(1)), int(match.group(2))


def format_cursor(position: tuple[int, int]) -> str:
    return f"{position[0]}-{position[1]}"


def read(session: Session, after: str | None, limit: int) -> ChangePage:
    position = parse_cursor(after)
    rows = repository.list_changes(session, position, limit)
    items = [
        Change(
            cursor=format_cursor((row.txid, row.id or 0)),
            entity=row.entity,  # type: ignore[arg-type]
            id=row.entity_id,
            op=row.op,  # type: ignore[arg-type]
            data=row.data,
            at=row.at,
        )
        for row in rows
    ]
    next_cursor = items[-1].cursor if items else format_cursor(position)
    return ChangePage(items=items, next_cursor=next_cursor)


def compact(session: Session, older_than: datetime) -> int:
    """Drop the changes recorded before `older_than` that later changes supersede."""
    last = repository.last_change_before(session, older_than)
    if last is None:
        return 0
    return repository.compact_changes(session, (last.txid, last.id or 0))
