"""Bulk-loading a synthetic catalogue: Core multi-row inserts in batches, one transaction.

Each record still gets its code index rows and its change-feed entry, so followers (matching)
see seeded records exactly as they see records written through the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine

from services.catalogue.domain.synthetic import SyntheticCatalogue
from services.catalogue.service import organisations, records
from services.catalogue.store import repository
from services.catalogue.store.tables import Need, Organisation
from shared.clock import utcnow
from shared.db import transaction

BATCH = 2_000


def _batches(items: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _insert_organisations(
    session: Any, documents: Iterable[dict[str, Any]]
) -> list[tuple[int, dict[str, Any]]]:
    inserted: list[tuple[int, dict[str, Any]]] = []
    now = utcnow()
    for batch in _batches(documents):
        rows = [
            {
                "kind": doc["kind"],
                "name": doc["name"],
                "country": doc["country"],
                "status": "active",
                "doc": {k: v for k, v in doc.items() if k not in organisations.PROFILE_COLUMNS},
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for doc in batch
        ]
        ids = repository.insert_returning_ids(session, Organisation, rows)
        codes, changes = [], []
        for record_id, row in zip(ids, rows, strict=True):
            view = SimpleNamespace(id=record_id, brought_by_id=None, **row)
            codes += [
                {"entity": organisations.ENTITY, "entity_id": record_id, "scheme": s, "stem": c}
                for s, c in sorted(set(organisations.codes_of(row["doc"])))
            ]
            changes.append(
                {
                    "entity": organisations.ENTITY,
                    "entity_id": record_id,
                    "op": "upsert",
                    "data": organisations.public_document(view),  # type: ignore[arg-type]
                    "at": now,
                }
            )
            inserted.append((record_id, row))
        repository.add_codes_bulk(session, codes)
        repository.record_changes_bulk(session, changes)
    return inserted


def _insert_needs(session: Any, documents: Iterable[dict[str, Any]]) -> int:
    kind = records.NEED
    now = utcnow()
    count = 0
    for batch in _batches(documents):
        rows = []
        for document in batch:
            doc = {k: v for k, v in document.items() if k != "organisation_id"}
            rows.append(
                {
                    "organisation_id": document["organisation_id"],
                    "doc": doc,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    **kind.columns(doc),
                }
            )
        ids = repository.insert_returning_ids(session, Need, rows)
        codes, changes = [], []
        for record_id, row in zip(ids, rows, strict=True):
            view = SimpleNamespace(id=record_id, **row)
            codes += [
                {"entity": kind.entity, "entity_id": record_id, "scheme": s, "stem": c}
                for s, c in sorted(set(kind.codes(row["doc"])))
            ]
            changes.append(
                {
                    "entity": kind.entity,
                    "entity_id": record_id,
                    "op": "upsert",
                    "data": records.public_document(kind, view),
                    "at": now,
                }
            )
        repository.add_codes_bulk(session, codes)
        repository.record_changes_bulk(session, changes)
        count += len(ids)
    return count


def seed(engine: Engine, *, suppliers: int, needs: int, seed: int) -> dict[str, int]:
    generator = SyntheticCatalogue(random_state=seed)
    lenders = max(5, suppliers // 50)
    municipalities = max(5, needs // 4) if needs else 0
    with transaction(engine) as session:
        _insert_organisations(session, generator.suppliers(suppliers))
        _insert_organisations(session, generator.lenders(lenders))
        posted = _insert_organisations(session, generator.municipalities(municipalities))
        places = [(rid, row["country"], row["doc"]["nuts_codes"][0]) for rid, row in posted]
        created = _insert_needs(session, generator.needs(needs, places)) if needs else 0
    return {
        "suppliers": suppliers,
        "lenders": lenders,
        "municipalities": municipalities,
        "needs": created,
    }
