"""schemathesis over the evaluation OpenAPI document (an admin key, checked by catalogue)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.catalogue.tests.builders import ADMIN_KEY, auth
from services.evaluation.app import create_app
from services.evaluation.settings import EvaluationSettings
from shared.testing.contract import check_operation, operation_ids
from shared.testing.transport import app_transport

OPERATIONS = operation_ids(create_app(EvaluationSettings(database_url="sqlite://")))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_api_honours_its_openapi_document(
    operation: str, settings: EvaluationSettings, catalogue: TestClient
) -> None:
    app = create_app(settings, catalogue_transport=app_transport(catalogue))
    check_operation(app, operation, headers=auth(ADMIN_KEY))
