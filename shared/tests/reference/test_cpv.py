"""CPV 2008: normalisation, labels, hierarchy, prefix depth and search.

Expected labels and check digits are published facts of CPV 2008 (Reg. (EC) 213/2008) as listed
in `shared/reference/data/cpv2008.csv`; everything else is checked as a property of the result.
"""

from __future__ import annotations

import pytest

from shared.reference import (
    CodeEntry,
    UnknownCode,
    cpv_ancestors,
    cpv_common_prefix_depth,
    cpv_entry,
    cpv_label,
    cpv_level,
    cpv_with_check_digit,
    normalise_cpv,
    search_cpv,
)
from shared.reference.index import fold, words

PUBLISHED = [
    ("34996100-6", "Traffic lights"),
    ("31527200-8", "Exterior lights"),
    ("45316110-9", "Installation of road lighting equipment"),
    ("09310000-5", "Electricity"),
]
CPV_2008_SIZE = 9_454


def documented_tier(label_words: tuple[str, ...], query_words: tuple[str, ...]) -> int:
    """The ranking tier as `search_cpv` documents it: 0 exact, 1 label prefix, 2 other."""
    if label_words == query_words:
        return 0
    *head, last = query_words
    n = len(query_words)
    if list(label_words[: n - 1]) == head and len(label_words) >= n:
        return 1 if label_words[n - 1].startswith(last) else 2
    return 2


def every_entry() -> list[CodeEntry]:
    return search_cpv("", limit=CPV_2008_SIZE + 10, offset=0)


class TestNormalise:
    @pytest.mark.parametrize(("full", "label"), PUBLISHED)
    def test_accepts_the_code_with_and_without_check_digit(self, full: str, label: str) -> None:
        code8 = full[:8]
        assert normalise_cpv(code8) == code8
        assert normalise_cpv(full) == code8
        assert cpv_label(full) == label
        assert cpv_with_check_digit(code8) == full

    def test_ignores_surrounding_whitespace(self) -> None:
        assert normalise_cpv("  34996100-6\n") == "34996100"

    @pytest.mark.parametrize(("full", "_label"), PUBLISHED)
    def test_rejects_every_wrong_check_digit(self, full: str, _label: str) -> None:
        right = int(full[-1])
        for wrong in (d for d in range(10) if d != right):
            with pytest.raises(UnknownCode) as raised:
                normalise_cpv(f"{full[:8]}-{wrong}")
            assert full in raised.value.reason  # names the right code
            assert raised.value.code_list == "cpv"

    @pytest.mark.parametrize("code", ["99999999", "34996199", "00000000"])
    def test_rejects_a_code_not_in_the_list(self, code: str) -> None:
        with pytest.raises(UnknownCode) as raised:
            normalise_cpv(code)
        assert "not in the CPV 2008 list" in raised.value.reason

    @pytest.mark.parametrize(
        "value", ["", "3499610", "349961000", "34996100-", "34996100-66", "3499610a", "34 996100"]
    )
    def test_rejects_a_malformed_value(self, value: str) -> None:
        with pytest.raises(UnknownCode) as raised:
            normalise_cpv(value)
        assert "8 digits" in raised.value.reason

    def test_unknown_code_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="99999999"):
            normalise_cpv("99999999")


class TestList:
    def test_has_every_published_code_once(self) -> None:
        entries = every_entry()
        assert len(entries) == CPV_2008_SIZE
        assert len({e.code for e in entries}) == CPV_2008_SIZE

    def test_entries_carry_their_check_digit_form(self) -> None:
        for entry in every_entry():
            assert entry.code_with_check_digit is not None
            assert entry.code_with_check_digit.startswith(entry.code + "-")
            assert normalise_cpv(entry.code_with_check_digit) == entry.code

    def test_labels_are_trimmed_and_present(self) -> None:
        for entry in every_entry():
            assert entry.label
            assert entry.label == entry.label.strip()


class TestHierarchy:
    def test_ancestors_of_traffic_lights(self) -> None:
        # 34 Transport equipment > 349 Misc. transport equipment > 3499 Control, safety,
        # signalling and light equipment > 34996 ... for roads.
        assert cpv_ancestors("34996100-6") == ["34000000", "34900000", "34990000", "34996000"]
        assert cpv_label("34996000") == "Control, safety or signalling equipment for roads"

    def test_a_division_has_no_ancestor(self) -> None:
        assert cpv_ancestors("45000000") == []
        assert cpv_level("45000000") == 2

    def test_levels_count_significant_digits(self) -> None:
        assert cpv_level("34996100") == 6
        assert cpv_level("45316110") == 7
        assert cpv_level("09310000") == 4
        assert cpv_entry("31527200").level == 6

    def test_ancestors_are_existing_zeroed_prefixes_most_general_first(self) -> None:
        for entry in every_entry():
            ancestors = cpv_ancestors(entry.code)
            levels = [cpv_level(a) for a in ancestors]
            assert levels == sorted(set(levels))
            assert all(level < entry.level for level in levels)
            for ancestor, level in zip(ancestors, levels, strict=True):
                assert ancestor == entry.code[:level] + "0" * (8 - level)

    def test_missing_intermediate_levels_are_skipped_not_invented(self) -> None:
        known = {e.code for e in every_entry()}
        skipped = 0
        for code in known:
            expected = [
                code[:n] + "0" * (8 - n)
                for n in range(2, cpv_level(code))
                if code[:n] + "0" * (8 - n) in known
            ]
            assert cpv_ancestors(code) == expected
            skipped += len(expected) < cpv_level(code) - 2
        assert skipped > 0  # the list does have gaps, so this case is exercised


