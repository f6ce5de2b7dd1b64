"""OpenAPI links: which response value feeds which other operation, declared in one table per
service and written into the OpenAPI document when it is built.

A link tells a client (and schemathesis' stateful tests) that, for example, the `id` of a
created offer is the `record_id` of `GET /v1/offers/{record_id}`, and that its `ETag` header is
the `If-Match` of the PATCH that changes it. Operations are named as `"METHOD /path"`, exactly as
the document lists them, and resolved to their `operationId` when the document is built.

`add_links` never fails the document: a link whose operations are gone is left out. The
services' tests call `link_problems` on their built document, which names every link that is
missing from it or does not resolve (an operation, a response, a parameter or a response field
that no longer exists), so a renamed route fails a test instead of silently dropping a link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

LOCATIONS = ("path", "query", "header", "cookie")

# OpenAPI 3.1: the keys of a `links` map match this pattern
_LINK_NAME = re.compile(r"[^a-zA-Z0-9._-]+")
_REQUEST_PARAMETER = re.compile(r"^\$request\.(path|query|header)\.(.+)$")
_RESPONSE_BODY = "$response.body#"
_RESPONSE_HEADER = "$response.header."

# the expressions almost every table repeats
BODY_ID = "$response.body#/id"
ETAG = "$response.header.ETag"
IF_MATCH = {"header.If-Match": ETAG}


@dataclass(frozen=True)
class Link:
    """`source` answering `status` feeds `target`.

    `parameters` maps a target parameter, prefixed with its location (`path.record_id`,
    `query.cursor`, `header.If-Match`), to an OpenAPI runtime expression (`$response.body#/id`,
    `$response.header.ETag`, `$request.path.need_id`); `request_body` maps fields of the
    target's JSON body to expressions the same way.
    """

    source: str
    status: str
    target: str
    parameters: Mapping[str, str] = field(default_factory=dict)
    request_body: Mapping[str, str] | None = None
    description: str | None = None

    @property
    def name(self) -> str:
        """`PATCH /v1/offers/{record_id}` → `patch.offers.record_id`."""
        method, path = _split(self.target)
        words = [part for part in path.split("/") if part and part != "v1"]
        return _LINK_NAME.sub("_", ".".join([method, *words]).replace("{", "").replace("}", ""))


def fan_out(source: str, status: str, targets: Mapping[str, Mapping[str, str]]) -> list[Link]:
    """One response feeding several operations: `{target: parameters}`."""
    return [Link(source, status, target, parameters) for target, parameters in targets.items()]


def add_links(document: dict[str, Any], links: Iterable[Link]) -> None:
    """Write `links` into the responses of `document` (in place); unresolvable ones are left out."""
    for link in links:
        source = _operation(document, link.source)
        target = _operation(document, link.target)
        if source is None or target is None or "operationId" not in target:
            continue
        response = source.get("responses", {}).get(link.status)
        if response is None:
            continue
        definition: dict[str, Any] = {"operationId": target["operationId"]}
        if link.parameters:
            definition["parameters"] = dict(link.parameters)
        if link.request_body is not None:
            definition["requestBody"] = dict(link.request_body)
        if link.description:
            definition["description"] = link.description
        response.setdefault("links", {})[link.name] = definition


def link_problems(document: dict[str, Any], links: Iterable[Link]) -> list[str]:
    """Everything that keeps a link from resolving against `document`; empty when all do."""
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for link in links:
        label = f"{link.source} -> [{link.status}] {link.target}"
        problems += [f"{label}: {problem}" for problem in _problems(document, link)]
        key = (link.source, link.status, link.name)
        if key in seen:
            problems.append(f"{label}: another link of that response has the name {link.name!r}")
        seen.add(key)
    return problems


def _problems(document: dict[str, Any], link: Link) -> Iterator[str]:
    source = _operation(document, link.source)
    target = _operation(document, link.target)
    if source is None:
        yield f"no operation {link.source}"
    if target is None:
        yield f"no operation {link.target}"
    if source is None or target is None:
        return
    if "operationId" not in target:
        yield f"{link.target} has no operationId"
    response = source.get("responses", {}).get(link.status)
    if response is None:
        yield f"{link.source} documents no {link.status} response"
        return
    if link.name not in response.get("links", {}):
        yield "the document does not carry it (is the table given to create_service_app?)"
    target_parameters = {(p["in"], _parameter_key(p["in"], p["name"])) for p in _params(target)}
    given: set[tuple[str, str]] = set()
    for key, expression in link.parameters.items():
        location, _, name = key.partition(".")
        if location not in LOCATIONS or not name:
            yield f"parameter {key!r} is not `location.name` (location: {', '.join(LOCATIONS)})"
            continue
        given.add((location, _parameter_key(location, name)))
        if (location, _parameter_key(location, name)) not in target_parameters:
            yield f"{link.target} has no {location} parameter {name!r}"
        yield from _expression_problems(document, source, response, expression)
    for parameter in _params(target):
        if parameter["in"] == "path" and ("path", parameter["name"]) not in given:
            yield f"path parameter {parameter['name']!r} of {link.target} is not given"
    if link.request_body is not None:
        properties = _body_properties(document, target)
        for name, expression in link.request_body.items():
            if name not in properties:
                yield f"the request body of {link.target} has no field {name!r}"
            yield from _expression_problems(document, source, response, expression)


def _expression_problems(
    document: dict[str, Any], source: dict[str, Any], response: dict[str, Any], expression: str
) -> Iterator[str]:
    if expression.startswith(_RESPONSE_HEADER):
        return
    if expression.startswith(_RESPONSE_BODY):
        pointer = expression.removeprefix(_RESPONSE_BODY)
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            yield f"{expression}: the response has no JSON body"
        elif not _pointer_resolves(document, schema, pointer):
            yield f"{expression}: the response body has no {pointer!r}"
        return
    request = _REQUEST_PARAMETER.match(expression)
    if request is not None:
        location, name = request.groups()
        names = {_parameter_key(p["in"], p["name"]) for p in _params(source) if p["in"] == location}
        if _parameter_key(location, name) not in names:
            yield f"{expression}: the source has no {location} parameter {name!r}"
        return
    yield f"{expression}: not a runtime expression this table supports"


def _pointer_resolves(document: dict[str, Any], schema: dict[str, Any], pointer: str) -> bool:
    """Whether a JSON pointer can address a value of `schema` (following $ref, allOf/anyOf/
    oneOf, object properties and array items); an object that allows any property allows any
    name."""
    if pointer in ("", "/"):
        return True
    head, _, rest = pointer.removeprefix("/").partition("/")
    token = head.replace("~1", "/").replace("~0", "~")
    tail = f"/{rest}" if rest else ""
    schema = _resolve(document, schema)
    for keyword in ("allOf", "anyOf", "oneOf"):
        if any(_pointer_resolves(document, branch, pointer) for branch in schema.get(keyword, [])):
            return True
    if token.isdigit() and "items" in schema:
        return _pointer_resolves(document, schema["items"], tail)
    properties = schema.get("properties", {})
    if token in properties:
        return _pointer_resolves(document, properties[token], tail)
    return schema.get("additionalProperties") is True


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _body_properties(document: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    content = operation.get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return set()
    return set(_resolve(document, schema).get("properties", {}))


def _operation(document: dict[str, Any], label: str) -> dict[str, Any] | None:
    method, path = _split(label)
    operation = document.get("paths", {}).get(path, {}).get(method)
    return operation if isinstance(operation, dict) else None


def _params(operation: dict[str, Any]) -> list[dict[str, Any]]:
    return list(operation.get("parameters", []))


def _parameter_key(location: str, name: str) -> str:
    # header names are case-insensitive (RFC 9110), the others are not
    return name.lower() if location == "header" else name


def _split(label: str) -> tuple[str, str]:
    method, _, path = label.partition(" ")
    return method.lower(), path
