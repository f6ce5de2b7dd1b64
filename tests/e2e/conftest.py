from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.catalogue.app import MIGRATIONS as CATALOGUE
from services.evaluation.app import MIGRATIONS as EVALUATION
from services.matching.app import MIGRATIONS as MATCHING
from shared.testing.databases import DatabaseFactory
from tests.e2e.processes import ServiceProcesses, running_stack

ADMIN_KEY = "cfk_e2eadmin00_" + "E" * 43


@pytest.fixture
def stack(tmp_path: Path, database_factory: DatabaseFactory) -> Iterator[ServiceProcesses]:
    urls = {
        "catalogue": database_factory.fresh("catalogue", CATALOGUE),
        "evaluation": database_factory.fresh("evaluation", EVALUATION),
        "matching": database_factory.fresh("matching", MATCHING),
    }
    with running_stack(ServiceProcesses(tmp_path, urls, ADMIN_KEY)) as processes:
        yield processes
