"""The platform operator's own organisation and its admin keys (CLI and settings bootstrap)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from services.catalogue.service import keys, organisations
from services.catalogue.store import repository
from services.catalogue.store.tables import ApiKey, Organisation
from shared.auth import digest_key, key_prefix
from shared.clock import utcnow
from shared.db import hold_lock_until_commit

OPERATOR_NAME = "CityFIT Match operations"


def operator_organisation(session: Session) -> Organisation:
    """The organisation admin keys belong to (a `partner` kind: the platform itself)."""
    statement = select(Organisation).where(
        Organisation.kind == "partner",  # type: ignore[arg-type]
        Organisation.name == OPERATOR_NAME,  # type: ignore[arg-type]
    )
    existing = session.execute(statement.order_by(Organisation.id).limit(1)).scalar_one_or_none()  # type: ignore[arg-type]
    if existing is not None:
        return existing
    now = utcnow()
    row = Organisation(
        kind="partner",
        name=OPERATOR_NAME,
        country="IT",
        status="active",
        doc={"description": "The platform operator: curates funding calls and partner access."},
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, row)
    repository.record_change(
        session,
        entity=organisations.ENTITY,
        entity_id=row.id or 0,
        op="upsert",
        data=organisations.public_document(row),
        at=now,
    )
    return row


def create_admin_key(session: Session, label: str) -> str:
    operator = operator_organisation(session)
    _row, plaintext = keys.issue(
        session, organisation_id=operator.id or 0, role="admin", label=label
    )
    return plaintext


def ensure_admin_key(session: Session, plaintext: str) -> None:
    """Make `plaintext` (from settings, e.g. a Kubernetes secret) a working admin key."""
    prefix = key_prefix(plaintext)
    if prefix is None:
        raise ValueError("the bootstrap admin key must look like cfk_<10 characters>_<secret>")
    # replicas starting together would each find no key and both insert it (or two operators)
    hold_lock_until_commit(session, "cityfit.bootstrap_admin_key")
    if repository.get_key_by_prefix(session, prefix) is not None:
        return
    operator = operator_organisation(session)
    repository.add(
        session,
        ApiKey(
            organisation_id=operator.id or 0,
            role="admin",
            prefix=prefix,
            digest=digest_key(plaintext),
            label="bootstrap admin key",
            version=1,
            created_at=utcnow(),
        ),
    )
