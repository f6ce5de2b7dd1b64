"""The outbound HTTP client every service uses: timeouts, connection retries, request id."""

from __future__ import annotations

import httpx

from shared.observability import REQUEST_ID_HEADER, current_request_id


def _propagate_request_id(request: httpx.Request) -> None:
    request_id = current_request_id()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def make_client(
    base_url: str,
    *,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """A client bound to another service. `transport` lets tests put an app or a mock behind it."""
    return httpx.Client(
        base_url=base_url,
        timeout=httpx.Timeout(timeout),
        # retries here cover connection failures only: never a request the server has seen
        transport=transport or httpx.HTTPTransport(retries=2),
        event_hooks={"request": [_propagate_request_id]},
        follow_redirects=False,
    )
