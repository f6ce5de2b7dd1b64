"""Use cases for the records organisations own: offers, needs and funding calls.

The three differ only in their schemas, the columns they promote, the codes they index and who
may own them, so one set of operations serves all three through a `RecordKind` description.
Every write records its change in the same transaction (the outbox), and every update is checked
against the caller's `If-Match`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel

from services.catalogue.api import schemas
from services.catalogue.domain.codes import cpv_stem
from services.catalogue.domain.ownership import Actor, may_act_for
from services.catalogue.service.errors import invalid, validate_document
from services.catalogue.store import repository
from services.catalogue.store.tables import FundingCall, Need, Offer, Organisation
from shared.auth import Caller
from shared.clock import today, utcnow
from shared.concurrency import check_if_match
from shared.errors import Forbidden, NotFound


@dataclass(frozen=True)
class RecordKind:
    entity: str
    label: str
    table: type[SQLModel]
    create: type[BaseModel]
    public: type[BaseModel]
    owner_kinds: tuple[str, ...] | None
    columns: Callable[[dict[str, Any]], dict[str, Any]]
    codes: Callable[[dict[str, Any]], list[tuple[str, str]]]
    computed: Callable[[dict[str, Any]], dict[str, Any]] = lambda _doc: {}


def _cpv_codes(doc: dict[str, Any], field: str = "cpv_codes") -> list[tuple[str, str]]:
    return [("cpv", cpv_stem(code)) for code in doc.get(field) or []]


def _nuts_codes(codes: list[str] | None) -> list[tuple[str, str]]:
    return [("nuts", code) for code in codes or []]


def _funding_call_status(doc: dict[str, Any]) -> dict[str, Any]:
    now = today()
    opens, closes = date.fromisoformat(doc["opens_at"]), date.fromisoformat(doc["closes_at"])
    status = "upcoming" if now < opens else "closed" if now > closes else "open"
    return {"status": status}


OFFER = RecordKind(
    entity="offer",
    label="offer",
    table=Offer,
    create=schemas.OfferCreate,
    public=schemas.OfferPublic,
    owner_kinds=("supplier",),
    columns=lambda doc: {"kind": doc["kind"], "title": doc["title"]},
    codes=lambda doc: _cpv_codes(doc) + _nuts_codes(doc.get("nuts_codes")),
)

NEED = RecordKind(
    entity="need",
    label="need",
    table=Need,
    create=schemas.NeedCreate,
    public=schemas.NeedPublic,
    owner_kinds=("municipality",),
    columns=lambda doc: {
        "title": doc["title"],
        "category": doc["category"],
        "nuts_code": doc["nuts_code"],
        "status": doc["status"],
        "budget_amount": (doc.get("budget") or {}).get("amount"),
        "budget_currency": (doc.get("budget") or {}).get("currency"),
        "needed_by": date.fromisoformat(doc["needed_by"]) if doc.get("needed_by") else None,
    },
    codes=lambda doc: _cpv_codes(doc) + _nuts_codes([doc["nuts_code"]]),
)

FUNDING_CALL = RecordKind(
    entity="funding_call",
    label="funding call",
    table=FundingCall,
    create=schemas.FundingCallCreate,
    public=schemas.FundingCallPublic,
    owner_kinds=None,
    columns=lambda doc: {
        "title": doc["title"],
        "opens_at": date.fromisoformat(doc["opens_at"]),
        "closes_at": date.fromisoformat(doc["closes_at"]),
    },
    codes=lambda doc: _cpv_codes(doc) + _nuts_codes(doc.get("eligible_nuts")),
    computed=_funding_call_status,
)


def public_document(kind: RecordKind, row: Any) -> dict[str, Any]:
    """The record as the API and the change feed show it (JSON-ready)."""
    document = {
        **row.doc,
        **kind.computed(row.doc),
        "id": row.id,
        "organisation_id": row.organisation_id,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }
    # imported needs say where they came from (OCDS import)
    if getattr(row, "provenance", None):
        document["provenance"] = row.provenance
    return document


def to_public(kind: RecordKind, row: Any) -> BaseModel:
    return kind.public.model_validate(public_document(kind, row))


def _actor(caller: Caller) -> Actor:
    return Actor(organisation_id=caller.organisation_id, role=caller.role)


def _owner_for_create(
    session: Session, kind: RecordKind, caller: Caller, requested: int | None
) -> Organisation:
    if kind.owner_kinds is None:
        if caller.role not in ("admin", "partner"):
            raise Forbidden(f"only admin and partner keys may publish a {kind.label}")
        owner_id = caller.organisation_id
    else:
        owner_id = requested if requested is not None else caller.organisation_id
    owner = repository.get_organisation(session, owner_id)
    if owner is None:
        raise invalid("organisation_id", "no such organisation")
    if kind.owner_kinds is not None and owner.kind not in kind.owner_kinds:
        allowed = " or ".join(kind.owner_kinds)
        raise invalid(
            "organisation_id", f"a {kind.label} belongs to a {allowed}, not a {owner.kind}"
        )
    if not may_act_for(_actor(caller), owner.id or 0, owner.brought_by_id):
        raise Forbidden(f"this key may not act for organisation {owner.id}")
    return owner


def _authorise_change(session: Session, caller: Caller, row: Any) -> None:
    owner = repository.get_organisation(session, row.organisation_id)
    brought_by = owner.brought_by_id if owner else None
    if not may_act_for(_actor(caller), row.organisation_id, brought_by):
        raise Forbidden("this record belongs to another organisation")


def _document(kind: RecordKind, model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude={"organisation_id"}, exclude_none=True)


def _save_codes_and_change(session: Session, kind: RecordKind, row: Any, op: str) -> None:
    repository.replace_codes(session, kind.entity, row.id, kind.codes(row.doc))
    repository.record_change(
        session,
        entity=kind.entity,
        entity_id=row.id,
        op=op,
        data=public_document(kind, row),
        at=row.updated_at,
    )


def create(
    session: Session,
    kind: RecordKind,
    caller: Caller,
    body: BaseModel,
    *,
    provenance: dict[str, Any] | None = None,
) -> Any:
    """Create a record; `provenance` (needs only) says where an imported one came from."""
    owner = _owner_for_create(session, kind, caller, getattr(body, "organisation_id", None))
    doc = _document(kind, body)
    now = utcnow()
    extra = {"provenance": provenance} if provenance is not None else {}
    row = kind.table(
        organisation_id=owner.id,
        doc=doc,
        version=1,
        created_at=now,
        updated_at=now,
        **kind.columns(doc),
        **extra,
    )
    repository.add(session, row)
    _save_codes_and_change(session, kind, row, "upsert")
    return row


def get(session: Session, kind: RecordKind, record_id: int) -> Any:
    row = repository.get(session, kind.table, record_id)
    if row is None:
        raise NotFound(f"{kind.label} {record_id} does not exist")
    return row


def list_page(
    session: Session,
    kind: RecordKind,
    *,
    where: list[ColumnElement[bool]],
    after_id: int,
    limit: int,
) -> list[Any]:
    return repository.list_page(session, kind.table, where=where, after_id=after_id, limit=limit)


def update(
    session: Session,
    kind: RecordKind,
    caller: Caller,
    record_id: int,
    patch: BaseModel,
    *,
    if_match: str | None,
    provenance: dict[str, Any] | None = None,
) -> Any:
    row = repository.get_for_update(session, kind.table, record_id)
    if row is None:
        raise NotFound(f"{kind.label} {record_id} does not exist")
    _authorise_change(session, caller, row)
    check_if_match(if_match, row.version)
    merged = dict(row.doc)
    for key, value in patch.model_dump(mode="json", exclude_unset=True).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    doc = _document(kind, validate_document(kind.create, merged))
    row.doc = doc
    for column, value in kind.columns(doc).items():
        setattr(row, column, value)
    if provenance is not None:
        row.provenance = provenance
    row.version += 1
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _save_codes_and_change(session, kind, row, "upsert")
    return row


def delete(
    session: Session, kind: RecordKind, caller: Caller, record_id: int, if_match: str | None
) -> None:
    row = repository.get_for_update(session, kind.table, record_id)
    if row is None:
        raise NotFound(f"{kind.label} {record_id} does not exist")
    _authorise_change(session, caller, row)
    check_if_match(if_match, row.version)
    repository.replace_codes(session, kind.entity, record_id, [])
    repository.remove(session, row)
    repository.record_change(
        session, entity=kind.entity, entity_id=record_id, op="delete", data=None, at=utcnow()
    )
