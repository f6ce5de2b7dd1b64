"""Sustained registrations per second and latency over HTTP against a real catalogue process.

    uv run python bench/catalogue_writes.py [--seconds 20] [--concurrency 8]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        uv run python bench/catalogue_writes.py

Starts `cityfit serve catalogue` on a free port with a fresh database (a SQLite file in a temp
directory, or a throwaway database on the PostgreSQL server named by BENCH_DATABASE_URL), warms
up, then keeps `concurrency` clients registering suppliers for a fixed time and prints
throughput and p50/p99 latency. The load goes to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def throwaway_postgres(server_url: str) -> tuple[str, str]:
    name = f"cityfit_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres(server_url: str, name: str) -> None:
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def registration(n: int) -> dict[str, object]:
    return {
        "organisation": {
            "kind": "supplier",
            "name": f"Bench supplier {n}",
            "country": "IT",
            "description": "LED street lighting retrofit and remote management",
            "capabilities": ["LED retrofit", "telegestione"],
            "cpv_codes": ["34928500", "31527200"],
            "nuts_codes": ["ITC1"],
            "contract_forms": ["epc", "ppp"],
            "project_size": {
                "min": {"amount": 500_000, "currency": "EUR"},
                "max": {"amount": 20_000_000, "currency": "EUR"},
            },
        },
        "contact_email": f"bench{n}@supplier.example",
    }


def run(base_url: str, seconds: float, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while time.perf_counter() < deadline:
                n = next(counter)
                started = time.perf_counter()
                response = client.post(
                    "/v1/registrations",
                    json=registration(n),
                    headers={"Idempotency-Key": f"bench-{n}"},
                )
                elapsed = time.perf_counter() - started
                with lock:
                    if response.status_code == 201:
                        latencies.append(elapsed)
                    else:
                        errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    server_url = os.environ.get("BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="cityfit-bench-"))
    pg_name = None
    env = {**os.environ, "CATALOGUE_DATA_DIR": str(workdir), "CATALOGUE_LOG_LEVEL": "WARNING"}
    if server_url:
        pg_name, url = throwaway_postgres(server_url)
        env["CATALOGUE_DATABASE_URL"] = url
    database = "PostgreSQL" if server_url else "SQLite"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "serve", "catalogue", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        run(base_url, 2, args.concurrency)  # warm-up
        started = time.perf_counter()
        latencies, errors = run(base_url, args.seconds, args.concurrency)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=15)
        if server_url and pg_name:
            drop_postgres(server_url, pg_name)

    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(
        f"catalogue registrations over HTTP on {database}: "
        f"{len(latencies) / elapsed:.0f}/s sustained for {elapsed:.0f} s "
        f"with {args.concurrency} clients; p50 {p50:.1f} ms, p99 {p99:.1f} ms; "
        f"{len(latencies)} created, {errors} errors"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
