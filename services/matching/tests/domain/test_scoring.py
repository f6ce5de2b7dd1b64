from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.domain.assessment import combine
from services.matching.domain.records import Money, MoneyRange
from services.matching.domain.scoring import (
    NEUTRAL,
    ComponentWeights,
    FuzzyVocabulary,
    KeywordMasks,
    LogRanges,
    ScoringWeights,
    bankability_headroom,
    bankability_headroom_value,
    best_cpv_match,
    budget_fit,
    budget_fit_logs,
    budget_fit_of,
    budget_fit_value,
    cpv_depth,
    cpv_scores,
    fuzzy_choices,
    fuzzy_keyword_match,
    references_score,
    references_value,
    region_score,
)
from shared.reference.cpv import cpv_common_prefix_depth

CODES = [
    "34928500",
    "34928530",
    "34928000",
    "34996100",
    "34000000",
    "45000000",
    "45316110",
    "31527260",
    "50232100",
    "90610000",
    "09332000",
]


class TestCpv:
    @pytest.mark.parametrize("a", CODES)
    @pytest.mark.parametrize("b", CODES)
    def test_depth_is_the_reference_definition(self, a: str, b: str) -> None:
        assert cpv_depth(a, b) == cpv_common_prefix_depth(a, b)

    def test_depth_scale(self) -> None:
        assert cpv_scores([0, 1, 2, 3, 4, 5, 6, 7, 8]).tolist() == [
            0,
            0,
            0.1,
            0.3,
            0.6,
            0.85,
            1,
            1,
            1,
        ]

    def test_the_best_pair_is_found(self) -> None:
        match = best_cpv_match(["90610000", "34928500"], ["34996100", "34928530"])
        assert (match.depth, match.need_code, match.candidate_code) == (6, "34928500", "34928530")
        assert match.score == 1.0
        assert best_cpv_match(["34928500"], ["90610000"]).score == 0.0


class TestBudgetFit:
    LOW, HIGH = 1e6, 4e6

    def fit(self, amount: float, tolerance: float = 0.2) -> float:
        return budget_fit_value(amount, self.LOW, self.HIGH, tolerance)

    def test_one_at_the_geometric_middle(self) -> None:
        assert self.fit(2e6) == pytest.approx(1.0)

    def test_half_at_both_edges(self) -> None:
        assert self.fit(self.LOW) == pytest.approx(0.5)
        assert self.fit(self.HIGH) == pytest.approx(0.5)

    def test_zero_at_the_tolerance_bounds_and_beyond(self) -> None:
        assert self.fit(self.LOW * 0.8) == pytest.approx(0.0, abs=1e-12)
        assert self.fit(self.HIGH * 1.2) == pytest.approx(0.0, abs=1e-12)
        assert self.fit(self.HIGH * 3) == 0.0
        assert self.fit(self.LOW * 0.99, tolerance=0.0) == 0.0

    def test_it_decreases_away_from_the_middle(self) -> None:
        amounts = [2e6, 2.5e6, 3e6, 4e6, 4.4e6, 4.8e6]
        values = [self.fit(a) for a in amounts]
        assert values == sorted(values, reverse=True)
        assert values[-1] == pytest.approx(0.0, abs=1e-12)

    def test_a_point_range_fits_its_point(self) -> None:
        assert budget_fit_value(5e5, 5e5, 5e5, 0.2) == 1.0

    def test_unknowns_are_neutral_and_currency_mismatch_zero(self) -> None:
        rng = MoneyRange(Money(1e6, "EUR"), Money(4e6, "EUR"))
        assert budget_fit_of(None, rng, 0.2)[0] == NEUTRAL
        assert budget_fit_of(Money(2e6, "EUR"), None, 0.2)[0] == NEUTRAL
        value, detail = budget_fit_of(Money(2e6, "USD"), rng, 0.2)
        assert value == 0.0
        assert "currency mismatch" in detail
        assert budget_fit([np.nan], [1.0], [2.0], 0.2)[0] == NEUTRAL

    def test_a_range_a_few_ulps_wide_still_fits_between_0_and_1(self) -> None:
        # the centre of two adjacent logarithms rounds onto one of them: found by hypothesis
        low = 852_632_985.8478183
        high = float(np.nextafter(low, np.inf))  # the old formula gave -1.0 at `low`
        for amount in (low, high):
            vectorised = budget_fit([amount], [low], [high], 0.2)[0]
            assert 0.5 <= vectorised <= 1.0
            assert budget_fit_value(amount, low, high, 0.2) == pytest.approx(vectorised)

    @settings(max_examples=200, deadline=None)
    @given(
        amount=st.floats(0, 1e9),
        low=st.floats(0, 1e9),
        span=st.floats(0, 1e9),
        tolerance=st.sampled_from([0.0, 0.1, 0.2, 0.5]),
    )
    def test_the_scalar_and_vectorised_twins_agree(
        self, amount: float, low: float, span: float, tolerance: float
    ) -> None:
        vectorised = budget_fit([amount], [low], [low + span], tolerance)[0]
        assert budget_fit_value(amount, low, low + span, tolerance) == pytest.approx(
            vectorised, abs=1e-12
        )
        assert 0.0 <= vectorised <= 1.0

    @settings(max_examples=200, deadline=None)
    @given(
        amount=st.floats(0, 1e9),
        ranges=st.lists(
            st.tuples(st.floats(0, 1e9), st.sampled_from([0.0, 1.0, 1e3, 1e6, 1e9])),
            min_size=1,
            max_size=8,
        ),
        tolerance=st.sampled_from([0.0, 0.1, 0.2, 0.5]),
    )
    def test_prepared_log_ranges_fit_as_the_vectorised_twin(
        self, amount: float, ranges: list[tuple[float, float]], tolerance: float
    ) -> None:
        log_low = np.log(np.maximum([low for low, _ in ranges], 1.0))
        log_high = np.log(np.maximum([low + span for low, span in ranges], 1.0))
        x = math.log(max(amount, 1.0))
        rows = np.arange(len(ranges))[::-1]
        got = LogRanges.of(log_low, log_high).fit(x, rows, tolerance)
        expected = budget_fit_logs(x, log_low[rows], log_high[rows], tolerance)
        assert got.tolist() == expected.tolist()


