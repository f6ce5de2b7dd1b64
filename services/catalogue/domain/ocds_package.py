"""Reading an OCDS document as a stream of parser events, keeping only what the import maps.

The model. A partner posts one JSON document: a release package (`{"releases": [...]}`), a record
package (`{"records": [{"ocid", "releases", "compiledRelease"?}]}`), or one of the shapes real
publishers and bulk downloads hand out: a bare array of (compiled) releases (ANAC's yearly
files), a single record, or a single release carrying its `packageInfo` (the OCDS Data
Registry's per-release files). `PrunedBuilder` consumes `ijson.basic_parse` events (`(event,
value)` pairs, no I/O here) and builds the document while dropping every subtree the mapping
never reads (`versionedRelease`, documents, awards, contracts, milestones, contact points...),
so a 10,000-release package is never held as a full object tree: only the few fields per release
in `RELEASE` are kept. Arrays are kept element for element, so an index in the pruned document is
the index in the posted one and JSON pointers stay exact.

`read_document` then tells the shape and yields one `Entry` per contracting process to import
with the JSON pointer of what it came from (RFC 6901: `/releases/17`, `/records/3/compiledRelease`,
`/4` for the fifth element of a bare array or the fifth line of JSON Lines). A document of none of
these shapes raises `NotAPackage`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# What is kept of a release: True keeps a whole subtree, a dict keeps the named keys (and applies
# to every element of an array); anything not named is dropped while parsing.
ADDRESS = {"region": True, "locality": True, "postalCode": True, "countryName": True}
IDENTIFIER = {"scheme": True, "id": True, "legalName": True}
ORGANISATION = {
    "id": True,
    "name": True,
    "roles": True,
    "identifier": IDENTIFIER,
    "address": ADDRESS,
}
TENDER = {
    "title": True,
    "description": True,
    "status": True,
    "value": True,
    "procurementMethod": True,
    "procurementMethodDetails": True,
    "tenderPeriod": True,
    "items": {
        "id": True,
        "classification": {"scheme": True, "id": True},
        "additionalClassifications": {"scheme": True, "id": True},
        "deliveryAddress": ADDRESS,
        "deliveryLocation": {"gazetteer": True},
    },
}
RELEASE: dict[str, Any] = {
    "ocid": True,
    "id": True,
    "date": True,
    "tag": True,
    "buyer": ORGANISATION,
    "parties": ORGANISATION,
    "tender": TENDER,
    # only whether the process reached an award or contract (a need's status)
    "awards": {"id": True},
    "contracts": {"id": True},
    "packageInfo": {"publisher": {"name": True}},
}
RECORD = {"ocid": True, "releases": RELEASE, "compiledRelease": RELEASE}
PACKAGE_META = {"publisher": {"name": True}, "uri": True, "publishedDate": True, "version": True}
# The top level may be a package, a record or a release: keep what any of them needs.
DOCUMENT: dict[str, Any] = {
    **RELEASE,
    **PACKAGE_META,
    "releases": RELEASE,
    "records": RECORD,
    "compiledRelease": RELEASE,
}

_OPEN = ("start_map", "start_array")
_CLOSE = ("end_map", "end_array")


class NotAPackage(ValueError):
    """The document is well-formed JSON but not an OCDS package, record or release."""


def _child_spec(spec: Any, key: str | None) -> Any:
    """The spec of a container's child; `key` is None for an array element."""
    if spec is True or key is None:
        return spec
    return spec.get(key, None)


class Packed:
    """A pruned release or record held as compact JSON text: about a third of the memory of the
    same value as Python dicts, decoded (`unpack`) only when its process is planned."""

    __slots__ = ("text",)

    def __init__(self, value: Any) -> None:
        self.text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def unpack(value: Any) -> Any:
    return json.loads(value.text) if isinstance(value, Packed) else value


def is_object(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, Packed) and value.text.startswith("{"))


class PrunedBuilder:
    """Builds a JSON value from `basic_parse` events, keeping only the parts named by `spec`.

    No recursion (an explicit stack), so nesting depth costs memory, not the C stack.
    """

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def build(self, events: Iterable[tuple[str, Any]]) -> Any:
        stack: list[Any] = []
        specs: list[Any] = []
        result: Any = None
        skipping = 0
        key: str | None = None
        for event, value in events:
            if skipping:
                if event in _OPEN:
                    skipping += 1
                elif event in _CLOSE:
                    skipping -= 1
                continue
            if event == "map_key":
                key = value
                continue
            if event in _CLOSE:
                closed = stack.pop()
                specs.pop()
                # an element of a top-level array, or of an array that is a value of the top
                # level (releases, records): kept as compact JSON text until it is planned
                top_level_array = len(stack) == 1 or (
                    len(stack) == 2 and isinstance(stack[0], dict)
                )
                if top_level_array and isinstance(stack[-1], list):
                    stack[-1][-1] = Packed(closed)
                continue
            if stack:
                parent = stack[-1]
                child_key = None if isinstance(parent, list) else key
                child_spec = _child_spec(specs[-1], child_key)
                if child_spec is None:
                    if event in _OPEN:
                        skipping = 1
                    continue
            else:
                child_spec = self.spec
            if event in _OPEN:
                container: Any = {} if event == "start_map" else []
                if stack:
                    _attach(stack[-1], key, container)
                else:
                    result = container
                stack.append(container)
                specs.append(child_spec)
            elif stack:
                _attach(stack[-1], key, value)
            else:
                result = value
        return result


