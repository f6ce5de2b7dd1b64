"""A 10,000-release OCDS package imported over HTTP into a real catalogue process, then again.

    uv run python bench/ocds_import.py [--releases 10000]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        uv run python bench/ocds_import.py

Builds a release package from ANAC's published compiled releases (tests/data/ocds/it-anac),
each copy under its own ocid (so every release is a new contracting process and a new need;
buyers and suppliers repeat, as they do in real data), starts `cityfit serve catalogue` on a free
port with a fresh database (a SQLite file, or a throwaway database on the PostgreSQL server named
by BENCH_DATABASE_URL), registers a partner, posts the package once (all created) and once more
(all unchanged), and prints each request's time, the report's counts and the server's peak
resident memory (VmHWM) before and after. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

# run as a script: its folder is on sys.path, so the writes bench's helpers are shared
from catalogue_writes import drop_postgres, free_port, throwaway_postgres

ROOT = Path(__file__).resolve().parents[1]
ANAC = ROOT / "tests" / "data" / "ocds" / "it-anac" / "anac-2022-compiled-releases.sample.json"
ADMIN_KEY = "cfk_benchadmin_" + "B" * 43


def package(count: int) -> bytes:
    samples = json.loads(ANAC.read_text())
    releases = []
    for index in range(count):
        release = dict(samples[index % len(samples)])
        release["ocid"] = f"{release['ocid']}-bench{index}"
        release["id"] = f"{release['ocid']}-{release['date'][:10]}"
        releases.append(release)
    document = {
        "uri": "https://example.org/bench.json",
        "publishedDate": "2022-12-31T00:00:00Z",
        "publisher": {"name": "Autorità Nazionale Anticorruzione (bench copy)"},
        "version": "1.1",
        "releases": releases,
    }
    return json.dumps(document).encode()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server so far: unlike wall time, not inflated when other
    processes share the machine's cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(client: httpx.Client, key: str, body: bytes) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = client.post(
        "/v1/imports/ocds",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=10_000)
    args = parser.parse_args()

    body = package(args.releases)
    server_url = os.environ.get("BENCH_DATABASE_URL")
    workdir = Path(tempfile.mkdtemp(prefix="cityfit-bench-"))
    env = {
        **os.environ,
        "CATALOGUE_DATA_DIR": str(workdir),
        "CATALOGUE_LOG_LEVEL": "WARNING",
        "CATALOGUE_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY,
    }
    pg_name = None
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
        with httpx.Client(base_url=base_url, timeout=600) as client:
            for _ in range(300):
                try:
                    if client.get("/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            registered = client.post(
                "/v1/registrations",
                json={
                    "organisation": {"kind": "partner", "name": "Bench partner", "country": "IT"},
                    "contact_email": "bench@partner.example",
                },
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            )
            registered.raise_for_status()
            key = registered.json()["api_key"]
            rss_before = peak_rss_mb(process.pid)
            cpu_start = cpu_seconds(process.pid)
            first_time, first = post(client, key, body)
            cpu_first = cpu_seconds(process.pid) - cpu_start
            rss_after_first = peak_rss_mb(process.pid)
            cpu_start = cpu_seconds(process.pid)
            second_time, second = post(client, key, body)
            cpu_second = cpu_seconds(process.pid) - cpu_start
            rss_after_second = peak_rss_mb(process.pid)
            load = os.getloadavg()[0]
    finally:
        process.terminate()
        process.wait(timeout=15)
        if server_url and pg_name:
            drop_postgres(server_url, pg_name)

    size_mb = len(body) / 1e6
    print(f"OCDS import over HTTP on {database}: {args.releases} releases, {size_mb:.1f} MB body")
    print(
        f"  first post:  {first_time:.2f} s ({cpu_first:.2f} s server CPU), "
        f"counts {first['counts']} ({first['releases']} releases read)"
    )
    print(
        f"  second post: {second_time:.2f} s ({cpu_second:.2f} s server CPU), "
        f"counts {second['counts']}"
    )
    print(
        f"  server peak RSS (VmHWM): {rss_before:.0f} MB before, {rss_after_first:.0f} MB after "
        f"the first post, {rss_after_second:.0f} MB after the second"
    )
    print(f"  machine load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
    created_needs = sum(1 for item in first["created"] if item["entity"] == "need")
    unchanged = second["counts"]["unchanged"]
    ok = created_needs == args.releases and unchanged == first["counts"]["created"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
