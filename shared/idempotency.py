"""`Idempotency-Key` on POST, stored durably in each service's own database.

Semantics (API.md): the same key with the same body replays the first response (same status and
body); the same key with another body is 422; a duplicate arriving while the first is still being
processed is 409. Keys are scoped by the presented credential and kept `ttl` hours.

The protocol, chosen so that no write is ever applied twice:
1. claim: insert `(scope, key, fingerprint, state=in_progress)` in its own short transaction; the
   primary key makes a concurrent duplicate fail, and it learns the state of the first.
2. the request runs in its unit of work; on success the stored response is written by
   `complete()` *in that same transaction*, so the write and its replay record commit together.
3. on any failure the unit of work rolls back and `release()` deletes the claim (the request
   changed nothing, so a retry must be allowed to run).
A claim left `in_progress` by a crashed process never committed its write (step 2 is atomic), so
after `STALE_CLAIM_SECONDS` another attempt may take it over.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, LargeBinary, delete, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Column, Field, Session, SQLModel, Text

from shared.clock import utcnow
from shared.db import open_session
from shared.errors import Conflict, FieldError, ValidationFailed

log = logging.getLogger("cityfit.idempotency")

STALE_CLAIM_SECONDS = 120
MAX_KEY_LENGTH = 255


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    scope: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    state: str = Field(max_length=16)
    status_code: int | None = None
    headers: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(index=True)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Claim:
    scope: str
    key: str


def scope_for(authorization: str | None) -> str:
    return hashlib.sha256((authorization or "anonymous").encode("utf-8")).hexdigest()


def fingerprint_for(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    digest.update(method.encode() + b" " + path.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def validate_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key is invalid",
            errors=[FieldError(field="Idempotency-Key", reason="1 to 255 printable characters")],
        )


def claim(
    engine: Engine, *, scope: str, key: str, fingerprint: str, ttl: timedelta
) -> Claim | StoredResponse:
    """Claim the key for this request, or answer with the response stored for it."""
    validate_key(key)
    for _ in range(3):
        with open_session(engine, write=True) as session:
            session.add(
                IdempotencyRecord(
                    scope=scope,
                    key=key,
                    fingerprint=fingerprint,
                    state="in_progress",
                    created_at=utcnow(),
                )
            )
            try:
                session.commit()
                return Claim(scope=scope, key=key)
            except IntegrityError:
                session.rollback()
            existing = session.get(IdempotencyRecord, (scope, key))
            if existing is None:
                continue  # released meanwhile: try again
            now = utcnow()
            expired = existing.created_at < now - ttl
            abandoned = existing.state == "in_progress" and existing.created_at < now - timedelta(
                seconds=STALE_CLAIM_SECONDS
            )
            if expired or abandoned:
                session.execute(
                    delete(IdempotencyRecord).where(
                        IdempotencyRecord.scope == scope,  # type: ignore[arg-type]
                        IdempotencyRecord.key == key,  # type: ignore[arg-type]
                        IdempotencyRecord.created_at == existing.created_at,  # type: ignore[arg-type]
                    )
                )
                session.commit()
                continue
            if existing.fingerprint != fingerprint:
                raise ValidationFailed(
                    "this Idempotency-Key was already used with a different request body",
                    errors=[FieldError(field="Idempotency-Key", reason="reused with another body")],
                )
            if existing.state != "completed":
                raise Conflict("a request with this Idempotency-Key is still being processed")
            return StoredResponse(
                status_code=existing.status_code or 200,
                headers=json.loads(existing.headers or "{}"),
                body=existing.body or b"",
            )
    raise Conflict("this Idempotency-Key is contended; retry shortly")


def complete(session: Session, held: Claim, response: StoredResponse) -> None:
    """Record the response in the request's own transaction (see the module docstring)."""
    session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.scope == held.scope,  # type: ignore[arg-type]
            IdempotencyRecord.key == held.key,  # type: ignore[arg-type]
        )
        .values(
            state="completed",
            status_code=response.status_code,
            headers=json.dumps(response.headers),
            body=response.body,
        )
    )


def release(engine: Engine, held: Claim) -> None:
    with open_session(engine, write=True) as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == held.scope,  # type: ignore[arg-type]
                IdempotencyRecord.key == held.key,  # type: ignore[arg-type]
                IdempotencyRecord.state == "in_progress",  # type: ignore[arg-type]
            )
        )
        session.commit()


class ExpiredKeyPurger:
    """Deletes idempotency records older than the TTL, at start and then every `interval`."""

    def __init__(self, engine: Engine, ttl: timedelta, interval: float = 3600.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idempotency-purger", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def purge_once(self) -> int:
        with open_session(self._engine, write=True) as session:
            removed = purge_expired(session, self._ttl)
            session.commit()
        return removed

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.purge_once()
            except SQLAlchemyError:
                log.warning("could not purge expired idempotency keys", exc_info=True)
            self._stop.wait(self._interval)


def purge_expired(session: Session, ttl: timedelta) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)  # type: ignore[arg-type]
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
