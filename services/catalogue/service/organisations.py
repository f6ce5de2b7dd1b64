"""Use cases for organisations: self-registration, profiles, listing and search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session

from services.catalogue.api import schemas
from services.catalogue.domain.codes import cpv_stem
from services.catalogue.domain.ownership import Actor, may_act_for
from services.catalogue.service import keys
from services.catalogue.service.errors import invalid, validate_document
from services.catalogue.store import repository
from services.catalogue.store.tables import ApiKey, Organisation
from shared.auth import Caller
from shared.clock import utcnow
from shared.concurrency import check_if_match
from shared.errors import Forbidden, NotFound

ENTITY = "organisation"
PROFILE_COLUMNS = ("kind", "name", "country", "status")


def public_document(row: Organisation) -> dict[str, Any]:
    return {
        **row.doc,
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "country": row.country,
        "status": row.status,
        "brought_by_id": row.brought_by_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def to_public(row: Organisation) -> schemas.OrganisationPublic:
    return schemas.OrganisationPublic.model_validate(public_document(row))


def profile_document(profile: schemas.ProfileFields) -> dict[str, Any]:
    """The profile fields kept in `doc` (the promoted columns live in their own columns)."""
    doc = profile.model_dump(mode="json", exclude=set(PROFILE_COLUMNS))
    return {key: value for key, value in doc.items() if value not in (None, [])}


def codes_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return [("cpv", cpv_stem(code)) for code in doc.get("cpv_codes", [])] + [
        ("nuts", code) for code in doc.get("nuts_codes", [])
    ]


def _check_kind_fields(kind: str, doc: dict[str, Any], prefix: str = "") -> None:
    try:
        schemas.check_kind_fields(kind, doc)
    except schemas.KindMismatch as exc:
        raise invalid(prefix + exc.field, exc.reason) from exc


def _record(session: Session, row: Organisation) -> None:
    repository.replace_codes(session, ENTITY, row.id or 0, codes_of(row.doc))
    repository.record_change(
        session,
        entity=ENTITY,
        entity_id=row.id or 0,
        op="upsert",
        data=public_document(row),
        at=row.updated_at,
    )


def register(
    session: Session, body: schemas.RegistrationCreate, caller: Caller | None
) -> tuple[Organisation, ApiKey, str]:
    """Create an organisation and its first key. Partner platforms are admitted by an admin;
    an organisation registered with a partner's key is one that partner brought in."""
    organisation = body.organisation
    if organisation.kind == "partner" and (caller is None or not caller.is_admin):
        raise Forbidden("partner platforms are registered by an admin")
    _check_kind_fields(organisation.kind, organisation.model_dump(), prefix="organisation.")
    now = utcnow()
    row = Organisation(
        kind=organisation.kind,
        name=organisation.name,
        country=organisation.country,
        status="active",
        contact_email=str(body.contact_email),
        brought_by_id=caller.organisation_id if caller and caller.role == "partner" else None,
        doc=profile_document(organisation),
        version=1,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, row)
    _record(session, row)
    key, plaintext = keys.issue(
        session, organisation_id=row.id or 0, role=row.kind, label="first key"
    )
    return row, key, plaintext


def get(session: Session, organisation_id: int) -> Organisation:
    row = repository.get_organisation(session, organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    return row


def list_page(
    session: Session,
    *,
    kind: str | None,
    q: str | None,
    nuts: str | None,
    cpv: str | None,
    after_id: int,
    limit: int,
) -> list[Organisation]:
    where: list[ColumnElement[bool]] = []
    if kind:
        where.append(Organisation.kind == kind)  # type: ignore[arg-type]
    if q:
        where.append(repository.text_filter([Organisation.name], q))
    if nuts:
        where.append(repository.code_filter(ENTITY, Organisation.id, "nuts", nuts))
    if cpv:
        where.append(repository.code_filter(ENTITY, Organisation.id, "cpv", cpv_stem(cpv)))
    return repository.list_page(session, Organisation, where=where, after_id=after_id, limit=limit)


def update(
    session: Session,
    caller: Caller,
    organisation_id: int,
    patch: schemas.OrganisationUpdate,
    *,
    if_match: str | None,
) -> Organisation:
    row = repository.get_for_update(session, Organisation, organisation_id)
    if row is None:
        raise NotFound(f"organisation {organisation_id} does not exist")
    actor = Actor(organisation_id=caller.organisation_id, role=caller.role)
    if not may_act_for(actor, row.id or 0, row.brought_by_id):
        raise Forbidden("this organisation is not yours to change")
    check_if_match(if_match, row.version)
    current = {
        **row.doc,
        "kind": row.kind,
        "name": row.name,
        "country": row.country,
    }
    changes = patch.model_dump(mode="json", exclude_unset=True)
    status = changes.pop("status", None) or row.status
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    merged = validate_document(schemas.OrganisationCreate, current)
    _check_kind_fields(row.kind, merged.model_dump())
    row.name, row.country, row.status = merged.name, merged.country, status
    row.doc = profile_document(merged)
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _record(session, row)
    return row
