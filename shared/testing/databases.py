"""Fresh, migrated databases for tests, on SQLite by default and on PostgreSQL when
`TEST_DATABASE_URL` names a server.

SQLite: each service's migrations run once per session into a template file; each test gets its
own copy (a file copy, far cheaper than migrating again). PostgreSQL: one throwaway database per
service per session (created on the server `TEST_DATABASE_URL` points at, dropped at the end),
emptied with TRUNCATE before each test. Tests see committed data only: the change feed's
correctness depends on real commits, which a rolled-back outer transaction would hide.

A stack that lives for the whole session (the browser tests' services) takes its databases with
`for_session`: names no later `fresh` may empty under it. On PostgreSQL a `fresh` of the same
name would hand the running stack's database to the next test, whose writes the stack would
then follow and answer (its matching signing events for the other test's subscriptions).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from shared.db import make_engine
from shared.migrations import upgrade


def database_url_under_test() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


class DatabaseFactory:
    def __init__(self, workdir: Path, server_url: str | None) -> None:
        self.workdir = workdir
        self.server_url = server_url
        self._templates: dict[str, str] = {}
        self._created: list[str] = []
        self._session_long: set[str] = set()
        self._counter = 0

    @property
    def is_postgres(self) -> bool:
        return self.server_url is not None

    def fresh(self, service: str, migrations: Path) -> str:
        """A URL to an empty, fully migrated database of `service`."""
        if service in self._session_long:
            raise ValueError(f"database {service!r} is held for the session by a running stack")
        if service not in self._templates:
            self._templates[service] = self._create_template(service, migrations)
        template = self._templates[service]
        if self.server_url is None:
            self._counter += 1
            copy = self.workdir / f"{service}-{self._counter}.sqlite3"
            shutil.copyfile(template.removeprefix("sqlite:///"), copy)
            return f"sqlite:///{copy}"
        self._truncate(template)
        return template

    def for_session(self, name: str, migrations: Path) -> str:
        """A URL to an empty, fully migrated database called `name` that no other test gets."""
        if name in self._templates or name in self._session_long:
            raise ValueError(f"database {name!r} is already in use")
        url = self.fresh(name, migrations)
        self._session_long.add(name)
        return url

    def empty(self, service: str) -> str:
        """A URL to a new database with no tables at all (for tests of the migrations)."""
        if self.server_url is None:
            self._counter += 1
            return f"sqlite:///{self.workdir / f'{service}-empty-{self._counter}.sqlite3'}"
        name = f"cityfit_test_{service}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self._created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def _create_template(self, service: str, migrations: Path) -> str:
        url = (
            f"sqlite:///{self.workdir / f'{service}-template.sqlite3'}"
            if self.server_url is None
            else self.empty(service)
        )
        engine = make_engine(url)
        upgrade(migrations, url, engine)
        engine.dispose()
        return url

    def _truncate(self, url: str) -> None:
        engine = create_engine(url)
        with engine.begin() as connection:
            tables = [t for t in inspect(connection).get_table_names() if t != "alembic_version"]
            if tables:
                names = ", ".join(f'"{t}"' for t in tables)
                connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()

    def drop_all(self) -> None:
        if self.server_url is None or not self._created:
            return
        admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            for name in self._created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


FreshDatabase = Callable[[str, Path], str]
