"""The test database factory never empties a database that a session-long stack is using."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from services.evaluation.app import MIGRATIONS
from services.evaluation.store.tables import AppraisalRecord
from shared.clock import utcnow
from shared.db import make_engine
from shared.testing.databases import DatabaseFactory, database_url_under_test


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[DatabaseFactory]:
    made = DatabaseFactory(tmp_path, database_url_under_test())
    yield made
    made.drop_all()


def appraisal_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return len(session.exec(select(AppraisalRecord)).all())
    finally:
        engine.dispose()


def add_appraisal(url: str) -> None:
    engine = make_engine(url)
    now = utcnow()
    try:
        with Session(engine) as session:
            session.add(
                AppraisalRecord(
                    organisation_id=1,
                    request={},
                    results={},
                    bankability={},
                    created_at=now,
                    updated_at=now,
                )
            )
            session.commit()
    finally:
        engine.dispose()


def test_a_database_held_for_the_session_keeps_its_rows_while_other_tests_get_fresh_ones(
    factory: DatabaseFactory,
) -> None:
    held = factory.for_session("console_evaluation", Path(MIGRATIONS))
    add_appraisal(held)
    other = factory.fresh("evaluation", Path(MIGRATIONS))
    again = factory.fresh("evaluation", Path(MIGRATIONS))
    assert held not in (other, again)
    assert appraisal_count(held) == 1
    assert appraisal_count(again) == 0


def test_the_name_of_a_database_held_for_the_session_is_never_handed_out_again(
    factory: DatabaseFactory,
) -> None:
    factory.for_session("console_matching", Path(MIGRATIONS))
    with pytest.raises(ValueError, match="held for the session"):
        factory.fresh("console_matching", Path(MIGRATIONS))
    with pytest.raises(ValueError, match="already in use"):
        factory.for_session("console_matching", Path(MIGRATIONS))


def test_a_name_already_handed_out_by_fresh_cannot_be_held_for_the_session(
    factory: DatabaseFactory,
) -> None:
    factory.fresh("evaluation", Path(MIGRATIONS))
    with pytest.raises(ValueError, match="already in use"):
        factory.for_session("evaluation", Path(MIGRATIONS))
