"""Further API keys, revocation and key introspection (used by the other services)."""

from __future__ import annotations

from fastapi import Request, Response, status

from services.catalogue.api import schemas
from services.catalogue.api.deps import CallerDep, IfMatchHeader, PageDep, SessionDep
from services.catalogue.service import keys
from shared.app import service_router, set_replay_body
from shared.concurrency import set_etag
from shared.contracts.auth import KeyIntrospection
from shared.identifiers import IdPath
from shared.pagination import Page, decode_int_cursor, encode_cursor

router = service_router(prefix="/v1", tags=["api keys"])


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.ApiKeyIssued,
    summary="Issue a further key for your organisation (shown once)",
)
def create_api_key(
    body: schemas.ApiKeyCreate,
    session: SessionDep,
    caller: CallerDep,
    request: Request,
    response: Response,
) -> schemas.ApiKeyIssued:
    row, plaintext = keys.issue_for(session, caller, body)
    issued = schemas.ApiKeyIssued(**keys.to_public(row).model_dump(), api_key=plaintext)
    set_replay_body(request, issued.model_copy(update={"api_key": None}))
    response.headers["Location"] = f"/v1/api-keys/{row.id}"
    set_etag(response, row.version)
    return issued


@router.get(
    "/api-keys", response_model=Page[schemas.ApiKeyPublic], summary="Your organisation's keys"
)
def list_api_keys(
    session: SessionDep, caller: CallerDep, page: PageDep
) -> Page[schemas.ApiKeyPublic]:
    rows = keys.list_page(session, caller, decode_int_cursor(page.cursor), page.limit)
    next_cursor = encode_cursor(rows[-1].id) if len(rows) == page.limit else None
    return Page(items=[keys.to_public(row) for row in rows], next_cursor=next_cursor)


@router.get("/api-keys/{key_id}", response_model=schemas.ApiKeyPublic)
def get_api_key(
    key_id: IdPath, session: SessionDep, caller: CallerDep, response: Response
) -> schemas.ApiKeyPublic:
    row = keys.get(session, caller, key_id)
    set_etag(response, row.version)
    return keys.to_public(row)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke a key: it stops working at once",
)
def revoke_api_key(
    key_id: IdPath, session: SessionDep, caller: CallerDep, if_match: IfMatchHeader = None
) -> Response:
    keys.revoke(session, caller, key_id, if_match=if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/auth/introspect",
    response_model=KeyIntrospection,
    tags=["auth"],
    summary="Who the presented key is: organisation and role",
)
def introspect_api_key(session: SessionDep, caller: CallerDep) -> KeyIntrospection:
    return keys.introspect(session, caller)
