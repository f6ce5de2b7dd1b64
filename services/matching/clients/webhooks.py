"""Posting one signed webhook: a bounded timeout, no redirects followed, 2xx is success."""

from __future__ import annotations

from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


class WebhookClient:
    """Wraps an `httpx.Client` built with `follow_redirects=False` and the attempt timeout; a
    3xx is a failure (a redirect could point anywhere, past the address checks)."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            return Outcome(False, error=f"timed out: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code)
        reason = "redirects are not followed" if response.is_redirect else "not a 2xx answer"
        return Outcome(False, response.status_code, f"HTTP {response.status_code}: {reason}")


def make_webhook_client(
    *, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        headers={"user-agent": "CityFIT-Match-Webhooks/1.0"},
    )
