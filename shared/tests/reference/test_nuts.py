"""NUTS 2024 (+ 2021 codes still in use): normalisation, names, hierarchy, coverage, search.

Expected names are published facts of Eurostat's NUTS 2024 / NUTS 2021 classifications as listed
in `shared/reference/data/`; everything else is checked as a property of the result.
"""

from __future__ import annotations

import pytest

from shared.reference import (
    CodeEntry,
    UnknownCode,
    normalise_nuts,
    nuts_ancestors,
    nuts_country,
    nuts_covers,
    nuts_entry,
    nuts_label,
    nuts_level,
    search_nuts,
)
from shared.reference.index import words

NUTS_2024_SIZE = 1_609


def every_entry() -> list[CodeEntry]:
    return search_nuts("", limit=10_000)


class TestNormalise:
    @pytest.mark.parametrize(
        ("given", "code"), [("itc11", "ITC11"), (" ITC4C ", "ITC4C"), ("It", "IT"), ("el", "EL")]
    )
    def test_upper_cases_and_trims(self, given: str, code: str) -> None:
        assert normalise_nuts(given) == code

    @pytest.mark.parametrize("code", ["ITC19", "ITX", "GR", "UK", "XX"])
    def test_rejects_a_code_in_neither_edition(self, code: str) -> None:
        with pytest.raises(UnknownCode) as raised:
            normalise_nuts(code)
        assert "neither NUTS 2024 nor NUTS 2021" in raised.value.reason
        assert raised.value.code_list == "nuts"

    @pytest.mark.parametrize("value", ["", "I", "ITC111", "IT-C1", "1TC"])
    def test_rejects_a_malformed_value(self, value: str) -> None:
        with pytest.raises(UnknownCode, match="expected a country code"):
            normalise_nuts(value)

    def test_accepts_a_code_that_only_nuts_2021_has(self) -> None:
        # Lisbon's NUTS 2021 region, split in NUTS 2024 into PT1A0 and PT1B0.
        entry = nuts_entry("pt170")
        assert entry.code == "PT170"
        assert entry.edition == "2021"
        assert entry.label == "Área Metropolitana de Lisboa"
        assert nuts_entry("PT1A0").edition == "2024"


class TestNames:
    @pytest.mark.parametrize(
        ("code", "name", "level"),
        [
            ("IT", "Italy", 0),
            ("ITC", "Nord-Ovest", 1),
            ("ITC1", "Piemonte", 2),
            ("ITC11", "Torino", 3),
            ("ITC4C", "Milano", 3),
            ("ITI43", "Roma", 3),
            ("FRK2", "Rhône-Alpes", 2),
            ("PT1A0", "Grande Lisboa", 3),
        ],
    )
    def test_published_names_and_levels(self, code: str, name: str, level: int) -> None:
        assert nuts_label(code) == name
        assert nuts_level(code) == level
        assert nuts_country(code) == code[:2]

    def test_names_are_trimmed(self) -> None:
        # The 2024 sheet has a trailing space after this name.
        assert nuts_label("ES52") == "Comunitat Valenciana"
        assert all(e.label == e.label.strip() and e.label for e in every_entry())

    def test_codes_of_both_editions_are_listed_once(self) -> None:
        entries = every_entry()
        codes = [e.code for e in entries]
        assert len(codes) == len(set(codes))
        current = [e for e in entries if e.edition == "2024"]
        assert len(current) == NUTS_2024_SIZE
        assert all(e.edition == "2021" for e in entries if e not in current)

    def test_level_is_code_length_minus_two(self) -> None:
        for entry in every_entry():
            assert entry.level == len(entry.code) - 2
            assert entry.country == entry.code[:2]


class TestHierarchy:
    def test_ancestors_country_first(self) -> None:
        assert nuts_ancestors("ITC11") == ["IT", "ITC", "ITC1"]
        assert nuts_ancestors("itc4c") == ["IT", "ITC", "ITC4"]

    def test_a_country_has_no_ancestor(self) -> None:
        assert nuts_ancestors("FR") == []

    def test_every_region_has_all_its_ancestors(self) -> None:
        for entry in every_entry():
            assert [nuts_level(a) for a in nuts_ancestors(entry.code)] == list(range(entry.level))


