"""Matching killed (SIGKILL) while it follows a burst of 5,000 catalogue changes, restarted, ends
exactly where an uninterrupted matching ends.

Two matching processes follow one catalogue, each with its own database and the same settings:
`matching` is killed twice during the burst, each time restarted while the burst goes on (first
while it follows live in small pages; then while it catches up in full pages back to back, so
the kill lands in a page being computed or committed); `reference` runs throughout.
Both get the same three subscriptions before the burst (one need's suppliers, one supplier's
own needs, the lenders of a category's needs in a region), so both baseline them on the same
catalogue. The burst (new suppliers, needs, lenders and offers, suppliers deactivated, needs
closed) is posted over HTTP by concurrent clients; once both have followed the feed to its end:

- the events of each subscription are the same multiset on both, keyed by (subscription, type,
  pair) with their payload's identity (names, links): none missing, none twice;
- the index holds the same records (rows per kind, changes applied, cursor) and answers the
  same candidates; after both restart from their stored documents, the very same rankings,
  scores and explanations.

What an event reports is fixed by eligibility, not by how changes fell into feed pages: each
watched ranking holds fewer eligible candidates than `MATCHING_SUBSCRIPTION_MAX_RANK`, every
pair scores at least `min_score` 0, and `match.updated` is set out of reach (a score move of 1,
a rank move of 1000), because an update reports drift as of the page boundaries and the
vocabulary fit the follower happened to see, which differ between any two live runs. The
scores of live events differ for the same reason (a restarted index refits on what it stored),
so they are compared after both restart, on identical fits.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from services.catalogue.tests.builders import auth
from tests.e2e.conftest import ADMIN_KEY, Launch
from tests.e2e.processes import ServiceProcesses, wait_for

SETTINGS = {
    "MATCHING_SUBSCRIPTION_MAX_RANK": "500",
    "MATCHING_EVENT_SCORE_DELTA": "1",
    "MATCHING_EVENT_RANK_DELTA": "1000",
    "MATCHING_DELIVER_WEBHOOKS": "false",
    "MATCHING_REFIT_CHECK_SECONDS": "86400",
    # pages of dozens of changes rather than a few: the kill lands in a page's transaction more
    # often, and two followers take less CPU from the catalogue than polling every 0.1 s
    "MATCHING_FEED_POLL_SECONDS": "0.5",
}
BURST = 5_000
CLIENTS = 8
PAGE = 500  # the follower's page size (MATCHING_FEED_PAGE_SIZE's default)
FIRST_KILL_AT = 0.1  # share of the burst matching has applied when it is first killed
RESTARTS_AT = (0.4, 0.7)  # shares of the burst posted when it is started again
LED = "34928500"
BASE_SUPPLIERS = 100  # eligible for the watched need, all deactivated by the burst
BASE_NEEDS = 100  # eligible for the watched supplier, all closed by the burst


def supplier(i: int, *, eligible: bool) -> dict[str, Any]:
    where = {"country": "IT", "nuts_codes": ["ITC"]} if eligible else {}
    return {
        "kind": "supplier",
        "name": f"Luce {i}",
        "country": "FR",
        "nuts_codes": [("FR1", "DE1", "ES3", "NL3")[i % 4]],
        "description": f"LED street lighting series {i}, luminaires and remote management",
        "cpv_codes": [LED],
        "contract_forms": ["epc", "ppp"],
        "project_size": {
            "min": {"amount": 1_000_000, "currency": "EUR"},
            "max": {"amount": 20_000_000, "currency": "EUR"},
        },
        **where,
    }


def need(i: int, *, eligible: bool, category: str = "public_lighting") -> dict[str, Any]:
    return {
        "title": f"Illuminazione pubblica a LED, lotto {i}",
        "description": f"Sostituzione di {100 + i} punti luce con LED e telegestione",
        "category": category,
        "cpv_codes": [LED] if category == "public_lighting" else ["09310000"],
        "nuts_code": ("ITC11", "ITC12", "ITC13", "ITC16")[i % 4],
        "budget": {
            "amount": 2_000_000 if category == "public_lighting" else 10_000_000,
            "currency": "EUR",
        },
        "contract_forms": (
            ["project_finance"]
            if category == "smart_grid"
            else ["epc"]
            if eligible
            else ["concession"]
        ),
        "needed_by": "2028-06-30",
    }


def lender(i: int, *, eligible: bool) -> dict[str, Any]:
    return {
        "kind": "lender",
        "name": f"Banca {i}",
        "country": "IT" if eligible else "FR",
        "nuts_codes": ["IT"] if eligible else ["FR"],
        "contract_forms": ["project_finance"],
        "instruments": ["senior_debt"],
        "ticket": {
            "min": {"amount": 1_000_000, "currency": "EUR"},
            "max": {"amount": 50_000_000, "currency": "EUR"},
        },
    }


@dataclass
class Base:
    city_keys: list[str]
    need_id: int  # the watched need (suppliers)
    supplier_id: int  # the watched supplier (its open needs)
    smart_grid_need: int
    suppliers: list[tuple[int, str]]  # eligible suppliers (id, key), deactivated by the burst
    needs: list[int]  # eligible needs, closed by the burst
    offer_keys: list[str]


def register(client: httpx.Client, organisation: dict[str, Any]) -> tuple[int, str]:
    response = client.post(
        "/v1/registrations",
        json={"organisation": organisation, "contact_email": "burst@example.org"},
    )
    assert response.status_code == 201, response.text
    return response.json()["organisation"]["id"], response.json()["api_key"]


def post(client: httpx.Client, path: str, key: str, body: dict[str, Any]) -> int:
    response = client.post(path, json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def patch(client: httpx.Client, path: str, key: str, body: dict[str, Any]) -> None:
    etag = client.get(path).headers["ETag"]
    response = client.patch(path, json=body, headers={**auth(key), "If-Match": etag})
    assert response.status_code == 200, response.text


def concurrently(clients: list[httpx.Client], jobs: list[Callable[[httpx.Client], Any]]) -> list:
    """Run `jobs` spread over the clients, one thread each; the results in the jobs' order."""
    results: list[Any] = [None] * len(jobs)

    def worker(n: int) -> None:
        for j in range(n, len(jobs), len(clients)):
            results[j] = jobs[j](clients[n])

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(worker, range(len(clients))))
    return results


