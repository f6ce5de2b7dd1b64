"""Planning an OCDS import: from a read document to one mapped result per contracting process.

The model. Every entry of the document (`ocds_package.classify`) is checked on its own first: an
entry that is not an object, or a release without an `ocid`, `id` or readable `date`, is rejected
with its pointer. The good releases are grouped by `ocid` across the whole document (a release
package may hold a process's planning, tender and award releases anywhere in it); a group is
compiled by date (`ocds_merge`), or, for a record that carries one, its `compiledRelease` is
taken as published (the newest one, should two records share an ocid). Each compiled release is
then mapped (`ocds.map_release`) and every pointer the mapping reports, relative to the release,
is made absolute: it names the newest release that published the value in question
(`/releases/17/tender/value/currency`).

The plan holds only the mapped documents, not the releases, so the caller can drop the parsed
document before it writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.catalogue.domain.ocds import (
    Issue,
    MappedRelease,
    map_release,
    release_problems,
)
from services.catalogue.domain.ocds_merge import compile_releases, order_by_date, source_pointer
from services.catalogue.domain.ocds_package import Document, unpack


@dataclass
class Plan:
    shape: str
    publisher: str | None
    releases_read: int
    processes: list[MappedRelease] = field(default_factory=list)
    rejected: list[Issue] = field(default_factory=list)
    # the pointer of the release each process's need is reported under
    pointers: dict[str, str] = field(default_factory=dict)


def _absolute(
    mapped: MappedRelease, releases: list[tuple[str, dict[str, Any]]], compiled: dict[str, Any]
) -> None:
    def where(relative: str) -> str:
        if len(releases) == 1:  # one release (or a compiled one): it is the source
            return releases[0][0] + relative
        return source_pointer(releases, compiled, relative)

    mapped.warnings = [Issue(where(issue.pointer), issue.reason) for issue in mapped.warnings]
    for party in mapped.parties:
        party.issues = [Issue(where(issue.pointer), issue.reason) for issue in party.issues]
        party.pointer = where(party.pointer)
    if mapped.need is not None:
        need = mapped.need
        need.issues = [Issue(where(issue.pointer), issue.reason) for issue in need.issues]
        need.sources = {name: where(pointer) for name, pointer in need.sources.items()}


def plan_import(document: Document, *, default_country: str | None) -> Plan:
    plan = Plan(shape=document.shape, publisher=document.publisher, releases_read=0)
    groups: dict[str, list[tuple[str, Any]]] = {}
    compiled_by_ocid: dict[str, list[tuple[str, Any]]] = {}
    for entry in document.entries:
        if entry.problem is not None:
            plan.rejected.append(Issue(entry.pointer, entry.problem))
            continue
        candidates = [entry.compiled] if entry.compiled else entry.releases
        target = compiled_by_ocid if entry.compiled else groups
        for pointer, packed in candidates:
            plan.releases_read += 1
            release = unpack(packed)
            problems = release_problems(release)
            if problems:
                plan.rejected.extend(Issue(pointer + p.pointer, p.reason) for p in problems)
                continue
            # the packed form is kept: it is decoded again when its process is planned
            target.setdefault(str(release["ocid"]).strip(), []).append((pointer, packed))
    for ocid, compiled_records in compiled_by_ocid.items():
        groups.pop(ocid, None)  # a record's compiled release is the publisher's own compilation
        newest = order_by_date(_unpacked(compiled_records))[-1]
        _add(plan, [newest], newest[1], default_country)
    for releases in groups.values():
        ordered = order_by_date(_unpacked(releases))
        compiled = (
            ordered[0][1]
            if len(ordered) == 1
            else compile_releases([release for _pointer, release in ordered])
        )
        _add(plan, ordered, compiled, default_country)
    return plan


def _unpacked(releases: list[tuple[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(pointer, unpack(release)) for pointer, release in releases]


def _add(
    plan: Plan,
    releases: list[tuple[str, dict[str, Any]]],
    compiled: dict[str, Any],
    default_country: str | None,
) -> None:
    mapped = map_release(compiled, default_country=default_country)
    _absolute(mapped, releases, compiled)
    plan.processes.append(mapped)
    plan.pointers[mapped.ocid] = releases[-1][0]
