"""Use cases for API keys: issue, list, revoke, resolve (catalogue is the keys' owner)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from services.catalogue.api import schemas
from services.catalogue.store import repository
from services.catalogue.store.tables import ApiKey
from shared.auth import Caller, digest_matches, issue_key, key_prefix
from shared.clock import utcnow
from shared.concurrency import check_if_match
from shared.contracts.auth import KeyIntrospection
from shared.db import open_session
from shared.errors import Forbidden, NotFound


def issue(
    session: Session, *, organisation_id: int, role: str, label: str | None
) -> tuple[ApiKey, str]:
    material = issue_key()
    row = ApiKey(
        organisation_id=organisation_id,
        role=role,
        prefix=material.prefix,
        digest=material.digest,
        label=label,
        version=1,
        created_at=utcnow(),
    )
    repository.add(session, row)
    return row, material.plaintext


def issue_for(session: Session, caller: Caller, body: schemas.ApiKeyCreate) -> tuple[ApiKey, str]:
    """A further key for the caller's organisation; keys never carry more than the caller's role
    unless an admin issues them."""
    organisation_id = body.organisation_id or caller.organisation_id
    role = body.role or caller.role
    if not caller.is_admin:
        if organisation_id != caller.organisation_id:
            raise Forbidden("keys are issued only to your own organisation")
        if role != caller.role:
            raise Forbidden(f"a {caller.role} key can only issue {caller.role} keys")
    if repository.get_organisation(session, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return issue(session, organisation_id=organisation_id, role=role, label=body.label)


def _visible_key(session: Session, caller: Caller, key_id: int) -> ApiKey:
    row = repository.get(session, ApiKey, key_id)
    if row is None or (row.organisation_id != caller.organisation_id and not caller.is_admin):
        raise NotFound(f"API key {key_id} does not exist")
    return row


def get(session: Session, caller: Caller, key_id: int) -> ApiKey:
    return _visible_key(session, caller, key_id)


def list_page(session: Session, caller: Caller, after_id: int, limit: int) -> list[ApiKey]:
    return repository.list_keys(session, caller.organisation_id, after_id, limit)


def revoke(session: Session, caller: Caller, key_id: int, *, if_match: str | None) -> None:
    row = _visible_key(session, caller, key_id)
    check_if_match(if_match, row.version)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        row.version += 1
        session.add(row)
        session.flush()


def to_public(row: ApiKey) -> schemas.ApiKeyPublic:
    return schemas.ApiKeyPublic.model_validate(row, from_attributes=True)


def introspect(session: Session, caller: Caller) -> KeyIntrospection:
    row = repository.get(session, ApiKey, caller.key_id)
    return KeyIntrospection(
        key_id=caller.key_id,
        key_prefix=row.prefix if row else "",
        organisation_id=caller.organisation_id,
        organisation_kind=caller.organisation_kind,
        role=caller.role,
        active=True,
    )


class DatabaseKeyResolver:
    """Looks each presented key up by prefix on every request: a revocation applies at once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def resolve(self, plaintext: str) -> Caller | None:
        prefix = key_prefix(plaintext)
        if prefix is None:
            return None
        with open_session(self._engine) as session:
            row = repository.get_key_by_prefix(session, prefix)
            if (
                row is None
                or row.revoked_at is not None
                or not digest_matches(plaintext, row.digest)
            ):
                return None
            organisation = repository.get_organisation(session, row.organisation_id)
            if organisation is None:
                return None
            return Caller(
                key_id=row.id or 0,
                organisation_id=row.organisation_id,
                organisation_kind=organisation.kind,
                role=row.role,  # type: ignore[arg-type]
            )