def build_base(clients: list[httpx.Client]) -> Base:
    main = clients[0]
    city_keys = [
        register(main, {"kind": "municipality", "name": name, "country": "IT"})[1]
        for name in ("Torino", "Novara", "Asti", "Cuneo")
    ]
    watched_supplier, _key = register(
        main,
        {
            **supplier(0, eligible=True),
            "name": "Lumen Street Lighting",
            "project_size": {
                "min": {"amount": 100_000, "currency": "EUR"},
                "max": {"amount": 100_000_000, "currency": "EUR"},
            },
        },
    )
    watched_need = post(main, "/v1/needs", city_keys[0], need(0, eligible=True))
    smart_grid = post(
        main, "/v1/needs", city_keys[0], need(0, eligible=True, category="smart_grid")
    )
    register(main, lender(0, eligible=True))
    suppliers = concurrently(
        clients,
        [lambda c, i=i: register(c, supplier(i, eligible=True)) for i in range(BASE_SUPPLIERS)],
    )
    needs = concurrently(
        clients,
        [
            lambda c, i=i: post(c, "/v1/needs", city_keys[i % 4], need(i, eligible=True))
            for i in range(BASE_NEEDS)
        ],
    )
    return Base(
        city_keys=city_keys,
        need_id=watched_need,
        supplier_id=watched_supplier,
        smart_grid_need=smart_grid,
        suppliers=suppliers,
        needs=needs,
        offer_keys=[key for _id, key in suppliers[:10]],
    )


