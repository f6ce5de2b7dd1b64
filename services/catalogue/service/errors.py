"""Translating validation failures met in the service layer into problem+json errors."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from shared.errors import FieldError, ValidationFailed, validation_problem

Model = TypeVar("Model", bound=BaseModel)


def validate_document(model: type[Model], document: dict, *, prefix: str = "") -> Model:
    """Validate a merged document (a PATCH applied to the stored record) as a whole."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problem = validation_problem(exc.errors())
        if prefix:
            problem.errors = [
                FieldError(field=f"{prefix}.{e.field}", reason=e.reason) for e in problem.errors
            ]
        raise problem from exc


def invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid fields: {field}", errors=[FieldError(field=field, reason=reason)]
    )
