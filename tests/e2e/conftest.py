from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.catalogue.app import MIGRATIONS as CATALOGUE
from services.evaluation.app import MIGRATIONS as EVALUATION
from services.matching.app import MIGRATIONS as MATCHING
from shared.testing.databases import DatabaseFactory
from tests.e2e.processes import ServiceProcesses, running_stack

ADMIN_KEY = "cfk_e2eadmin00_" + "E" * 43
MIGRATIONS = {"catalogue": CATALOGUE, "evaluation": EVALUATION, "matching": MATCHING}

Launch = Callable[[dict[str, str]], ServiceProcesses]


@pytest.fixture
def fresh_database(database_factory: DatabaseFactory) -> Callable[[str, str], str]:
    """`fresh_database(name, service)`: an empty, migrated database of `service`, distinct per
    name (on PostgreSQL the factory keeps one database per name and empties it per test)."""

    def make(name: str, service: str) -> str:
        return database_factory.fresh(name, MIGRATIONS[service])

    return make


@pytest.fixture
def launch(tmp_path: Path, fresh_database: Callable[[str, str], str]) -> Iterator[Launch]:
    """`launch(settings)`: the three services running with extra environment `settings`,
    stopped after the test."""
    with ExitStack() as stack:

        def start(settings: dict[str, str]) -> ServiceProcesses:
            urls = {name: fresh_database(name, name) for name in MIGRATIONS}
            processes = ServiceProcesses(tmp_path, urls, ADMIN_KEY, settings=settings)
            return stack.enter_context(running_stack(processes))

        yield start


@pytest.fixture
def stack(launch: Launch) -> ServiceProcesses:
    return launch({})