def burst_jobs(base: Base) -> list[Callable[[httpx.Client], Any]]:
    """5,000 changes: 1,800 suppliers (1 in 8 eligible for the watched need), 1,400 needs (1 in
    5 eligible for the watched supplier, 1 in 35 a smart grid need), 200 lenders (half
    eligible), 1,400 offers, 100 suppliers deactivated, 100 needs closed; interleaved."""
    kinds: list[Callable[[httpx.Client], Any]] = []
    for i in range(1, 1801):
        kinds.append(lambda c, i=i: register(c, supplier(1000 + i, eligible=i % 8 == 0)))
    for i in range(1, 1401):
        category = "smart_grid" if i % 35 == 0 else "public_lighting"
        body = need(1000 + i, eligible=i % 5 == 0, category=category)
        kinds.append(lambda c, i=i, body=body: post(c, "/v1/needs", base.city_keys[i % 4], body))
    for i in range(1, 201):
        kinds.append(lambda c, i=i: register(c, lender(1000 + i, eligible=i % 2 == 0)))
    for i in range(1, 1401):
        offer = {
            "kind": "product",
            "title": f"LED lantern model {i}",
            "description": f"Lantern {i} with photometric class M{i % 6} optics",
            "cpv_codes": [LED],
        }
        key = base.offer_keys[i % len(base.offer_keys)]
        kinds.append(lambda c, key=key, offer=offer: post(c, "/v1/offers", key, offer))
    for supplier_id, key in base.suppliers:
        kinds.append(
            lambda c, s=supplier_id, k=key: patch(
                c, f"/v1/organisations/{s}", k, {"status": "inactive"}
            )
        )
    for n, need_id in enumerate(base.needs):
        key = base.city_keys[n % 4]
        kinds.append(
            lambda c, d=need_id, k=key: patch(c, f"/v1/needs/{d}", k, {"status": "closed"})
        )
    assert len(kinds) == BURST
    # interleave the kinds deterministically, so every stretch of the feed mixes them
    order = sorted(range(BURST), key=lambda j: (j * 7919) % BURST)
    return [kinds[j] for j in order]


class Producer:
    """The burst, posted by concurrent clients in a thread; `posted` counts as it goes."""

    def __init__(self, clients: list[httpx.Client], jobs: list[Callable[[httpx.Client], Any]]):
        self._clients, self._jobs = clients, jobs
        self.posted = 0
        self._lock = threading.Lock()
        self.errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        def one(job: Callable[[httpx.Client], Any], client: httpx.Client) -> None:
            job(client)
            with self._lock:
                self.posted += 1

        def worker(n: int) -> None:
            try:
                for job in self._jobs[n :: len(self._clients)]:
                    one(job, self._clients[n])
            except BaseException as exc:  # reported by join()
                self.errors.append(exc)

        with ThreadPoolExecutor(len(self._clients)) as pool:
            list(pool.map(worker, range(len(self._clients))))

    def start(self) -> None:
        self._thread.start()

    def join(self) -> None:
        self._thread.join(timeout=600)
        assert not self.errors, self.errors[0]
        assert self.posted == len(self._jobs)


def status(url: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}/v1/index/status", timeout=5)
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


def events(url: str, subscription_id: int) -> Counter[tuple]:
    """The subscription's whole pull feed, as a multiset of (event key, payload identity)."""
    seen: Counter[tuple] = Counter()
    after: str | None = None
    with httpx.Client(base_url=url, headers=auth(ADMIN_KEY), timeout=30) as client:
        while True:
            params = {"limit": 500, **({"after": after} if after else {})}
            page = client.get(f"/v1/subscriptions/{subscription_id}/feed", params=params).json()
            for event in page["items"]:
                data = event["data"]
                pair = data["pair"]
                seen[
                    (
                        data["subscription_id"],
                        event["type"],
                        pair["need_id"],
                        pair["candidate_kind"],
                        pair["candidate_id"],
                        data["need_title"],
                        data["candidate_name"],
                        tuple(sorted(data["links"].items())),
                    )
                ] += 1
            if not page["items"]:
                return seen
            after = page["next_cursor"]


