"""`POST /v1/imports/ocds`: a partner (or admin) posts an OCDS package; the answer is a report."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import anyio.from_thread
from fastapi import Query, Request, Response

from services.catalogue.api import schemas
from services.catalogue.api.deps import CallerDep, SessionDep
from services.catalogue.service import imports
from shared.app import service_router

router = service_router(prefix="/v1", tags=["imports"])

READ_SIZE = 1 << 16
# chunks are gathered up to this size per hop to the event loop: a hop costs a thread switch
GATHER_SIZE = 1 << 20
REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        "An OCDS 1.1 release package or record package; also a single record, a single release "
        "or an array of releases. `application/x-ndjson`: one (compiled) release per line, and a "
        "pointer `/N` in the report names line N + 1."
    ),
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "object",
                        "title": "OCDS package, record or release",
                        "properties": {
                            "releases": {"type": "array", "items": {"type": "object"}},
                            "records": {"type": "array", "items": {"type": "object"}},
                            "publisher": {"type": "object"},
                        },
                    },
                    {"type": "array", "items": {"type": "object"}},
                ]
            }
        },
        "application/x-ndjson": {"schema": {"type": "string"}},
    },
}


class _BodyReader(io.RawIOBase):
    """The request body as a blocking file for the worker thread the handler runs in: each read
    waits for the next chunk from the event loop, so the body is parsed as it arrives."""

    def __init__(self, request: Request) -> None:
        self._stream: AsyncIterator[bytes] = request.stream().__aiter__()
        self._chunks = self._iterate()
        self._pending = b""

    async def _next(self) -> bytes | None:
        gathered: list[bytes] = []
        size = 0
        while size < GATHER_SIZE:
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                break
            gathered.append(chunk)
            size += len(chunk)
        return b"".join(gathered) if gathered else None

    def _iterate(self) -> Iterator[bytes]:
        while (chunk := anyio.from_thread.run(self._next)) is not None:
            if chunk:
                yield chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@router.post(
    "/imports/ocds",
    response_model=schemas.ImportReport,
    summary="Import an OCDS release or record package: tenders become needs, parties organisations",
    openapi_extra={"requestBody": REQUEST_BODY},
)
def import_ocds(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    country: Annotated[
        schemas.CountryCode | None,
        Query(description="the country of parties whose identifier and address name none"),
    ] = None,
) -> Response:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = io.BufferedReader(_BodyReader(request), buffer_size=READ_SIZE)
    report = imports.import_package(
        session,
        caller,
        body,
        json_lines=media_type in imports.JSON_LINES_TYPES,
        country=country,
    )
    # the report is already a validated model: serialise it once (10,000 items and more)
    return Response(report.model_dump_json(), media_type="application/json")
