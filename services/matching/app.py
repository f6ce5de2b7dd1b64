"""The matching service: the ranking index that follows the catalogue, and its answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.matching.api import index, matches, programme, subscriptions
from services.matching.api.links import LINKS
from services.matching.clients.catalogue import CatalogueFeed
from services.matching.clients.evaluation import BankabilitySource
from services.matching.clients.webhooks import WebhookClient, make_webhook_client
from services.matching.domain import MatchPolicy, MatchRules, ScoringWeights
from services.matching.domain.events import EventThresholds
from services.matching.service.deliveries import DeliveryPolicy
from services.matching.service.events import EventRecorder
from services.matching.service.index import LiveIndex
from services.matching.settings import MatchingSettings
from services.matching.workers.feed_follower import FeedFollower
from services.matching.workers.webhook_sender import WebhookSender
from shared.app import create_service_app
from shared.auth import IntrospectionKeyResolver
from shared.db import make_engine
from shared.http import make_client
from shared.migrations import migrate_service

MIGRATIONS = Path(__file__).parent / "migrations"


def migrate(settings: MatchingSettings) -> None:
    migrate_service(settings, MIGRATIONS)


def _index_ready(app: FastAPI) -> None:
    if not app.state.index.ready.is_set():
        raise RuntimeError("the index is still loading")


def _catalogue_feed(app: FastAPI) -> str | None:
    """Degraded, not failing, while the catalogue's feed is unreachable: the index still answers
    from what it holds, so the instance stays in the load balancer (every replica follows the
    same catalogue: failing them all would turn a stale answer into none) and says how stale."""
    feed = app.state.follower.status.to_dict()
    if feed["last_error"] is None:
        return None
    what = "catalogue feed unreachable" if feed["reachable"] is False else "feed follower failing"
    return (
        f"{what} for {feed['failing_seconds']} s, index lag {feed['lag_seconds']} s "
        f"(last change applied at {feed['last_change_at']}): {feed['last_error']}"
    )


def create_app(
    settings: MatchingSettings | None = None,
    *,
    catalogue_transport: httpx.BaseTransport | None = None,
    evaluation_transport: httpx.BaseTransport | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
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
        policy = MatchPolicy(
            weights=ScoringWeights.from_mapping(settings.weights),
            rules=MatchRules(budget_tolerance=settings.budget_tolerance),
        )
        bankability = BankabilitySource(evaluation, ttl_seconds=settings.bankability_ttl_seconds)
        recorder = EventRecorder(
            policy=policy,
            thresholds=EventThresholds(
                score_delta=settings.event_score_delta, rank_delta=settings.event_rank_delta
            ),
            max_rank=settings.subscription_max_rank,
            catalogue_url=settings.catalogue_url,
            bankability=bankability,
        )
        webhooks = make_webhook_client(
            timeout=settings.webhook_timeout_seconds, transport=webhook_transport
        )
        sender = WebhookSender(
            engine,
            WebhookClient(webhooks),
            DeliveryPolicy(
                retry_seconds=tuple(settings.webhook_retry_seconds),
                jitter=settings.webhook_jitter,
                lease_seconds=2 * settings.webhook_timeout_seconds + 5,
                disable_after_seconds=settings.webhook_disable_after_seconds,
                allow_private=settings.allow_private_webhooks,
            ),
            batch=settings.webhook_batch,
            concurrency=settings.webhook_concurrency,
            poll_seconds=settings.webhook_poll_seconds,
        )
        follower = FeedFollower(
            engine,
            CatalogueFeed(catalogue),
            live,
            page_size=settings.feed_page_size,
            poll_seconds=settings.feed_poll_seconds,
            refit_check_seconds=settings.refit_check_seconds,
            events=recorder,
        )
        app.state.engine = engine
        app.state.index = live
        app.state.follower = follower
        app.state.key_resolver = IntrospectionKeyResolver(
            catalogue, ttl=settings.introspection_cache_seconds
        )
        app.state.bankability = bankability
        app.state.policy = policy
        app.state.events = recorder
        app.state.webhook_sender = sender
        follower.load()
        if settings.follow_feed:
            follower.start()
        if settings.deliver_webhooks:
            sender.start()
        try:
            yield
        finally:
            follower.stop()
            sender.stop()
            webhooks.close()
            catalogue.close()
            evaluation.close()
            engine.dispose()

    return create_service_app(
        title="CityFIT Match — matching",
        description=(
            "Ranks who can deliver, who can finance, which funding calls apply and which cities "
            "share a need, with the reasons; proposes joint-procurement bundles. Follows the "
            "catalogue's change feed into its own index; subscriptions hear of new, changed and "
            "removed matches through a pull feed and signed webhooks (Standard Webhooks)."
        ),
        settings=settings,
        routers=[matches.router, subscriptions.router, index.router, programme.router],
        resources=resources,
        readiness_checks={"index": _index_ready, "catalogue_feed": _catalogue_feed},
        links=LINKS,
    )
