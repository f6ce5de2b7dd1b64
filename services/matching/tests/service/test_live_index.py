"""A young index refits within the page whose words its vocabulary does not know."""

from __future__ import annotations

from typing import Any

import pytest

from services.matching.service import index as live_index
from services.matching.service.index import LiveIndex


def organisation(name: str, description: str) -> dict[str, Any]:
    return {
        "kind": "supplier",
        "name": name,
        "country": "IT",
        "status": "active",
        "description": description,
    }


FIRST = organisation("CityFIT", "platform administration")
NEWCOMER = organisation("Lumen", "LED street lighting retrofits with remote management")


def fitted_on_one_record() -> LiveIndex:
    live = LiveIndex()
    live.load([("organisation", 1, "upsert", FIRST)])
    return live


def test_a_young_index_learns_a_newcomers_words_in_the_same_page() -> None:
    live = fitted_on_one_record()
    staged = live.stage([("organisation", 2, "upsert", NEWCOMER)])
    assert staged.refitted
    query = staged.snapshot.vectorise("LED street lighting")
    assert staged.snapshot.similarity(query, ("supplier", 2)) > 0
    live.publish(staged)
    assert live.stats.refits == 1
    assert live.stats.last_refit_at is not None


def test_known_words_do_not_refit() -> None:
    live = fitted_on_one_record()
    live.publish(live.stage([("organisation", 2, "upsert", NEWCOMER)]))
    again = live.stage([("organisation", 3, "upsert", {**NEWCOMER, "name": "Lumen Due"})])
    assert not again.refitted


def test_past_its_youth_the_index_waits_for_the_drift_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live_index, "YOUNG_INDEX_ROWS", 2)
    live = fitted_on_one_record()
    staged = live.stage([("organisation", 2, "upsert", NEWCOMER)])
    assert not staged.refitted
    query = staged.snapshot.vectorise("LED street lighting")
    assert staged.snapshot.similarity(query, ("supplier", 2)) == 0
