"""Matching at scale: index build, memory and latency, beside tantivy and bm25s on the same texts.

    uv run --group bench python bench/matching.py [--sizes 10000,100000] [--needs 2000]
        [--queries 200] [--http] [--trials 5]

In process, for each size (suppliers), a synthetic catalogue (`SyntheticCatalogue(seed)`, with
lenders and municipalities in `cityfit seed`'s proportions, and `--needs` needs) is fed through
`CatalogueMirror` as change-feed upserts, then, each engine in a forked child process so its
memory is measured alone:

- ours: `TextIndex.build` time; memory as the process RSS growth during the build and, in a
  second child, tracemalloc's peak during the build and what the built index retains; latency
  p50 / p99 over `--queries` needs of `rank_for_need(kind="supplier", limit=10)` (the full
  match: masks, exact scores, constraints, explanations), of the same plus `to_dict()` (the JSON
  the API returns: the full match request minus HTTP), and of `TextIndex.top_k` (text only);
- tantivy: an in-RAM index (BM25) with one text field, analysed like ours (simple tokenizer,
  lower case, ASCII folding, our English + Italian stop words); a query is the need's text
  parsed leniently (an OR of its terms), top 10, ids read from a fast field;
- bm25s: `bm25s.tokenize` (same stop words) and `BM25().index`; `retrieve(k=10)` of the
  pre-tokenised query, one thread.

All three see the same texts: each supplier's profile text expanded with the glossary
(`TextIndex.document_text`), accent-folded; queries are the needs' texts prepared the same way
before timing. Our build time includes making those texts (the others get them ready-made),
so the build comparison leans in their favour. Build time and memory are measured with each
engine alone in its child; latencies in one more child holding all three engines, interleaved:
every measured call runs over a block of 10 query needs, then the next call over the same
block, in an order rotating from block to block, so load from elsewhere on a shared machine
falls on all engines alike and the ratio stays fair. Timings are sequential single queries on
one thread after a warm-up; p99 is the nearest-rank percentile.

With `--http`, per size: `cityfit seed --suppliers N --needs M` into a temporary data
directory, `cityfit admin-key`, then catalogue, evaluation and matching as real processes
(`python -m services.cli serve NAME --port P`, free ports on 127.0.0.1, `*_DATA_DIR` set to
the temporary directory); waits until `GET /v1/index/status` shows the index caught up with
the feed (read tolerantly, see `caught_up`) and, when the status says a refit is due
(`needs_refit`), for it to settle (at most `--refit-wait`), so latency is measured on a
steady index; then measures `GET /v1/needs/{id}/matches?kind=supplier&limit=10` p50 / p99
(keep-alive client, sequential, bounded by `--http-requests` and `--http-seconds`), and the
time from a catalogue write (its 201 response) to its first appearance in a match, `--trials`
times: a need posted with the admin key until its matches are served, then a supplier
registered until it appears in that need's top 10 (polling every 5 ms, at most 10 s). Each
trial uses another category so earlier trials' suppliers do not compete. Load goes to
127.0.0.1 only; every process started is stopped at the end.

Targets (issue 5), printed with whether each was met: the full match request in process within
2x tantivy's retrieval time at 100,000 suppliers; over HTTP p50 under 10 ms; write to matchable
under 1 s; index under 1 GB at 100,000.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from services.catalogue.domain.synthetic import CATEGORIES, Category, SyntheticCatalogue
from services.matching.domain import CatalogueMirror, Need, TextIndex, rank_for_need
from services.matching.domain.glossary import fold
from services.matching.domain.stopwords import stop_words

try:
    import bm25s
    import tantivy
except ImportError:  # benchmark-only dependencies live in the `bench` dependency group
    sys.exit("bench/matching.py needs the bench group: uv run --group bench python bench/...")

TODAY = date(2026, 9, 15)
K = 10
WARM_UP = 10
BLOCK = 10  # query needs timed per engine in turn (see `engine_latencies`)
STOP_WORDS = sorted(stop_words())
_WORDS = re.compile(r"(?u)\b\w\w+\b")
MB = 1024 * 1024

TARGET_RATIO = 2.0
TARGET_HTTP_P50_MS = 10.0
TARGET_WRITE_S = 1.0
TARGET_INDEX_BYTES = 1024**3
TARGET_SIZE = 100_000


# --- figures -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of non-empty `values`."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    hits: float  # mean results per query

    @classmethod
    def of(cls, seconds: Sequence[float], hits: Sequence[int]) -> Latency:
        return cls(
            p50_ms=percentile(seconds, 50) * 1000,
            p99_ms=percentile(seconds, 99) * 1000,
            hits=sum(hits) / len(hits) if hits else 0.0,
        )


def rss_bytes() -> int:
    """The process's resident set size now (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


