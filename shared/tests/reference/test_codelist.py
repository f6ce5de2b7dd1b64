"""The shared machinery: the error type, text folding and the generic search index."""

from __future__ import annotations

import pickle

import pytest

from shared.reference import CodeEntry, UnknownCode
from shared.reference.index import CodeIndex, fold, words


class TestUnknownCode:
    def test_carries_list_code_and_reason(self) -> None:
        error = UnknownCode("cpv", "123", "not a code")
        assert isinstance(error, ValueError)
        assert (error.code_list, error.code, error.reason) == ("cpv", "123", "not a code")
        assert "not a code" in str(error)

    def test_survives_pickling(self) -> None:
        error = pickle.loads(pickle.dumps(UnknownCode("nuts", "XX", "unknown")))
        assert (error.code_list, error.code, error.reason) == ("nuts", "XX", "unknown")


class TestFold:
    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("Rhône-Alpes", "rhone-alpes"),
            ("València", "valencia"),
            ("Île-de-France", "ile-de-france"),
            ("Łódzkie", "lodzkie"),
            ("Straße", "strasse"),
            ("Œuvre Æ", "oeuvre ae"),
        ],
    )
    def test_examples(self, text: str, folded: str) -> None:
        assert fold(text) == folded

    def test_typographic_apostrophes_separate_words(self) -> None:
        name = "Valle d\u2019Aosta/Vall\u00e9e d\u2019Aoste"  # as Eurostat spells ITC2
        assert words(name) == ("valle", "d", "aosta", "vallee", "d", "aoste")

    def test_words_split_on_punctuation(self) -> None:
        assert words("Street-lighting equipment; columns") == (
            "street",
            "lighting",
            "equipment",
            "columns",
        )


ENTRIES = [
    CodeEntry("B2", "Beta gamma", 2),
    CodeEntry("A1", "Alpha", 1),
    CodeEntry("A2", "Alpha beta", 2),
    CodeEntry("B1", "Gamma alpha", 1),
]


class TestCodeIndex:
    def test_empty_query_lists_by_level_then_code(self) -> None:
        index = CodeIndex(ENTRIES)
        assert [e.code for e in index.search(text="", limit=10)] == ["A1", "B1", "A2", "B2"]

    def test_tiers_exact_then_prefix_then_words(self) -> None:
        index = CodeIndex(ENTRIES)
        found = index.search(text="alpha", limit=10)
        # exact "Alpha", then "Alpha beta" (prefix), then "Gamma alpha" (word elsewhere).
        assert [e.code for e in found] == ["A1", "A2", "B1"]

    def test_code_prefix_and_exact_code(self) -> None:
        index = CodeIndex(ENTRIES)
        found = index.search(text=None, code_prefix="B", exact_code="B2", limit=10)
        assert [e.code for e in found] == ["B2", "B1"]

    def test_custom_order_and_filter(self) -> None:
        index = CodeIndex(ENTRIES, order=lambda e: (-e.level, e.code))
        assert [e.code for e in index.search(text=None, limit=10)] == ["A2", "B2", "A1", "B1"]
        kept = index.search(text="gamma", where=lambda e: e.level == 1, limit=10)
        assert [e.code for e in kept] == ["B1"]
