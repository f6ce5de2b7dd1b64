"""Subscriptions and webhooks under a burst: events per second, delivery latency, none lost.

    uv run python bench/webhooks.py [--subscriptions 1000] [--changes 10000]
                                    [--base-suppliers 1000] [--max-rank 10] [--deadline 900]

Builds a catalogue (`cityfit seed`-style bulk data: base suppliers, lenders, municipalities and
one need per subscription), starts catalogue and matching as real processes on free 127.0.0.1
ports and a webhook receiver process (`services/matching/tests/webhook_receiver.py`, which
verifies every signature with `standardwebhooks`), subscribes one watch per need (suppliers,
`min_score` 0, a webhook each), then bulk-loads a burst of `changes` new suppliers and lenders
in one catalogue transaction and waits until matching has followed the feed and every delivery
is settled (or the deadline passes). Prints events per second (events recorded over the time
from the burst's commit to the last event), delivery latency p50/p99 (event time to receipt at
the receiver), and checks the receiver got every event exactly once, counted by `webhook-id`:
an event is *lost* when it is stored but never accepted by the receiver and its delivery is no
longer pending (delivered, dead or missing); one still pending at the deadline is reported as
*pending*, not lost (the run then fails as unsettled). Duplicates are webhook-ids accepted twice.
Everything runs in a temporary directory on SQLite and stops by itself; with
`BENCH_DATABASE_URL=postgresql://user@host:port/db` naming a PostgreSQL server, catalogue and
matching each get a throwaway database there instead (dropped at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.catalogue.app import MIGRATIONS as CATALOGUE_MIGRATIONS
from services.catalogue.service import seeding
from services.matching.app import MIGRATIONS as MATCHING_MIGRATIONS
from shared.db import make_engine
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
RECEIVER = ROOT / "services" / "matching" / "tests" / "webhook_receiver.py"
ADMIN_KEY = "cfk_benchadmin_" + "B" * 43


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def server_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def migrated(path: Path, migrations: Path, server: str | None, created: list[str]) -> str:
    """A fresh, migrated database: a SQLite file at `path`, or a new database on `server`."""
    if server is None:
        url = f"sqlite:///{path}"
    else:
        name = f"cityfit_bench_{path.stem}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        created.append(name)
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(migrations, url, engine)
    engine.dispose()
    return url


def drop(server: str | None, created: list[str]) -> None:
    if server is None or not created:
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def serve(service: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", service],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--base-suppliers", type=int, default=1000)
    parser.add_argument("--max-rank", type=int, default=10)
    parser.add_argument("--deadline", type=float, default=900)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cityfit-webhooks-"))
    server, databases = server_url(), []  # throwaway PostgreSQL databases, dropped at the end
    catalogue_url_db = migrated(work / "catalogue.sqlite3", CATALOGUE_MIGRATIONS, server, databases)
    matching_url_db = migrated(work / "matching.sqlite3", MATCHING_MIGRATIONS, server, databases)
    print(f"databases: {'PostgreSQL' if server else 'SQLite'}")
    catalogue_engine = make_engine(catalogue_url_db)
    base = seeding.seed(
        catalogue_engine, suppliers=args.base_suppliers, needs=args.subscriptions, seed=7
    )
    print(
        f"base catalogue: {base['suppliers']} suppliers, {base['lenders']} lenders, "
        f"{base['needs']} needs"
    )

    ports = {"catalogue": free_port(), "matching": free_port(), "receiver": free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ,
        "CATALOGUE_PORT": str(ports["catalogue"]),
        "CATALOGUE_DATABASE_URL": catalogue_url_db,
        "CATALOGUE_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
        "CATALOGUE_LOG_LEVEL": "WARNING",
        "MATCHING_PORT": str(ports["matching"]),
        "MATCHING_DATABASE_URL": matching_url_db,
        "MATCHING_CATALOGUE_URL": urls["catalogue"],
        "MATCHING_EVALUATION_URL": "http://127.0.0.1:9",
        "MATCHING_LOG_LEVEL": "WARNING",
        "MATCHING_FEED_POLL_SECONDS": "0.05",
        "MATCHING_ALLOW_PRIVATE_WEBHOOKS": "true",
        "MATCHING_SUBSCRIPTION_MAX_RANK": str(args.max_rank),
        "MATCHING_WEBHOOK_POLL_SECONDS": "0.05",
        "MATCHING_WEBHOOK_CONCURRENCY": "16",
        "MATCHING_WEBHOOK_BATCH": "200",
    }
    records, secrets = work / "received.jsonl", work / "secrets.json"
    secrets.write_text("{}")
    processes = [
        serve("catalogue", env, work / "catalogue.log"),
        serve("matching", env, work / "matching.log"),
        subprocess.Popen(
            [sys.executable, str(RECEIVER), str(ports["receiver"]), str(records), str(secrets)]
        ),
    ]
    try:
        for name in ("catalogue", "matching"):
            if not wait_for(lambda name=name: healthy(urls[name]), 60):
                print(f"{name} did not start; see {work}/{name}.log")
                return 1
        client = httpx.Client(headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)

        def index_status() -> dict:
            return client.get(f"{urls['matching']}/v1/index/status").json()

        expected = sum(base.values())
        wait_for(lambda: index_status()["feed"]["changes_applied"] >= expected, 300)
        need_ids: list[int] = []
        cursor = None
        while len(need_ids) < args.subscriptions:
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{urls['catalogue']}/v1/needs", params=params).json()
            need_ids += [need["id"] for need in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        started = time.perf_counter()
        known: dict[str, str] = {}
        for need_id in need_ids[: args.subscriptions]:
            created = client.post(
                f"{urls['matching']}/v1/subscriptions",
                json={
                    "url": f"{urls['receiver']}/hooks",
                    "filter": {"need_id": need_id, "kind": "supplier"},
                    "min_score": 0,
                },
            )
            created.raise_for_status()
            known[str(created.json()["id"])] = created.json()["secret"]
        secrets.write_text(json.dumps(known))
        print(
            f"{len(known)} subscriptions created in {time.perf_counter() - started:.1f} s "
            f"(watching the top {args.max_rank} suppliers of one need each)"
        )

        # the burst: one bulk transaction of new suppliers (and the lenders seed adds: 1 in 50)
        suppliers = round(args.changes * 50 / 51)
        burst_started = time.time()
        burst = seeding.seed(catalogue_engine, suppliers=suppliers, needs=0, seed=11)
        burst_committed = time.time()
        changes = burst["suppliers"] + burst["lenders"]
        took = burst_committed - burst_started
        print(f"burst: {changes} catalogue changes committed in {took:.1f} s")

        matching_engine = make_engine(matching_url_db)

        def settled() -> tuple[int, int, int] | None:
            status = index_status()["feed"]
            with matching_engine.connect() as connection:
                events = connection.execute(text("SELECT count(*) FROM match_events")).scalar_one()
                pending = connection.execute(
                    text("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'")
                ).scalar_one()
            done = status["changes_applied"] >= expected + changes and status["caught_up"]
            return (events, pending, status["changes_applied"]) if done and pending == 0 else None

        outcome = wait_for(settled, args.deadline, interval=0.5)
        if outcome is None:
            print(f"not settled within {args.deadline:.0f} s: the figures below are partial")
        with matching_engine.connect() as connection:
            rows = connection.execute(
                text("SELECT webhook_id, body FROM match_events ORDER BY id")
            ).all()
            # the state of each event's delivery (one subscription, one delivery per event)
            delivery_of = dict(
                connection.execute(
                    text(
                        "SELECT e.webhook_id, d.status FROM match_events e "
                        "JOIN webhook_deliveries d ON d.event_id = e.id"
                    )
                ).all()
            )
            by_status = dict(
                connection.execute(
                    text("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
                ).all()
            )
        matching_engine.dispose()
        event_times = {}
        for webhook_id, body in rows:
            document = json.loads(body) if isinstance(body, str) else body
            event_times[webhook_id] = datetime.fromisoformat(document["timestamp"]).timestamp()
        received = (
            [json.loads(line) for line in records.read_text().splitlines() if line]
            if records.exists()
            else []
        )
        accepted = Counter(r["id"] for r in received if r["status"] == 204)
        unverified = sum(1 for r in received if r["status"] == 400)
        missing = [webhook_id for webhook_id in event_times if webhook_id not in accepted]
        pending = [w for w in missing if delivery_of.get(w) == "pending"]
        lost = [w for w in missing if delivery_of.get(w) != "pending"]
        duplicated = [webhook_id for webhook_id, n in accepted.items() if n > 1]
        latencies = [
            r["received_at"] - event_times[r["id"]]
            for r in received
            if r["status"] == 204 and r["id"] in event_times
        ]
        events = len(event_times)
        last_event = max(event_times.values(), default=burst_committed)
        span = max(last_event - burst_committed, 1e-3)
        counts = Counter((json.loads(b) if isinstance(b, str) else b)["type"] for _, b in rows)
        print(f"events: {events} ({dict(counts)})")
        print(f"events per second: {events / span:.0f} (over {span:.1f} s from the burst's commit)")
        if latencies:
            print(
                f"delivery latency: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                f"mean {statistics.fmean(latencies) * 1000:.0f} ms"
            )
        print(f"deliveries by status: {by_status}")
        print(
            f"receiver: {len(accepted)} distinct webhook-ids accepted, {len(lost)} lost, "
            f"{len(pending)} still pending, {len(duplicated)} duplicated, "
            f"{unverified} failed verification"
        )
        ok = outcome is not None and not lost and not duplicated and not unverified
        if ok:
            print("OK: none lost or duplicated")
        elif outcome is None and not lost and not duplicated and not unverified:
            print("FAILED: not settled in time (none lost or duplicated so far, some pending)")
        else:
            print("FAILED: see the counts above")
        return 0 if ok else 1
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        catalogue_engine.dispose()
        drop(server, databases)


if __name__ == "__main__":
    sys.exit(main())
