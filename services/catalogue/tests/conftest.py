"""Catalogue test fixtures: an app per test on a fresh migrated database, and data builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.catalogue.app import MIGRATIONS, create_app
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import ADMIN_KEY, auth
from shared.testing.databases import DatabaseFactory


@pytest.fixture
def catalogue_url(database_factory: DatabaseFactory) -> str:
    return database_factory.fresh("catalogue", MIGRATIONS)


@pytest.fixture
def settings(catalogue_url: str) -> CatalogueSettings:
    return CatalogueSettings(
        database_url=catalogue_url,
        bootstrap_admin_key=ADMIN_KEY,
        json_logs=False,
        log_level="WARNING",
    )


@pytest.fixture
def client(settings: CatalogueSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def admin() -> dict[str, str]:
    return auth(ADMIN_KEY)
