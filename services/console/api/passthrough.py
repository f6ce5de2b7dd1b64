"""The console's same-origin door to the public API: `/api/{service}/v1/...`, passed through.

The browser talks to one origin (no CORS to configure, the API key never leaves it for a third
host); this router forwards the method, path, query, body and the headers the public API uses
to the named service, and hands back its answer verbatim: status, body, ETag, Location,
problem+json. Only `/v1/` paths of the three services are reachable and nothing is added, so
the console can do exactly what an integrator can, no more.
"""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from shared.errors import NotFound, ServiceUnavailable
from shared.observability import REQUEST_ID_HEADER, current_request_id

SERVICES = ("catalogue", "evaluation", "matching")
FORWARDED_REQUEST_HEADERS = ("authorization", "idempotency-key", "if-match", "content-type")
RETURNED_RESPONSE_HEADERS = (
    "content-type",
    "etag",
    "location",
    "www-authenticate",
    "idempotent-replayed",
    "retry-after",
)
METHODS = ["GET", "POST", "PATCH", "DELETE"]

router = APIRouter()


def upstream_path(raw_path: str, service: str) -> str:
    """`/api/catalogue/v1/needs/1` -> `/v1/needs/1`, kept percent-encoded as the browser sent it.

    A dot segment could climb out of `/v1/` once the service normalises the path, so any is
    refused, encoded or not."""
    path = raw_path.removeprefix(f"/api/{service}")
    segments = path.split("/")
    decoded = {segment.replace("%2e", ".").replace("%2E", ".") for segment in segments}
    if not path.startswith("/v1/") or decoded & {".", ".."}:
        raise NotFound(f"{raw_path} is not a path of the public API")
    return path


@router.api_route(
    "/api/{service}/v1/{path:path}", methods=METHODS, include_in_schema=False, name="pass_through"
)
async def pass_through(service: str, path: str, request: Request) -> Response:
    if service not in SERVICES:
        raise NotFound(f"no service {service!r}; the console reaches {', '.join(SERVICES)}")
    target = upstream_path(request.scope["raw_path"].decode("latin-1"), service)
    if request.url.query:
        target += f"?{request.url.query}"
    headers = {
        name: value
        for name in FORWARDED_REQUEST_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    request_id = current_request_id()
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    client: httpx.Client = request.app.state.upstreams[service]
    body = await request.body()
    try:
        answer = await run_in_threadpool(
            client.request, request.method, target, headers=headers, content=body or None
        )
    except httpx.HTTPError as exc:
        raise ServiceUnavailable(f"{service} could not be reached: {exc}") from exc
    return Response(
        content=answer.content,
        status_code=answer.status_code,
        headers={
            name: value
            for name in RETURNED_RESPONSE_HEADERS
            if (value := answer.headers.get(name)) is not None
        },
    )
