from __future__ import annotations

from services.matching.domain.profiles import (
    fuzzy_phrases,
    need_cpv_codes,
    need_keywords,
    profile_text,
    reference_categories,
)
from services.matching.tests.domain.builders import call, need, offer, supplier


def test_a_supplier_profile_holds_its_offers_references_and_cpv_labels() -> None:
    record = supplier(
        1,
        name="Lumen",
        description="We retrofit lighting.",
        capabilities=["LED lanterns"],
        references=[{"title": "Torino street lights"}],
        cpv=["34928500"],
        offers=[offer(10, 1, title="Smart node", description="Remote dimming", cpv=["50232100"])],
    )
    text = profile_text(record)
    for part in (
        "Lumen",
        "We retrofit lighting.",
        "LED lanterns",
        "Torino street lights",
        "Smart node",
        "Remote dimming",
        "Street-lighting equipment",
        "Street-lighting maintenance services",
    ):
        assert part in text


def test_a_need_text_has_its_category_label_and_cpv_labels() -> None:
    text = profile_text(need(title="Semafori", category="traffic_lights", cpv=["34996100"]))
    assert "traffic lights" in text
    assert "Traffic lights" in text


def test_a_call_text_names_its_categories() -> None:
    assert "smart grid" in profile_text(call(categories=("smart_grid",)))


def test_need_keywords_are_content_words_of_the_title() -> None:
    record = need(title="Riqualificazione dell'illuminazione pubblica con tecnologia LED")
    assert need_keywords(record) == (
        "riqualificazione",
        "illuminazione",
        "pubblica",
        "tecnologia",
        "led",
    )


def test_the_need_cpv_family_adds_the_category_codes_after_the_declared_ones() -> None:
    family = need_cpv_codes(need(cpv=["45316110"], category="public_lighting"))
    assert family[0] == "45316110"
    assert "34928500" in family
    assert len(family) == len(set(family))
    assert need_cpv_codes(need(cpv=[], category="other")) == ()


def test_references_count_per_category_including_reference_offers() -> None:
    record = supplier(
        1,
        references=[{"title": "Street lighting Bristol"}, {"title": "Traffic lights Leeds"}],
        offers=[
            offer(
                5, 1, kind="reference", title="Comune di Bari", description="illuminazione pubblica"
            ),
            offer(6, 1, kind="product", title="street lamp"),
        ],
    )
    assert reference_categories(record) == {"public_lighting": 2, "traffic_lights": 1}


def test_fuzzy_phrases_are_folded_short_strings() -> None:
    record = supplier(
        1, capabilities=["Illuminazione Pubblica"], offers=[offer(2, 1, title="Città LED")]
    )
    assert fuzzy_phrases(record) == ("illuminazione pubblica", "citta led")
