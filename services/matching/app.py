"""The matching service: the ranking index that follows the catalogue, and its answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.matching.api import index, matches
from services.matching.clients.catalogue import CatalogueFeed
from services.matching.clients.evaluation import BankabilitySource
from services.matching.domain import MatchPolicy, MatchRules, ScoringWeights
from services.matching.service.index import LiveIndex
from services.matching.settings import MatchingSettings
from services.matching.workers.feed_follower import FeedFollower
from shared.app import create_service_app
from shared.auth import IntrospectionKeyResolver
from shared.db import make_engine
from shared.http import make_client
from shared.migrations import upgrade

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: MatchingSettings) -> None:
    engine = make_engine(settings.resolved_database_url())
    try:
        upgrade(MIGRATIONS, settings.resolved_database_url(), engine)
    finally:
        engine.dispose()


def _index_ready(app: FastAPI) -> None:
    if not app.state.index.ready.is_set():
        raise RuntimeError("the index is still loading")


def create_app(
    settings: MatchingSettings | None = None,
    *,
    catalogue_transport: httpx.BaseTransport | None = None,
    evaluation_transport: httpx.BaseTransport | None = None,
) -> FastAPI:
    """The transports let tests put the other services' apps (or failures) behind the clients."""
    settings = settings or MatchingSettings()

    @contextmanager
    def resources(app: FastAPI) -> Iterator[None]:
        engine = make_engine(settings.resolved_database_url())
        catalogue = make_client(
            settings.catalogue_url,
            timeout=settings.outbound_timeout_seconds,
            transport=catalogue_transport,
        )
        evaluation = make_client(
            settings.evaluation_url,
            timeout=settings.bankability_timeout_seconds,
            transport=evaluation_transport,
        )
        live = LiveIndex()
        follower = FeedFollower(
            engine,
            CatalogueFeed(catalogue),
            live,
            page_size=settings.feed_page_size,
            poll_seconds=settings.feed_poll_seconds,
            refit_check_seconds=settings.refit_check_seconds,
        )
        app.state.engine = engine
        app.state.index = live
        app.state.follower = follower
        app.state.key_resolver = IntrospectionKeyResolver(
            catalogue, ttl=settings.introspection_cache_seconds
        )
        app.state.bankability = BankabilitySource(
            evaluation, ttl_seconds=settings.bankability_ttl_seconds
        )
        app.state.policy = MatchPolicy(
            weights=ScoringWeights.from_mapping(settings.weights),
            rules=MatchRules(budget_tolerance=settings.budget_tolerance),
        )
        follower.load()
        if settings.follow_feed:
            follower.start()
        try:
            yield
        finally:
            follower.stop()
            catalogue.close()
            evaluation.close()
            engine.dispose()

    return create_service_app(
        title="CityFIT Match — matching",
        description=(
            "Ranks who can deliver, who can finance, which funding calls apply and which cities "
            "share a need, with the reasons; proposes joint-procurement bundles. Follows the "
            "catalogue's change feed into its own index."
        ),
        settings=settings,
        routers=[matches.router, index.router],
        resources=resources,
        readiness_checks={"index": _index_ready},
    )
