"""The web console: static pages (HTML, CSS, plain JavaScript modules) and the API pass-through.

Why no framework and no build: the pages are a few hundred lines of ES modules the browser
loads as they are, charts are inline SVG drawn by small functions, so anyone can carry it on
with a text editor; there is nothing to install, bundle or keep up to date.

The console holds no data of its own, so it is not built with `shared.app.create_service_app`,
whose routes own a database unit of work and an idempotency store; it takes the same pieces
that make the services alike: problem+json errors, request ids and access logs, `/metrics`,
`/healthz` and `/readyz` (the three services answer).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from services.console.api import passthrough
from services.console.settings import ConsoleSettings
from shared.errors import PROBLEM_MEDIA_TYPE, Problem, install_problem_handlers
from shared.http import make_client
from shared.observability import Metrics, RequestContextMiddleware, configure_logging

STATIC = Path(__file__).parent / "static"
# Pages build their DOM from text nodes and load modules from this origin only; the policy says
# so to the browser, so injected markup could neither run a script nor send the key elsewhere.
PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Pages(StaticFiles):
    """The static pages, revalidated on every load (`no-cache`: an ETag check, 304 when
    unchanged), so an upgrade never runs old and new modules side by side."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(PAGE_HEADERS)
        return response


def _reachable(client: httpx.Client) -> str:
    try:
        status = client.get("/healthz").status_code
    except httpx.HTTPError as exc:
        return f"failing: {exc}"
    return "ok" if status == 200 else f"failing: /healthz answered {status}"


def create_app(
    settings: ConsoleSettings | None = None,
    *,
    transports: Mapping[str, httpx.BaseTransport] | None = None,
) -> FastAPI:
    """`transports` lets tests put the services' apps (or failures) behind the pass-through."""
    settings = settings or ConsoleSettings()
    transports = transports or {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, json_lines=settings.json_logs)
        app.state.upstreams = {
            name: make_client(
                url, timeout=settings.upstream_timeout_seconds, transport=transports.get(name)
            )
            for name, url in settings.upstream_urls().items()
        }
        try:
            yield
        finally:
            for client in app.state.upstreams.values():
                client.close()

    app = FastAPI(
        title="CityFIT Match — console",
        description="The web console; it speaks only the services' public API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    metrics = Metrics(settings.service_name)
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        checks = {
            name: await run_in_threadpool(_reachable, client)
            for name, client in app.state.upstreams.items()
        }
        if all(value == "ok" for value in checks.values()):
            return Response(
                json.dumps({"status": "ready", "checks": checks}), media_type="application/json"
            )
        failing = ", ".join(name for name, value in checks.items() if value != "ok")
        problem = Problem(
            type="https://cityfit.example/problems/not-ready",
            title="Not ready",
            status=503,
            detail=f"failing dependencies: {failing}",
        )
        return Response(
            json.dumps({**problem.model_dump(exclude_none=True), "checks": checks}),
            status_code=503,
            media_type=PROBLEM_MEDIA_TYPE,
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(passthrough.router)
    # last: every path the routes above do not answer is a page or an asset
    app.mount("/", Pages(directory=STATIC, html=True), name="pages")
    return app
