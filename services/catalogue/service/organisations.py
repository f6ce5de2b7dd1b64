"""Use cases for organisations: self-registration, profiles, listing and search."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
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
from shared.errors import Conflict, Forbidden, NotFound

ENTITY = "organisation"
PROFILE_COLUMNS = ("kind", "name", "country", "status")


def public_document(row: Organisation) -> dict[str, Any]:
    document = {
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
    # imported organisations say where they came from (bulk seeding passes plain views)
    provenance = getattr(row, "provenance", None)
    if provenance:
        document["provenance"] = provenance
    return document


def identifier_of(doc: dict[str, Any]) -> str | None:
    ident = doc.get("identifier")
    return f"{ident['scheme']}-{ident['id']}" if ident else None


def is_unclaimed_import(row: Organisation) -> bool:
    return bool(row.provenance) and not (row.provenance or {}).get("claimed_at")


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
    an organisation registered with a partner's key is one that partner brought in.

    Registering with the identifier of an organisation an OCDS import created claims it instead
    of creating a duplicate (see `claim`)."""
    organisation = body.organisation
    if organisation.kind == "partner" and (caller is None or not caller.is_admin):
        raise Forbidden("partner platforms are registered by an admin")
    _check_kind_fields(organisation.kind, organisation.model_dump(), prefix="organisation.")
    identifier = identifier_of(organisation.model_dump())
    if identifier is not None:
        existing = repository.get_organisation_by_identifier(session, identifier)
        if existing is not None:
            return claim(session, existing, body, caller)
    now = utcnow()
    row = Organisation(
        kind=organisation.kind,
        name=organisation.name,
        country=organisation.country,
        status="active",
        contact_email=str(body.contact_email),
        brought_by_id=caller.organisation_id if caller and caller.role == "partner" else None,
        identifier=identifier,
        doc=profile_document(organisation),
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        repository.add(session, row)
    except IntegrityError as exc:
        # another transaction (a registration or an import) took the identifier between the
        # lookup above and this insert; the unique index refuses the second one
        raise Conflict(
            f"an organisation with identifier {identifier} was registered at the same moment; "
            "register again to claim it or see it refused"
        ) from exc
    _record(session, row)
    key, plaintext = keys.issue(
        session, organisation_id=row.id or 0, role=row.kind, label="first key"
    )
    return row, key, plaintext


def claim(
    session: Session, row: Organisation, body: schemas.RegistrationCreate, caller: Caller | None
) -> tuple[Organisation, ApiKey, str]:
    """Hand an imported, unclaimed organisation over to the real one.

    Who may claim. Anyone can self-register, and nothing here can prove that the registrant is
    the body named by a tax number or company number (there is no mailbox or registry check), so
    an anonymous registration that names an imported identifier would let anybody take over a
    public body's profile and the needs imported for it. A claim is therefore vouched for: it is
    made with an admin key or with the key of the partner that imported the organisation (the
    partner knows its customer). Anonymous and other callers get 409 with that explanation.

    What the claim does. The registration's profile replaces the imported one (same id, so
    needs, offers and matches stay attached), the first key is issued to the organisation
    itself, `brought_by_id` is cleared (the partner no longer acts for it or its records) and
    `provenance.claimed_at` is set, after which imports leave the profile alone and report it
    unchanged. The kind must stay the same: a municipality cannot be claimed as a supplier.
    """
    organisation = body.organisation
    identifier = row.identifier
    if not is_unclaimed_import(row):
        raise Conflict(f"an organisation with identifier {identifier} is already registered")
    vouched = caller is not None and (
        caller.is_admin
        or (caller.role == "partner" and caller.organisation_id == row.brought_by_id)
    )
    if not vouched:
        raise Conflict(
            f"organisation {row.id} was imported with identifier {identifier}; it is claimed "
            "through the partner that imported it or an admin, who can vouch for you"
        )
    if organisation.kind != row.kind:
        raise Conflict(f"organisation {row.id} is a {row.kind}, not a {organisation.kind}")
    now = utcnow()
    row.name, row.country = organisation.name, organisation.country
    row.contact_email = str(body.contact_email)
    row.doc = profile_document(organisation)
    row.brought_by_id = None
    row.provenance = {**(row.provenance or {}), "claimed_at": now.isoformat()}
    row.version += 1
    row.updated_at = now
    session.add(row)
    session.flush()
    _record(session, row)
    key, plaintext = keys.issue(
        session, organisation_id=row.id or 0, role=row.kind, label="first key"
    )
    return row, key, plaintext


def imported_profile(document: dict[str, Any]) -> schemas.OrganisationCreate:
    """An imported organisation's document, validated exactly as a registration's."""
    profile = validate_document(schemas.OrganisationCreate, document)
    _check_kind_fields(profile.kind, profile.model_dump())
    return profile


def create_imported(
    session: Session,
    caller: Caller,
    profiles: list[tuple[schemas.OrganisationCreate, dict[str, Any]]],
) -> list[SimpleNamespace]:
    """Organisations named by imported OCDS releases (`(profile, provenance)` pairs), in
    multi-row inserts with the same columns, code rows and change-feed entries a registration
    writes. No key is issued (they have not registered); the importing partner brought them in
    until they are claimed. Returns light views (id, kind, brought_by_id...) in input order."""
    if not profiles:
        return []
    now = utcnow()
    rows = [
        {
            "kind": profile.kind,
            "name": profile.name,
            "country": profile.country,
            "status": "active",
            "contact_email": None,
            "brought_by_id": caller.organisation_id if caller.role == "partner" else None,
            "identifier": identifier_of(profile.model_dump()),
            "provenance": provenance,
            "doc": profile_document(profile),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for profile, provenance in profiles
    ]
    ids = repository.insert_returning_ids(session, Organisation, rows)
    views = [SimpleNamespace(id=row_id, **row) for row_id, row in zip(ids, rows, strict=True)]
    repository.add_codes_bulk(
        session,
        [
            {"entity": ENTITY, "entity_id": view.id, "scheme": scheme, "stem": stem}
            for view in views
            for scheme, stem in sorted(set(codes_of(view.doc)))
        ],
    )
    repository.record_changes_bulk(
        session,
        [
            {
                "entity": ENTITY,
                "entity_id": view.id,
                "op": "upsert",
                "data": public_document(view),  # type: ignore[arg-type]
                "at": now,
            }
            for view in views
        ],
    )
    return views


def update_imported(
    session: Session,
    caller: Caller,
    row: Organisation,
    document: dict[str, Any],
    provenance: dict[str, Any],
) -> Organisation:
    """Apply a newer release to an imported organisation the caller may still act for."""
    if not is_unclaimed_import(row):
        raise Forbidden("the organisation has claimed its profile: imports no longer change it")
    actor = Actor(organisation_id=caller.organisation_id, role=caller.role)
    if not may_act_for(actor, row.id or 0, row.brought_by_id):
        raise Forbidden("this organisation was imported by another partner")
    profile = validate_document(schemas.OrganisationCreate, document)
    _check_kind_fields(row.kind, profile.model_dump())
    row.name, row.country = profile.name, profile.country
    row.doc = profile_document(profile)
    row.provenance = provenance
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _record(session, row)
    return row


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