class TestFuzzyKeywords:
    def test_a_spelling_variant_is_found(self) -> None:
        match = fuzzy_keyword_match(["illuminazione", "pubblica"], ["iluminazione pubblica led"])
        assert match.score == 1.0
        assert match.found[0][:2] == ("illuminazione", "iluminazione")

    def test_a_compound_word_meets_its_two_word_spelling(self) -> None:
        assert (
            fuzzy_keyword_match(["illuminazione", "pubblica"], ["illuminazionepubblica"]).score
            == 1.0
        )
        assert fuzzy_keyword_match(["streetlight"], ["led street light retrofit"]).score == 1.0
        assert fuzzy_keyword_match(["street", "light"], ["streetlight controllers"]).score == 1.0

    def test_unrelated_words_are_not_found(self) -> None:
        assert (
            fuzzy_keyword_match(["illuminazione", "pubblica"], ["traffic signal control"]).score
            == 0.0
        )
        assert fuzzy_keyword_match(["led"], ["ledger services"]).score == 0.0

    def test_the_score_is_the_share_of_keywords_found(self) -> None:
        match = fuzzy_keyword_match(
            ["riqualificazione", "illuminazione", "tecnologia", "led"], ["led lanterns"]
        )
        assert match.score == pytest.approx(0.25)
        assert fuzzy_keyword_match([], ["anything"]).score == 0.0

    @settings(max_examples=150, deadline=None)
    @given(
        keywords=st.lists(
            st.sampled_from(
                ["illuminazione", "pubblica", "led", "street", "light", "semafori", "lights"]
            ),
            max_size=8,
        ),
        rows=st.lists(
            st.lists(
                st.sampled_from(
                    [
                        "illuminazionepubblica",
                        "iluminazione",
                        "led lamps",
                        "street light",
                        "streetlight",
                        "semaforo",
                        "leds",
                        "parking",
                    ]
                ),
                max_size=3,
            ),
            min_size=1,
            max_size=6,
        ),
        data=st.data(),
    )
    def test_the_vectorised_vocabulary_agrees_with_the_pair_function(
        self, keywords: list[str], rows: list[list[str]], data: st.DataObject
    ) -> None:
        # Keywords may repeat (each position counts), rows may have no phrase, and the rows
        # asked for come in any order with repeats.
        vocabulary = FuzzyVocabulary([fuzzy_choices(phrases) for phrases in rows])
        expected = [fuzzy_keyword_match(keywords, phrases).score for phrases in rows]
        assert vocabulary.scores(keywords, 85.0).tolist() == expected
        picked = data.draw(st.lists(st.integers(0, len(rows) - 1), max_size=10))
        got = vocabulary.scores_at(keywords, np.array(picked, dtype=np.int64), 85.0)
        assert got.tolist() == [expected[row] for row in picked]
        # more rows than KeywordMasks.FEW_ROWS: the numpy path, which must agree as well
        many = np.resize(np.arange(len(rows), dtype=np.int64), KeywordMasks.FEW_ROWS + 8)
        got = vocabulary.scores_at(keywords, many, 85.0)
        assert got.tolist() == [expected[row] for row in many.tolist()]
        # each row's whole match (keywords found, as what, how similar) read off the masks
        masks = vocabulary.keyword_masks(keywords, 85.0)
        for row, phrases in enumerate(rows):
            assert masks.match_at(row) == fuzzy_keyword_match(keywords, phrases, 85.0)

    def test_a_rows_match_read_off_the_masks_keeps_the_first_best_choice(self) -> None:
        # "light" meets "lights" and "light" (90.9, 100): the higher wins wherever it comes;
        # "lightz" and "lights" tie (90.9 each): the first wins, as `argmax` has it
        phrases = [
            ["street lights", "light poles"],
            ["lamp"],
            ["lights", "light"],
            ["lightz lights"],
        ]
        vocabulary = FuzzyVocabulary([fuzzy_choices(row) for row in phrases])
        masks = vocabulary.keyword_masks(["street", "light"], 85.0)
        for row, row_phrases in enumerate(phrases):
            expected = fuzzy_keyword_match(["street", "light"], row_phrases, 85.0)
            assert masks.match_at(row) == expected
        assert masks.match_at(0).found == (
            ("street", "street", 100.0),
            ("light", "light", 100.0),
        )
        assert masks.match_at(1).score == 0.0
        assert masks.match_at(2).found[0][1] == "light"
        assert masks.match_at(3).found[0][1] == "lightz"

    def test_the_vocabulary_takes_at_most_64_keywords(self) -> None:
        vocabulary = FuzzyVocabulary([["led"]])
        words = [f"word{number}" for number in range(65)]
        assert vocabulary.scores(words[:64], 85.0).tolist() == [0.0]
        with pytest.raises(ValueError, match="at most 64"):
            vocabulary.scores(words, 85.0)


