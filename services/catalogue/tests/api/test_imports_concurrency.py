"""Two imports of the same package at once (PostgreSQL, where writers really run together)."""

from __future__ import annotations

import io
import threading

import pytest

from services.catalogue.api import schemas
from services.catalogue.service import imports
from services.catalogue.settings import CatalogueSettings
from shared.auth import Caller
from shared.db import make_engine, open_session
from tests.samples import ANAC_SAMPLE

ADMIN = Caller(key_id=1, organisation_id=1, organisation_kind="partner", role="admin")


@pytest.mark.postgres_only
def test_a_second_import_waits_for_the_first_and_finds_everything_imported(
    settings: CatalogueSettings,
) -> None:
    engine = make_engine(settings.resolved_database_url())
    body = ANAC_SAMPLE.read_bytes()
    first, second = open_session(engine, write=True), open_session(engine, write=True)
    outcome: dict[str, schemas.ImportReport | BaseException] = {}

    def run_second() -> None:
        try:
            outcome["second"] = imports.import_package(
                second, ADMIN, io.BytesIO(body), json_lines=False, country=None
            )
            second.commit()
        except BaseException as exc:  # reported to the test thread below
            outcome["second"] = exc

    try:
        created = imports.import_package(
            first, ADMIN, io.BytesIO(body), json_lines=False, country=None
        )
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive()  # waiting for the first import's transaction
        first.commit()
        thread.join(timeout=60)
        report = outcome["second"]
        assert isinstance(report, schemas.ImportReport), report
        assert report.counts.created == 0
        assert report.counts.unchanged == created.counts.created
    finally:
        first.close()
        second.close()
        engine.dispose()