def rankings(url: str, base: Base) -> dict[str, list[dict[str, Any]]]:
    with httpx.Client(base_url=url, timeout=30) as client:
        answers = {
            "need suppliers": client.get(
                f"/v1/needs/{base.need_id}/matches", params={"kind": "supplier", "limit": 500}
            ),
            "smart grid lenders": client.get(
                f"/v1/needs/{base.smart_grid_need}/matches", params={"kind": "lender", "limit": 500}
            ),
            "supplier needs": client.get(
                f"/v1/organisations/{base.supplier_id}/matches", params={"limit": 500}
            ),
        }
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.json()["items"] for name, response in answers.items()}


def candidates(ranked: dict[str, list[dict[str, Any]]]) -> dict[str, set[tuple[str, int]]]:
    return {
        name: {(item["candidate_kind"], item["candidate_id"]) for item in items}
        for name, items in ranked.items()
    }


def both_applied(stack: ServiceProcesses, done: Callable[[dict[str, Any]], bool]) -> int:
    """The changes both matching processes applied, once `done(status)` holds for both and
    they stand at the same cursor; else 0. (On PostgreSQL the feed holds back what the oldest
    open transaction could still precede, so "no more items" is no proof of the end.)"""
    a, b = status(stack.url("matching")), status(stack.url("reference"))
    if a is None or b is None or not (done(a) and done(b)):
        return 0
    if a["feed"]["cursor"] != b["feed"]["cursor"]:
        return 0
    return a["feed"]["changes_applied"]


def base_rows(status: dict[str, Any]) -> bool:
    rows = status["index"]["rows"]
    return (rows.get("supplier"), rows.get("need"), rows.get("lender")) == (
        1 + BASE_SUPPLIERS,
        2 + BASE_NEEDS,
        1,
    )


@dataclass
class Run:
    stack: ServiceProcesses
    base: Base
    kills: list[int]  # changes `matching` had applied (burst only) when it was killed
    behind_at_second_kill: int  # changes posted that it had not applied yet, then
    burst_from: int  # changes applied when the burst began
    subscriptions: list[int]  # the same ids on both processes


def subscribe_both(stack: ServiceProcesses, base: Base) -> list[int]:
    watches = [
        {"need_id": base.need_id, "kind": "supplier"},
        {"organisation_id": base.supplier_id},
        {"category": "smart_grid", "nuts": "ITC1", "kind": "lender"},
    ]
    ids: dict[str, list[int]] = {}
    for instance in ("matching", "reference"):
        ids[instance] = []
        for watch in watches:
            response = httpx.post(
                f"{stack.url(instance)}/v1/subscriptions",
                json={"filter": watch, "min_score": 0},
                headers=auth(ADMIN_KEY),
            )
            assert response.status_code == 201, response.text
            ids[instance].append(response.json()["id"])
    assert ids["matching"] == ids["reference"]
    return ids["matching"]


