"""Self-registration, organisations and their profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response, status

from services.catalogue.api import schemas
from services.catalogue.api.deps import (
    CallerDep,
    IfMatchHeader,
    OptionalCallerDep,
    PageDep,
    SessionDep,
)
from services.catalogue.service import keys, organisations
from shared.app import service_router, set_replay_body
from shared.concurrency import set_etag
from shared.identifiers import IdPath
from shared.pagination import Page, decode_int_cursor, encode_cursor

router = service_router(prefix="/v1", tags=["organisations"])


@router.post(
    "/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.RegistrationPublic,
    summary="Register an organisation and receive its first API key (shown once)",
)
def register_organisation(
    body: schemas.RegistrationCreate,
    session: SessionDep,
    caller: OptionalCallerDep,
    request: Request,
    response: Response,
) -> schemas.RegistrationPublic:
    row, key, plaintext = organisations.register(session, body, caller)
    result = schemas.RegistrationPublic(
        organisation=organisations.to_public(row), api_key=plaintext, key=keys.to_public(key)
    )
    # an idempotent replay must not show the key a second time
    set_replay_body(request, result.model_copy(update={"api_key": None}))
    response.headers["Location"] = f"/v1/organisations/{row.id}"
    set_etag(response, row.version)
    return result


@router.get("/organisations", response_model=Page[schemas.OrganisationPublic])
def list_organisations(
    session: SessionDep,
    page: PageDep,
    kind: schemas.OrganisationKind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="words in the name")] = None,
    nuts: Annotated[
        schemas.NutsCode | None, Query(description="covering or inside this NUTS region")
    ] = None,
    cpv: Annotated[schemas.CpvCode | None, Query(description="at, above or below this CPV")] = None,
) -> Page[schemas.OrganisationPublic]:
    rows = organisations.list_page(
        session,
        kind=kind,
        q=q,
        nuts=nuts,
        cpv=cpv,
        after_id=decode_int_cursor(page.cursor),
        limit=page.limit,
    )
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == page.limit else None
    return Page(items=[organisations.to_public(row) for row in rows], next_cursor=next_cursor)


@router.get("/organisations/{organisation_id}", response_model=schemas.OrganisationPublic)
def get_organisation(
    organisation_id: IdPath, session: SessionDep, response: Response
) -> schemas.OrganisationPublic:
    row = organisations.get(session, organisation_id)
    set_etag(response, row.version)
    return organisations.to_public(row)


@router.patch("/organisations/{organisation_id}", response_model=schemas.OrganisationPublic)
def update_organisation(
    organisation_id: IdPath,
    body: schemas.OrganisationUpdate,
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> schemas.OrganisationPublic:
    row = organisations.update(session, caller, organisation_id, body, if_match=if_match)
    set_etag(response, row.version)
    return organisations.to_public(row)
