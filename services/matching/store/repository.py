"""Every matching query lives here. Functions take a session; none commits."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session

from services.matching.store.tables import FeedState, MirrorDocument

START_CURSOR = "0-0"


def get_feed_state(session: Session) -> FeedState | None:
    return session.get(FeedState, 1)


def save_page(
    session: Session,
    *,
    changes: Sequence[tuple[str, int, str, dict[str, Any] | None]],
    cursor: str,
    at: datetime,
) -> None:
    """One feed page, in order: the documents it changed and the cursor after it, in one
    transaction, so a page is applied exactly once whatever happens to the process."""
    for entity, record_id, op, data in changes:
        existing = session.get(MirrorDocument, (entity, record_id))
        if op == "delete" or data is None:
            if existing is not None:
                session.delete(existing)
        elif existing is None:
            session.add(MirrorDocument(entity=entity, id=record_id, data=data, updated_at=at))
        else:
            existing.data, existing.updated_at = data, at
            session.add(existing)
        session.flush()
    state = session.get(FeedState, 1)
    if state is None:
        session.add(FeedState(id=1, cursor=cursor, changes_applied=len(changes), updated_at=at))
    else:
        state.cursor = cursor
        state.changes_applied += len(changes)
        state.updated_at = at
        session.add(state)
    session.flush()


def get_document(session: Session, entity: str, record_id: int) -> MirrorDocument | None:
    return session.get(MirrorDocument, (entity, record_id))


def iter_documents(session: Session, batch: int = 5_000) -> Iterator[MirrorDocument]:
    statement = select(MirrorDocument).order_by(MirrorDocument.entity, MirrorDocument.id)  # type: ignore[arg-type]
    yield from session.execute(statement.execution_options(yield_per=batch)).scalars()


def count_documents(session: Session) -> int:
    return session.execute(select(func.count()).select_from(MirrorDocument)).scalar_one()


def reset(session: Session) -> None:
    session.execute(delete(MirrorDocument))
    session.execute(delete(FeedState))
