"""The change feed followers (matching) read."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.catalogue.api.deps import SessionDep
from services.catalogue.service import changes
from shared.app import service_router
from shared.contracts.changes import ChangePage
from shared.pagination import MAX_LIMIT

router = service_router(prefix="/v1", tags=["change feed"])


@router.get(
    "/changes",
    response_model=ChangePage,
    summary="Changes after a cursor, in commit-safe order; replay from the start with no cursor",
    responses={410: {"description": "the cursor is older than the kept history"}},
)
def list_changes(
    session: SessionDep,
    after: Annotated[
        str | None, Query(max_length=40, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> ChangePage:
    return changes.read(session, after, limit)
