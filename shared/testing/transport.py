"""Another service's in-process app behind an httpx transport (STYLE.md example 11)."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient


def app_transport(client: TestClient) -> httpx.MockTransport:
    """Forward each outbound request of the service under test to `client`'s app."""

    def forward(request: httpx.Request) -> httpx.Response:
        answer = client.request(
            request.method,
            request.url.path,
            params=request.url.params,
            headers=dict(request.headers),
            content=request.content,
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return httpx.MockTransport(forward)


def unreachable_transport() -> httpx.MockTransport:
    """A dependency that is down: every request fails to connect."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(refuse)
