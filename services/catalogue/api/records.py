"""Offers, needs and funding calls: the same five operations on three kinds of record.

One router factory serves all three so the handlers stay identical in behaviour (ETags, If-Match,
Location, pagination) and each kind adds only its own list filters. No `from __future__ import
annotations` here: FastAPI must see the real body and response types bound in the closure.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel
from sqlalchemy import ColumnElement

from services.catalogue.api import schemas
from services.catalogue.api.deps import CallerDep, IfMatchHeader, PageDep, SessionDep
from services.catalogue.domain.codes import cpv_stem
from services.catalogue.service import records
from services.catalogue.store import repository
from services.catalogue.store.tables import FundingCall, Need, Offer
from shared.app import service_router
from shared.clock import today
from shared.concurrency import set_etag
from shared.identifiers import IdPath, IdQuery
from shared.pagination import Page, decode_int_cursor, encode_cursor

Filters = list[ColumnElement[bool]]
Text = Annotated[str | None, Query(max_length=200, description="words in the title")]
Cpv = Annotated[schemas.CpvCode | None, Query(description="at, above or below this CPV code")]
Nuts = Annotated[schemas.NutsCode | None, Query(description="at, above or below this region")]


def record_router(
    kind: records.RecordKind,
    *,
    path: str,
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    public_model: type[BaseModel],
    filters: Callable[..., Filters],
) -> APIRouter:
    router = service_router(prefix="/v1", tags=[path])
    FiltersDep = Annotated[Filters, Depends(filters)]  # noqa: N806

    @router.post(
        f"/{path}",
        status_code=status.HTTP_201_CREATED,
        response_model=public_model,
        name=f"create_{kind.entity}",
        summary=f"Create a {kind.label}",
    )
    def create_record(
        body: create_model,  # type: ignore[valid-type]
        session: SessionDep,
        caller: CallerDep,
        response: Response,
    ) -> Any:
        row = records.create(session, kind, caller, body)
        response.headers["Location"] = f"/v1/{path}/{row.id}"
        set_etag(response, row.version)
        return records.to_public(kind, row)

    @router.get(
        f"/{path}",
        response_model=Page[public_model],  # type: ignore[valid-type]
        name=f"list_{kind.entity}s",
        summary=f"List {kind.label}s",
    )
    def list_records(session: SessionDep, page: PageDep, where: FiltersDep) -> Any:
        rows = records.list_page(
            session, kind, where=where, after_id=decode_int_cursor(page.cursor), limit=page.limit
        )
        next_cursor = encode_cursor(rows[-1].id) if len(rows) == page.limit else None
        return {"items": [records.to_public(kind, row) for row in rows], "next_cursor": next_cursor}

    @router.get(
        f"/{path}/{{record_id}}",
        response_model=public_model,
        name=f"get_{kind.entity}",
        summary=f"Get a {kind.label}",
    )
    def get_record(record_id: IdPath, session: SessionDep, response: Response) -> Any:
        row = records.get(session, kind, record_id)
        set_etag(response, row.version)
        return records.to_public(kind, row)

    @router.patch(
        f"/{path}/{{record_id}}",
        response_model=public_model,
        name=f"update_{kind.entity}",
        summary=f"Change a {kind.label} (merge patch, If-Match required)",
    )
    def update_record(
        record_id: IdPath,
        body: update_model,  # type: ignore[valid-type]
        session: SessionDep,
        caller: CallerDep,
        response: Response,
        if_match: IfMatchHeader = None,
    ) -> Any:
        row = records.update(session, kind, caller, record_id, body, if_match=if_match)
        set_etag(response, row.version)
        return records.to_public(kind, row)

    @router.delete(
        f"/{path}/{{record_id}}",
        status_code=status.HTTP_204_NO_CONTENT,
        name=f"delete_{kind.entity}",
        summary=f"Delete a {kind.label} (If-Match required)",
    )
    def delete_record(
        record_id: IdPath, session: SessionDep, caller: CallerDep, if_match: IfMatchHeader = None
    ) -> Response:
        records.delete(session, kind, caller, record_id, if_match=if_match)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router


def offer_filters(
    organisation_id: IdQuery = None,
    kind: schemas.OfferKind | None = None,
    cpv: Cpv = None,
    q: Text = None,
) -> Filters:
    where: Filters = []
    if organisation_id is not None:
        where.append(Offer.organisation_id == organisation_id)  # type: ignore[arg-type]
    if kind:
        where.append(Offer.kind == kind)  # type: ignore[arg-type]
    if cpv:
        where.append(repository.code_filter("offer", Offer.id, "cpv", cpv_stem(cpv)))
    if q:
        where.append(repository.text_filter([Offer.title], q))
    return where


def need_filters(
    organisation_id: IdQuery = None,
    category: schemas.NeedCategory | None = None,
    status: schemas.NeedStatus | None = None,
    nuts: Nuts = None,
    cpv: Cpv = None,
    q: Text = None,
) -> Filters:
    where: Filters = []
    if organisation_id is not None:
        where.append(Need.organisation_id == organisation_id)  # type: ignore[arg-type]
    if category:
        where.append(Need.category == category)  # type: ignore[arg-type]
    if status:
        where.append(Need.status == status)  # type: ignore[arg-type]
    if nuts:
        where.append(repository.code_filter("need", Need.id, "nuts", nuts))
    if cpv:
        where.append(repository.code_filter("need", Need.id, "cpv", cpv_stem(cpv)))
    if q:
        where.append(repository.text_filter([Need.title], q))
    return where


def funding_call_filters(
    status: Annotated[
        schemas.FundingCallStatus | None, Query(description="open, upcoming or closed today")
    ] = None,
    nuts: Nuts = None,
    cpv: Cpv = None,
    q: Text = None,
) -> Filters:
    where: Filters = []
    now = today()
    if status == "open":
        where += [FundingCall.opens_at <= now, FundingCall.closes_at >= now]  # type: ignore[list-item]
    elif status == "upcoming":
        where.append(FundingCall.opens_at > now)  # type: ignore[arg-type]
    elif status == "closed":
        where.append(FundingCall.closes_at < now)  # type: ignore[arg-type]
    if nuts:
        where.append(repository.code_filter("funding_call", FundingCall.id, "nuts", nuts))
    if cpv:
        where.append(repository.code_filter("funding_call", FundingCall.id, "cpv", cpv_stem(cpv)))
    if q:
        where.append(repository.text_filter([FundingCall.title], q))
    return where


offers_router = record_router(
    records.OFFER,
    path="offers",
    create_model=schemas.OfferCreate,
    update_model=schemas.OfferUpdate,
    public_model=schemas.OfferPublic,
    filters=offer_filters,
)
needs_router = record_router(
    records.NEED,
    path="needs",
    create_model=schemas.NeedCreate,
    update_model=schemas.NeedUpdate,
    public_model=schemas.NeedPublic,
    filters=need_filters,
)
funding_calls_router = record_router(
    records.FUNDING_CALL,
    path="funding-calls",
    create_model=schemas.FundingCallCreate,
    update_model=schemas.FundingCallUpdate,
    public_model=schemas.FundingCallPublic,
    filters=funding_call_filters,
)