def _attach(parent: Any, key: str | None, value: Any) -> None:
    if isinstance(parent, list):
        parent.append(value)
    else:
        parent[key] = value


def prune(value: Any, spec: Any) -> Any:
    """The same pruning on an already parsed value (one JSON Lines release at a time)."""
    if spec is True:
        return value
    if isinstance(value, list):
        return [prune(element, spec) for element in value]
    if isinstance(value, dict):
        return {key: prune(child, spec[key]) for key, child in value.items() if key in spec}
    return value


@dataclass
class Entry:
    """One contracting process to import: its releases (to compile by date) or its compiled
    release, and the JSON pointer of each."""

    pointer: str
    # each release as a dict or still `Packed` (see `unpack`)
    releases: list[tuple[str, Any]] = field(default_factory=list)
    compiled: tuple[str, Any] | None = None
    problem: str | None = None


@dataclass
class Document:
    shape: str
    publisher: str | None
    entries: list[Entry]


def _publisher_name(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
        return value["name"].strip()
    return None


def _release_entries(releases: list[Any], base: str) -> Iterator[Entry]:
    for index, release in enumerate(releases):
        pointer = f"{base}/{index}"
        if is_object(release):
            yield Entry(pointer=pointer, releases=[(pointer, release)])
        else:
            yield Entry(pointer=pointer, problem="a release must be a JSON object")


def _record_entry(packed: Any, pointer: str) -> Entry:
    record = unpack(packed)
    if not isinstance(record, dict):
        return Entry(pointer=pointer, problem="a record must be a JSON object")
    compiled = record.get("compiledRelease")
    if isinstance(compiled, dict):
        return Entry(pointer=pointer, compiled=(f"{pointer}/compiledRelease", Packed(compiled)))
    releases = record.get("releases")
    embedded: list[tuple[str, Any]] = []
    for index, packed_release in enumerate(releases if isinstance(releases, list) else []):
        release = unpack(packed_release)
        # linked releases ({url, date, tag}) carry no data to compile
        if isinstance(release, dict) and ("tender" in release or "parties" in release):
            embedded.append((f"{pointer}/releases/{index}", packed_release))
    if not embedded:
        return Entry(
            pointer=pointer,
            problem="the record has neither a compiledRelease nor embedded releases",
        )
    return Entry(pointer=pointer, releases=embedded)


def classify(document: Any, *, single_lines: bool = False) -> Document:
    """Tell the document's shape and list the contracting processes it holds.

    `single_lines`: the document is the list of JSON Lines values (one release per line).
    """
    if isinstance(document, list):
        first = unpack(document[0]) if document else None
        package_info = first.get("packageInfo") if isinstance(first, dict) else None
        publisher = (
            _publisher_name(package_info.get("publisher"))
            if isinstance(package_info, dict)
            else None
        )
        shape = "json_lines" if single_lines else "release_list"
        return Document(shape, publisher, list(_release_entries(document, "")))
    if not isinstance(document, dict):
        raise NotAPackage("expected a JSON object (a release or record package) or an array")
    publisher = _publisher_name(document.get("publisher"))
    if "records" in document:
        records = document["records"]
        if not isinstance(records, list):
            raise NotAPackage("'records' must be an array of records")
        entries = [_record_entry(record, f"/records/{i}") for i, record in enumerate(records)]
        return Document("record_package", publisher, entries)
    is_record = "compiledRelease" in document or (
        "ocid" in document and isinstance(document.get("releases"), list)
    )
    if is_record:
        return Document("record", publisher, [_record_entry(document, "")])
    if "releases" in document:
        releases = document["releases"]
        if not isinstance(releases, list):
            raise NotAPackage("'releases' must be an array of releases")
        return Document("release_package", publisher, list(_release_entries(releases, "/releases")))
    if "ocid" in document:
        package_info = document.get("packageInfo")
        if isinstance(package_info, dict):
            publisher = publisher or _publisher_name(package_info.get("publisher"))
        return Document("release", publisher, [Entry(pointer="", releases=[("", document)])])
    raise NotAPackage(
        "not an OCDS release package, record package, record or release: expected a top-level "
        "'releases' or 'records' array, or a release with an 'ocid'"
    )
