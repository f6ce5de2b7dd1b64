from __future__ import annotations

import warnings

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from services.matching.domain.glossary import (
    CATEGORY_TERMS,
    Glossary,
    category_cpv_codes,
    default_glossary,
    fold,
)
from services.matching.domain.records import CATEGORIES
from services.matching.domain.stopwords import ITALIAN_STOP_WORDS, stop_words
from shared.reference.cpv import normalise_cpv


class TestExpansion:
    def test_an_italian_need_gains_the_english_category_terms(self) -> None:
        text = "Riqualificazione dell'illuminazione pubblica con tecnologia LED"
        expanded = default_glossary().expand(text)
        assert expanded.startswith(text)
        added = expanded[len(text) :]
        assert "public lighting" in added
        assert "street lighting" in added
        assert "retrofit" in added
        assert "technology" in added

    def test_an_english_profile_gains_the_same_canonical_terms(self) -> None:
        added = default_glossary().english_terms("LED streetlights for cities")
        assert "public lighting street lighting" in added

    @pytest.mark.parametrize(
        ("text", "category"),
        [
            ("illuminazionepubblica", "public_lighting"),
            ("street-light poles", "public_lighting"),
            ("street light poles", "public_lighting"),
            ("sostituzione dei lampioni", "public_lighting"),
            ("nuovi semafori", "traffic_lights"),
            ("Centrale Operativa", "operation_centre"),
            ("centro di consolidamento merci", "urban_freight_logistics"),
            ("contatori intelligenti", "smart_grid"),
            ("videosorveglianza urbana", "urban_safety"),
            ("carpooling app", "car_pooling"),
            ("Efficienza energetica degli edifici", "building_efficiency"),
        ],
    )
    def test_phrases_find_their_category_through_compounds_stems_and_accents(
        self, text: str, category: str
    ) -> None:
        assert category in default_glossary().categories_in(text)

    def test_matches_are_whole_words(self) -> None:
        # "comune" is a translation; "communication" must not trigger it.
        assert default_glossary().english_terms("communication platform") == []
        assert default_glossary().english_terms("il comune di Torino") == ["municipality"]

    def test_the_longest_phrase_wins_at_a_position(self) -> None:
        matches = default_glossary().matches("illuminazione pubblica")
        assert len(matches) == 1
        assert matches[0].category == "public_lighting"

    def test_accents_are_folded_like_the_vectorizer_does(self) -> None:
        assert fold("Città Mobilità") == "citta mobilita"
        assert "mobility" in default_glossary().english_terms("Mobilità elettrica")
        assert default_glossary().categories_in("Mobilità condivisa") == {"car_pooling"}

    def test_a_text_without_glossary_phrases_is_unchanged(self) -> None:
        assert default_glossary().expand("Waste collection") == "Waste collection"

    def test_a_first_word_shorter_than_three_letters_is_refused(self) -> None:
        with pytest.raises(ValueError, match="shorter"):
            Glossary(translations={"ab cd": "x"})


class TestCategories:
    def test_every_programme_category_but_other_has_terms(self) -> None:
        assert {terms.category for terms in CATEGORY_TERMS} == set(CATEGORIES) - {"other"}
        assert category_cpv_codes("other") == ()

    def test_representative_cpv_codes_exist_in_cpv_2008(self) -> None:
        for terms in CATEGORY_TERMS:
            for code in terms.cpv_codes:
                assert normalise_cpv(code) == code


class TestStopWords:
    def test_italian_function_words_are_removed_content_words_kept(self) -> None:
        vectorizer = TfidfVectorizer(strip_accents="unicode", stop_words=stop_words())
        analyse = vectorizer.build_analyzer()
        tokens = analyse(
            "Riqualificazione dell'illuminazione pubblica con tecnologia LED per la città"
        )
        assert tokens == [
            "riqualificazione",
            "illuminazione",
            "pubblica",
            "tecnologia",
            "led",
            "citta",
        ]

    def test_english_stop_words_are_kept_in_the_list(self) -> None:
        assert {"the", "and", "of"} <= set(stop_words())
        assert {"della", "perche", "piu", "sono"} <= ITALIAN_STOP_WORDS

    def test_the_list_is_consistent_with_the_vectorizer_preprocessing(self) -> None:
        vectorizer = TfidfVectorizer(strip_accents="unicode", stop_words=stop_words())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            vectorizer.fit(["illuminazione pubblica", "street lighting"])
