"""The CPV and NUTS code lists, searchable by code prefix or words of the label."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from services.catalogue.api import schemas
from services.catalogue.service import reference
from shared.app import service_router
from shared.pagination import Page, PageDep

router = service_router(prefix="/v1/reference", tags=["reference"])

Search = Annotated[str, Query(max_length=100, description="code prefix or words of the label")]


@router.get("/cpv", response_model=Page[schemas.CodePublic], summary="Search CPV 2008 codes")
def search_cpv(page: PageDep, q: Search = "") -> Page[schemas.CodePublic]:
    return reference.search("cpv", q, page.cursor, page.limit)


@router.get("/nuts", response_model=Page[schemas.CodePublic], summary="Search NUTS 2024 regions")
def search_nuts(page: PageDep, q: Search = "") -> Page[schemas.CodePublic]:
    return reference.search("nuts", q, page.cursor, page.limit)
