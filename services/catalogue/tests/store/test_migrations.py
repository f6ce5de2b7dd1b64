"""Upgrading a catalogue that already holds data: each revision must carry the rows across.

A database made at an earlier revision, with organisations that offers and keys point at, is
brought to head as `cityfit migrate` does on an existing data directory.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from services.catalogue.app import MIGRATIONS
from shared.db import make_engine
from shared.migrations import alembic_config, upgrade
from shared.testing.databases import DatabaseFactory

NOW = "2026-01-01 00:00:00+00:00"


def _insert_catalogue_at_first_revision(url: str) -> None:
    engine = make_engine(url)
    try:
        command.upgrade(alembic_config(MIGRATIONS, url, engine), "0001_catalogue_initial")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisations (id, kind, name, country, status, doc, version,"
                    " created_at, updated_at) VALUES"
                    " (1, 'supplier', 'Lumière SpA', 'IT', 'active', '{}', 1, :now, :now),"
                    " (2, 'supplier', 'Faro SRL', 'IT', 'active', '{}', 1, :now, :now)"
                ),
                {"now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO offers (id, organisation_id, kind, title, doc, version,"
                    " created_at, updated_at) VALUES"
                    " (1, 1, 'product', 'LED luminaires', '{}', 1, :now, :now)"
                ),
                {"now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, organisation_id, role, prefix, digest, version,"
                    " created_at) VALUES (1, 1, 'supplier', 'abc123', :digest, 1, :now)"
                ),
                {"now": NOW, "digest": "0" * 64},
            )
    finally:
        engine.dispose()


def test_upgrading_a_catalogue_with_data_keeps_every_row(database_factory: DatabaseFactory) -> None:
    url = database_factory.empty("catalogue-upgrade")
    _insert_catalogue_at_first_revision(url)

    engine = make_engine(url)
    try:
        upgrade(MIGRATIONS, url, engine)
        with engine.connect() as connection:
            names = connection.execute(text("SELECT name FROM organisations ORDER BY id")).all()
            offer_owner = connection.execute(text("SELECT organisation_id FROM offers")).scalar()
            key_owner = connection.execute(text("SELECT organisation_id FROM api_keys")).scalar()
        assert [name for (name,) in names] == ["Lumière SpA", "Faro SRL"]
        assert (offer_owner, key_owner) == (1, 1)
    finally:
        engine.dispose()


def test_an_organisation_identifier_stays_unique_after_the_upgrade(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.empty("catalogue-upgrade")
    _insert_catalogue_at_first_revision(url)
    engine = make_engine(url)
    try:
        upgrade(MIGRATIONS, url, engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE organisations SET identifier = 'IT-CF-1' WHERE id = 1"))
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("UPDATE organisations SET identifier = 'IT-CF-1' WHERE id = 2"))
    finally:
        engine.dispose()


@pytest.mark.postgres_only
def test_migrations_started_together_run_one_after_the_other(
    database_factory: DatabaseFactory,
) -> None:
    # separate processes, as pods are: Alembic keeps its context in module globals, so
    # threads of one process cannot stand in for them
    url = database_factory.empty("catalogue-together")
    environment = {**os.environ, "CATALOGUE_DATABASE_URL": url}
    command_line = [sys.executable, "-m", "services.cli", "migrate", "catalogue"]
    runs = [
        subprocess.Popen(
            command_line, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    engine = make_engine(url)
    try:
        assert {"organisations", "needs", "changes", "ocds_ledger"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()
