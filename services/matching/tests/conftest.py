"""Matching test fixtures: catalogue, evaluation and matching apps in process, wired through
their HTTP clients (the real apps behind httpx transports). The feed follower's thread is off:
tests call `sync()` to follow the feed up to date, so they assert on states, not on timing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient

from services.catalogue.app import MIGRATIONS as CATALOGUE_MIGRATIONS
from services.catalogue.app import create_app as create_catalogue_app
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import ADMIN_KEY
from services.evaluation.app import MIGRATIONS as EVALUATION_MIGRATIONS
from services.evaluation.app import create_app as create_evaluation_app
from services.evaluation.settings import EvaluationSettings
from services.matching.app import MIGRATIONS, create_app
from services.matching.settings import MatchingSettings
from shared.testing.databases import DatabaseFactory
from shared.testing.transport import app_transport, unreachable_transport

QUIET = {"json_logs": False, "log_level": "WARNING"}


@dataclass
class Stack:
    catalogue: TestClient
    evaluation: TestClient
    matching: TestClient
    settings: MatchingSettings

    def sync(self, client: TestClient | None = None) -> None:
        """Follow the catalogue feed until the index is up to date."""
        follower = (client or self.matching).app.state.follower
        while follower.poll_once() == follower._page_size:
            pass

    def deliver(self, client: TestClient | None = None) -> int:
        """Run webhook delivery rounds until nothing is due; the attempts made."""
        sender = (client or self.matching).app.state.webhook_sender
        made = 0
        while (batch := sender.run_once()) > 0:
            made += batch
        return made


@pytest.fixture
def catalogue(database_factory: DatabaseFactory) -> Iterator[TestClient]:
    settings = CatalogueSettings(
        database_url=database_factory.fresh("catalogue", CATALOGUE_MIGRATIONS),
        bootstrap_admin_key=ADMIN_KEY,
        **QUIET,
    )
    with TestClient(create_catalogue_app(settings)) as client:
        yield client


@pytest.fixture
def evaluation(database_factory: DatabaseFactory, catalogue: TestClient) -> Iterator[TestClient]:
    settings = EvaluationSettings(
        database_url=database_factory.fresh("evaluation", EVALUATION_MIGRATIONS), **QUIET
    )
    app = create_evaluation_app(settings, catalogue_transport=app_transport(catalogue))
    with TestClient(app) as client:
        yield client


@pytest.fixture
def settings(database_factory: DatabaseFactory) -> MatchingSettings:
    return MatchingSettings(
        database_url=database_factory.fresh("matching", MIGRATIONS),
        follow_feed=False,
        deliver_webhooks=False,
        allow_private_webhooks=True,
        introspection_cache_seconds=0,
        bankability_ttl_seconds=0,
        **QUIET,
    )


def matching_app(
    settings: MatchingSettings,
    catalogue: TestClient,
    evaluation: TestClient | None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> TestClient:
    return TestClient(
        create_app(
            settings,
            catalogue_transport=app_transport(catalogue),
            evaluation_transport=app_transport(evaluation)
            if evaluation
            else unreachable_transport(),
            webhook_transport=webhook_transport,
        ),
        raise_server_exceptions=False,
    )


@pytest.fixture
def stack(
    settings: MatchingSettings, catalogue: TestClient, evaluation: TestClient
) -> Iterator[Stack]:
    with matching_app(settings, catalogue, evaluation) as matching:
        yield Stack(catalogue, evaluation, matching, settings)
