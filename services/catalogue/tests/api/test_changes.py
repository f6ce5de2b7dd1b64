"""The change feed: every write appears once, in order, deletes included, replayable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from services.catalogue.service import changes
from services.catalogue.settings import CatalogueSettings
from services.catalogue.tests.builders import auth, post_need, register
from shared.db import make_engine, transaction


def read_all(client: TestClient, after: str | None = None, limit: int = 3) -> tuple[list, str]:
    items: list = []
    cursor = after
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor else {})}
        page = client.get("/v1/changes", params=params).json()
        items += page["items"]
        if not page["items"]:
            return items, page["next_cursor"]
        cursor = page["next_cursor"]


class TestChangeFeed:
    def test_every_write_appears_once_in_commit_order(self, client: TestClient) -> None:
        _start, cursor = read_all(client)
        city, key = register(client, kind="municipality", name="Torino")
        need = post_need(client, key)
        client.patch(
            f"/v1/needs/{need['id']}",
            json={"title": "LED lighting, phase 2"},
            headers={**auth(key), "If-Match": '"1"'},
        )
        client.delete(f"/v1/needs/{need['id']}", headers={**auth(key), "If-Match": '"2"'})
        items, _ = read_all(client, cursor)
        assert [(i["entity"], i["id"], i["op"]) for i in items] == [
            ("organisation", city["id"], "upsert"),
            ("need", need["id"], "upsert"),
            ("need", need["id"], "upsert"),
            ("need", need["id"], "delete"),
        ]
        assert items[2]["data"]["title"] == "LED lighting, phase 2"
        assert items[3]["data"] is None
        assert len({i["cursor"] for i in items}) == 4

    def test_an_empty_page_still_returns_a_cursor(self, client: TestClient) -> None:
        _items, cursor = read_all(client)
        page = client.get("/v1/changes", params={"after": cursor}).json()
        assert page == {"items": [], "next_cursor": cursor}

    def test_replay_from_the_start_gives_the_same_sequence(self, client: TestClient) -> None:
        register(client, name="A")
        register(client, name="B")
        first, _ = read_all(client, limit=1)
        again, _ = read_all(client, limit=500)
        assert first == again

    def test_a_malformed_cursor_is_named(self, client: TestClient) -> None:
        response = client.get("/v1/changes", params={"after": "yesterday"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "after"

    def test_compaction_keeps_the_newest_change_of_every_record(
        self, client: TestClient, settings: CatalogueSettings
    ) -> None:
        city, key = register(client, kind="municipality", name="A")
        supplier, _ = register(client, name="B")
        kept = post_need(client, key)
        client.patch(
            f"/v1/needs/{kept['id']}",
            json={"title": "LED lighting, phase 2"},
            headers={**auth(key), "If-Match": '"1"'},
        )
        gone = post_need(client, key, title="A need withdrawn")
        client.delete(f"/v1/needs/{gone['id']}", headers={**auth(key), "If-Match": '"1"'})
        before, end = read_all(client, limit=500)
        # a follower that had read up to the supplier, then the feed is compacted
        early_cursor = next(i["cursor"] for i in before if i["id"] == supplier["id"])
        engine = make_engine(settings.resolved_database_url())
        with transaction(engine) as session:
            removed = changes.compact(session, datetime.now(UTC) + timedelta(seconds=1))
        engine.dispose()

        assert removed == 2  # the first version of `kept` and `gone`'s upsert
        replay, replay_end = read_all(client, limit=1)
        assert [(i["entity"], i["id"], i["op"]) for i in replay[-4:]] == [
            ("organisation", city["id"], "upsert"),
            ("organisation", supplier["id"], "upsert"),
            ("need", kept["id"], "upsert"),
            ("need", gone["id"], "delete"),
        ]
        newest = {(i["entity"], i["id"]): i for i in before}
        assert replay == sorted(newest.values(), key=before.index)
        assert replay[-2]["data"]["title"] == "LED lighting, phase 2"
        assert replay_end == end
        # the early follower reads on and still hears of the edit and of the delete
        rest, _ = read_all(client, early_cursor)
        assert [(i["id"], i["op"]) for i in rest] == [
            (kept["id"], "upsert"),
            (gone["id"], "delete"),
        ]
        # compacting again finds nothing more to drop
        engine = make_engine(settings.resolved_database_url())
        with transaction(engine) as session:
            assert changes.compact(session, datetime.now(UTC) + timedelta(seconds=1)) == 0
        engine.dispose()

    def test_a_rejected_write_leaves_no_change(self, client: TestClient) -> None:
        _city, key = register(client, kind="municipality", name="Torino")
        _items, cursor = read_all(client)
        response = client.post("/v1/needs", json={"title": "x"}, headers=auth(key))
        assert response.status_code == 422
        assert read_all(client, cursor)[0] == []
