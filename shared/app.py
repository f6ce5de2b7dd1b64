"""The one place that builds a service app, so the three services are wired the same.

Every app gets: problem+json errors, request ids and JSON access logs, Prometheus `/metrics`,
`/healthz` and `/readyz`, and routes of class `UnitOfWorkRoute`, which owns the request's unit of
work: it opens the session lazily, claims an `Idempotency-Key` on POST, commits once after the
handler and *before* the response leaves, stores the idempotent replay in the same transaction,
and rolls everything back on any error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import Engine, text
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from shared import idempotency
from shared.db import UnitOfWork
from shared.errors import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    install_problem_handlers,
    nul_character_problem,
    nul_query_problem,
)
from shared.observability import Metrics, RequestContextMiddleware, configure_logging
from shared.openapi_links import Link, add_links
from shared.settings import ServiceSettings

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# response headers worth replaying; the rest (date, server, request id) belong to each answer
REPLAYED_HEADERS = {"etag", "location", "content-type"}

# A readiness check raises when the instance cannot serve (`/readyz` answers 503); it returns a
# text when the instance still serves but degraded (200, `"status": "degraded"`, the text shown
# under the check's name), so an orchestrator keeps it in the load balancer.
ReadinessCheck = Callable[[FastAPI], str | None]


class UnitOfWorkRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Any]:
        handler = super().get_route_handler()

        async def run_in_unit_of_work(request: Request) -> Response:
            engine: Engine = request.app.state.engine
            uow = UnitOfWork(engine, write=request.method in UNSAFE_METHODS)
            request.state.uow = uow
            held: idempotency.Claim | None = None
            refused_query = nul_query_problem(request.query_params.multi_items())
            if refused_query is not None:
                raise refused_query
            if self.body_field is not None and request.method in UNSAFE_METHODS:
                refused = nul_character_problem(await request.body())
                if refused is not None:
                    raise refused
            key = request.headers.get("Idempotency-Key")
            if request.method == "POST" and key is not None:
                body = await request.body()
                ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
                outcome = await run_in_threadpool(
                    idempotency.claim,
                    engine,
                    scope=idempotency.scope_for(request.headers.get("Authorization")),
                    key=key,
                    fingerprint=idempotency.fingerprint_for(request.method, request.url.path, body),
                    ttl=ttl,
                )
                if isinstance(outcome, idempotency.StoredResponse):
                    headers = {**outcome.headers, "Idempotent-Replayed": "true"}
                    return Response(outcome.body, outcome.status_code, headers=headers)
                held = outcome
            try:
                response = await handler(request)
                if response.status_code >= 400:
                    raise _UnsuccessfulResponse
                if held is not None:
                    replay = getattr(request.state, "replay_body", None)
                    stored = idempotency.StoredResponse(
                        status_code=response.status_code,
                        headers={
                            k: v for k, v in response.headers.items() if k in REPLAYED_HEADERS
                        },
                        body=replay if replay is not None else bytes(response.body),
                    )
                    idempotency.complete(uow.session, held, stored)
                await _settle(uow.commit, uow)
            except _UnsuccessfulResponse:
                await _settle(partial(uow.close, rollback=True), uow)
                if held is not None:
                    await run_in_threadpool(idempotency.release, engine, held)
                return response
            except BaseException:
                await _settle(partial(uow.close, rollback=True), uow)
                if held is not None:
                    await run_in_threadpool(idempotency.release, engine, held)
                raise
            await _settle(uow.close, uow)
            return response

        return run_in_unit_of_work


async def _settle(step: Callable[[], None], uow: UnitOfWork) -> None:
    """Commit or close the request's session: in the thread pool when that talks to the
    database, here when no statement ran (most reads), saving two thread hops."""
    if uow.in_transaction:
        await run_in_threadpool(step)
    else:
        step()


def set_replay_body(request: Request, body: BaseModel) -> None:
    """Store `body` instead of the response for idempotent replays: a response that shows a
    secret once (a new API key) is replayed without it."""
    request.state.replay_body = body.model_dump_json().encode()


class _UnsuccessfulResponse(Exception):
    """A handler answered 4xx/5xx itself: roll back exactly as if it had raised."""


async def request_session(request: Request) -> Session:
    """The request's unit-of-work session (opened on first use, committed by the route).

    A read session is opened here, on the event loop: making one does no I/O (it connects on
    its first statement), and a plain `def` dependency would cost every read a hop to the thread
    pool and back. A SQLite write session waits for its engine's writer lock, so it is opened in
    the thread pool."""
    uow: UnitOfWork = request.state.uow
    if uow.write:
        return await run_in_threadpool(lambda: uow.session)
    return uow.session


SessionDep = Annotated[Session, Depends(request_session)]


def service_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=UnitOfWorkRoute, **kwargs)


def _database_ready(app: FastAPI) -> None:
    with app.state.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def create_service_app(
    *,
    title: str,
    description: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    resources: Callable[[FastAPI], AbstractContextManager[None]],
    readiness_checks: dict[str, ReadinessCheck] | None = None,
    links: Sequence[Link] = (),
    version: str = "1.0.0",
) -> FastAPI:
    """Build a service app; `resources(app)` opens what the service holds (engine, clients,
    workers) on `app.state` for the lifespan of the app and closes it afterwards; `links` are
    the OpenAPI links its document declares (`shared.openapi_links`)."""
    checks: dict[str, ReadinessCheck] = {"database": _database_ready, **(readiness_checks or {})}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, json_lines=settings.json_logs)
        with resources(app):
            purger = idempotency.ExpiredKeyPurger(
                app.state.engine, timedelta(hours=settings.idempotency_ttl_hours)
            )
            purger.start()
            try:
                yield
            finally:
                purger.stop()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    metrics = Metrics(settings.service_name)
    app.state.metrics = metrics
    app.router.route_class = UnitOfWorkRoute
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Dependencies are reachable",
        responses={503: {"model": Problem}},
    )
    def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                degraded = check(app)
                results[name] = "ok" if degraded is None else f"degraded: {degraded}"
            except Exception as exc:  # a readiness probe reports every failure, whatever it is
                results[name] = f"failing: {exc}"
        failing = ", ".join(k for k, v in results.items() if v.startswith("failing"))
        if not failing:
            ready = all(value == "ok" for value in results.values())
            return Response(
                json.dumps({"status": "ready" if ready else "degraded", "checks": results}),
                media_type="application/json",
            )
        problem = Problem(
            type="https://cityfit.example/problems/not-ready",
            title="Not ready",
            status=503,
            detail=f"failing dependencies: {failing}",
        )
        return JSONResponse(
            {**problem.model_dump(exclude_none=True), "checks": results},
            status_code=503,
            media_type=PROBLEM_MEDIA_TYPE,
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", include_in_schema=False)
    def metrics_endpoint() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)

    app.openapi = lambda: _openapi_with_problems(app, links)  # type: ignore[method-assign]
    return app


def _openapi_with_problems(app: FastAPI, links: Sequence[Link]) -> dict[str, Any]:
    """Document every error as problem+json: 422 replaces FastAPI's default shape, and a
    `default` response covers the other statuses a route can answer (401, 403, 404, 409...);
    then add the service's links."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = components["Problem"].pop("$defs", {})
    components.update(defs)
    problem_content = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Invalid request", "content": problem_content}
            responses.setdefault(
                "default", {"description": "An error (RFC 9457)", "content": problem_content}
            )
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    add_links(schema, links)
    app.openapi_schema = schema
    return schema
