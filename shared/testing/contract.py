"""Running schemathesis over a service app, one pytest case per API operation.

The operations are listed from the app's OpenAPI document at collection time; each case loads
the schema from the live app under test (schemathesis runs its lifespan) and lets Hypothesis
generate requests for that one operation, checking every response against the document:
no 5xx, documented status codes, content types, headers and bodies, and schema-invalid input
refused with a 4xx.

`positive_data_acceptance` is left out on purpose: it expects every schema-valid request to
succeed, but the services also enforce rules JSON Schema cannot state (a CPV code must exist in
the 9,454-code list, min <= max, ownership, If-Match), and refusing those with 422/403/428 is
the point. The 422s are still checked for shape by `response_schema_conformance`.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def operation_ids(app: FastAPI) -> list[str]:
    return [
        f"{method.upper()} {path}"
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def check_operation(
    app: FastAPI, operation_id: str, *, headers: dict[str, str], max_examples: int = 25
) -> None:
    method, path = operation_id.split(" ", 1)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    run()
