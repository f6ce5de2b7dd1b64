"""Bankability figures of needs' appraisals, from the evaluation service.

Fetched with a short timeout and cached per need version; when evaluation cannot be reached the
answer is `Bankability(available=False, reason=...)`, so matching still ranks and marks the
lender thresholds as not evaluated. Failures are cached only briefly, so recovery is quick.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from services.matching.domain.records import Bankability, Need

UNREACHABLE_RETRY_SECONDS = 5.0


class BankabilitySource:
    def __init__(self, client: httpx.Client, *, ttl_seconds: float) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._cache: dict[tuple[int, str], tuple[float, Bankability | None]] = {}
        self._lock = threading.Lock()

    def for_need(
        self, need: Need, appraisal: dict[str, Any] | None, version: str
    ) -> Bankability | None:
        """None when the need has no appraisal; `available=False` when evaluation is down."""
        if not appraisal:
            return None
        key = (need.id, version)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        figures = self._fetch(appraisal)
        expires = now + (
            self._ttl if figures is None or figures.available else UNREACHABLE_RETRY_SECONDS
        )
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = (expires, figures)
        return figures

    def _fetch(self, appraisal: dict[str, Any]) -> Bankability | None:
        try:
            if appraisal.get("appraisal_id") is not None:
                response = self._client.get(
                    f"/v1/appraisals/{appraisal['appraisal_id']}/bankability"
                )
            else:
                response = self._client.post("/v1/calculations/bankability", json=appraisal)
        except httpx.HTTPError as exc:
            return Bankability(available=False, reason=f"evaluation unreachable: {exc}")
        if response.status_code in (404, 422):
            # the need points at an appraisal that does not exist or cannot be computed
            return Bankability(
                available=False, reason=f"appraisal refused by evaluation ({response.status_code})"
            )
        if response.status_code >= 500:
            return Bankability(
                available=False, reason=f"evaluation answered {response.status_code}"
            )
        return Bankability.from_document(response.json())
