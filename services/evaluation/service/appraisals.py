"""Use cases of the evaluation service: appraise, store, analyse risk, summarise bankability.

Stored appraisals are reproducible: the request body as given, the template version and the
resolved parameters are kept, and a Monte Carlo run keeps its seed (made when the caller gives
none), so the same request replays to the same figures.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from services.evaluation.api import schemas
from services.evaluation.domain import appraisal as appraisal_model
from services.evaluation.domain import calculators, risk
from services.evaluation.domain.errors import InvalidInput
from services.evaluation.domain.templates import TEMPLATES, get_template
from services.evaluation.store import repository
from services.evaluation.store.tables import AppraisalRecord
from shared.auth import Caller
from shared.clock import utcnow
from shared.errors import FieldError, Forbidden, NotFound, ValidationFailed

Result = TypeVar("Result")


def checked(compute: Callable[[], Result]) -> Result:
    """Run a domain computation, turning its InvalidInput into a 422 naming the field."""
    try:
        return compute()
    except InvalidInput as exc:
        errors = [FieldError(field=e["field"], reason=e["reason"]) for e in exc.errors]
        fields = ", ".join(e.field for e in errors)
        raise ValidationFailed(f"Invalid fields: {fields}", errors=errors) from exc
    except (OverflowError, FloatingPointError, ZeroDivisionError) as exc:
        # a model the domain did not guard reached beyond floating point: still the input's
        # doing (rates at the edge of -100 %, astronomically large amounts), so a 422
        raise ValidationFailed(
            "the figures leave the floating-point range",
            errors=[FieldError(field="body", reason=f"numerically out of range ({exc})")],
        ) from exc


def list_templates() -> list[dict[str, Any]]:
    return [template.describe() for template in TEMPLATES.values()]


def describe_template(name: str) -> dict[str, Any]:
    if name not in TEMPLATES:
        raise NotFound(f"no template named {name!r}; GET /v1/templates lists them")
    return get_template(name).describe()


def create(session: Session, caller: Caller, body: schemas.AppraisalCreate) -> AppraisalRecord:
    document = body.model_dump(mode="json", exclude_none=True)
    result = checked(lambda: appraisal_model.appraise(document))
    now = utcnow()
    record = AppraisalRecord(
        organisation_id=caller.organisation_id,
        template=result.request.template_name,
        template_version=result.request.template_version,
        request={"body": document, "resolved": result.provenance()},
        results=result.to_dict(),
        bankability=result.bankability.to_dict(),
        version=1,
        created_at=now,
        updated_at=now,
    )
    return repository.add(session, record)


def get(session: Session, appraisal_id: int) -> AppraisalRecord:
    record = repository.get_appraisal(session, appraisal_id)
    if record is None:
        raise NotFound(f"appraisal {appraisal_id} does not exist")
    return record


def _owned(session: Session, caller: Caller, appraisal_id: int) -> AppraisalRecord:
    record = get(session, appraisal_id)
    if record.organisation_id != caller.organisation_id and not caller.is_admin:
        raise Forbidden("only the organisation that made this appraisal may add analyses to it")
    return record


def _store(session: Session, record: AppraisalRecord, **figures: Any) -> None:
    record.results = {**record.results, **figures}
    record.version += 1
    record.updated_at = utcnow()
    session.add(record)
    session.flush()


def run_sensitivity(
    session: Session, caller: Caller, appraisal_id: int, body: schemas.SensitivityRequest
) -> dict[str, Any]:
    record = _owned(session, caller, appraisal_id)
    options: dict[str, Any] = {}
    if body.variables is not None:
        options["variables"] = body.variables
    if body.changes_pct is not None:
        options["changes_pct"] = body.changes_pct
    analysis = checked(lambda: risk.sensitivity(record.request["body"], **options))
    _store(
        session,
        record,
        sensitivity=analysis["sensitivity"],
        switching_values=analysis["switching_values"],
    )
    return analysis


def run_monte_carlo(
    session: Session, caller: Caller, appraisal_id: int, body: schemas.MonteCarloRequest
) -> dict[str, Any]:
    record = _owned(session, caller, appraisal_id)
    seed = body.random_state if body.random_state is not None else secrets.randbelow(2**32)
    distributions = {
        name: distribution.model_dump(exclude_none=True)
        for name, distribution in body.distributions.items()
    }
    analysis = checked(
        lambda: risk.monte_carlo(
            record.request["body"],
            distributions,
            n_draws=body.n_draws,
            random_state=seed,
            dscr_covenant=body.dscr_covenant,
        )
    )
    analysis = {
        **analysis,
        "random_state": seed,
        "n_draws": body.n_draws,
        "distributions": distributions,
        "dscr_covenant": body.dscr_covenant,
    }
    _store(session, record, monte_carlo=analysis)
    return analysis


def bankability(session: Session, appraisal_id: int) -> dict[str, Any]:
    record = get(session, appraisal_id)
    return {"appraisal_id": record.id, **record.bankability}


def preview_bankability(body: schemas.AppraisalCreate) -> dict[str, Any]:
    """The bankability summary of an appraisal body, computed and not stored (matching asks
    this for needs that carry template inputs rather than a stored appraisal)."""
    document = body.model_dump(mode="json", exclude_none=True)
    result = checked(lambda: appraisal_model.appraise(document))
    return {"appraisal_id": None, **result.bankability.to_dict()}


def calculate(metric: str, body: dict[str, Any]) -> dict[str, Any]:
    return checked(lambda: calculators.calculate(metric, body))
