"""Running schemathesis over a service app: one pytest case per API operation, and a stateful
run that chains operations along the document's OpenAPI links.

The operations are listed from the app's OpenAPI document at collection time; each case loads
the schema from the live app under test (schemathesis runs its lifespan) and lets Hypothesis
generate requests for that one operation, checking every response against the document:
no 5xx, documented status codes, content types, headers and bodies, and schema-invalid input
refused with a 4xx.

The stateful run (`check_workflows`) starts scenarios at operations that need no earlier data
(creations, lists) and follows the links (`shared.openapi_links`, plus those schemathesis
infers from response schemas), so ids, ETags and cursors come from real responses. It runs the
same checks, and schemathesis' stateful ones besides: a created resource must be readable, a
deleted one must be gone.

`positive_data_acceptance` is left out on purpose: it expects every schema-valid request to
succeed, but the services also enforce rules JSON Schema cannot state (a CPV code must exist in
the 9,454-code list, min <= max, ownership, If-Match), and refusing those with 422/403/428 is
the point. The 422s are still checked for shape by `response_schema_conformance`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import FlakyStrategyDefinition
from hypothesis.stateful import Bundle
from schemathesis.checks import CheckFunction
from schemathesis.core.transport import Response
from schemathesis.engine.errors import is_inconsistent_replay
from schemathesis.generation.case import Case
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.stateful.state_machine import StepInput
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import positive_data_acceptance, use_after_free
from schemathesis.specs.openapi.stateful import _step_case_strategy, is_root_allowed, transition

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
# how often a stateful run starts again after Hypothesis saw the service's state change under it
MAX_RESTARTS = 5


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


def check_workflows(
    app: FastAPI,
    *,
    headers: dict[str, str],
    roots: Sequence[str] = (),
    readable_after_delete: Collection[str] = (),
    scenarios: int = 50,
    steps: int = 12,
) -> None:
    """Run schemathesis' state machine over `app`: `scenarios` call sequences of up to `steps`
    calls each, every request sent with `headers`, every response checked.

    schemathesis starts scenarios only at operations it expects to succeed on random input, and
    it demotes a POST whose body holds an id it sees no operation produce (a subscription's
    `need_id`: needs live in the catalogue). `roots` (`"POST /v1/subscriptions"`) puts such
    operations back among the scenario starts, so the links from their responses are followed.

    `readable_after_delete` names reads that answer 200 for a resource on purpose after its
    DELETE: the DELETE revokes rather than removes (an API key stays readable, with its
    `revoked_at`), so schemathesis' use-after-free check does not apply to them.
    """
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    workflow = schema.as_state_machine()
    extra_rules: dict[str, Any] = {}
    for label in roots:
        operation = schema.find_operation_by_label(label)
        if operation is None:
            raise ValueError(f"no operation {label} in the document")
        modes = schema.config.generation_for(operation=operation, phase="stateful").modes
        name = f"ROOT_{label}"
        extra_rules[name] = transition(
            name=name,
            target=Bundle("catch_all"),
            precondition=is_root_allowed(label),
            input=_step_case_strategy(operation, modes, feedback=NO_FEEDBACK).map(
                StepInput.initial
            ),
        )

    started = 0

    class Workflow(workflow):  # type: ignore[misc, valid-type]
        root_rules = workflow.root_rules | frozenset(extra_rules)
        _root_labels = workflow._root_labels | frozenset(roots)

        def setup(self) -> None:
            nonlocal started
            started += 1

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self,
            response: Response,
            case: Case,
            additional_checks: list[CheckFunction] | None = None,
            **kwargs: Any,
        ) -> None:
            excluded = [positive_data_acceptance]
            if case.operation.label in readable_after_delete:
                excluded.append(use_after_free)
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded,
                headers=headers,
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    for name, rule in extra_rules.items():
        setattr(Workflow, name, rule)
    # The service keeps what earlier scenarios wrote, so Hypothesis, replaying the start of an
    # earlier scenario, may see other responses and draw differently: it stops the run with
    # FlakyStrategyDefinition (or, in its data tree, an AssertionError). That is no finding
    # (schemathesis' own runner restarts the run too); a check's failure is raised as it is.
    try:
        for _attempt in range(MAX_RESTARTS + 1):
            try:
                Workflow.run(
                    settings=settings(
                        max_examples=scenarios - started,
                        stateful_step_count=steps,
                        phases=[Phase.generate],
                        deadline=None,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                    )
                )
                return
            except (FlakyStrategyDefinition, AssertionError) as exc:
                if not isinstance(exc, FlakyStrategyDefinition) and not is_inconsistent_replay(exc):
                    raise
                if started >= scenarios:
                    return
    finally:
        # schemathesis keeps an app's lifespan (engine, workers) running until the process
        # exits; end it with the run so its connections do not outlive the test's database
        shutdown_lifespans()
