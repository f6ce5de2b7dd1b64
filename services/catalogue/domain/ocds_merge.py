"""Compiling OCDS releases by date, as the standard's merge routine does.

The model (OCDS 1.1, "Merging"): the releases of one contracting process (one `ocid`) are sorted
by `date`, oldest first, and applied one over the other to give the compiled release:
- an object is merged key by key, recursively;
- a `null` value removes the field;
- an array of objects that all carry an `id` is merged element by element, matching ids
  ("identifier merge"): `parties`, `tender.items`, ...;
- any other array (strings, objects without ids, and the arrays the schema marks
  `wholeListMerge`, such as `additionalClassifications`) replaces the earlier one whole;
- releases with the same date keep their order in the package (a stable sort).
The compiled release takes the `id` and `date` of the newest release and the tag `compiled`.
Checked against the fictional example's six releases (planning → implementation): the compiled
tender keeps the amended tender period of release 3 and the value of release 2.

`parse_date` reads the release dates real publishers write, which are not all ISO 8601 (ANAC has
`2022-10-26 20:38:20.533T12:00:00Z`): a date that is not ISO 8601 but starts with a calendar
date falls back to midnight UTC of that day, and says so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

WHOLE_LIST_MERGE = frozenset({"additionalClassifications", "tag", "roles"})
_LEADING_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def parse_date(value: Any) -> tuple[datetime | None, bool]:
    """`(moment, exact)`: an aware datetime (UTC when the text has no offset) and whether the
    text was ISO 8601; `(None, False)` when no date can be read at all."""
    if not isinstance(value, str) or not value.strip():
        return None, False
    return _parse_text(value.strip())


@lru_cache(maxsize=50_000)
def _parse_text(text: str) -> tuple[datetime | None, bool]:
    # a package repeats the same dates (a publisher's daily batch): parse each text once
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        match = _LEADING_DATE.match(text)
        if match is None:
            return None, False
        try:
            moment = datetime(*(int(part) for part in match.groups()), tzinfo=UTC)
        except ValueError:
            return None, False
        return moment, False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, True


def _identified(values: list[Any]) -> bool:
    # ids are strings (or numbers, as some publishers write them); nothing else is matched on
    return all(
        isinstance(value, dict)
        and isinstance(value.get("id"), str | int | float)
        and not isinstance(value.get("id"), bool)
        for value in values
    )


def _merge_list(earlier: Any, later: list[Any], key: str) -> list[Any]:
    if key in WHOLE_LIST_MERGE or not later or not _identified(later):
        return [_copy(value) for value in later]
    if not isinstance(earlier, list) or not _identified(earlier):
        earlier = []
    merged = {str(value["id"]): _copy(value) for value in earlier}
    order = list(merged)
    for value in later:
        ident = str(value["id"])
        if ident in merged:
            merge_into(merged[ident], value)
        else:
            merged[ident] = _copy(value)
            order.append(ident)
    return [merged[ident] for ident in order]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(child) for key, child in value.items() if child is not None}
    if isinstance(value, list):
        return [_copy(child) for child in value]
    return value


def merge_into(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Apply `source` over `target` in place, by the rules above."""
    for key, value in source.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            if not isinstance(current, dict):
                current = {}
                target[key] = current
            merge_into(current, value)
        elif isinstance(value, list):
            target[key] = _merge_list(target.get(key), value, key)
        else:
            target[key] = value


def compile_releases(releases: list[dict[str, Any]]) -> dict[str, Any]:
    """The compiled release of one process's releases, given oldest first (`order_by_date`)."""
    compiled: dict[str, Any] = {}
    for release in releases:
        merge_into(compiled, release)
    compiled["tag"] = ["compiled"]
    return compiled


def order_by_date(releases: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """`(pointer, release)` pairs, oldest first (stable for equal dates); releases whose date
    cannot be read sort first, so any dated release overrides them."""
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(releases, key=lambda pair: parse_date(pair[1].get("date"))[0] or epoch)


def resolve(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901) inside `document`, or `None` when absent."""
    value = document
    for raw in pointer.split("/")[1:] if pointer else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value


def source_pointer(releases: list[tuple[str, dict[str, Any]]], compiled: Any, relative: str) -> str:
    """Where a field of the compiled release was published: the newest release holding the same
    value at the same place, else the newest release (the compiled view has no single source)."""
    wanted = resolve(compiled, relative)
    for pointer, release in reversed(releases):
        found = resolve(release, relative)
        if found is not None and found == wanted:
            return pointer + relative
    return releases[-1][0] + relative
