"""The pure event diff, the units a watch covers and when a page affects them."""

from __future__ import annotations

from datetime import UTC, datetime

from services.matching.domain.events import (
    CREATED,
    REMOVED,
    UPDATED,
    EventThresholds,
    PairState,
    Touched,
    Watch,
    affected,
    diff_pairs,
    parse_unit,
    unit_name,
)

THRESHOLDS = EventThresholds(score_delta=0.05, rank_delta=3)


def state(candidate_id: int, score: float, rank: int | None = 1) -> PairState:
    return PairState(1, "supplier", candidate_id, score, rank, {"explanation": "x"})


def by_key(*states: PairState) -> dict:
    return {s.key: s for s in states}


class TestDiff:
    def test_a_new_pair_is_created_and_a_missing_one_removed(self) -> None:
        events = diff_pairs(by_key(state(1, 0.5)), by_key(state(2, 0.6)), THRESHOLDS)
        assert [(e.type, e.state.candidate_id) for e in events] == [(REMOVED, 1), (CREATED, 2)]

    def test_a_removed_event_carries_the_last_reported_state(self) -> None:
        (event,) = diff_pairs(by_key(state(1, 0.5)), {}, THRESHOLDS)
        assert event.previous == state(1, 0.5)
        assert event.current is None
        body = event.body(subscription_id=7, at=_at(), links={"need": "n"})
        assert body["type"] == REMOVED
        assert body["data"]["score"] == 0.5
        assert body["data"]["pair"] == {
            "need_id": 1,
            "candidate_kind": "supplier",
            "candidate_id": 1,
        }

    def test_small_moves_are_not_events(self) -> None:
        assert diff_pairs(by_key(state(1, 0.50, 2)), by_key(state(1, 0.54, 4)), THRESHOLDS) == []

    def test_a_material_score_move_is_an_update(self) -> None:
        (event,) = diff_pairs(by_key(state(1, 0.50)), by_key(state(1, 0.55)), THRESHOLDS)
        assert event.type == UPDATED
        body = event.body(subscription_id=7, at=_at(), links={})
        assert body["data"]["previous"] == {"score": 0.5, "rank": 1}
        assert body["data"]["score"] == 0.55

    def test_a_material_rank_move_is_an_update(self) -> None:
        (event,) = diff_pairs(by_key(state(1, 0.5, 1)), by_key(state(1, 0.5, 4)), THRESHOLDS)
        assert event.type == UPDATED

    def test_identical_states_give_nothing(self) -> None:
        same = by_key(state(1, 0.5), state(2, 0.4, 2))
        assert diff_pairs(same, dict(same), THRESHOLDS) == []


class TestUnits:
    def test_names_round_trip(self) -> None:
        for unit in (("need", "supplier", 12), ("organisation", "lender", 3)):
            assert parse_unit(unit_name(unit)) == unit

    def test_a_need_ranking_is_affected_by_its_need_or_its_candidate_kind(self) -> None:
        unit = ("need", "supplier", 12)
        assert affected(unit, Touched(needs=frozenset({12})))
        assert affected(unit, Touched(kinds=frozenset({"supplier"})))
        assert not affected(unit, Touched(kinds=frozenset({"lender"})))
        assert not affected(unit, Touched(needs=frozenset({13})))

    def test_an_organisation_ranking_is_affected_by_itself_or_any_need(self) -> None:
        unit = ("organisation", "supplier", 5)
        assert affected(unit, Touched(needs=frozenset({99})))
        assert affected(
            unit,
            Touched(kinds=frozenset({"supplier"}), organisations=frozenset({("supplier", 5)})),
        )
        assert not affected(
            unit,
            Touched(kinds=frozenset({"supplier"}), organisations=frozenset({("supplier", 6)})),
        )

    def test_touched_comes_from_index_changes(self) -> None:
        touched = Touched.from_changes([], [("need", 4), ("lender", 2), ("funding_call", 1)])
        assert touched.needs == {4}
        assert touched.kinds == {"lender", "funding_call"}
        assert touched.organisations == {("lender", 2)}

    def test_a_watch_hears_pairs_at_or_above_its_minimum(self) -> None:
        watch = Watch(min_score=0.5, need_id=1)
        assert watch.sees(state(1, 0.5))
        assert not watch.sees(state(1, 0.49))
        assert watch.kinds == ("supplier", "lender", "funding_call")
        assert Watch(need_id=1, kind="lender").kinds == ("lender",)


def _at() -> datetime:
    return datetime(2026, 11, 25, tzinfo=UTC)
