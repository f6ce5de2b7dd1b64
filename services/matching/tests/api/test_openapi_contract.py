"""schemathesis over the matching OpenAPI document, on an index holding a small catalogue."""

from __future__ import annotations

import pytest

from services.catalogue.tests.builders import ADMIN_KEY, auth, post_need, register
from services.matching.app import create_app
from services.matching.settings import MatchingSettings
from services.matching.tests.conftest import Stack
from shared.testing.contract import check_operation, operation_ids

OPERATIONS = operation_ids(create_app(MatchingSettings(database_url="sqlite://")))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_api_honours_its_openapi_document(operation: str, stack: Stack) -> None:
    register(stack.catalogue, name="Lumen", cpv_codes=["34928500"], nuts_codes=["ITC"])
    _city, key = register(stack.catalogue, kind="municipality", name="Torino")
    post_need(stack.catalogue, key)
    stack.sync()
    check_operation(stack.matching.app, operation, headers=auth(ADMIN_KEY))