def burst_with_a_kill(launch: Launch, fresh_database: Callable[[str, str], str]) -> Run:
    stack = launch(SETTINGS)
    stack.add_instance("reference", "matching", fresh_database("matching_reference", "matching"))
    stack.start("reference")
    clients = [httpx.Client(base_url=stack.url("catalogue"), timeout=60) for _ in range(CLIENTS)]

    base = build_base(clients)
    applied_before = wait_for(lambda: both_applied(stack, base_rows), timeout=60)
    assert applied_before, "the matching processes did not both apply the base catalogue"
    subscriptions = subscribe_both(stack, base)

    producer = Producer(clients, burst_jobs(base))
    producer.start()

    def applied() -> int:
        now = status(stack.url("matching"))
        return now["feed"]["changes_applied"] - applied_before if now else -1

    def posted(share: float) -> bool:
        return producer.posted >= share * BURST or bool(producer.errors)

    # first kill: while it follows the burst live, in small pages
    first = wait_for(lambda: (n := applied()) >= FIRST_KILL_AT * BURST and n, 120, 0.02)
    assert first, producer.errors or "matching did not get part way through the burst"
    stack.kill("matching")
    assert wait_for(lambda: posted(RESTARTS_AT[0]), timeout=120)
    assert not producer.errors, producer.errors[0]
    stack.start("matching")
    resumed = applied()

    # second kill: while it catches up in full pages, back to back (one is all but surely
    # being computed or committed): once it applied a page and is still more than one behind
    def catching_up() -> tuple[int, int] | None:
        done = applied()
        behind = producer.posted - done
        return (done, behind) if done > resumed and behind > PAGE else None

    # when the burst outpaces it no more (a fast run), the kill still lands mid-follow
    second = wait_for(catching_up, timeout=60, interval=0.02) or (
        applied(),
        producer.posted - applied(),
    )
    stack.kill("matching")
    assert wait_for(lambda: posted(RESTARTS_AT[1]), timeout=120)
    assert not producer.errors, producer.errors[0]
    stack.start("matching")
    producer.join()
    end = applied_before + BURST
    assert wait_for(
        lambda: both_applied(stack, lambda s: s["feed"]["changes_applied"] == end),
        timeout=120,
        interval=0.2,
    ), "the matching processes did not both apply the whole burst"
    for client in clients:
        client.close()
    return Run(
        stack,
        base,
        kills=[first, second[0]],
        behind_at_second_kill=second[1],
        burst_from=applied_before,
        subscriptions=subscriptions,
    )


def by_type(seen: Counter[tuple]) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for key, count in seen.items():
        kinds[key[1]] += count
    return kinds


def test_a_killed_matching_restarts_into_exactly_the_uninterrupted_index_and_events(
    launch: Launch, fresh_database: Callable[[str, str], str]
) -> None:
    run = burst_with_a_kill(launch, fresh_database)
    stack, base = run.stack, run.base
    killed, reference = stack.url("matching"), stack.url("reference")
    # killed twice part way: following live, then (on all but the fastest runs) catching up
    assert all(0 < applied < BURST for applied in run.kills)
    assert run.kills[0] < run.kills[1]

    expected = [
        {"match.created": 225, "match.removed": BASE_SUPPLIERS},  # the need's suppliers
        {"match.created": 240, "match.removed": BASE_NEEDS},  # the supplier's open needs
        {"match.created": 41 * 101 - 1},  # each smart grid need x each eligible lender
    ]
    for subscription_id, counts in zip(run.subscriptions, expected, strict=True):
        heard = events(killed, subscription_id)
        uninterrupted = events(reference, subscription_id)
        assert by_type(uninterrupted) == counts, subscription_id
        assert max(heard.values()) == 1, "an event was recorded twice"
        assert heard == uninterrupted, (
            f"subscription {subscription_id}: missing {uninterrupted - heard}, "
            f"extra {heard - uninterrupted}"
        )

    after_kill, straight = status(killed), status(reference)
    assert after_kill is not None
    assert straight is not None
    assert after_kill["feed"]["cursor"] == straight["feed"]["cursor"]
    assert after_kill["feed"]["changes_applied"] == straight["feed"]["changes_applied"]
    assert after_kill["index"]["rows"] == straight["index"]["rows"]
    assert candidates(rankings(killed, base)) == candidates(rankings(reference, base))

    # both restarted from their stored documents: the same fit, the very same answers
    stack.stop("matching")
    stack.stop("reference")
    stack.start("matching", "reference")
    assert wait_for(lambda: both_applied(stack, lambda s: s["ready"]), timeout=60)
    answers = rankings(killed, base)
    assert answers == rankings(reference, base)
    assert len(answers["need suppliers"]) == 1 + 225
