"""The webhook delivery worker: a thread that claims due deliveries and sends them.

Each round claims up to `batch` due deliveries (one short transaction), posts them on a bounded
thread pool so one slow endpoint does not hold up the others, and records the outcomes in
batches as they come in (one short transaction per batch, every `record_seconds` at most), so
the database's writer is held briefly and a slow endpoint does not delay the others' records.
Deliveries live in the database: a restart resumes every schedule where it was.
See `services.matching.service.deliveries` for the schedule and the dead-letter rules.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from sqlalchemy import Engine

from services.matching.clients.webhooks import Outcome, WebhookClient
from services.matching.service import deliveries
from services.matching.service.deliveries import Attempt, DeliveryPolicy
from shared.clock import utcnow
from shared.db import transaction

log = logging.getLogger("cityfit.matching.webhooks")


class WebhookSender:
    def __init__(
        self,
        engine: Engine,
        client: WebhookClient,
        policy: DeliveryPolicy,
        *,
        batch: int,
        concurrency: int,
        poll_seconds: float,
        record_seconds: float = 0.25,
    ) -> None:
        self._engine = engine
        self._client = client
        self._policy = policy
        self._batch = batch
        self._poll_seconds = poll_seconds
        self._record_seconds = record_seconds
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="webhook")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0

    def run_once(self) -> int:
        """Claim, send and record one batch; the number of attempts made."""
        with transaction(self._engine) as session:
            attempts = deliveries.claim(
                session, now=utcnow(), limit=self._batch, policy=self._policy
            )
        if not attempts:
            return 0
        futures = {self._pool.submit(self._send, attempt): attempt for attempt in attempts}
        waiting = set(futures)
        done: list[tuple[Attempt, Outcome]] = []
        last_record = time.monotonic()
        while waiting:
            finished, waiting = wait(
                waiting, timeout=self._record_seconds, return_when=FIRST_COMPLETED
            )
            done += [(futures[future], future.result()) for future in finished]
            if done and (not waiting or time.monotonic() - last_record >= self._record_seconds):
                self._record(done)
                done, last_record = [], time.monotonic()
        return len(attempts)

    def _record(self, results: list[tuple[Attempt, Outcome]]) -> None:
        with transaction(self._engine) as session:
            deliveries.record_many(session, results, now=utcnow(), policy=self._policy)
        self.sent += sum(1 for _, outcome in results if outcome.delivered)
        self.failed += sum(1 for _, outcome in results if not outcome.delivered)

    def _send(self, attempt: Attempt) -> Outcome:
        refused = deliveries.check(attempt, self._policy)
        if refused is not None:
            return refused
        return self._client.post(attempt.url, attempt.body, attempt.headers)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._pool.shutdown(wait=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                made = self.run_once()
            except Exception:  # a database hiccup must not kill the worker: log and go on
                log.exception("webhook delivery round failed")
                made = 0
            if made < self._batch:
                self._stop.wait(self._poll_seconds)
