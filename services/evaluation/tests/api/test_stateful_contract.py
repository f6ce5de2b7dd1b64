"""schemathesis' state machine over evaluation, along its OpenAPI links, with an admin key
(checked by the catalogue): templates lead to appraisals built from them, appraisals to their
reading, sensitivity, Monte Carlo and bankability by id."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.catalogue.tests.builders import ADMIN_KEY, auth
from services.evaluation.api.links import LINKS
from services.evaluation.app import create_app
from services.evaluation.settings import EvaluationSettings
from shared.openapi_links import link_problems
from shared.testing.contract import check_workflows
from shared.testing.transport import app_transport


def test_every_link_resolves_to_an_operation_parameter_and_field() -> None:
    document = create_app(EvaluationSettings(database_url="sqlite://")).openapi()
    assert link_problems(document, LINKS) == []


def test_call_sequences_along_the_links_honour_the_document(
    settings: EvaluationSettings, catalogue: TestClient
) -> None:
    app = create_app(settings, catalogue_transport=app_transport(catalogue))
    check_workflows(app, headers=auth(ADMIN_KEY))
