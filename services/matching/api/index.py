"""The index's state, and an admin rebuild by replaying the catalogue feed."""

from __future__ import annotations

from typing import Any

from fastapi import Request, status

from services.matching.api import schemas
from services.matching.api.deps import CallerDep
from shared.app import service_router
from shared.auth import require_role

router = service_router(prefix="/v1/index", tags=["index"])


@router.get("/status", response_model=schemas.IndexStatus, summary="Size, feed cursor, lag, refits")
def get_index_status(request: Request) -> dict[str, Any]:
    live = request.app.state.index
    follower = request.app.state.follower
    return {
        "ready": live.ready.is_set(),
        "feed": follower.status.to_dict(),
        "index": {
            **live.snapshot().status(),
            "built_at": live.stats.built_at,
            "build_seconds": live.stats.build_seconds,
            "last_refit_at": live.stats.last_refit_at,
            "refits": live.stats.refits,
            "rejected_changes": live.stats.rejected_changes,
        },
    }


@router.post(
    "/rebuild",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Admin: forget the index and replay the catalogue feed from the start",
)
def rebuild_index(request: Request, caller: CallerDep) -> dict[str, str]:
    require_role(caller, "admin")
    request.app.state.follower.rebuild()
    return {"status": "rebuilding: the feed is replayed from the start"}
