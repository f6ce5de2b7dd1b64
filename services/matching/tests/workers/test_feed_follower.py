"""The feed follower's thread outlives failures and says which one it is in: the catalogue's feed
unreachable (`reachable` false), or anything else (a database error, say: reachable stays
true, the index is reloaded from what was stored before retrying)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from services.matching.service.index import LiveIndex
from services.matching.settings import MatchingSettings
from services.matching.workers.feed_follower import FeedFollower
from shared.clock import utcnow
from shared.contracts.changes import Change, ChangePage
from shared.db import make_engine

SUPPLIER = {"kind": "supplier", "name": "Lumen", "country": "IT", "status": "active"}


class GatedFeed:
    """Raises `error` until `open` is set; then serves one supplier, then empty pages."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.open = threading.Event()
        self.served = False

    def read(self, after: str, limit: int) -> ChangePage:
        if not self.open.is_set():
            raise self.error
        if self.served:
            return ChangePage(items=[], next_cursor=after)
        self.served = True
        return one_supplier()


def one_supplier() -> ChangePage:
    change = Change(
        cursor="0-1", entity="organisation", id=1, op="upsert", data=SUPPLIER, at=utcnow()
    )
    return ChangePage(items=[change], next_cursor="0-1")


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    return value


@pytest.fixture
def follow(settings: MatchingSettings) -> Iterator[Callable[[GatedFeed], FeedFollower]]:
    engine = make_engine(settings.resolved_database_url())
    followers: list[FeedFollower] = []

    def start(feed: GatedFeed) -> FeedFollower:
        follower = FeedFollower(
            engine,
            feed,  # type: ignore[arg-type]
            LiveIndex(),
            page_size=500,
            poll_seconds=0.01,
            refit_check_seconds=3600,
        )
        follower.load()
        follower.start()
        followers.append(follower)
        return follower

    yield start
    for follower in followers:
        follower.stop()
    engine.dispose()


def test_an_unreachable_feed_is_reported_until_it_answers_again(
    follow: Callable[[GatedFeed], FeedFollower],
) -> None:
    feed = GatedFeed(httpx.ConnectError("connection refused"))
    follower = follow(feed)
    assert wait_until(lambda: follower.status.last_error)
    failing = follower.status.to_dict()
    assert failing["reachable"] is False
    assert failing["last_error"] == "catalogue feed: connection refused"
    assert failing["failing_since"] is not None
    assert failing["failing_seconds"] >= 0

    feed.open.set()
    assert wait_until(lambda: follower.status.changes_applied == 1)
    recovered = follower.status.to_dict()
    assert recovered["reachable"] is True
    assert recovered["last_error"] is None
    assert recovered["failing_since"] is None
    assert recovered["last_change_at"] is not None


def test_any_other_failure_leaves_the_thread_running_and_the_feed_not_blamed(
    follow: Callable[[GatedFeed], FeedFollower],
) -> None:
    feed = GatedFeed(RuntimeError("disk full"))
    follower = follow(feed)
    assert wait_until(lambda: follower.status.last_error)
    assert follower.status.last_error == "feed follower: disk full"
    assert follower.status.reachable is None  # the feed has not answered yet, nor failed

    feed.open.set()
    assert wait_until(lambda: follower.status.changes_applied == 1)
    assert follower.status.last_error is None
    assert follower.status.reachable is True
