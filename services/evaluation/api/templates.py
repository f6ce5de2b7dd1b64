"""Project templates: the inputs each takes, with units, defaults, ranges and sources."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path

from services.evaluation.api import schemas
from services.evaluation.service import appraisals
from shared.app import service_router

router = service_router(prefix="/v1", tags=["templates"])


@router.get("/templates", response_model=schemas.TemplateList, summary="Project templates")
def list_templates() -> dict[str, Any]:
    return {"items": appraisals.list_templates()}


@router.get("/templates/{name}", response_model=schemas.TemplatePublic, summary="One template")
def get_template(name: Annotated[str, Path(max_length=64)]) -> dict[str, Any]:
    return appraisals.describe_template(name)
