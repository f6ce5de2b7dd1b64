"""Appraisals: create from a template or explicit flows, read, risk analyses, bankability."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status

from services.evaluation.api import schemas
from services.evaluation.api.deps import CallerDep, SessionDep
from services.evaluation.service import appraisals
from services.evaluation.store.tables import AppraisalRecord
from shared.app import service_router
from shared.concurrency import set_etag
from shared.identifiers import IdPath

router = service_router(prefix="/v1", tags=["appraisals"])


def _public(record: AppraisalRecord, response: Response) -> schemas.AppraisalPublic:
    set_etag(response, record.version)
    return schemas.AppraisalPublic.model_validate(record, from_attributes=True)


@router.post(
    "/appraisals",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.AppraisalPublic,
    summary="Appraise a project from a template or explicit cash flows; the result is stored",
)
def create_appraisal(
    body: schemas.AppraisalCreate, session: SessionDep, caller: CallerDep, response: Response
) -> schemas.AppraisalPublic:
    record = appraisals.create(session, caller, body)
    response.headers["Location"] = f"/v1/appraisals/{record.id}"
    return _public(record, response)


@router.get("/appraisals/{appraisal_id}", response_model=schemas.AppraisalPublic)
def get_appraisal(
    appraisal_id: IdPath, session: SessionDep, response: Response
) -> schemas.AppraisalPublic:
    return _public(appraisals.get(session, appraisal_id), response)


@router.post(
    "/appraisals/{appraisal_id}/sensitivity",
    summary="Sensitivity and switching values of FNPV, FIRR and ENPV; kept with the appraisal",
)
def run_sensitivity(
    appraisal_id: IdPath,
    body: schemas.SensitivityRequest,
    session: SessionDep,
    caller: CallerDep,
) -> dict[str, Any]:
    return appraisals.run_sensitivity(session, caller, appraisal_id, body)


@router.post(
    "/appraisals/{appraisal_id}/monte-carlo",
    summary="Monte Carlo of FNPV, ENPV and minimum DSCR; the seed is kept with the results",
)
def run_monte_carlo(
    appraisal_id: IdPath,
    body: schemas.MonteCarloRequest,
    session: SessionDep,
    caller: CallerDep,
) -> dict[str, Any]:
    return appraisals.run_monte_carlo(session, caller, appraisal_id, body)


@router.get(
    "/appraisals/{appraisal_id}/bankability",
    response_model=schemas.Bankability,
    summary="The bankability summary matching uses",
)
def get_bankability(appraisal_id: IdPath, session: SessionDep) -> dict[str, Any]:
    return appraisals.bankability(session, appraisal_id)
