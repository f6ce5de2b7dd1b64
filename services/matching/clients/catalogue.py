"""The catalogue's change feed, read through the shared HTTP client."""

from __future__ import annotations

import httpx

from shared.contracts.changes import ChangePage


class FeedGone(Exception):
    """The persisted cursor is older than the catalogue keeps: the index must be rebuilt."""


class CatalogueFeed:
    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def read(self, after: str, limit: int) -> ChangePage:
        response = self._client.get("/v1/changes", params={"after": after, "limit": limit})
        if response.status_code == 410:
            raise FeedGone(response.json().get("detail", "cursor too old"))
        response.raise_for_status()
        return ChangePage.model_validate(response.json())
