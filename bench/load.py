"""A mixed load on the whole stack for a bounded time: per-route throughput, p50/p99, errors.

    uv run python bench/load.py [--seconds 20] [--clients 8] [--suppliers 1000] [--needs 200]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test uv run python bench/load.py
    uv run python bench/load.py --catalogue-url URL --evaluation-url URL --matching-url URL

Without URLs it starts catalogue, evaluation and matching as real processes on free 127.0.0.1
ports with fresh databases (SQLite files in a temporary directory; with `--database-url` or
BENCH_DATABASE_URL naming a PostgreSQL server, a throwaway database per service there, dropped
at the end), loads the demo catalogue plus a seeded synthetic one (`cityfit demo`, `cityfit
seed`), and waits until matching has followed the whole feed. With the three URLs it attaches to
a running stack and uses the catalogue it finds. Either way each client first registers a
municipality and a supplier of its own (self-registration needs no admin key): the writes go
through their keys.

Then `clients` threads loop until the time is up, each picking an operation by weight:
reads 45 (needs, a need, organisations, an organisation, CPV and NUTS search, funding calls),
matches 30 (a need's suppliers, lenders, funding calls and peer cities; a supplier's needs;
why-not for one supplier; bundles), writes 15 (register a supplier, post an offer, post a need,
patch the client's own need with If-Match) and evaluation 10 (NPV and IRR calculations, a
template, an appraisal posted and read back). Every answer must carry the status the scenario
expects (200, or 201 for a creation); anything else, or a transport error, is an error, shown
with its body, and the script exits 1. The load generator shares the machine with the services
(its threads hold the GIL while they build requests): the figures are for the whole machine.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.catalogue.app import MIGRATIONS as CATALOGUE_MIGRATIONS
from services.catalogue.service import demo, seeding
from services.evaluation.app import MIGRATIONS as EVALUATION_MIGRATIONS
from services.matching.app import MIGRATIONS as MATCHING_MIGRATIONS
from shared.db import make_engine
from shared.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent
STACK = {
    "catalogue": CATALOGUE_MIGRATIONS,
    "evaluation": EVALUATION_MIGRATIONS,
    "matching": MATCHING_MIGRATIONS,
}
ADMIN_KEY = "cfk_benchload0_" + "L" * 43
NEED_CATEGORIES = ("public_lighting", "traffic_lights", "building_efficiency")


# --- the stack ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_server(url: str | None) -> str | None:
    if not url:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@dataclass
class Stack:
    """The three services as processes, on fresh databases this script creates and drops."""

    workdir: Path
    server: str | None
    databases: dict[str, str] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=lambda: {name: free_port() for name in STACK})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def migrate(self) -> None:
        for service, migrations in STACK.items():
            if self.server is None:
                url = f"sqlite:///{self.workdir / service}.sqlite3"
            else:
                name = f"cityfit_bench_load_{service}_{uuid.uuid4().hex[:8]}"
                admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
                admin.dispose()
                self.created.append(name)
                url = make_url(self.server).set(database=name).render_as_string(hide_password=False)
            engine = make_engine(url)
            upgrade(migrations, url, engine)
            engine.dispose()
            self.databases[service] = url

    def load_catalogue(self, suppliers: int, needs: int) -> str:
        engine = make_engine(self.databases["catalogue"])
        try:
            loaded = demo.load(engine, only_if_empty=False)
            assert loaded is not None
            counts = seeding.seed(engine, suppliers=suppliers, needs=needs, seed=11)
        finally:
            engine.dispose()
        return (
            f"demo catalogue ({len(loaded['organisations'])} organisations) plus "
            f"{counts['suppliers']} suppliers, {counts['lenders']} lenders, "
            f"{counts['municipalities']} municipalities and {counts['needs']} needs seeded"
        )

    def environment(self) -> dict[str, str]:
        env = {**os.environ}
        for service in STACK:
            prefix = service.upper()
            env[f"{prefix}_PORT"] = str(self.ports[service])
            env[f"{prefix}_DATA_DIR"] = str(self.workdir)
            env[f"{prefix}_DATABASE_URL"] = self.databases[service]
            env[f"{prefix}_CATALOGUE_URL"] = self.url("catalogue")
            env[f"{prefix}_LOG_LEVEL"] = "WARNING"
        env["MATCHING_EVALUATION_URL"] = self.url("evaluation")
        env["CATALOGUE_BOOTSTRAP_ADMIN_KEY"] = ADMIN_KEY
        return env

    def start(self) -> None:
        for service in STACK:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", service],
                env=self.environment(),
                cwd=ROOT,
                stdout=(self.workdir / f"{service}.log").open("ab"),
                stderr=subprocess.STDOUT,
            )
        for service in STACK:
            if not wait_for(lambda s=service: answers(f"{self.url(s)}/readyz"), timeout=120):
                raise RuntimeError(f"{service} did not start: {self.workdir / service}.log")

    def memory(self) -> dict[str, tuple[int, int]]:
        """(resident, peak resident) kB of each service process, from /proc."""
        found: dict[str, tuple[int, int]] = {}
        for service, process in self.processes.items():
            status = Path(f"/proc/{process.pid}/status")
            if status.exists():
                fields = dict(
                    line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
                )
                found[service] = (
                    int(fields["VmRSS"].split()[0]),
                    int(fields["VmHWM"].split()[0]),
                )
        return found

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.server is not None and self.created:
            admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                for name in self.created:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


def feed_status(matching: str) -> dict[str, Any]:
    return httpx.get(f"{matching}/v1/index/status", timeout=10).json()["feed"]


# --- what the clients see ----------------------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """Ids the load reads and matches against, found through the API at the start."""

    needs: list[int]
    suppliers: list[int]
    organisations: list[int]
    funding_calls: list[int]


def list_ids(client: httpx.Client, path: str, **params: Any) -> list[int]:
    response = client.get(path, params={"limit": 100, **params})
    response.raise_for_status()
    return [item["id"] for item in response.json()["items"]]


def discover(catalogue: str) -> Catalogue:
    with httpx.Client(base_url=catalogue, timeout=30) as client:
        needs = list_ids(client, "/v1/needs", status="open")
        suppliers = list_ids(client, "/v1/organisations", kind="supplier")
        lenders = list_ids(client, "/v1/organisations", kind="lender")
        calls = list_ids(client, "/v1/funding-calls")
    if not needs or not suppliers:
        raise SystemExit("the catalogue has no open needs or no suppliers to load against")
    return Catalogue(needs, suppliers, suppliers + lenders, calls)


def organisation(kind: str, n: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": kind,
        "name": f"Load {kind} {n}",
        "country": "IT",
        "description": "LED street lighting, traffic lights and energy efficiency of schools",
        "nuts_codes": ["ITC1"],
        "contract_forms": ["epc", "ppp"],
    }
    if kind == "supplier":
        body["cpv_codes"] = ["34928500", "34996100"]
        body["project_size"] = {
            "min": {"amount": 200_000, "currency": "EUR"},
            "max": {"amount": 20_000_000, "currency": "EUR"},
        }
    return {"organisation": body, "contact_email": f"load-{n}@{kind}.example"}


def need(rng: random.Random) -> dict[str, Any]:
    return {
        "title": f"Carico di prova {rng.randrange(10**6)}: riqualificazione LED",
        "description": "LED street lighting with remote management and maintenance",
        "category": rng.choice(NEED_CATEGORIES),
        "cpv_codes": ["34928500"],
        "nuts_code": "ITC11",
        "budget": {"amount": rng.randrange(500_000, 20_000_000), "currency": "EUR"},
        "contract_forms": ["epc"],
    }


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            if error is not None:
                self.errors[route] += 1
                self.samples[f"{route}: {error}"] += 1


class Client:
    """One simulated user: its own connections, keys and needs."""

    def __init__(
        self, urls: dict[str, str], catalogue: Catalogue, results: Results, seed: int
    ) -> None:
        self.http = {name: httpx.Client(base_url=url, timeout=60) for name, url in urls.items()}
        self.catalogue = catalogue
        self.results = results
        self.rng = random.Random(seed)
        self.tag = f"{seed}-{uuid.uuid4().hex[:6]}"
        self.counter = 0
        self.own_needs: list[tuple[int, str]] = []  # (id, current ETag)
        self.appraisals: list[int] = []
        self.municipality = self._register("municipality")
        self.supplier = self._register("supplier")

    def _register(self, kind: str) -> dict[str, str]:
        response = self.http["catalogue"].post(
            "/v1/registrations", json=organisation(kind, f"{self.tag}-setup")
        )
        response.raise_for_status()
        return {"Authorization": f"Bearer {response.json()['api_key']}"}

    def close(self) -> None:
        for client in self.http.values():
            client.close()

    def call(
        self, service: str, method: str, route: str, url: str, expect: int = 200, **kwargs: Any
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.http[service].request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self.results.add(
                f"{method} {service} {route}", time.perf_counter() - started, repr(exc)
            )
            return None
        error = None
        if response.status_code != expect:
            error = f"{response.status_code} {response.text[:200]}"
        self.results.add(f"{method} {service} {route}", time.perf_counter() - started, error)
        return response if error is None else None

    def pick(self, ids: list[int]) -> int:
        return self.rng.choice(ids)

    # reads

    def list_needs(self) -> None:
        self.call("catalogue", "GET", "/v1/needs", "/v1/needs", params={"limit": 20})

    def get_need(self) -> None:
        need_id = self.pick(self.catalogue.needs)
        self.call("catalogue", "GET", "/v1/needs/{id}", f"/v1/needs/{need_id}")

    def list_organisations(self) -> None:
        kind = self.rng.choice(("supplier", "lender", "municipality"))
        params = {"kind": kind, "limit": 20}
        self.call("catalogue", "GET", "/v1/organisations", "/v1/organisations", params=params)

    def get_organisation(self) -> None:
        org = self.pick(self.catalogue.organisations)
        self.call("catalogue", "GET", "/v1/organisations/{id}", f"/v1/organisations/{org}")

    def search_cpv(self) -> None:
        q = self.rng.choice(("street lighting", "traffic", "energy", "school", "software"))
        params = {"q": q, "limit": 10}
        self.call("catalogue", "GET", "/v1/reference/cpv", "/v1/reference/cpv", params=params)

    def search_nuts(self) -> None:
        q = self.rng.choice(("Torino", "Milano", "Bologna", "Lombardia", "Puglia"))
        params = {"q": q, "limit": 10}
        self.call("catalogue", "GET", "/v1/reference/nuts", "/v1/reference/nuts", params=params)

    def list_funding_calls(self) -> None:
        self.call("catalogue", "GET", "/v1/funding-calls", "/v1/funding-calls")

    # matches

    def need_matches(self) -> None:
        need_id = self.pick(self.catalogue.needs)
        kind = self.rng.choice(("supplier", "lender", "funding_call", "municipality"))
        self.call(
            "matching",
            "GET",
            f"/v1/needs/{{id}}/matches?kind={kind}",
            f"/v1/needs/{need_id}/matches",
            params={"kind": kind, "limit": 10},
        )

    def supplier_matches(self) -> None:
        supplier = self.pick(self.catalogue.suppliers)
        route = "/v1/organisations/{id}/matches"
        url = f"/v1/organisations/{supplier}/matches"
        self.call("matching", "GET", route, url, params={"limit": 10})

    def why_not(self) -> None:
        need_id, supplier = self.pick(self.catalogue.needs), self.pick(self.catalogue.suppliers)
        route = "/v1/needs/{id}/matches/supplier/{id}"
        self.call("matching", "GET", route, f"/v1/needs/{need_id}/matches/supplier/{supplier}")

    def bundles(self) -> None:
        need_id = self.pick(self.catalogue.needs)
        self.call("matching", "GET", "/v1/needs/{id}/bundles", f"/v1/needs/{need_id}/bundles")

    # writes

    def register_supplier(self) -> None:
        self.counter += 1
        n = f"{self.tag}-{self.counter}"
        self.call(
            "catalogue",
            "POST",
            "/v1/registrations",
            "/v1/registrations",
            expect=201,
            json=organisation("supplier", n),
            headers={"Idempotency-Key": f"load-{n}"},
        )

    def post_offer(self) -> None:
        body = {
            "kind": "product",
            "title": f"Armatura LED {self.rng.randrange(10**6)}",
            "description": "LED luminaire for street lighting, dimmable",
            "cpv_codes": ["34928500"],
            "price": {"amount": self.rng.randrange(100, 900), "currency": "EUR"},
        }
        self.call(
            "catalogue", "POST", "/v1/offers", "/v1/offers", 201, json=body, headers=self.supplier
        )

    def post_need(self) -> None:
        response = self.call(
            "catalogue",
            "POST",
            "/v1/needs",
            "/v1/needs",
            201,
            json=need(self.rng),
            headers=self.municipality,
        )
        if response is not None:
            self.own_needs.append((response.json()["id"], response.headers["ETag"]))

    def patch_need(self) -> None:
        if not self.own_needs:
            self.post_need()
            return
        index = self.rng.randrange(len(self.own_needs))
        need_id, etag = self.own_needs[index]
        response = self.call(
            "catalogue",
            "PATCH",
            "/v1/needs/{id}",
            f"/v1/needs/{need_id}",
            json={"budget": {"amount": self.rng.randrange(500_000, 20_000_000), "currency": "EUR"}},
            headers={**self.municipality, "If-Match": etag},
        )
        if response is not None:
            self.own_needs[index] = (need_id, response.headers["ETag"])

    # evaluation

    def npv(self) -> None:
        flows = [-1000.0, *(self.rng.uniform(50, 200) for _ in range(20))]
        body = {"cash_flows": flows, "rate": 0.05}
        self.call("evaluation", "POST", "/v1/calculations/npv", "/v1/calculations/npv", json=body)

    def irr(self) -> None:
        flows = [-1000.0, *(self.rng.uniform(50, 200) for _ in range(20))]
        route = "/v1/calculations/irr"
        self.call("evaluation", "POST", route, route, json={"cash_flows": flows})

    def template(self) -> None:
        route = "/v1/templates/{name}"
        self.call("evaluation", "GET", route, "/v1/templates/led_public_lighting")

    def appraise(self) -> None:
        body = {
            "template": "led_public_lighting",
            "inputs": {"points": self.rng.randrange(1000, 50_000), "energy_price": 0.22},
            "financing": {"gearing": 0.7, "rate": 0.05, "tenor_years": 10},
        }
        response = self.call(
            "evaluation",
            "POST",
            "/v1/appraisals",
            "/v1/appraisals",
            201,
            json=body,
            headers=self.municipality,
        )
        if response is not None:
            self.appraisals.append(response.json()["id"])

    def get_appraisal(self) -> None:
        if not self.appraisals:
            self.appraise()
            return
        appraisal = self.pick(self.appraisals)
        route = "/v1/appraisals/{id}"
        self.call("evaluation", "GET", route, f"/v1/appraisals/{appraisal}")


# (weight, operation): reads 45, matches 30, writes 15, evaluation 10
MIX: list[tuple[float, Callable[[Client], None]]] = [
    (8, Client.list_needs),
    (10, Client.get_need),
    (6, Client.list_organisations),
    (8, Client.get_organisation),
    (5, Client.search_cpv),
    (4, Client.search_nuts),
    (4, Client.list_funding_calls),
    (12, Client.need_matches),
    (7, Client.supplier_matches),
    (7, Client.why_not),
    (4, Client.bundles),
    (3, Client.register_supplier),
    (3, Client.post_offer),
    (4, Client.post_need),
    (5, Client.patch_need),
    (3, Client.npv),
    (2, Client.irr),
    (1, Client.template),
    (2, Client.appraise),
    (2, Client.get_appraisal),
]


def run(clients: list[Client], seconds: float) -> float:
    weights = [weight for weight, _ in MIX]
    operations = [operation for _, operation in MIX]
    deadline = time.perf_counter() + seconds

    def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            client.rng.choices(operations, weights)[0](client)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(results: Results, elapsed: float) -> int:
    width = max(len(route) for route in results.latencies)
    print(f"\n{'route':<{width}}  {'count':>6}  {'req/s':>7}  {'p50 ms':>7}  {'p99 ms':>7}  errors")
    total = errors = 0
    all_latencies: list[float] = []
    for route in sorted(results.latencies):
        values = results.latencies[route]
        total += len(values)
        errors += results.errors[route]
        all_latencies += values
        print(
            f"{route:<{width}}  {len(values):>6}  {len(values) / elapsed:>7.1f}  "
            f"{percentile(values, 0.5) * 1000:>7.1f}  {percentile(values, 0.99) * 1000:>7.1f}  "
            f"{results.errors[route]:>6}"
        )
    print(
        f"{'total':<{width}}  {total:>6}  {total / elapsed:>7.1f}  "
        f"{percentile(all_latencies, 0.5) * 1000:>7.1f}  "
        f"{percentile(all_latencies, 0.99) * 1000:>7.1f}  {errors:>6}"
    )
    for sample, count in sorted(results.samples.items(), key=lambda item: -item[1])[:10]:
        print(f"  {count} x {sample}")
    return errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--suppliers", type=int, default=1000, help="seeded, besides the demo")
    parser.add_argument("--needs", type=int, default=200, help="seeded, besides the demo")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--catalogue-url")
    parser.add_argument("--evaluation-url")
    parser.add_argument("--matching-url")
    args = parser.parse_args()

    given = {
        "catalogue": args.catalogue_url,
        "evaluation": args.evaluation_url,
        "matching": args.matching_url,
    }
    if any(given.values()) and not all(given.values()):
        parser.error("attach with all three of --catalogue-url, --evaluation-url, --matching-url")
    stack: Stack | None = None
    try:
        if all(given.values()):
            urls = {name: str(url).rstrip("/") for name, url in given.items()}
            print(f"attached to {urls['catalogue']}, {urls['evaluation']}, {urls['matching']}")
        else:
            stack = Stack(
                Path(tempfile.mkdtemp(prefix="cityfit-load-")), postgres_server(args.database_url)
            )
            print(f"databases: {'PostgreSQL' if stack.server else 'SQLite'}")
            stack.migrate()
            print(stack.load_catalogue(args.suppliers, args.needs))
            started = time.perf_counter()
            stack.start()
            urls = {name: stack.url(name) for name in STACK}
            if not wait_for(lambda: feed_status(urls["matching"])["caught_up"], timeout=600):
                raise RuntimeError("matching did not catch up with the catalogue feed")
            print(f"stack up and matching caught up in {time.perf_counter() - started:.1f} s")

        catalogue = discover(urls["catalogue"])
        results = Results()
        clients = [Client(urls, catalogue, results, seed) for seed in range(args.clients)]
        print(
            f"{args.clients} clients, {args.seconds:g} s; reading {len(catalogue.needs)} needs, "
            f"{len(catalogue.suppliers)} suppliers, {len(catalogue.funding_calls)} funding calls"
        )
        elapsed = run(clients, args.seconds)
        for client in clients:
            client.close()
        errors = report(results, elapsed)

        feed = feed_status(urls["matching"])
        print(
            f"\nmatching after the load: {feed['changes_applied']} changes applied, "
            f"lag {feed['lag_seconds']} s"
        )
        if stack is not None:
            for service, (rss, peak) in stack.memory().items():
                print(f"{service:<10} resident {rss / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")
        print("errors: 0" if errors == 0 else f"errors: {errors} (see above)")
        return 1 if errors else 0
    finally:
        if stack is not None:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
