"""ETags and `If-Match`: optimistic concurrency on every single resource.

An ETag is the quoted row version; a PATCH or DELETE must send `If-Match` with the current one
(428 without it, 412 when it is stale). `*` matches any current version.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from shared.errors import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


IfMatchHeader = Annotated[
    str | None,
    Header(alias="If-Match", description="the ETag of the version being changed"),
]


def check_if_match(if_match: str | None, current_version: int) -> None:
    if if_match is None:
        raise PreconditionRequired("send If-Match with the resource's current ETag")
    candidates = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
    if "*" in candidates or etag_for(current_version) in candidates:
        return
    raise PreconditionFailed(
        f"the resource is at version {etag_for(current_version)}; fetch it again and retry"
    )
