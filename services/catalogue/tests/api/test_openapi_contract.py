"""schemathesis over the catalogue's OpenAPI document, with an admin key so writes go through."""

from __future__ import annotations

import pytest

from services.catalogue.app import create_app
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import ADMIN_KEY, auth
from shared.testing.contract import check_operation, operation_ids

OPERATIONS = operation_ids(create_app(CatalogueSettings(database_url="sqlite://")))


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_api_honours_its_openapi_document(operation: str, settings: CatalogueSettings) -> None:
    check_operation(create_app(settings), operation, headers=auth(ADMIN_KEY))
