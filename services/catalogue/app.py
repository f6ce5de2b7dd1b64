"""The catalogue service: organisations, offers, needs, funding calls, API keys, change feed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from services.catalogue.api import changes, imports, keys, organisations, records, reference
from services.catalogue.api.links import LINKS
from services.catalogue.service import bootstrap
from services.catalogue.service.keys import DatabaseKeyResolver
from services.catalogue.settings import CatalogueSettings
from shared.app import create_service_app
from shared.db import make_engine, transaction
from shared.migrations import migrate_service

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: CatalogueSettings) -> None:
    migrate_service(settings, MIGRATIONS)


def create_app(settings: CatalogueSettings | None = None) -> FastAPI:
    settings = settings or CatalogueSettings()

    @contextmanager
    def resources(app: FastAPI) -> Iterator[None]:
        engine = make_engine(settings.resolved_database_url())
        app.state.engine = engine
        app.state.key_resolver = DatabaseKeyResolver(engine)
        if settings.bootstrap_admin_key:
            with transaction(engine) as session:
                bootstrap.ensure_admin_key(session, settings.bootstrap_admin_key)
        try:
            yield
        finally:
            engine.dispose()

    return create_service_app(
        title="CityFIT Match — catalogue",
        description=(
            "Organisations (suppliers, lenders, municipalities, partner platforms), their offers, "
            "municipalities' project needs, public funding calls, API keys and the change feed."
        ),
        settings=settings,
        routers=[
            organisations.router,
            records.offers_router,
            records.needs_router,
            records.funding_calls_router,
            keys.router,
            changes.router,
            reference.router,
            imports.router,
        ],
        resources=resources,
        links=LINKS,
    )