# --- the synthetic catalogue -------------------------------------------------------------------


@dataclass
class Corpus:
    """One size's catalogue, fed through the mirror, and the texts every engine indexes."""

    suppliers: int
    lenders: int
    municipalities: int
    needs: int
    mirror: CatalogueMirror
    queries: list[Need]
    supplier_ids: list[int]
    supplier_texts: list[str]
    query_texts: list[str]
    feed_seconds: float


def make_corpus(suppliers: int, needs: int, queries: int, seed: int) -> Corpus:
    generator = SyntheticCatalogue(random_state=seed)
    lenders = max(5, suppliers // 50)  # the proportions of `cityfit seed`
    municipalities = max(5, needs // 4)
    mirror = CatalogueMirror()
    started = time.perf_counter()
    next_id = 0

    def organisations(documents: Iterator[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
        nonlocal next_id
        added = []
        for document in documents:
            next_id += 1
            mirror.apply("organisation", next_id, "upsert", document)
            added.append((next_id, document))
        return added

    supplier_docs = organisations(generator.suppliers(suppliers))
    organisations(generator.lenders(lenders))
    places = [
        (record_id, doc["country"], doc["nuts_codes"][0])
        for record_id, doc in organisations(generator.municipalities(municipalities))
    ]
    for number, document in enumerate(generator.needs(needs, places), start=1):
        mirror.apply("need", number, "upsert", document)
    feed_seconds = time.perf_counter() - started

    step = max(1, needs // queries)
    chosen = [mirror.need(number) for number in range(1, needs + 1, step)][:queries]
    query_needs = [need for need in chosen if need is not None]
    supplier_ids = [record_id for record_id, _doc in supplier_docs]
    texts = []
    for record_id in supplier_ids:
        record = mirror.organisation(record_id)
        assert record is not None
        texts.append(fold(TextIndex.document_text(record)))
    return Corpus(
        suppliers=suppliers,
        lenders=lenders,
        municipalities=municipalities,
        needs=needs,
        mirror=mirror,
        queries=query_needs,
        supplier_ids=supplier_ids,
        supplier_texts=texts,
        query_texts=[fold(TextIndex.document_text(need)) for need in query_needs],
        feed_seconds=feed_seconds,
    )


# --- engines, each run in a forked child -------------------------------------------------------

SHARED: dict[str, Corpus] = {}  # the corpus, set before forking; children read it copy-on-write


def _corpus() -> Corpus:
    return SHARED["corpus"]


def build_ours(corpus: Corpus) -> TextIndex:
    return TextIndex.build(corpus.mirror.index_records())


def engine_ours() -> dict[str, Any]:
    corpus = _corpus()
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    index = build_ours(corpus)
    build = time.perf_counter() - started
    grown = rss_bytes() - before
    return {
        "build_s": build,
        "rss_bytes": grown,
        "vocabulary": index.vocabulary_size,
        "records": index.count(),
    }


def queries_ours(corpus: Corpus, index: TextIndex) -> dict[str, Callable[[int], int]]:
    """Our three measured calls, each on the i-th query need, returning its number of hits."""

    def match(i: int) -> int:
        return len(rank_for_need(index, corpus.queries[i], "supplier", today=TODAY, limit=K))

    def match_json(i: int) -> int:
        results = rank_for_need(index, corpus.queries[i], "supplier", today=TODAY, limit=K)
        return len([result.to_dict() for result in results])

    def text_only(i: int) -> int:
        return len(index.top_k(index.query_vector(corpus.queries[i]), "supplier", K))

    return {"match": match, "match_json": match_json, "text_only": text_only}


def engine_ours_traced() -> dict[str, Any]:
    corpus = _corpus()
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    index = TextIndex.build(corpus.mirror.index_records())
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert index.count() > 0
    return {"peak_bytes": peak - base, "retained_bytes": current - base}


def build_tantivy(corpus: Corpus) -> tuple[Any, Any]:
    """An in-RAM tantivy index of the supplier texts and its searcher."""
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=False, fast=True, indexed=False)
    builder.add_text_field("body", stored=False, tokenizer_name="cityfit", index_option="freq")
    index = tantivy.Index(builder.build())  # no path: in RAM
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.custom_stopword(STOP_WORDS))
        .build()
    )
    index.register_tokenizer("cityfit", analyzer)
    writer = index.writer(heap_size=256 * MB)
    for record_id, text in zip(corpus.supplier_ids, corpus.supplier_texts, strict=True):
        writer.add_document(tantivy.Document(id=record_id, body=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, index.searcher()


def queries_tantivy(corpus: Corpus, built: tuple[Any, Any]) -> dict[str, Callable[[int], int]]:
    index, searcher = built
    # the query language's operators are upper case words and punctuation: keep words only
    texts = [" ".join(_WORDS.findall(text)) for text in corpus.query_texts]

    def search(i: int) -> int:
        query, _errors = index.parse_query_lenient(texts[i], ["body"])
        hits = searcher.search(query, K, count=False).hits
        return len(searcher.fast_field_values("id", [address for _score, address in hits]))

    return {"search": search}


def build_bm25s(corpus: Corpus) -> Any:
    tokens = bm25s.tokenize(corpus.supplier_texts, stopwords=STOP_WORDS, show_progress=False)
    model = bm25s.BM25()
    model.index(tokens, show_progress=False)
    return model


def queries_bm25s(corpus: Corpus, model: Any) -> dict[str, Callable[[int], int]]:
    stop = set(STOP_WORDS)
    queries = [[w for w in _WORDS.findall(text) if w not in stop] for text in corpus.query_texts]
    ids = corpus.supplier_ids

    def search(i: int) -> int:
        documents, _scores = model.retrieve([queries[i]], k=K, show_progress=False, n_threads=1)
        return len([ids[int(row)] for row in documents[0]])

    return {"search": search}


def _built(build: Callable[[Corpus], Any]) -> dict[str, Any]:
    """Build time and RSS growth of one engine, alone in its process."""
    corpus = _corpus()
    gc.collect()
    before = rss_bytes()
    started = time.perf_counter()
    build(corpus)
    return {"build_s": time.perf_counter() - started, "rss_bytes": rss_bytes() - before}


def engine_tantivy() -> dict[str, Any]:
    return _built(build_tantivy)


def engine_bm25s() -> dict[str, Any]:
    return _built(build_bm25s)


def engine_latencies() -> dict[str, Latency]:
    """Every measured call of every engine, timed in one process, interleaved by blocks.

    The query needs (after the warm-up) go by blocks of `BLOCK`: each call runs over a block,
    then the next call over the same block, in an order rotating from one block to the next.
    A block takes milliseconds, so a burst of load from elsewhere on the machine falls on all
    engines alike and the ratios stay fair, while each engine keeps its caches warm within a
    block (interleaving single queries would make every engine evict the others' data).
    Returns "engine.call" -> latency.
    """
    corpus = _corpus()
    engines = {
        "ours": queries_ours(corpus, build_ours(corpus)),
        "tantivy": queries_tantivy(corpus, build_tantivy(corpus)),
        "bm25s": queries_bm25s(corpus, build_bm25s(corpus)),
    }
    calls = {
        f"{engine}.{name}": call
        for engine, named in engines.items()
        for name, call in named.items()
    }
    names = list(calls)
    for i in range(min(WARM_UP, len(corpus.queries))):
        for name in names:
            calls[name](i)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    hits: dict[str, list[int]] = {name: [] for name in names}
    for block, first in enumerate(range(0, len(corpus.queries), BLOCK)):
        shift = block % len(names)
        for name in names[shift:] + names[:shift]:
            for i in range(first, min(first + BLOCK, len(corpus.queries))):
                started = time.perf_counter()
                found = calls[name](i)
                seconds[name].append(time.perf_counter() - started)
                hits[name].append(found)
    return {name: Latency.of(seconds[name], hits[name]) for name in names}


def isolated(task: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `task` in a forked child (it sees the parent's corpus) and return its figures."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        return pool.apply(task)


@dataclass
class InProcess:
    corpus: Corpus
    ours: dict[str, Any]
    traced: dict[str, Any]
    tantivy: dict[str, Any]
    bm25s: dict[str, Any]
    latency: dict[str, Latency]

    @property
    def ratio_p50(self) -> float:
        return self.latency["ours.match_json"].p50_ms / self.latency["tantivy.search"].p50_ms

    @property
    def ratio_p99(self) -> float:
        return self.latency["ours.match_json"].p99_ms / self.latency["tantivy.search"].p99_ms


def run_in_process(suppliers: int, args: argparse.Namespace) -> InProcess:
    corpus = make_corpus(suppliers, args.needs, args.queries, args.seed)
    SHARED["corpus"] = corpus
    try:
        ours = isolated(engine_ours)
        traced = isolated(engine_ours_traced)
        tantivy_figures = isolated(engine_tantivy)
        bm25s_figures = isolated(engine_bm25s)
        latency = isolated(engine_latencies)
    finally:
        SHARED.clear()
    return InProcess(corpus, ours, traced, tantivy_figures, bm25s_figures, latency)


def print_in_process(result: InProcess) -> None:
    corpus, ours = result.corpus, result.ours
    print(
        f"\n== in process: {corpus.suppliers:,} suppliers ({corpus.lenders:,} lenders, "
        f"{corpus.municipalities:,} municipalities, {corpus.needs:,} needs; "
        f"{ours['records']:,} index records, vocabulary {ours['vocabulary']:,} terms) =="
    )
    print(
        f"synthetic catalogue fed through CatalogueMirror in {corpus.feed_seconds:.1f} s; "
        f"{len(corpus.queries)} query needs, sequential, after {WARM_UP} warm-up queries; "
        f"every engine timed in one process, by turns over blocks of {BLOCK} needs"
    )
    latency = result.latency
    rows = [
        (
            "cityfit rank_for_need (full match)",
            ours["build_s"],
            ours["rss_bytes"],
            latency["ours.match"],
        ),
        ("cityfit rank_for_need + to_dict (JSON)", None, None, latency["ours.match_json"]),
        ("cityfit TextIndex.top_k (text only)", None, None, latency["ours.text_only"]),
        (
            "tantivy BM25, RAM index (text only)",
            result.tantivy["build_s"],
            result.tantivy["rss_bytes"],
            latency["tantivy.search"],
        ),
        (
            "bm25s BM25 (text only)",
            result.bm25s["build_s"],
            result.bm25s["rss_bytes"],
            latency["bm25s.search"],
        ),
    ]
    print(f"{'engine':42s}{'build s':>9s}{'RSS +MB':>9s}{'p50 ms':>9s}{'p99 ms':>9s}{'hits/q':>8s}")
    for name, build, grown, latency in rows:
        build_cell = f"{build:9.2f}" if build is not None else f"{'(same)':>9s}"
        rss_cell = f"{grown / MB:9.0f}" if grown is not None else f"{'':9s}"
        print(
            f"{name:42s}{build_cell}{rss_cell}{latency.p50_ms:9.2f}{latency.p99_ms:9.2f}"
            f"{latency.hits:8.1f}"
        )
    traced = result.traced
    print(
        f"cityfit index memory (tracemalloc): peak during build "
        f"{traced['peak_bytes'] / MB:.0f} MB, retained by the built index "
        f"{traced['retained_bytes'] / MB:.0f} MB"
    )
    print(
        f"ratio full match request (rank_for_need + to_dict) / tantivy retrieval: "
        f"p50 {result.ratio_p50:.2f}x, p99 {result.ratio_p99:.2f}x"
    )


# --- over HTTP: the three services as processes ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, ports: Mapping[str, int]) -> dict[str, str]:
    # settings of a developer's own shell (database URLs, ports) must not leak into the run
    prefixes = ("CATALOGUE_", "EVALUATION_", "MATCHING_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    catalogue = f"http://127.0.0.1:{ports['catalogue']}"
    for name, port in ports.items():
        prefix = name.upper()
        env[f"{prefix}_DATA_DIR"] = str(data_dir)
        env[f"{prefix}_PORT"] = str(port)
        env[f"{prefix}_LOG_LEVEL"] = "WARNING"
    env["EVALUATION_CATALOGUE_URL"] = catalogue
    env["MATCHING_CATALOGUE_URL"] = catalogue
    env["MATCHING_EVALUATION_URL"] = f"http://127.0.0.1:{ports['evaluation']}"
    return env


def cli(args: Sequence[str], env: Mapping[str, str], timeout: float) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"cityfit {' '.join(args)} failed: {completed.stderr.strip()[-2000:]}")
    return completed.stdout.strip()


@dataclass
class Stack:
    """Catalogue, evaluation and matching as real processes on free ports."""

    data_dir: Path
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    started_at: dict[str, float] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str, env: Mapping[str, str]) -> None:
        log = (self.data_dir / "logs" / f"{name}.log").open("ab")
        self.started_at[name] = time.perf_counter()
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "serve", name, "--port", str(self.ports[name])],
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def wait_healthy(self, name: str, timeout: float) -> bool:
        process = self.processes[name]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url(name)}/healthz", timeout=1).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        return False

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.data_dir / "logs" / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _values(document: Any, names: set[str]) -> list[Any]:
    """Every value stored under one of `names`, at any depth of a JSON document."""
    found: list[Any] = []
    if isinstance(document, Mapping):
        for key, value in document.items():
            if key in names:
                found.append(value)
            found.extend(_values(value, names))
    elif isinstance(document, list):
        for item in document:
            found.extend(_values(item, names))
    return found


def caught_up(
    status: Mapping[str, Any], expected_suppliers: int, catalogue: httpx.Client
) -> tuple[bool, int | None]:
    """Whether the index status shows the feed caught up, and its supplier count if it says.

    Read tolerantly (the status document may grow): any `ready` / `caught_up` / `up_to_date`
    flag must be true, any integer `lag` / `lag_changes` 0, a `cursor` must be the catalogue's
    last (no change after it), and a supplier count (`supplier` under any key) must reach the
    seeded number. At least one of these signals must be present.
    """
    signals: list[bool] = []
    for flag in _values(status, {"ready", "caught_up", "up_to_date"}):
        if isinstance(flag, bool):
            signals.append(flag)
    for lag in _values(status, {"lag", "lag_changes", "feed_lag"}):
        if isinstance(lag, int) and not isinstance(lag, bool):
            signals.append(lag == 0)
    for cursor in _values(status, {"cursor", "feed_cursor"}):
        if isinstance(cursor, str | int) and not isinstance(cursor, bool):
            try:
                page = catalogue.get("/v1/changes", params={"after": cursor, "limit": 1})
                if page.status_code == 200:
                    signals.append(not page.json().get("items"))
            except httpx.HTTPError:
                pass
    counts = [n for n in _values(status, {"supplier"}) if isinstance(n, int)]
    suppliers = max(counts) if counts else None
    if suppliers is not None:
        signals.append(suppliers >= expected_suppliers)
    return (bool(signals) and all(signals)), suppliers


def _match_ids(body: Any) -> list[int]:
    items = body.get("items", []) if isinstance(body, Mapping) else []
    ids = []
    for item in items:
        candidate = item.get("candidate_id")
        if candidate is None and isinstance(item.get("candidate"), Mapping):
            candidate = item["candidate"].get("id")
        if isinstance(candidate, int):
            ids.append(candidate)
    return ids


def _code(category: Category) -> str:
    # the most specific code: an exact match on a division-level code scores little CPV depth
    return max(category.cpv_codes, key=lambda code: len(code.rstrip("0")))


def _budget(category: Category) -> float:
    low, high = category.budget_range
    return round(math.sqrt(low * high), -3)  # the middle of the category's range, in log terms


def bench_need(category: Category, municipality: int, region: str) -> dict[str, Any]:
    """A need in the words of `category`'s English phrases, with its most specific CPV code."""
    return {
        "organisation_id": municipality,
        "title": category.english[0].capitalize(),
        "description": ". ".join(category.english[1:]) or category.english[0],
        "category": category.name,
        "cpv_codes": [_code(category)],
        "nuts_code": region,
        "budget": {"amount": _budget(category), "currency": "EUR"},
        "contract_forms": ["epc", "ppp", "procurement"],
        "needed_by": "2028-06-30",
    }


def bench_supplier(category: Category, tag: str, country: str) -> dict[str, Any]:
    """A supplier made to rank first for `bench_need(category)`: its words, code, size, forms,
    and a past reference in the category (which no synthetic supplier has)."""
    budget = _budget(category)
    return {
        "organisation": {
            "kind": "supplier",
            "name": f"Bench {tag}",
            "country": country,
            "description": ". ".join(category.english),
            "capabilities": list(category.english),
            "references": [{"title": category.english[0], "year": 2024}],
            "cpv_codes": [_code(category)],
            "nuts_codes": [country],
            "contract_forms": ["procurement", "ppp", "epc"],
            "project_size": {
                "min": {"amount": round(budget / 3, -3), "currency": "EUR"},
                "max": {"amount": round(budget * 3, -3), "currency": "EUR"},
            },
        },
        "contact_email": f"bench-{tag}@supplier.example",
    }


@dataclass
class OverHttp:
    suppliers: int
    seed_s: float = 0.0
    matching_healthy_s: float | None = None
    caught_up_s: float | None = None
    refit_settled_s: float | None = None
    refit_pending: bool = False
    status: dict[str, Any] | None = None
    latency: Latency | None = None
    requests: int = 0
    errors: int = 0
    need_write_s: list[float] = field(default_factory=list)
    supplier_write_s: list[float] = field(default_factory=list)
    first_ranks: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problem: str | None = None


MATCH_PARAMS = {"kind": "supplier", "limit": K}


def _poll(deadline_s: float, probe: Callable[[], Any]) -> tuple[float, Any] | None:
    """(seconds, value) when `probe()` first returns a value (polling every 5 ms), else None."""
    started = time.perf_counter()
    while time.perf_counter() - started < deadline_s:
        value = probe()
        if value is not None:
            return time.perf_counter() - started, value
        time.sleep(0.005)
    return None


def _served(matching: httpx.Client, need_id: int) -> bool | None:
    """True once matching serves the need's matches (it knows the need), else None."""
    response = matching.get(f"/v1/needs/{need_id}/matches", params=MATCH_PARAMS)
    return True if response.status_code == 200 else None


def _rank_of(matching: httpx.Client, need_id: int, supplier_id: int) -> int | None:
    """The supplier's rank in the need's top K, None while it is not there."""
    response = matching.get(f"/v1/needs/{need_id}/matches", params=MATCH_PARAMS)
    ids = _match_ids(response.json()) if response.status_code == 200 else []
    return ids.index(supplier_id) + 1 if supplier_id in ids else None


def write_trials(stack: Stack, admin_key: str, result: OverHttp, trials: int) -> None:
    catalogue = httpx.Client(base_url=stack.url("catalogue"), timeout=10)
    matching = httpx.Client(base_url=stack.url("matching"), timeout=10)
    try:
        page = catalogue.get("/v1/organisations", params={"kind": "municipality", "limit": 1})
        page.raise_for_status()
        municipality = page.json()["items"][0]
        region = municipality["nuts_codes"][0]
        admin = {"Authorization": f"Bearer {admin_key}"}
        for trial in range(trials):
            # one category per trial, so an earlier trial's supplier does not compete
            category = CATEGORIES[trial % len(CATEGORIES)]
            tag = uuid.uuid4().hex[:8]
            posted = catalogue.post(
                "/v1/needs",
                json=bench_need(category, municipality["id"], region),
                headers={**admin, "Idempotency-Key": f"bench-need-{tag}"},
            )
            if posted.status_code != 201:
                result.failures.append(f"need {posted.status_code}: {posted.text[:300]}")
                continue
            need_id = posted.json()["id"]
            seen_need = _poll(10, partial(_served, matching, need_id))
            if seen_need is None:
                result.failures.append(f"trial {trial}: need {need_id} not served in 10 s")
                continue
            result.need_write_s.append(seen_need[0])

            registered = catalogue.post(
                "/v1/registrations",
                json=bench_supplier(category, tag, region[:2]),
                headers={"Idempotency-Key": f"bench-supplier-{tag}"},
            )
            if registered.status_code != 201:
                result.failures.append(
                    f"registration {registered.status_code}: {registered.text[:300]}"
                )
                continue
            supplier_id = registered.json()["organisation"]["id"]
            seen_supplier = _poll(10, partial(_rank_of, matching, need_id, supplier_id))
            if seen_supplier is None:
                why = matching.get(f"/v1/needs/{need_id}/matches/supplier/{supplier_id}")
                result.failures.append(
                    f"trial {trial}: supplier {supplier_id} not in need {need_id}'s top {K} "
                    f"within 10 s; why-not {why.status_code}: {why.text[:400]}"
                )
                continue
            result.supplier_write_s.append(seen_supplier[0])
            result.first_ranks.append(seen_supplier[1])
    finally:
        catalogue.close()
        matching.close()


def wait_for_refit(stack: Stack, result: OverHttp, timeout: float) -> None:
    """Latency is measured on a settled index: wait (bounded) while the status says a refit
    is due (`needs_refit`), e.g. after a replay whose vocabulary came from the first page."""
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        assert result.status is not None
        flags = [f for f in _values(result.status, {"needs_refit"}) if isinstance(f, bool)]
        if not any(flags):
            if waited:
                result.refit_settled_s = time.perf_counter() - stack.started_at["matching"]
            return
        waited = True
        if time.monotonic() > deadline:
            result.refit_pending = True
            return
        time.sleep(0.5)
        response = httpx.get(f"{stack.url('matching')}/v1/index/status", timeout=10)
        if response.status_code == 200:
            result.status = response.json()


def measure_http_latency(stack: Stack, result: OverHttp, args: argparse.Namespace) -> None:
    catalogue = httpx.Client(base_url=stack.url("catalogue"), timeout=10)
    matching = httpx.Client(base_url=stack.url("matching"), timeout=10)
    try:
        page = catalogue.get("/v1/needs", params={"limit": 200})
        page.raise_for_status()
        need_ids = [item["id"] for item in page.json()["items"]]
        params = MATCH_PARAMS
        for need_id in need_ids[:20]:  # warm-up
            matching.get(f"/v1/needs/{need_id}/matches", params=params)
        seconds: list[float] = []
        hits: list[int] = []
        deadline = time.perf_counter() + args.http_seconds
        for n in range(args.http_requests):
            if time.perf_counter() > deadline:
                break
            need_id = need_ids[n % len(need_ids)]
            started = time.perf_counter()
            response = matching.get(f"/v1/needs/{need_id}/matches", params=params)
            elapsed = time.perf_counter() - started
            result.requests += 1
            if response.status_code != 200:
                result.errors += 1
                if result.errors == 1:
                    result.failures.append(
                        f"GET matches {response.status_code}: {response.text[:300]}"
                    )
                continue
            seconds.append(elapsed)
            hits.append(len(_match_ids(response.json())))
        if seconds:
            result.latency = Latency.of(seconds, hits)
    finally:
        catalogue.close()
        matching.close()


def run_over_http(suppliers: int, args: argparse.Namespace) -> OverHttp:
    print(f"\n== over HTTP: {suppliers:,} suppliers (cityfit seed, three processes) ==")
    result = OverHttp(suppliers=suppliers)
    data_dir = Path(tempfile.mkdtemp(prefix="cityfit-bench-matching-"))
    (data_dir / "logs").mkdir()
    stack = Stack(data_dir, ports={n: free_port() for n in ("catalogue", "evaluation", "matching")})
    env = service_env(data_dir, stack.ports)
    try:
        started = time.perf_counter()
        cli(
            [
                *("seed", "--suppliers", str(suppliers), "--needs", str(args.needs)),
                *("--seed", str(args.seed), "--data-dir", str(data_dir)),
            ],
            env,
            timeout=1800,
        )
        result.seed_s = time.perf_counter() - started
        print(f"cityfit seed: {result.seed_s:.1f} s")
        admin_key = cli(["admin-key", "--data-dir", str(data_dir)], env, timeout=120)

        for name in ("catalogue", "evaluation"):
            stack.start(name, env)
        if not stack.wait_healthy("catalogue", 60):
            result.problem = f"catalogue did not start:\n{stack.log_tail('catalogue')}"
            return result
        if not stack.wait_healthy("evaluation", 60):
            print("  (evaluation did not start; matching runs without it)")
        stack.start("matching", env)
        if not stack.wait_healthy("matching", 120):
            result.problem = f"matching did not start:\n{stack.log_tail('matching')}"
            return result
        result.matching_healthy_s = time.perf_counter() - stack.started_at["matching"]

        with httpx.Client(base_url=stack.url("catalogue"), timeout=10) as catalogue:
            deadline = time.monotonic() + args.catch_up_timeout
            last_report = time.monotonic()
            while time.monotonic() < deadline:
                response = httpx.get(f"{stack.url('matching')}/v1/index/status", timeout=10)
                if response.status_code == 200:
                    result.status = response.json()
                    done, count = caught_up(result.status, suppliers, catalogue)
                    if done:
                        result.caught_up_s = time.perf_counter() - stack.started_at["matching"]
                        break
                    if time.monotonic() - last_report > 15:
                        print(f"  ... waiting for the index to catch up (suppliers: {count})")
                        last_report = time.monotonic()
                if stack.processes["matching"].poll() is not None:
                    result.problem = f"matching exited:\n{stack.log_tail('matching')}"
                    return result
                time.sleep(0.25)
        if result.caught_up_s is None:
            result.problem = (
                f"the index did not catch up within {args.catch_up_timeout:.0f} s; last status: "
                f"{json.dumps(result.status)[:800]}"
            )
            return result
        wait_for_refit(stack, result, args.refit_wait)

        measure_http_latency(stack, result, args)
        write_trials(stack, admin_key, result, args.trials)
    except (RuntimeError, httpx.HTTPError, subprocess.TimeoutExpired) as exc:
        result.problem = f"{type(exc).__name__}: {exc}"
    finally:
        stack.stop()
        if args.keep_data:
            print(f"  data and logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return result


def _seconds(values: Sequence[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    return (
        f"median {percentile(ordered, 50) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms "
        f"(n={len(ordered)})"
    )


def print_over_http(result: OverHttp) -> None:
    if result.matching_healthy_s is not None:
        caught = f"{result.caught_up_s:.1f} s" if result.caught_up_s is not None else "no"
        print(
            f"matching: /healthz after {result.matching_healthy_s:.1f} s, index caught up "
            f"with the feed {caught} after start"
        )
    if result.refit_settled_s is not None:
        print(
            "matching: a refit was due at catch-up; settled (needs_refit false) "
            f"{result.refit_settled_s:.1f} s after start"
        )
    if result.refit_pending:
        print("matching: still needs_refit at the end of --refit-wait; latency measured anyway")
    if result.status is not None:
        print(f"index status read: {_status_summary(result.status)}")
    if result.latency is not None:
        latency = result.latency
        print(
            f"GET /v1/needs/{{id}}/matches?kind=supplier&limit=10: p50 {latency.p50_ms:.2f} ms, "
            f"p99 {latency.p99_ms:.2f} ms, {latency.hits:.1f} results/request; "
            f"{result.requests} requests, {result.errors} errors"
        )
    if result.need_write_s or result.supplier_write_s:
        print(f"need write -> its matches served: {_seconds(result.need_write_s)}")
        print(
            f"supplier write -> in the need's top {K}: {_seconds(result.supplier_write_s)}; "
            f"rank at first appearance {result.first_ranks}"
        )
    for failure in result.failures:
        print(f"  ! {failure}")
    if result.problem:
        print(f"  ! {result.problem}")


def _status_summary(status: Mapping[str, Any]) -> str:
    feed = status.get("feed") if isinstance(status.get("feed"), Mapping) else {}
    index = status.get("index") if isinstance(status.get("index"), Mapping) else {}
    picked: dict[str, Any] = {"ready": status.get("ready")}
    for key in ("cursor", "caught_up", "lag_seconds", "changes_applied"):
        if key in feed:
            picked[f"feed.{key}"] = feed[key]
    for key in ("rows", "vocabulary", "generation", "fitted_generation", "needs_refit", "refits"):
        if key in index:
            picked[f"index.{key}"] = index[key]
    if len(picked) == 1:
        return json.dumps(status, default=str)[:600]
    return json.dumps(picked, default=str)


# --- targets -----------------------------------------------------------------------------------


def print_targets(in_process: list[InProcess], over_http: list[OverHttp], http: bool) -> None:
    def verdict(ok: bool | str | None) -> str:
        if isinstance(ok, str):
            return ok
        return "not measured" if ok is None else ("met" if ok else "NOT met")

    at_target = [r for r in in_process if r.corpus.suppliers == TARGET_SIZE]
    big = at_target[0] if at_target else None
    lines: list[tuple[str, str, bool | str | None]] = []
    if big is not None:
        lines.append(
            (
                "full match in process within 2x tantivy at 100,000",
                f"p50 {big.ratio_p50:.2f}x ({big.latency['ours.match_json'].p50_ms:.2f} vs "
                f"{big.latency['tantivy.search'].p50_ms:.2f} ms); p99 {big.ratio_p99:.2f}x",
                big.ratio_p50 <= TARGET_RATIO,
            )
        )
        index_bytes = max(big.ours["rss_bytes"], big.traced["retained_bytes"])
        lines.append(
            (
                "index under 1 GB at 100,000",
                f"RSS +{big.ours['rss_bytes'] / MB:.0f} MB during build; retained "
                f"{big.traced['retained_bytes'] / MB:.0f} MB, peak "
                f"{big.traced['peak_bytes'] / MB:.0f} MB (tracemalloc)",
                index_bytes < TARGET_INDEX_BYTES,
            )
        )
    else:
        lines.append(("full match in process within 2x tantivy at 100,000", "size not run", None))
        lines.append(("index under 1 GB at 100,000", "size not run", None))

    measured = [r for r in over_http if r.latency is not None]
    if measured:
        worst = max(measured, key=lambda r: r.latency.p50_ms if r.latency else 0.0)
        assert worst.latency is not None
        lines.append(
            (
                "HTTP p50 under 10 ms",
                "; ".join(
                    f"{r.latency.p50_ms:.2f} ms at {r.suppliers:,}" for r in measured if r.latency
                ),
                worst.latency.p50_ms < TARGET_HTTP_P50_MS,
            )
        )
    else:
        note = "failed, see above" if http else "run with --http"
        lines.append(("HTTP p50 under 10 ms", note, None))

    writes = [s for r in over_http for s in (*r.need_write_s, *r.supplier_write_s)]
    incomplete = any(r.failures or r.problem for r in over_http)
    if writes:
        # a trial that failed (see above) leaves the target unproven unless another broke it
        ok: bool | str = max(writes) < TARGET_WRITE_S
        if incomplete and ok:
            ok = "incomplete"
        lines.append(
            (
                "write to matchable under 1 s",
                f"max {max(writes) * 1000:.0f} ms over {len(writes)} writes"
                + (" (some trials failed, see above)" if incomplete else ""),
                ok,
            )
        )
    else:
        note = "failed, see above" if http else "run with --http"
        lines.append(("write to matchable under 1 s", note, None))

    print("\n== targets (issue 5) ==")
    for name, figure, ok in lines:
        print(f"{name:54s}{verdict(ok):14s}{figure}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="supplier counts, comma-separated")
    parser.add_argument("--needs", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200, help="query needs in process")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--http", action="store_true", help="also run the services over HTTP")
    parser.add_argument("--http-requests", type=int, default=1000)
    parser.add_argument("--http-seconds", type=float, default=30)
    parser.add_argument("--trials", type=int, default=5, help="write-to-matchable trials")
    parser.add_argument("--catch-up-timeout", type=float, default=900)
    parser.add_argument(
        "--refit-wait", type=float, default=120, help="max seconds to wait for a due refit"
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the HTTP runs' data")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    if not sizes or min(sizes) < 1 or args.needs < 1 or args.queries < 1:
        parser.error("sizes, --needs and --queries must be positive")

    print(
        f"cityfit matching benchmark: sizes {', '.join(f'{s:,}' for s in sizes)} suppliers; "
        f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}"
    )
    in_process = []
    for size in sizes:
        result = run_in_process(size, args)
        print_in_process(result)
        in_process.append(result)
    over_http = []
    if args.http:
        for size in sizes:
            result_http = run_over_http(size, args)
            print_over_http(result_http)
            over_http.append(result_http)
    print_targets(in_process, over_http, args.http)
    failed = any(r.problem for r in over_http)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