class TestOtherComponents:
    def test_references_decay(self) -> None:
        assert [references_value(n) for n in range(3)] == pytest.approx([0.0, 0.6, 0.84])
        assert references_score([0, 1, 2]).tolist() == pytest.approx([0.0, 0.6, 0.84])

    def test_the_reference_look_up_is_the_power_for_any_count(self) -> None:
        counts = list(range(300))
        assert references_score(counts).tolist() == [references_value(n) for n in counts]

    def test_bankability_ranks_known_good_above_unknown_above_known_bad(self) -> None:
        # DSCR 1.55 over 1.3 is half the 0.5 scale; IRR 9 % over 7 % is 0.4 of the 5 % scale.
        assert bankability_headroom_value(1.55, 0.09, 1.3, 0.07) == pytest.approx((0.8 + 0.76) / 2)
        assert bankability_headroom_value(1.3, None, 1.3, None) == pytest.approx(0.6)
        assert bankability_headroom_value(1.5, 0.1, None, None) == NEUTRAL
        assert bankability_headroom_value(1.05, None, 1.3, None) == pytest.approx(0.4 * 0.5)
        assert bankability_headroom_value(0.5, None, 1.3, None) == 0.0

    @settings(max_examples=100, deadline=None)
    @given(
        dscr=st.none() | st.floats(0, 3),
        irr=st.none() | st.floats(-0.5, 0.5),
        min_dscr=st.none() | st.floats(0.5, 2),
        target=st.none() | st.floats(0, 0.2),
    )
    def test_bankability_twins_agree(self, dscr, irr, min_dscr, target) -> None:  # type: ignore[no-untyped-def]
        vectorised = bankability_headroom(
            dscr,
            irr,
            [np.nan if min_dscr is None else min_dscr],
            [np.nan if target is None else target],
        )[0]
        assert bankability_headroom_value(dscr, irr, min_dscr, target) == pytest.approx(
            vectorised, abs=1e-12
        )

    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ("ITC11", "ITC12", 1.0),
            ("ITC11", "ITC4C", 0.7),
            ("ITC11", "ITF43", 0.4),
            ("ITC11", "FR101", 0.0),
        ],
    )
    def test_region_proximity(self, a: str, b: str, expected: float) -> None:
        assert region_score(a, b) == expected


class TestWeights:
    def test_defaults_weigh_lenders_on_ticket_and_bankability(self) -> None:
        weights = ScoringWeights()
        assert weights.lender.budget + weights.lender.bankability > weights.lender.text
        assert weights.supplier.text > weights.lender.text

    @pytest.mark.parametrize("bad", [{"text": -0.1}, {"text": math.inf}, {}])
    def test_invalid_weights_are_refused(self, bad: dict) -> None:
        with pytest.raises(ValueError, match="weight"):
            ComponentWeights(**bad)

    def test_settings_replace_one_kind_and_keep_the_others(self) -> None:
        weights = ScoringWeights.from_mapping({"lender": {"budget": 1.0}})
        assert weights.lender.as_dict() == {"budget": 1.0}
        assert weights.supplier == ScoringWeights().supplier
        with pytest.raises(ValueError, match="unknown"):
            ScoringWeights.from_mapping({"bank": {"text": 1.0}})
        with pytest.raises(ValueError, match="unknown components"):
            ScoringWeights.from_mapping({"lender": {"vibes": 1.0}})

    def test_the_score_is_the_normalised_weighted_sum(self) -> None:
        weights = ComponentWeights(text=2.0, cpv=1.0, budget=1.0)
        score, components = combine(
            {"text": (0.5, ""), "cpv": (1.0, ""), "budget": (1.7, "clipped")}, weights
        )
        assert score == pytest.approx((2 * 0.5 + 1 * 1.0 + 1 * 1.0) / 4)
        assert sum(c.contribution for c in components) == pytest.approx(score)
        assert [c.name for c in components] == ["text", "cpv", "budget"]
