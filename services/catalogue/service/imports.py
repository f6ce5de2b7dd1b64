"""Importing OCDS release and record packages: tenders become needs, parties organisations.

Transaction semantics. The import runs in two phases inside the request's unit of work:
1. read: the body is parsed as a stream (ijson, or one JSON Lines value at a time) into pruned
   releases, then planned (`domain.ocds_import`): grouped by ocid, compiled by date, mapped. A
   body that is not JSON, breaks off half way, or is not a package, record or release is a 422
   problem raised before anything is written, so it changes nothing.
2. write, `BATCH` keys at a time (ledger rows, organisations and needs loaded per batch):
   organisations first, then needs. Every document is validated by the API's own models
   (`OrganisationCreate`, `NeedCreate` / `NeedUpdate`) and owners are checked by the API's
   ownership rule; updates go through `organisations.update_imported` and `records.update`
   one by one, and new records are written in multi-row inserts that produce the same rows,
   entity codes and change-feed entries as `register` / `records.create` (the documents come
   from the same `public_document` functions), which is what makes 10,000 releases a matter of
   seconds. Records that fail validation are reported as rejected with JSON pointers and are
   not written; the good ones are. The unit of work commits everything once when the handler
   returns (with the idempotent replay, if any), so the report and the catalogue never
   disagree, and a crash half way changes nothing either.

Idempotency. The ledger holds, per ocid and per party key, the newest release date applied and
a digest of the mapped document. A release older than that is ignored (`unchanged`, with the
reason); the same content again is `unchanged` (a newer release with the same content moves the
ledger forward without touching the record); different content from a release at least as new
updates the record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import IO, Any

import ijson
from pydantic import ValidationError
from sqlmodel import Session

from services.catalogue.api import schemas
from services.catalogue.domain.ocds import Issue, MappedParty, MappedRelease, content_hash
from services.catalogue.domain.ocds_import import Plan, plan_import
from services.catalogue.domain.ocds_package import (
    DOCUMENT,
    RELEASE,
    Document,
    NotAPackage,
    Packed,
    PrunedBuilder,
    classify,
    prune,
)
from services.catalogue.domain.ownership import Actor, may_act_for
from services.catalogue.service import organisations, records
from services.catalogue.store import repository
from services.catalogue.store.tables import Need, OcdsLedger, Organisation
from shared.auth import Caller, require_role
from shared.clock import utcnow
from shared.concurrency import etag_for
from shared.errors import FieldError, Forbidden, ProblemError, ValidationFailed, field_path

JSON_LINES_TYPES = ("application/x-ndjson", "application/jsonl")
BATCH = 500


# --- reading --------------------------------------------------------------------------------


def _malformed(reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"the body is not a readable OCDS document: {reason}; nothing was imported",
        errors=[FieldError(field="body", reason=reason)],
    )


def _json_lines(body: IO[bytes]) -> Iterator[Any]:
    for number, line in enumerate(body, start=1):
        if line.strip():
            try:
                yield Packed(prune(json.loads(line), RELEASE))
            except (ValueError, UnicodeDecodeError) as exc:
                raise _malformed(f"line {number} is not JSON ({exc})") from exc


def read_document(body: IO[bytes], *, json_lines: bool) -> Document:
    """Parse the whole body into pruned releases (phase 1). Raises a 422 problem for a body that
    is not JSON (also when it breaks off half way) or not an OCDS document."""
    try:
        if json_lines:
            return classify(list(_json_lines(body)), single_lines=True)
        events = ijson.basic_parse(body, use_float=True)
        return classify(PrunedBuilder(DOCUMENT).build(events))
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _malformed(f"malformed JSON ({reason})") from exc
    except UnicodeDecodeError as exc:
        raise _malformed("the body is not UTF-8") from exc
    except NotAPackage as exc:
        raise _malformed(str(exc)) from exc
    except RecursionError as exc:  # kept values are re-encoded; no release nests this deep
        raise _malformed("values are nested too deeply") from exc


# --- writing --------------------------------------------------------------------------------


def _issues(issues: list[Issue]) -> list[dict[str, str]]:
    return [{"pointer": issue.pointer, "reason": issue.reason} for issue in issues]


def _batches(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


class _Import:
    def __init__(self, session: Session, caller: Caller, plan: Plan) -> None:
        self.session = session
        self.caller = caller
        self.plan = plan
        self.now = utcnow()
        self.created: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.unchanged: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = [
            {"entity": "release", "pointer": issue.pointer, "errors": _issues([issue])}
            for issue in plan.rejected
        ]
        self.organisation_ids: dict[str, int] = {}
        # strong references: the session's identity map is weak, and needs check their owner
        self.owners: dict[int, Any] = {}

    def provenance(self, process: MappedRelease) -> dict[str, Any]:
        return {
            "source": "ocds",
            "publisher": self.plan.publisher,
            "ocid": process.ocid,
            "release_id": process.release_id,
            "release_date": process.release_date,
            "imported_by": self.caller.organisation_id,
            "imported_at": self.now.isoformat(),
        }

    def record(
        self, outcome: list[dict[str, Any]], entity: str, row_id: int, **fields: Any
    ) -> None:
        outcome.append({"entity": entity, "id": row_id, **fields})

    def keep(self, key: str, row: Any) -> None:
        self.organisation_ids[key] = row.id or 0
        self.owners[row.id or 0] = row

    # organisations ---------------------------------------------------------------------------

    def organisations(self) -> None:
        latest: dict[str, tuple[MappedParty, MappedRelease]] = {}
        for process in sorted(self.plan.processes, key=lambda p: p.release_date):
            for party in process.parties:
                latest[party.key] = (party, process)
        for batch in _batches(list(latest.values())):
            keys = [party.key for party, _process in batch]
            ledger = repository.get_ledger(self.session, "organisation", keys)
            rows = repository.get_many(
                self.session, Organisation, [entry.entity_id for entry in ledger.values()]
            )
            identifiers = [
                party.identifier
                for party, _process in batch
                if party.identifier and party.key not in ledger
            ]
            registered = repository.get_organisations_by_identifier(self.session, identifiers)
            pending: list[tuple[MappedParty, MappedRelease, schemas.OrganisationCreate]] = []
            for party, process in batch:
                new = self.organisation(party, process, ledger.get(party.key), rows, registered)
                if new is not None:
                    pending.append((party, process, new))
            self.create_organisations(pending)

    def organisation(
        self,
        party: MappedParty,
        process: MappedRelease,
        entry: OcdsLedger | None,
        rows: dict[int, Organisation],
        registered: dict[str, Organisation],
    ) -> schemas.OrganisationCreate | None:
        """Update or leave a known organisation; a new one's profile is returned, to be created
        in bulk."""
        where = {"pointer": party.pointer, "ocid": process.ocid, "source_key": party.key}
        if party.issues:
            self.reject("organisation", where, _issues(party.issues))
            return None
        if entry is None:
            existing = registered.get(party.identifier or "")
            if existing is None:
                try:
                    return organisations.imported_profile(party.document)
                except ProblemError as exc:
                    self.reject("organisation", where, self._problem(exc, party.pointer))
                    return None
            self.keep(party.key, existing)
            reason = (
                "the organisation registered itself; imports do not change it"
                if not existing.provenance
                else "already imported outside this ledger; left as it is"
            )
            self.record(self.unchanged, "organisation", existing.id or 0, **where, reason=reason)
            return None
        row = rows.get(entry.entity_id)
        if row is None:
            return None
        self.keep(party.key, row)
        digest = content_hash(party.document)
        outcome, reason = self.compare(entry, process, digest)
        if outcome != "update":
            self.record(self.unchanged, "organisation", row.id or 0, **where, reason=reason)
            return None
        try:
            organisations.update_imported(
                self.session, self.caller, row, party.document, self.provenance(process)
            )
        except Forbidden as exc:
            # claimed, or another partner's: not an error in the data, so not a rejection
            self.record(self.unchanged, "organisation", row.id or 0, **where, reason=exc.detail)
            return None
        except ProblemError as exc:
            self.reject("organisation", where, self._problem(exc, party.pointer))
            return None
        self.advance(entry, process, digest)
        self.record(self.updated, "organisation", row.id or 0, **where)
        return None

    def create_organisations(
        self, pending: list[tuple[MappedParty, MappedRelease, schemas.OrganisationCreate]]
    ) -> None:
        views = organisations.create_imported(
            self.session,
            self.caller,
            [(profile, self.provenance(process)) for _party, process, profile in pending],
        )
        ledger = []
        for (party, process, _profile), view in zip(pending, views, strict=True):
            self.keep(party.key, view)
            digest = content_hash(party.document)
            ledger.append(self.ledger_row("organisation", party.key, view.id, process, digest))
            self.record(
                self.created,
                "organisation",
                view.id,
                pointer=party.pointer,
                ocid=process.ocid,
                source_key=party.key,
            )
        repository.add_ledger_bulk(self.session, ledger)

    def reject(self, entity: str, where: dict[str, Any], errors: list[dict[str, str]]) -> None:
        self.rejected.append({"entity": entity, **where, "errors": errors})

    # needs -----------------------------------------------------------------------------------

    def needs(self) -> None:
        processes = [process for process in self.plan.processes if process.need is not None]
        for batch in _batches(processes):
            ledger = repository.get_ledger(self.session, "need", [p.ocid for p in batch])
            versions = repository.get_versions(
                self.session, Need, [entry.entity_id for entry in ledger.values()]
            )
            pending: list[tuple[MappedRelease, schemas.NeedCreate, str]] = []
            for process in batch:
                created = self.need(process, ledger.get(process.ocid), versions)
                if created is not None:
                    pending.append(created)
            self.create_needs(pending)

    def need(
        self, process: MappedRelease, entry: OcdsLedger | None, versions: dict[int, int]
    ) -> tuple[MappedRelease, schemas.NeedCreate, str] | None:
        """Update or leave an imported need; a new one is returned, to be created in bulk."""
        mapped = process.need
        assert mapped is not None  # filtered by the caller
        pointer = self.plan.pointers[process.ocid]
        where = {"pointer": pointer, "ocid": process.ocid, "source_key": process.ocid}
        owner = self.organisation_ids.get(process.buyer_key or "")
        if mapped.issues or owner is None:
            issues = mapped.issues or [Issue(pointer, "the buyer could not be imported")]
            self.reject("need", where, _issues(issues))
            return None
        digest = content_hash({**mapped.document, "organisation_id": owner})
        try:
            if entry is None:
                body = schemas.NeedCreate.model_validate(
                    {**mapped.document, "organisation_id": owner}
                )
                self.check_owner(owner)
                return process, body, digest
            version = versions.get(entry.entity_id)
            if version is None:
                reason = "the need imported from this ocid was deleted; imports do not restore it"
                self.record(self.unchanged, "need", entry.entity_id, **where, reason=reason)
                return None
            outcome, reason = self.compare(entry, process, digest)
            if outcome != "update":
                self.record(self.unchanged, "need", entry.entity_id, **where, reason=reason)
                return None
            patch = schemas.NeedUpdate.model_validate(mapped.document)
            records.update(
                self.session,
                records.NEED,
                self.caller,
                entry.entity_id,
                patch,
                if_match=etag_for(version),
                provenance=self.provenance(process),
            )
        except ValidationError as exc:
            self.reject("need", where, self._validation(exc, mapped.sources, pointer))
            return None
        except Forbidden as exc:
            if entry is None:  # not imported at all: its buyer is not this key's to publish for
                self.reject("need", where, self._problem(exc, pointer))
            else:  # claimed since, or another partner's: the data is fine, the record is not ours
                self.record(self.unchanged, "need", entry.entity_id, **where, reason=exc.detail)
            return None
        except ProblemError as exc:
            self.reject("need", where, self._problem(exc, pointer))
            return None
        self.advance(entry, process, digest)
        self.record(self.updated, "need", entry.entity_id, **where)
        return None

    def check_owner(self, owner_id: int) -> None:
        """The rule `records.create` applies to its owner: a municipality this key acts for."""
        owner = self.owners.get(owner_id)
        if owner is None or owner.kind not in (records.NEED.owner_kinds or ()):
            kind = owner.kind if owner else "missing organisation"
            raise ValidationFailed(
                "Invalid fields: organisation_id",
                errors=[
                    FieldError(
                        field="organisation_id",
                        reason=f"a need belongs to a municipality, not a {kind}",
                    )
                ],
            )
        actor = Actor(organisation_id=self.caller.organisation_id, role=self.caller.role)
        if not may_act_for(actor, owner.id or 0, owner.brought_by_id):
            raise Forbidden(f"this key may not act for organisation {owner.id}")

    def create_needs(self, pending: list[tuple[MappedRelease, schemas.NeedCreate, str]]) -> None:
        """New needs in multi-row inserts: the same documents, code rows and feed entries as
        `records.create` writes one at a time (as `seeding` does for the demo catalogue)."""
        if not pending:
            return
        kind = records.NEED
        rows = []
        for process, body, _digest in pending:
            doc = body.model_dump(mode="json", exclude={"organisation_id"}, exclude_none=True)
            rows.append(
                {
                    "organisation_id": body.organisation_id,
                    "doc": doc,
                    "provenance": self.provenance(process),
                    "version": 1,
                    "created_at": self.now,
                    "updated_at": self.now,
                    **kind.columns(doc),
                }
            )
        ids = repository.insert_returning_ids(self.session, Need, rows)
        codes, changes, ledger = [], [], []
        for record_id, row, (process, _body, digest) in zip(ids, rows, pending, strict=True):
            view = SimpleNamespace(id=record_id, **row)
            codes += [
                {"entity": kind.entity, "entity_id": record_id, "scheme": scheme, "stem": stem}
                for scheme, stem in sorted(set(kind.codes(row["doc"])))
            ]
            changes.append(
                {
                    "entity": kind.entity,
                    "entity_id": record_id,
                    "op": "upsert",
                    "data": records.public_document(kind, view),
                    "at": self.now,
                }
            )
            ledger.append(self.ledger_row("need", process.ocid, record_id, process, digest))
            self.record(
                self.created,
                "need",
                record_id,
                pointer=self.plan.pointers[process.ocid],
                ocid=process.ocid,
                source_key=process.ocid,
            )
        repository.add_codes_bulk(self.session, codes)
        repository.record_changes_bulk(self.session, changes)
        repository.add_ledger_bulk(self.session, ledger)

    # shared ------------------------------------------------------------------------------------

    def compare(self, entry: OcdsLedger, process: MappedRelease, digest: str) -> tuple[str, str]:
        incoming = datetime.fromisoformat(process.release_date)
        applied = entry.release_date
        if applied.tzinfo is None:  # SQLite hands back naive UTC
            applied = applied.replace(tzinfo=incoming.tzinfo)
        if incoming < applied:
            return "ignore", (
                f"release {process.release_id} ({process.release_date}) is older than release "
                f"{entry.release_id} ({applied.isoformat()}), already applied"
            )
        if digest == entry.content_hash:
            if incoming > applied:
                self.advance(entry, process, digest)
            return "same", "already imported with the same content"
        return "update", ""

    def ledger_row(
        self, entity: str, key: str, entity_id: int, process: MappedRelease, digest: str
    ) -> dict[str, Any]:
        return {
            "entity": entity,
            "source_key": key,
            "entity_id": entity_id,
            "release_date": datetime.fromisoformat(process.release_date),
            "release_id": process.release_id[:400],
            "content_hash": digest,
        }

    def advance(self, entry: OcdsLedger, process: MappedRelease, digest: str) -> None:
        entry.release_date = datetime.fromisoformat(process.release_date)
        entry.release_id = process.release_id[:400]
        entry.content_hash = digest
        self.session.add(entry)

    def _problem(self, exc: ProblemError, pointer: str) -> list[dict[str, str]]:
        if exc.errors:
            return [{"pointer": pointer, "reason": f"{e.field}: {e.reason}"} for e in exc.errors]
        return [{"pointer": pointer, "reason": exc.detail or exc.title}]

    def _validation(
        self, exc: ValidationError, sources: dict[str, str], pointer: str
    ) -> list[dict[str, str]]:
        errors = []
        for error in exc.errors():
            name = field_path(error.get("loc", ()))
            source = sources.get(name) or sources.get(name.split(".")[0]) or pointer
            errors.append({"pointer": source, "reason": f"{name}: {error.get('msg', 'invalid')}"})
        return errors

    def report(self) -> schemas.ImportReport:
        warnings = [
            {"pointer": issue.pointer, "reason": issue.reason}
            for process in self.plan.processes
            for issue in process.warnings
        ]
        return schemas.ImportReport.model_validate(
            {
                "format": self.plan.shape,
                "publisher": self.plan.publisher,
                "releases": self.plan.releases_read,
                "counts": {
                    "created": len(self.created),
                    "updated": len(self.updated),
                    "unchanged": len(self.unchanged),
                    "rejected": len(self.rejected),
                },
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "rejected": self.rejected,
                "warnings": warnings,
            }
        )


def import_package(
    session: Session,
    caller: Caller,
    body: IO[bytes],
    *,
    json_lines: bool,
    country: str | None,
) -> schemas.ImportReport:
    """Import one posted OCDS document (see the module docstring for the semantics)."""
    require_role(caller, "partner")
    plan = plan_import(read_document(body, json_lines=json_lines), default_country=country)
    # taken after the body is read, so a slow upload does not hold other imports back
    repository.lock_imports(session)
    run = _Import(session, caller, plan)
    run.organisations()
    run.needs()
    return run.report()
