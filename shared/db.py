"""Database engines and the per-request unit of work, for SQLite and PostgreSQL alike.

SQLite: WAL journal (readers never block the writer), a busy timeout, foreign keys on, and
`BEGIN IMMEDIATE` for write transactions so two writers queue on the lock instead of failing with
SQLITE_BUSY when a read transaction tries to upgrade. Writers of one process also queue on an
in-process lock first: SQLite admits one writer at a time anyway, and its busy handler polls
with sleeps of up to 100 ms, which turned a queue of 8 writers into 750 ms tail latencies.
PostgreSQL: psycopg 3, READ COMMITTED, no such lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

WRITE_OPTION = "cityfit_write"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def hold_lock_until_commit(connection: Connection | Session, name: str) -> None:
    """Serialise, across processes, the transactions that take the lock called `name`.

    On PostgreSQL a transaction-level advisory lock: replicas starting together, or two
    requests doing the same bulk job, queue here and each sees what the previous one committed.
    SQLite needs none: it admits one writing transaction at a time already."""
    dialect = (
        connection.dialect if isinstance(connection, Connection) else connection.get_bind().dialect
    )
    if dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        on_disk = bool(parsed.database) and parsed.database != ":memory:"
        if on_disk:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs = {"pool_size": 10, "max_overflow": 20, **kwargs}
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit BEGIN is deferred)
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_WRITE_LOCKS: dict[int, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(id(engine.pool), threading.Lock())


class _SerialisedWriteSession(Session):
    """A SQLite write session holding its engine's writer lock until it is closed.

    A plain Lock, not an RLock: a request's session is opened, committed and closed on different
    threadpool threads, and only a Lock may be released by another thread than its acquirer."""

    def __init__(self, *args: Any, write_lock: threading.Lock, **kwargs: Any) -> None:
        write_lock.acquire()
        self._write_lock: threading.Lock | None = write_lock
        super().__init__(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._write_lock is not None:
                self._write_lock.release()
                self._write_lock = None


def open_session(engine: Engine, *, write: bool = False) -> Session:
    if not write:
        return Session(bind=engine, expire_on_commit=False)
    bind = engine.execution_options(**{WRITE_OPTION: True})
    if is_sqlite(engine):
        return _SerialisedWriteSession(
            bind=bind, expire_on_commit=False, write_lock=_write_lock(engine)
        )
    return Session(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A unit of work outside a request (CLI, workers, tests): commit on success, else roll back."""
    session = open_session(engine, write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class UnitOfWork:
    """The session of one request, opened on first use and committed once by the route."""

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = open_session(self._engine, write=self._write)
        return self._session

    @property
    def write(self) -> bool:
        return self._write

    @property
    def in_transaction(self) -> bool:
        """Whether the session has begun a transaction (so committing or closing it talks to
        the database); a session never used for a statement has not."""
        return self._session is not None and self._session.in_transaction()

    def commit(self) -> None:
        if self._session is not None:
            self._session.commit()

    def close(self, *, rollback: bool = False) -> None:
        if self._session is None:
            return
        try:
            if rollback:
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None