class TestCommonPrefixDepth:
    @pytest.mark.parametrize(
        ("a", "b", "depth"),
        [
            ("34996100", "34996000", 5),
            ("34996100", "34996100", 6),
            ("34996100-6", "34996100", 6),
            ("34996100", "34000000", 2),
            ("34996100", "31527200", 1),
            ("34996100", "09310000", 0),
            ("45000000", "45000000", 2),
            ("45316110", "45316000", 5),
            ("45316110", "34996100", 0),
            ("31527200", "31500000", 3),
        ],
    )
    def test_examples(self, a: str, b: str, depth: int) -> None:
        assert cpv_common_prefix_depth(a, b) == depth
        assert cpv_common_prefix_depth(b, a) == depth

    def test_equals_the_ancestor_level_for_every_ancestor(self) -> None:
        for entry in every_entry()[::7]:
            for ancestor in cpv_ancestors(entry.code):
                assert cpv_common_prefix_depth(entry.code, ancestor) == cpv_level(ancestor)

    def test_rejects_unknown_codes(self) -> None:
        with pytest.raises(UnknownCode):
            cpv_common_prefix_depth("34996100", "99999999")


class TestSearchByWords:
    def test_exact_label_comes_first(self) -> None:
        assert search_cpv("traffic lights", limit=5)[0].code == "34996100"
        assert search_cpv("Electricity", limit=5)[0].code == "09310000"

    def test_every_query_word_starts_a_label_word(self) -> None:
        results = search_cpv("road light", limit=500)
        assert results
        assert "45316110" in {e.code for e in results}
        for entry in results:
            label_words = words(entry.label)
            for query_word in ("road", "light"):
                assert any(w.startswith(query_word) for w in label_words)

    def test_words_may_come_in_any_order(self) -> None:
        forward = {e.code for e in search_cpv("road lighting", limit=500)}
        backward = {e.code for e in search_cpv("lighting road", limit=500)}
        assert forward == backward
        assert "45316110" in forward

    def test_case_and_accents_are_ignored(self) -> None:
        plain = search_cpv("traffic lights", limit=50)
        assert search_cpv("TRÄFFÏC LÎGHTS", limit=50) == plain
        assert search_cpv("  Traffic   Lights ", limit=50) == plain

    def test_a_query_word_must_start_a_label_word(self) -> None:
        inside_words = [e for e in every_entry() if "ighting" in fold(e.label)]
        assert inside_words  # a substring search would find these
        assert search_cpv("ighting", limit=50) == []

    @pytest.mark.parametrize("query", ["street", "electricity", "traffic li", "lighting"])
    def test_ranked_exact_then_prefix_then_others_general_first(self, query: str) -> None:
        query_words = words(query)
        results = search_cpv(query, limit=1_000)
        tiers = [documented_tier(words(e.label), query_words) for e in results]
        assert tiers[0] < 2  # something starts with the query
        assert 2 in tiers  # and something only contains the words
        keys = [(tier, e.level, e.code) for tier, e in zip(tiers, results, strict=True)]
        assert keys == sorted(keys)

    def test_unknown_words_find_nothing(self) -> None:
        assert search_cpv("zzzqqq", limit=10) == []


class TestSearchByCode:
    def test_prefix_finds_the_subtree_general_first(self) -> None:
        results = search_cpv("3499", limit=500)
        assert results
        assert all(e.code.startswith("3499") for e in results)
        assert "34996100" in {e.code for e in results}
        keys = [(e.level, e.code) for e in results]
        assert keys == sorted(keys)

    def test_a_full_code_finds_itself_then_its_descendants(self) -> None:
        results = search_cpv("34996000", limit=500)
        assert results[0].code == "34996000"
        assert all(e.code.startswith("34996") for e in results)
        assert "34996100" in {e.code for e in results[1:]}

    def test_check_digit_form_finds_the_code(self) -> None:
        assert search_cpv("34996100-6", limit=5)[0].code == "34996100"

    def test_a_prefix_with_no_code_finds_nothing(self) -> None:
        assert search_cpv("99", limit=10) == []


class TestPagination:
    @pytest.mark.parametrize("query", ["light", "3", "", "services"])
    def test_pages_partition_the_full_result(self, query: str) -> None:
        full = search_cpv(query, limit=20_000)
        paged: list[CodeEntry] = []
        offset = 0
        while page := search_cpv(query, limit=37, offset=offset):
            assert len(page) <= 37
            paged.extend(page)
            offset += 37
        assert paged == full
        assert len({e.code for e in paged}) == len(paged)

    def test_the_same_query_gives_the_same_order(self) -> None:
        assert search_cpv("equipment", limit=300) == search_cpv("equipment", limit=300)

    def test_offset_past_the_end_is_empty(self) -> None:
        assert search_cpv("traffic", limit=10, offset=10_000) == []

    def test_negative_limit_or_offset_is_refused(self) -> None:
        with pytest.raises(ValueError, match=">= 0"):
            search_cpv("traffic", limit=-1)
        with pytest.raises(ValueError, match=">= 0"):
            search_cpv("traffic", limit=5, offset=-1)
