"""pytest fixtures every service's tests use (registered by the root conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.testing.databases import DatabaseFactory, database_url_under_test


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"), database_url_under_test())
    yield factory
    factory.drop_all()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if database_url_under_test() is not None:
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only behaviour: set TEST_DATABASE_URL to run it")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
