"""Stateless calculators, one documented route per metric (bodies in API.md).

No `from __future__ import annotations`: each route's body type is bound in a loop and FastAPI
must see the real class.
"""

from typing import Any

from fastapi import APIRouter

from services.evaluation.api import schemas
from services.evaluation.service import appraisals
from shared.app import service_router

router = service_router(prefix="/v1/calculations", tags=["calculations"])


def _add_route(target: APIRouter, metric: str, body_model: type[schemas.Strict]) -> None:
    def calculate(body: body_model) -> dict[str, Any]:  # type: ignore[valid-type]
        return appraisals.calculate(metric, body.model_dump(mode="json", exclude_none=True))

    target.add_api_route(
        f"/{metric}",
        calculate,
        methods=["POST"],
        response_model=schemas.CalculationResult,
        name=f"calculate_{metric.replace('-', '_')}",
        summary=f"{metric}: stateless calculation",
    )


for _metric, _body in schemas.CALCULATION_BODIES.items():
    _add_route(router, _metric, _body)


@router.post(
    "/bankability",
    response_model=schemas.Bankability,
    summary="bankability: the summary of an appraisal body, computed without storing it",
)
def calculate_bankability(body: schemas.AppraisalCreate) -> dict[str, Any]:
    return appraisals.preview_bankability(body)
