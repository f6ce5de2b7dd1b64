"""The stateful runner follows a document's links and fails on what it finds: a small app whose
DELETE forgets to delete is caught, the same app deleting properly passes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from schemathesis.core.failures import FailureGroup

from shared.openapi_links import BODY_ID, Link, add_links
from shared.testing.contract import check_workflows

ITEM = "/items/{item_id}"
LINKS = [
    Link("POST /items", "201", f"GET {ITEM}", {"path.item_id": BODY_ID}),
    Link("POST /items", "201", f"DELETE {ITEM}", {"path.item_id": BODY_ID}),
    Link(
        "DELETE /items/{item_id}", "204", f"GET {ITEM}", {"path.item_id": "$request.path.item_id"}
    ),
]


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=20)


class Item(ItemIn):
    id: int


def items_app(*, deletes: bool) -> FastAPI:
    app = FastAPI()
    items: dict[int, Item] = {}
    not_found = {404: {"description": "no such item"}}

    @app.post("/items", status_code=201, responses={400: {"description": "unreadable body"}})
    def create_item(body: ItemIn) -> Item:
        item = Item(id=len(items) + 1, name=body.name)
        items[item.id] = item
        return item

    @app.get(ITEM, responses=not_found)
    def get_item(item_id: int) -> Any:
        if item_id not in items:
            return JSONResponse({"detail": "no such item"}, status_code=404)
        return items[item_id]

    @app.delete(ITEM, status_code=204, responses=not_found)
    def delete_item(item_id: int) -> Response:
        if item_id not in items:
            return JSONResponse({"detail": "no such item"}, status_code=404)
        if deletes:
            del items[item_id]
        return Response(status_code=204)

    document = app.openapi()
    add_links(document, LINKS)
    return app


def test_a_resource_still_readable_after_its_delete_fails_the_run() -> None:
    with pytest.raises(FailureGroup, match="Deleted resource still available"):
        check_workflows(items_app(deletes=False), headers={}, scenarios=40, steps=6)


def test_the_same_sequences_pass_when_the_delete_deletes() -> None:
    check_workflows(items_app(deletes=True), headers={}, scenarios=40, steps=6)


def test_a_read_declared_readable_after_delete_is_not_held_to_it() -> None:
    app = items_app(deletes=False)
    check_workflows(app, headers={}, readable_after_delete=[f"GET {ITEM}"], scenarios=40, steps=6)