class TestCoverage:
    @pytest.mark.parametrize(
        ("coverage", "region", "covered"),
        [
            ("ITC", "ITC11", True),
            ("ITC11", "ITC", False),
            ("IT", "ITC4C", True),
            ("ITC1", "ITC4C", False),
            ("FR", "ITC", False),
            ("ITC", "FR", False),
            ("FRK", "FRK26", True),
            ("ITC11", "ITC11", True),
            ("itc", "itc11", True),
            ("PT17", "PT170", True),
        ],
    )
    def test_examples(self, coverage: str, region: str, covered: bool) -> None:
        assert nuts_covers(coverage, region) is covered

    def test_a_country_covers_exactly_its_regions(self) -> None:
        for entry in every_entry():
            assert nuts_covers("IT", entry.code) is (entry.country == "IT")

    def test_unknown_codes_raise(self) -> None:
        with pytest.raises(UnknownCode):
            nuts_covers("ITC", "ITC19")
        with pytest.raises(UnknownCode):
            nuts_covers("XX", "ITC11")


class TestSearch:
    def test_by_name(self) -> None:
        results = search_nuts("Lombardia", limit=10)
        assert results[0].code == "ITC4"
        assert (results[0].level, results[0].country) == (2, "IT")

    def test_accents_are_folded(self) -> None:
        codes = [e.code for e in search_nuts("Rhone", limit=20)]
        # Rhône (FRK26) exactly, then Rhône-Alpes (FRK2) as a prefix match.
        assert codes[:2] == ["FRK26", "FRK2"]
        assert search_nuts("RHÔNE", limit=20) == search_nuts("rhone", limit=20)
        assert "ES523" in {e.code for e in search_nuts("Valencia", limit=20)}

    def test_every_word_must_start_a_name_word(self) -> None:
        results = search_nuts("alpes rh", limit=50)
        assert {"FRK2", "FRK"} <= {e.code for e in results}
        for entry in results:
            name_words = words(entry.label)
            assert any(w.startswith("alpes") for w in name_words)
            assert any(w.startswith("rh") for w in name_words)

    def test_by_code_prefix_exact_code_first(self) -> None:
        results = search_nuts("itc1", limit=100)
        assert results[0].code == "ITC1"
        assert {e.code for e in results} >= {"ITC11", "ITC12"}
        assert all(e.code.startswith("ITC1") for e in results)

    def test_a_country_code_lists_its_regions_general_first(self) -> None:
        results = search_nuts("IT", limit=500)
        assert results[0].code == "IT"
        coded = [e for e in results if e.code.startswith("IT")]
        assert [(e.level, e.code) for e in coded] == sorted((e.level, e.code) for e in coded)

    def test_current_codes_before_2021_only_codes_of_the_same_level(self) -> None:
        results = search_nuts("Lisboa", limit=20)
        level_3 = [e for e in results if e.level == 3]
        assert [e.code for e in level_3] == ["PT1A0", "PT170"]

    def test_filters_by_level_and_country(self) -> None:
        results = search_nuts("", limit=500, level=3, country="it")
        assert results
        assert all(e.level == 3 and e.country == "IT" for e in results)
        assert "ITC11" in {e.code for e in results}
        assert search_nuts("Torino", limit=5, country="FR") == []

    def test_pages_partition_the_full_result(self) -> None:
        full = search_nuts("", limit=10_000)
        pages: list[CodeEntry] = []
        for offset in range(0, len(full) + 100, 100):
            pages.extend(search_nuts("", limit=100, offset=offset))
        assert pages == full
        filtered = search_nuts("a", limit=10_000, level=3)
        chunks = [search_nuts("a", limit=9, offset=o, level=3) for o in range(0, 2_000, 9)]
        assert [e for chunk in chunks for e in chunk] == filtered
