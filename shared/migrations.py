"""Alembic, run programmatically: each service keeps its own migrations folder and version table.

A service's `migrations/env.py` is two lines calling `run_migrations`; `upgrade()` is what
`cityfit migrate`, app start-up and the test fixtures call. SQLite gets `render_as_batch` so
ALTERs work there too.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine

from shared.db import hold_lock_until_commit, make_engine
from shared.settings import ServiceSettings


def alembic_config(migrations_dir: Path, url: str, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    # the URL travels as an attribute: configparser would choke on '%' in passwords
    config.attributes["url"] = url
    config.attributes["engine"] = engine
    return config


def upgrade(migrations_dir: Path, url: str, engine: Engine | None = None) -> None:
    command.upgrade(alembic_config(migrations_dir, url, engine), "head")


def migrate_service(settings: ServiceSettings, migrations_dir: Path) -> None:
    """Bring a service's database (from its settings) to the latest revision."""
    url = settings.resolved_database_url()
    engine = make_engine(url)
    try:
        upgrade(migrations_dir, url, engine)
    finally:
        engine.dispose()


def run_migrations(target_metadata: MetaData | None = None) -> None:
    """Body of every service's `env.py` (online mode only: migrations need a live database)."""
    config = context.config
    engine: Engine | None = config.attributes.get("engine")
    url: str = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or ""
    owned_engine = engine is None
    if engine is None:
        engine = make_engine(url) if url else create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                # pods of one service starting together migrate one after the other; the
                # second then finds the database at head (PostgreSQL's DDL is transactional)
                hold_lock_until_commit(connection, f"cityfit.migrate.{engine.url.database}")
                context.run_migrations()
            connection.commit()
    finally:
        if owned_engine:
            engine.dispose()
