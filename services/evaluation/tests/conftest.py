"""Evaluation test fixtures: the app on a fresh database, with the real catalogue app behind its
outbound client (keys are checked by catalogue's introspection, as in production)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.catalogue.app import MIGRATIONS as CATALOGUE_MIGRATIONS
from services.catalogue.app import create_app as create_catalogue_app
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import ADMIN_KEY, register
from services.evaluation.app import MIGRATIONS, create_app
from services.evaluation.settings import EvaluationSettings
from shared.testing.databases import DatabaseFactory
from shared.testing.transport import app_transport


@pytest.fixture
def catalogue(database_factory: DatabaseFactory) -> Iterator[TestClient]:
    settings = CatalogueSettings(
        database_url=database_factory.fresh("catalogue", CATALOGUE_MIGRATIONS),
        bootstrap_admin_key=ADMIN_KEY,
        json_logs=False,
        log_level="WARNING",
    )
    with TestClient(create_catalogue_app(settings)) as client:
        yield client


@pytest.fixture
def settings(database_factory: DatabaseFactory) -> EvaluationSettings:
    return EvaluationSettings(
        database_url=database_factory.fresh("evaluation", MIGRATIONS),
        json_logs=False,
        log_level="WARNING",
        introspection_cache_seconds=0,
    )


@pytest.fixture
def client(settings: EvaluationSettings, catalogue: TestClient) -> Iterator[TestClient]:
    app = create_app(settings, catalogue_transport=app_transport(catalogue))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def municipality_key(catalogue: TestClient) -> str:
    _org, key = register(catalogue, kind="municipality", name="Città di Torino")
    return key
