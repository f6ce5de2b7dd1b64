from __future__ import annotations

from typing import Any

import pytest

from services.matching.domain import (
    CatalogueMirror,
    IndexChanges,
    Organisation,
    RecordError,
    TextIndex,
    rank_for_need,
)
from services.matching.tests.domain.builders import TODAY, need


def organisation_doc(**fields: Any) -> dict[str, Any]:
    return {"kind": "supplier", "name": "Lumen", "country": "IT", "status": "active", **fields}


def offer_doc(organisation_id: int, title: str) -> dict[str, Any]:
    return {"organisation_id": organisation_id, "kind": "product", "title": title}


def test_an_organisation_carries_its_offers() -> None:
    mirror = CatalogueMirror()
    mirror.apply("organisation", 1, "upsert", organisation_doc())
    changes = mirror.apply("offer", 10, "upsert", offer_doc(1, "LED lanterns"))
    (record,) = changes.upserts
    assert isinstance(record, Organisation)
    assert [offer.title for offer in record.offers] == ["LED lanterns"]
    assert changes.removals == ()


def test_an_offer_before_its_organisation_is_folded_in_when_it_arrives() -> None:
    mirror = CatalogueMirror()
    assert mirror.apply("offer", 10, "upsert", offer_doc(1, "LED lanterns")).empty
    (record,) = mirror.apply("organisation", 1, "upsert", organisation_doc()).upserts
    assert [offer.id for offer in record.offers] == [10]  # type: ignore[union-attr]


def test_a_moved_or_deleted_offer_refolds_its_organisations() -> None:
    mirror = CatalogueMirror()
    mirror.apply("organisation", 1, "upsert", organisation_doc())
    mirror.apply("organisation", 2, "upsert", organisation_doc(name="Other"))
    mirror.apply("offer", 10, "upsert", offer_doc(1, "LED lanterns"))
    moved = mirror.apply("offer", 10, "upsert", offer_doc(2, "LED lanterns"))
    offers = {record.id: record.offers for record in moved.upserts}  # type: ignore[union-attr]
    assert offers[1] == ()
    assert [offer.id for offer in offers[2]] == [10]
    deleted = mirror.apply("offer", 10, "delete", None)
    assert deleted.upserts[0].offers == ()  # type: ignore[union-attr]


def test_a_kind_change_removes_the_old_key() -> None:
    mirror = CatalogueMirror()
    mirror.apply("organisation", 1, "upsert", organisation_doc())
    changes = mirror.apply("organisation", 1, "upsert", organisation_doc(kind="lender"))
    assert changes.removals == (("supplier", 1),)
    assert changes.upserts[0].key == ("lender", 1)


def test_deletes_are_removals_and_repeated_changes_are_harmless() -> None:
    mirror = CatalogueMirror()
    document = {
        "organisation_id": 5,
        "title": "Semafori",
        "category": "traffic_lights",
        "nuts_code": "ITC11",
    }
    mirror.apply("need", 3, "upsert", document)
    assert mirror.apply("need", 3, "upsert", document).upserts[0].key == ("need", 3)
    assert mirror.apply("need", 3, "delete", None).removals == (("need", 3),)
    assert mirror.apply("need", 3, "delete", None).empty
    assert mirror.need(3) is None


def test_a_page_merges_with_the_last_word_winning() -> None:
    mirror = CatalogueMirror()
    call = {"title": "Call", "opens_at": "2026-01-01", "closes_at": "2027-01-01"}
    merged = mirror.apply_all(
        [
            ("organisation", 1, "upsert", organisation_doc()),
            ("funding_call", 7, "upsert", call),
            ("funding_call", 7, "delete", None),
            ("organisation", 1, "upsert", organisation_doc(name="Lumen 2")),
        ]
    )
    assert [record.name for record in merged.upserts] == ["Lumen 2"]  # type: ignore[union-attr]
    assert merged.removals == (("funding_call", 7),)
    again = IndexChanges(removals=(("supplier", 1),)).merge(merged)
    assert again.removals == (("funding_call", 7),)


def test_malformed_changes_are_refused() -> None:
    mirror = CatalogueMirror()
    with pytest.raises(RecordError):
        mirror.apply("need", 1, "replace", {})
    with pytest.raises(RecordError):
        mirror.apply("need", 1, "upsert", None)
    with pytest.raises(RecordError):
        mirror.apply("api_key", 1, "upsert", {"id": 1})


def test_following_the_feed_incrementally_ranks_like_a_full_build() -> None:
    mirror = CatalogueMirror()
    index = TextIndex.build([])
    feed = [
        (
            "organisation",
            1,
            "upsert",
            organisation_doc(description="LED street lighting", nuts_codes=["IT"]),
        ),
        (
            "organisation",
            2,
            "upsert",
            organisation_doc(name="Semafori", description="traffic lights"),
        ),
        ("offer", 10, "upsert", offer_doc(2, "Illuminazione pubblica LED")),
        ("organisation", 3, "upsert", organisation_doc(name="Gone", description="LED lighting")),
        ("organisation", 3, "delete", None),
    ]
    for change in feed:
        changes = mirror.apply(*change)
        index = index.with_changes(changes.upserts, changes.removals)
    subject = need()
    rebuilt = TextIndex.build([*mirror.index_records(), subject])
    live = index.with_changes([subject])
    got = [(m.candidate, m.score) for m in rank_for_need(live, subject, "supplier", today=TODAY)]
    want = [
        (m.candidate, m.score) for m in rank_for_need(rebuilt, subject, "supplier", today=TODAY)
    ]
    assert [key for key, _ in got] == [key for key, _ in want]
    assert ("supplier", 3) not in [key for key, _ in got]
    assert len(mirror) == 2
