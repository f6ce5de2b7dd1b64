"""A real webhook receiver for tests and the bench: `python webhook_receiver.py PORT RECORDS
SECRETS [--fail-first N]`.

Verifies every request with `standardwebhooks.Webhook(secret).verify(...)`, the secret looked up
by the event's `data.subscription_id` in the JSON file SECRETS (`{"<id>": "whsec_..."}`, re-read
when an id is unknown), and appends one JSON line per request to RECORDS:
`{"id", "status", "verified", "type", "subscription_id", "received_at"}`. The first N requests
are answered 503 (recorded with `status` 503), the others 204 when verified, 400 when not.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class State:
    def __init__(self, records: Path, secrets: Path, fail_first: int) -> None:
        self.records = records
        self.secrets_path = secrets
        self.secrets: dict[str, str] = {}
        self.to_fail = fail_first
        self.lock = threading.Lock()

    def secret(self, subscription_id: str) -> str | None:
        with self.lock:
            if subscription_id not in self.secrets and self.secrets_path.exists():
                self.secrets = json.loads(self.secrets_path.read_text() or "{}")
            return self.secrets.get(subscription_id)

    def failing(self) -> bool:
        with self.lock:
            if self.to_fail > 0:
                self.to_fail -= 1
                return True
            return False

    def record(self, entry: dict) -> None:
        line = json.dumps(entry) + "\n"
        with self.lock, self.records.open("a") as handle:
            handle.write(line)


def handler_for(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the sender reuses its connections

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            received_at = time.time()
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            entry: dict = {"id": headers.get("webhook-id"), "received_at": received_at}
            if state.failing():
                entry.update(status=503, verified=None)
                state.record(entry)
                self._answer(503)
                return
            try:
                document = json.loads(body)
                subscription_id = str(document["data"]["subscription_id"])
                secret = state.secret(subscription_id)
                if secret is None:
                    raise WebhookVerificationError(f"no secret for {subscription_id}")
                Webhook(secret).verify(body, headers)
                entry.update(
                    status=204,
                    verified=True,
                    type=document["type"],
                    subscription_id=int(subscription_id),
                    timestamp=document["timestamp"],
                )
                status = 204
            except (WebhookVerificationError, ValueError, KeyError) as exc:
                entry.update(status=400, verified=False, error=str(exc))
                status = 400
            state.record(entry)
            self._answer(status)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("records", type=Path)
    parser.add_argument("secrets", type=Path)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    state = State(args.records, args.secrets, args.fail_first)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(state))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
