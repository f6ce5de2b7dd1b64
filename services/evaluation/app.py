"""The evaluation service: appraisals, templates, risk analyses and stateless calculators."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.evaluation.api import appraisals, calculations, templates
from services.evaluation.api.links import LINKS
from services.evaluation.settings import EvaluationSettings
from shared.app import create_service_app
from shared.auth import IntrospectionKeyResolver
from shared.db import make_engine
from shared.http import make_client
from shared.migrations import migrate_service

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: EvaluationSettings) -> None:
    migrate_service(settings, MIGRATIONS)


def _catalogue_ready(app: FastAPI) -> None:
    app.state.catalogue.get("/healthz").raise_for_status()


def create_app(
    settings: EvaluationSettings | None = None,
    *,
    catalogue_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """`catalogue_transport` lets tests put the catalogue app (or a mock) behind the client."""
    settings = settings or EvaluationSettings()

    @contextmanager
    def resources(app: FastAPI) -> Iterator[None]:
        engine = make_engine(settings.resolved_database_url())
        catalogue = make_client(
            settings.catalogue_url,
            timeout=settings.outbound_timeout_seconds,
            transport=catalogue_transport,
        )
        app.state.engine = engine
        app.state.catalogue = catalogue
        app.state.key_resolver = IntrospectionKeyResolver(
            catalogue, ttl=settings.introspection_cache_seconds
        )
        try:
            yield
        finally:
            catalogue.close()
            engine.dispose()

    return create_service_app(
        title="CityFIT Match — evaluation",
        description=(
            "Pre-evaluation of Smart City projects: cash flows from templates, FNPV/FIRR, "
            "project finance (DSCR, LLCR, equity IRR), EU cost-benefit analysis, value for "
            "money, sensitivity and Monte Carlo, recommended contract forms, bankability."
        ),
        settings=settings,
        routers=[templates.router, appraisals.router, calculations.router],
        resources=resources,
        readiness_checks={"catalogue": _catalogue_ready},
        links=LINKS,
    )
