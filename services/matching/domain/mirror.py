"""The feed follower's view of the catalogue, turning feed changes into index changes.

The catalogue change feed carries four entities; the index holds three kinds of records
(organisations with their offers folded in, needs, funding calls). `CatalogueMirror` keeps the
records the index is built from and answers, for each change `(entity, id, op, data)`, which
index records to upsert and which keys to remove (`IndexChanges`):

- `organisation` upsert: the organisation with its known offers folded in; if its kind changed
  (`supplier` -> `lender`), the old key is removed. Delete: its key is removed.
- `offer` upsert or delete: its organisation is re-emitted with the new set of offers (an
  offer that moved from one organisation to another re-emits both). An offer whose
  organisation is not known yet is kept and folded in when the organisation arrives.
- `need`, `funding_call`: upserted or removed as they are.

`op` is `upsert` or `delete`; a delete's `data` is ignored (the feed sends null). Applying the
same change twice gives the same state (upserts replace, deletes of unknown ids do nothing).
Batches merge with the later change of a key winning (`IndexChanges.merge`), so a page of the
feed becomes one `TextIndex.with_changes` call.

The mirror is mutable and belongs to the single writer (the feed follower): readers only ever
see immutable `TextIndex` snapshots. Checked by `tests/domain/test_mirror.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from services.matching.domain.records import (
    FundingCall,
    IndexRecord,
    Key,
    Need,
    Offer,
    Organisation,
    RecordError,
    record_from_document,
)

OPS = ("upsert", "delete")


@dataclass(frozen=True, slots=True)
class IndexChanges:
    """Records to upsert and keys to remove; no key is in both."""

    upserts: tuple[IndexRecord, ...] = ()
    removals: tuple[Key, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.upserts and not self.removals

    def merge(self, later: IndexChanges) -> IndexChanges:
        """This batch followed by `later`: the last word on each key wins."""
        final: dict[Key, IndexRecord | None] = {}
        for batch in (self, later):
            for key in batch.removals:
                final[key] = None
            for record in batch.upserts:
                final[record.key] = record
        return IndexChanges(
            upserts=tuple(record for record in final.values() if record is not None),
            removals=tuple(key for key, record in final.items() if record is None),
        )


class CatalogueMirror:
    """The records behind the index, kept by the feed follower (see the module docstring)."""

    def __init__(self) -> None:
        self._organisations: dict[int, Organisation] = {}
        self._offers: dict[int, Offer] = {}
        self._offers_by_organisation: dict[int, set[int]] = {}
        self._needs: dict[int, Need] = {}
        self._calls: dict[int, FundingCall] = {}

    # --- reading -----------------------------------------------------------------------------

    def organisation(self, organisation_id: int) -> Organisation | None:
        """The organisation with its offers folded in, or None."""
        organisation = self._organisations.get(organisation_id)
        return self._folded(organisation) if organisation is not None else None

    def need(self, need_id: int) -> Need | None:
        return self._needs.get(need_id)

    def funding_call(self, call_id: int) -> FundingCall | None:
        return self._calls.get(call_id)

    def index_records(self) -> Iterator[IndexRecord]:
        """Every record the index holds, for a full build (`TextIndex.build`)."""
        for organisation in self._organisations.values():
            yield self._folded(organisation)
        yield from self._needs.values()
        yield from self._calls.values()

    def __len__(self) -> int:
        return len(self._organisations) + len(self._needs) + len(self._calls)

    # --- writing -----------------------------------------------------------------------------

    def apply(
        self, entity: str, record_id: int, op: str, data: Mapping[str, Any] | None
    ) -> IndexChanges:
        """Apply one feed change; raises `RecordError` for a malformed one."""
        if op not in OPS:
            raise RecordError(f"op must be one of {OPS}, got {op!r}")
        if op == "upsert":
            if data is None:
                raise RecordError(f"an upsert of {entity} {record_id} needs data")
            record = record_from_document(entity, {**data, "id": record_id})
        else:
            record = None
        if entity == Organisation.ENTITY:
            return self._organisation(record_id, record)
        if entity == Offer.ENTITY:
            return self._offer(record_id, record)
        if entity == Need.ENTITY:
            return self._plain(self._needs, ("need", record_id), record)
        if entity == FundingCall.ENTITY:
            return self._plain(self._calls, ("funding_call", record_id), record)
        raise RecordError(f"unknown entity {entity!r}")

    def apply_all(
        self, changes: Iterable[tuple[str, int, str, Mapping[str, Any] | None]]
    ) -> IndexChanges:
        """Apply a page of changes in order; the merged index changes."""
        merged = IndexChanges()
        for entity, record_id, op, data in changes:
            merged = merged.merge(self.apply(entity, record_id, op, data))
        return merged

    def _folded(self, organisation: Organisation) -> Organisation:
        offer_ids = self._offers_by_organisation.get(organisation.id, set())
        return organisation.with_offers(self._offers[offer_id] for offer_id in offer_ids)

    def _organisation(self, record_id: int, record: Any) -> IndexChanges:
        previous = self._organisations.get(record_id)
        if record is None:
            if previous is None:
                return IndexChanges()
            del self._organisations[record_id]
            return IndexChanges(removals=(previous.key,))
        assert isinstance(record, Organisation)
        self._organisations[record_id] = record
        removals = (previous.key,) if previous is not None and previous.kind != record.kind else ()
        return IndexChanges(upserts=(self._folded(record),), removals=removals)

    def _offer(self, record_id: int, record: Any) -> IndexChanges:
        previous = self._offers.pop(record_id, None)
        owners = set()
        if previous is not None:
            self._offers_by_organisation.get(previous.organisation_id, set()).discard(record_id)
            owners.add(previous.organisation_id)
        if record is not None:
            assert isinstance(record, Offer)
            self._offers[record_id] = record
            self._offers_by_organisation.setdefault(record.organisation_id, set()).add(record_id)
            owners.add(record.organisation_id)
        upserts = tuple(
            self._folded(self._organisations[owner])
            for owner in sorted(owners)
            if owner in self._organisations
        )
        return IndexChanges(upserts=upserts)

    def _plain(self, store: dict[int, Any], key: Key, record: IndexRecord | None) -> IndexChanges:
        if record is None:
            if store.pop(key[1], None) is None:
                return IndexChanges()
            return IndexChanges(removals=(key,))
        store[key[1]] = record
        return IndexChanges(upserts=(record,))
