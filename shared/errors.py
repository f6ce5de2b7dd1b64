"""RFC 9457 problem details: one error base, one renderer, used by every service.

Below the HTTP layer code raises a `ProblemError` subclass (or a plain domain exception that the
service layer translates); `install_problem_handlers` renders each as `application/problem+json`
with `type`, `title`, `status`, `detail` and, for validation errors, `errors: [{field, reason}]`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://cityfit.example/problems/"

log = logging.getLogger("cityfit.errors")


class FieldError(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """The wire shape of an RFC 9457 problem, for OpenAPI `responses=`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


class ProblemError(Exception):
    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        errors: Iterable[FieldError | tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [
            e if isinstance(e, FieldError) else FieldError(field=e[0], reason=e[1])
            for e in (errors or [])
        ]
        self.headers = headers or {}

    def to_problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=PROBLEM_BASE + self.slug,
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors or None,
        )


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "Missing or invalid API key"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="cityfit"'})


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict"


class Gone(ProblemError):
    status, slug, title = 410, "gone", "Gone"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "The resource has changed"


class ValidationFailed(ProblemError):
    status, slug, title = 422, "validation-error", "Invalid request"


class PreconditionRequired(ProblemError):
    status, slug, title = 428, "precondition-required", "If-Match header required"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "unavailable", "A dependency is unavailable"


def field_path(loc: Sequence[int | str]) -> str:
    """`("body", "budget", "amount")` -> `budget.amount`; `("query", "limit")` -> `limit`."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "body"


def _nul_paths(value: Any, loc: tuple[int | str, ...]) -> Iterable[tuple[int | str, ...]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield loc
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nul_paths(key, (*loc, key))
            yield from _nul_paths(item, (*loc, key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _nul_paths(item, (*loc, position))


def nul_character_problem(body: bytes) -> ValidationFailed | None:
    """A 422 naming every field of a JSON body whose text holds a NUL character (U+0000).

    Nothing can store it: PostgreSQL's text and jsonb refuse it outright, so it is refused at the
    door on every database alike rather than failing the write half way."""
    if b"\\u0000" not in body:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # malformed JSON: the body's own validation names it
    fields = sorted({field_path(("body", *loc)) for loc in _nul_paths(document, ())})
    if not fields:
        return None
    errors = [
        FieldError(field=field, reason="text may not contain a NUL character") for field in fields
    ]
    return ValidationFailed(f"Invalid fields: {', '.join(fields)}", errors=errors)


def nul_query_problem(params: Iterable[tuple[str, str]]) -> ValidationFailed | None:
    """A 422 naming every query parameter holding a NUL character: PostgreSQL refuses it even in
    a search pattern, so it is refused at the door (as `nul_character_problem` does for bodies)."""
    fields = sorted({f"query.{name}" for name, value in params if "\x00" in value})
    if not fields:
        return None
    errors = [
        FieldError(field=field, reason="text may not contain a NUL character") for field in fields
    ]
    return ValidationFailed(f"Invalid fields: {', '.join(fields)}", errors=errors)


def _reason(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    # pydantic prefixes messages raised from validators; the prefix says nothing to a user
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def validation_problem(errors: Iterable[dict[str, Any]]) -> ValidationFailed:
    field_errors = []
    for error in errors:
        loc = error.get("loc", ())
        if error.get("type") == "extra_forbidden":
            field_errors.append(FieldError(field=field_path(loc), reason="unknown field"))
        elif error.get("type") == "json_invalid":
            field_errors.append(FieldError(field="body", reason="malformed JSON"))
        else:
            field_errors.append(FieldError(field=field_path(loc), reason=_reason(error)))
    fields = ", ".join(sorted({e.field for e in field_errors}))
    return ValidationFailed(f"Invalid fields: {fields}", errors=field_errors)


STATUS_PROBLEMS: dict[int, type[ProblemError]] = {
    cls.status: cls for cls in (BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Gone)
}


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(exc.to_problem(request.url.path), exc.headers)

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problem = validation_problem(exc.errors())
        return problem_response(problem.to_problem(request.url.path))

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = STATUS_PROBLEMS.get(exc.status_code)
        if cls is None:
            problem = Problem(
                type=PROBLEM_BASE + f"http-{exc.status_code}",
                title=str(exc.detail),
                status=exc.status_code,
                detail=str(exc.detail),
                instance=request.url.path,
            )
        else:
            problem = ProblemError.to_problem(_plain(cls, str(exc.detail)), request.url.path)
        return problem_response(problem, dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        problem = ProblemError("An unexpected error occurred; it has been logged.").to_problem(
            request.url.path
        )
        return problem_response(problem)

    app.add_exception_handler(ProblemError, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, on_unexpected)


def _plain(cls: type[ProblemError], detail: str) -> ProblemError:
    error = ProblemError.__new__(cls)
    ProblemError.__init__(error, detail)
    return error
