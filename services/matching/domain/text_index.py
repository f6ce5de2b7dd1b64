"""The matching index: TF-IDF text with term-major posting lists, in immutable snapshots.

Model. Every indexed record (organisations of every kind with their offers folded in, needs,
funding calls) has a profile text (`profiles.profile_text`), expanded with the bilingual
glossary (`glossary.Glossary.expand`) and vectorised by one scikit-learn `TfidfVectorizer`:
word uni- and bi-grams, `sublinear_tf` (tf -> 1 + ln tf), smoothed idf
(ln((1 + n) / (1 + df)) + 1), English and Italian stop words (`stopwords.py`), lower case,
accents folded (`strip_accents="unicode"`), rows L2-normalised. The text similarity of two
records is the cosine of their rows: the dot product.

Layout. Rows are partitioned by kind (`supplier`, `lender`, `municipality`, `partner`, `need`,
`funding_call`): a query for suppliers touches supplier rows only. A partition is a list of
immutable segments: the base segment built by the last fit, then small delta segments, one per
batch of changes. Each segment keeps its rows' records, a CSR matrix (row vectors, for
explanations) and `PostingLists`: the CSC matrix of its rows restricted to non-empty columns, so
each term's column *is* its posting list of (row, weight). Deleted or replaced rows are
tombstoned in a per-segment boolean mask until the next refit (or delta merge).

Term-major scoring (`PostingLists.accumulate`): for a query vector q only the posting lists of
q's terms are read; score[row] = sum over query terms t of q_t * w_(t,row), accumulated with one
`np.bincount` into a dense array of the segment's length. No product over the whole matrix is
made. Top-k: hard filters as a boolean mask, `np.argpartition`, then only the k are sorted.

Snapshots. A `TextIndex` never changes after construction. `with_changes` returns a new index
that shares every untouched segment (one new delta segment, copies of the few affected
tombstone masks); readers keep the snapshot they started with, the writer replaces one
reference. Incremental documents are transformed with the fitted vocabulary: their
out-of-vocabulary tokens are counted (`DriftStats`). `needs_refit()` is true when the OOV share
of the tokens added since the fit exceeds the fit corpus's own share by `drift_threshold`, or
when delta rows or tombstones pass a share of the base. `refit()` builds a complete new index
from the live records (slow: run it in the background); `refitted.catch_up(current)` then
replays the change batches `current` received meanwhile (kept in a change log since the fit),
and the caller swaps the result in atomically.

Vocabulary size. With bi-grams most terms of a large corpus occur in one document only; from
`large_corpus_documents` (20,000) documents on, `min_df` is raised to 2, which divides the
vocabulary (and the index memory) several fold at 100,000 profiles. Below it every term is kept,
so a small catalogue's rare words still match.

A ranking scores only the rows its filters leave (`Segment.scores_at`, `rows_dot`: the rows'
products with the dense query, through scipy's compiled kernels).

Checked by `tests/domain/test_text_index.py`: scores equal scikit-learn's `cosine_similarity`
within 1e-9, `rows_dot` equals the row-slice product bit for bit on random matrices,
posting-list scoring never reads other terms' columns, incremental adds are found,
tombstoned rows never returned, refit + catch-up gives the same results as a fresh build.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse import _sparsetools
from sklearn.feature_extraction.text import TfidfVectorizer

from services.matching.domain.columns import RowTable
from services.matching.domain.glossary import default_glossary
from services.matching.domain.profiles import profile_text
from services.matching.domain.records import INDEXED_KINDS, IndexRecord, Key, Need, Organisation
from services.matching.domain.stopwords import stop_words


@dataclass(frozen=True, slots=True)
class TextIndexParams:
    """Vectorizer and maintenance parameters (see the module docstring)."""

    ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 1
    large_corpus_min_df: int = 2
    large_corpus_documents: int = 20_000
    drift_threshold: float = 0.10
    min_drift_tokens: int = 2_000
    max_delta_share: float = 0.20
    max_removed_share: float = 0.20
    min_rows_for_share: int = 1_000
    max_delta_segments: int = 8
    baseline_sample: int = 500
    max_log_batches: int = 100_000

    def min_df_for(self, documents: int) -> int:
        return self.large_corpus_min_df if documents >= self.large_corpus_documents else self.min_df


Shared = tuple[NDArray[np.int64], NDArray[np.int64]]
"""Positions in two vectors of the terms both hold (`QueryVector.shared`)."""

Hit = tuple[int, float, float]
"""A term two vectors both hold: (term id, the query's weight, the document's weight)."""


def dot_of_hits(hits: Sequence[Hit]) -> float:
    """The dot product of two vectors from their common terms, by increasing term.

    Summed one product after the other, as scipy's `csr_matvec` sums a row (`rows_dot`): the
    exact score of a pair equals its text bound bit for bit (the row's other terms add +0.0).
    """
    total = 0.0
    for _term, query_weight, document_weight in hits:
        total += query_weight * document_weight
    return total


@dataclass(frozen=True, slots=True)
class QueryVector:
    """A sparse L2-normalised TF-IDF vector: sorted term ids and their weights."""

    terms: NDArray[np.int64]
    weights: NDArray[np.float64]

    @property
    def size(self) -> int:
        return int(self.terms.size)

    @classmethod
    def empty(cls) -> QueryVector:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    @classmethod
    def from_row(cls, matrix: sparse.csr_matrix, row: int) -> QueryVector:
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        terms = matrix.indices[start:end].astype(np.int64)
        weights = matrix.data[start:end].astype(np.float64)
        if matrix.has_sorted_indices:
            return cls(terms, weights)
        order = np.argsort(terms, kind="stable")
        return cls(terms[order], weights[order])

    def shared(self, other: QueryVector) -> Shared:
        """Positions in self and in other of the terms both hold, by increasing term
        (`np.intersect1d(..., return_indices=True)` of two sorted unique term arrays)."""
        if self.terms.size == 0 or other.terms.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        positions = np.searchsorted(other.terms, self.terms)
        positions[positions == other.terms.size] = 0
        hit = other.terms[positions] == self.terms
        return np.flatnonzero(hit), positions[hit]

    def hits(self, other: QueryVector) -> list[Hit]:
        """The terms both vectors hold, by increasing term, with both weights."""
        mine, theirs = self.shared(other)
        return list(
            zip(
                self.terms[mine].tolist(),
                self.weights[mine].tolist(),
                other.weights[theirs].tolist(),
                strict=True,
            )
        )

    def dot(self, other: QueryVector) -> float:
        return dot_of_hits(self.hits(other))

    def by_term(self) -> dict[int, float]:
        """Term id -> weight, for `Segment.hits`."""
        return dict(zip(self.terms.tolist(), self.weights.tolist(), strict=True))

    def dense(self, size: int) -> NDArray[np.float64]:
        """The vector as a dense array of `size` (the vocabulary size) entries."""
        values = np.zeros(size)
        inside = self.terms < size
        values[self.terms[inside]] = self.weights[inside]
        return values


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class TermContribution:
    """One term's part in a cosine: query weight x document weight."""

    term: str
    query_weight: float
    document_weight: float

    @property
    def contribution(self) -> float:
        return self.query_weight * self.document_weight

    def as_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "contribution": round(self.contribution, 6),
            "query_weight": round(self.query_weight, 6),
            "document_weight": round(self.document_weight, 6),
        }


@dataclass(frozen=True, slots=True, eq=False)
class PostingLists:
    """The CSC matrix of a segment restricted to its non-empty columns.

    `terms[j]` is a vocabulary id; its posting list is rows[indptr[j]:indptr[j + 1]] with
    weights[indptr[j]:indptr[j + 1]] (L2-normalised TF-IDF weights of that term in those rows).
    """

    n_rows: int
    terms: NDArray[np.int64]
    indptr: NDArray[np.int64]
    rows: NDArray[np.int32]
    weights: NDArray[np.float64]

    @classmethod
    def from_matrix(cls, matrix: sparse.csr_matrix) -> PostingLists:
        columns = sparse.csc_matrix(matrix)
        columns.sort_indices()
        lengths = np.diff(columns.indptr)
        terms = np.flatnonzero(lengths).astype(np.int64)
        indptr = np.concatenate(([0], np.cumsum(lengths[terms]))).astype(np.int64)
        return cls(
            n_rows=matrix.shape[0],
            terms=_frozen(terms),
            indptr=_frozen(indptr),
            rows=_frozen(columns.indices.astype(np.int32)),
            weights=_frozen(columns.data.astype(np.float64)),
        )

    def accumulate(self, query: QueryVector) -> NDArray[np.float64]:
        """Dense scores of every row: sum over the query's terms of q_t * w_(t,row).

        Reads only the posting lists of the query's terms (term-major).
        """
        scores_length = self.n_rows
        if scores_length == 0 or query.size == 0 or self.terms.size == 0:
            return np.zeros(scores_length)
        positions = np.searchsorted(self.terms, query.terms)
        positions = np.minimum(positions, self.terms.size - 1)
        present = self.terms[positions] == query.terms
        if not present.any():
            return np.zeros(scores_length)
        columns = positions[present]
        starts = self.indptr[columns]
        lengths = self.indptr[columns + 1] - starts
        total = int(lengths.sum())
        # Offsets of every posting of the query's terms, without a Python loop.
        shift = starts - (np.cumsum(lengths) - lengths)
        offsets = np.arange(total, dtype=np.int64) + np.repeat(shift, lengths)
        weights = self.weights[offsets] * np.repeat(query.weights[present], lengths)
        return np.bincount(self.rows[offsets], weights=weights, minlength=scores_length)


def rows_dot(
    matrix: sparse.csr_matrix, dense: NDArray[np.float64], rows: NDArray[np.int64]
) -> NDArray[np.float64]:
    """`matrix[rows] @ dense` (rows in any order, repeats allowed), bit for bit.

    scipy's compiled kernels called directly, without scipy's Python-level checks: the rows
    are copied into a compact CSR block (`csr_row_index`), then multiplied (`csr_matvec`, each
    row's entries summed in their stored order, as `PostingLists.accumulate` does for sorted
    indices). Copying first is faster than running the product over the rows where they lie:
    the copy streams many independent loads, whereas the product's serial sums stall on each
    scattered row (measured over 40 needs' filtered rows, 2,600 on average, at 100,000
    suppliers: 0.35-0.55 ms against 0.65-0.94 ms).
    """
    indptr = matrix.indptr
    starts = indptr[rows]
    counts = np.zeros(rows.size + 1, dtype=indptr.dtype)
    np.cumsum(indptr[rows + 1] - starts, out=counts[1:])
    total = int(counts[-1])
    indices = np.empty(total, dtype=matrix.indices.dtype)
    data = np.empty(total, dtype=matrix.data.dtype)
    picked = rows.astype(indptr.dtype, copy=False)
    _sparsetools.csr_row_index(
        rows.size, picked, indptr, matrix.indices, matrix.data, indices, data
    )
    sums = np.zeros(rows.size)
    query = np.ascontiguousarray(dense, dtype=np.float64)
    _sparsetools.csr_matvec(rows.size, matrix.shape[1], counts, indices, data, query, sums)
    return sums


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, slots=True, eq=False)
class Segment:
    """Immutable rows of one kind: records, row vectors, posting lists, columnar attributes."""

    kind: str
    records: tuple[IndexRecord, ...]
    matrix: sparse.csr_matrix
    postings: PostingLists
    table: RowTable
    row_of: Mapping[int, int]

    @classmethod
    def build(cls, kind: str, records: Sequence[IndexRecord], matrix: sparse.csr_matrix) -> Segment:
        matrix = sparse.csr_matrix(matrix, dtype=np.float64)
        matrix.sort_indices()
        return cls(
            kind=kind,
            records=tuple(records),
            matrix=matrix,
            postings=PostingLists.from_matrix(matrix),
            table=RowTable.build(kind, records),
            row_of=MappingProxyType({record.id: row for row, record in enumerate(records)}),
        )

    @property
    def size(self) -> int:
        return len(self.records)

    def scores_at(self, dense_query: NDArray[np.float64], rows: NDArray[np.int64]) -> NDArray:
        """Cosine of a query (`QueryVector.dense`) with the given rows only (`rows_dot`)."""
        return rows_dot(self.matrix, dense_query, rows)

    def row_vector(self, row: int) -> QueryVector:
        return QueryVector.from_row(self.matrix, row)

    def hits(self, query: Mapping[int, float], row: int) -> list[Hit]:
        """The terms `row` shares with a query (`QueryVector.by_term`), by increasing term:
        `query.hits(row_vector(row))` in plain Python, several times cheaper for the few
        rows a ranking assesses than numpy calls on arrays of a few dozen entries."""
        matrix = self.matrix
        start, end = matrix.indptr[row : row + 2].tolist()
        weight_of = query.get
        return [
            (term, query_weight, weight)
            for term, weight in zip(
                matrix.indices[start:end].tolist(), matrix.data[start:end].tolist(), strict=True
            )
            if (query_weight := weight_of(term)) is not None
        ]


@dataclass(frozen=True, slots=True, eq=False)
class Partition:
    """The segments of one kind and their tombstone masks (True = live row)."""

    kind: str
    segments: tuple[Segment, ...]
    alive: tuple[NDArray[np.bool_], ...]

    @property
    def live_rows(self) -> int:
        return int(sum(int(mask.sum()) for mask in self.alive))

    @property
    def base_rows(self) -> int:
        return self.segments[0].size if self.segments else 0

    @property
    def delta_rows(self) -> int:
        return sum(segment.size for segment in self.segments[1:])

    @property
    def removed_rows(self) -> int:
        return sum(int(mask.size - mask.sum()) for mask in self.alive)

    def locate(self, record_id: int) -> tuple[int, int] | None:
        """(segment position, row) of the live row of `record_id`, newest segment first."""
        for position in range(len(self.segments) - 1, -1, -1):
            row = self.segments[position].row_of.get(record_id)
            if row is not None and self.alive[position][row]:
                return position, row
        return None

    def live(self) -> Iterator[tuple[Segment, int]]:
        for segment, mask in zip(self.segments, self.alive, strict=True):
            for row in np.flatnonzero(mask):
                yield segment, int(row)


@dataclass(frozen=True, slots=True)
class DriftStats:
    """Out-of-vocabulary tokens among the documents added or replaced since the last fit.

    `baseline_oov_rate` is the same share measured on a sample of the fit corpus (non-zero when
    `min_df` pruned rare terms), so only new vocabulary counts as drift.
    """

    baseline_oov_rate: float = 0.0
    documents: int = 0
    tokens: int = 0
    oov_tokens: int = 0
    removed: int = 0

    @property
    def oov_rate(self) -> float:
        return self.oov_tokens / self.tokens if self.tokens else 0.0

    @property
    def excess(self) -> float:
        return max(0.0, self.oov_rate - self.baseline_oov_rate)

    def add(self, documents: int, tokens: int, oov: int, removed: int) -> DriftStats:
        return DriftStats(
            baseline_oov_rate=self.baseline_oov_rate,
            documents=self.documents + documents,
            tokens=self.tokens + tokens,
            oov_tokens=self.oov_tokens + oov,
            removed=self.removed + removed,
        )

    def as_dict(self) -> dict[str, float | int]:
        return {
            "documents": self.documents,
            "tokens": self.tokens,
            "oov_tokens": self.oov_tokens,
            "oov_rate": round(self.oov_rate, 6),
            "baseline_oov_rate": round(self.baseline_oov_rate, 6),
            "removed": self.removed,
        }


@dataclass(frozen=True, slots=True)
class _LogEntry:
    """One batch of changes since the last fit, linked to the previous one (newest first)."""

    generation: int
    upserts: tuple[IndexRecord, ...]
    removals: tuple[Key, ...]
    previous: _LogEntry | None
    length: int

    @classmethod
    def after(
        cls,
        previous: _LogEntry | None,
        generation: int,
        upserts: tuple[IndexRecord, ...],
        removals: tuple[Key, ...],
        params: TextIndexParams,
    ) -> _LogEntry:
        # Past `max_log_batches` the chain is cut: a refit started before then is stale.
        if previous is not None and previous.length >= params.max_log_batches:
            previous = None
        length = previous.length + 1 if previous is not None else 1
        return cls(generation, upserts, removals, previous, length)


class StaleRefit(RuntimeError):
    """`catch_up` was given an index that does not descend from the refitted snapshot."""


@dataclass(frozen=True, slots=True, eq=False)
class _Fitted:
    vectorizer: TfidfVectorizer
    terms: tuple[str, ...]  # by vocabulary id
    vocabulary: Mapping[str, int]
    analyzer: Any


class TextIndex:
    """An immutable snapshot of the matching index (see the module docstring).

    Build with `TextIndex.build(records)`; change with `with_changes(upserts, removals)` (a new
    snapshot); refit with `refit()` then `catch_up(current)`. Safe to read from many threads.
    """

    __slots__ = (
        "_drift",
        "_fitted",
        "_log",
        "_partitions",
        "fitted_generation",
        "generation",
        "params",
    )

    def __init__(
        self,
        *,
        params: TextIndexParams,
        fitted: _Fitted | None,
        partitions: Mapping[str, Partition],
        drift: DriftStats,
        generation: int,
        fitted_generation: int,
        log: _LogEntry | None,
    ) -> None:
        self.params = params
        self._fitted = fitted
        self._partitions = MappingProxyType(dict(partitions))
        self._drift = drift
        self.generation = generation
        self.fitted_generation = fitted_generation
        self._log = log

    # --- construction ---------------------------------------------------------------------

    @staticmethod
    def analyse(text: str) -> str:
        """The text the vectorizer sees: the glossary's English terms appended."""
        return default_glossary().expand(text)

    @classmethod
    def document_text(cls, record: IndexRecord) -> str:
        return cls.analyse(profile_text(record))

    @classmethod
    def build(
        cls,
        records: Iterable[IndexRecord],
        params: TextIndexParams | None = None,
        *,
        generation: int = 0,
    ) -> TextIndex:
        """Fit the vectorizer on `records` and index them all (the last record of a key wins)."""
        params = params or TextIndexParams()
        by_key: dict[Key, IndexRecord] = {}
        for record in records:
            by_key[record.key] = record
        ordered = sorted(by_key.values(), key=_locality)
        texts = [cls.document_text(record) for record in ordered]
        fitted, matrix = _fit(texts, params)
        partitions: dict[str, Partition] = {}
        if fitted is None or matrix is None:
            # Nothing to learn a vocabulary from (no records, or only stop words): every
            # record is kept with an empty vector, and the next change rebuilds.
            matrix = sparse.csr_matrix((len(ordered), 0), dtype=np.float64)
        for kind in INDEXED_KINDS:
            rows = [row for row, record in enumerate(ordered) if record.key[0] == kind]
            segment = Segment.build(kind, [ordered[row] for row in rows], matrix[rows])
            partitions[kind] = Partition(kind, (segment,), (_frozen(np.ones(len(rows), bool)),))
        baseline = _baseline_oov(fitted, texts, params) if fitted is not None else 0.0
        return cls(
            params=params,
            fitted=fitted,
            partitions=partitions,
            drift=DriftStats(baseline_oov_rate=baseline),
            generation=generation,
            fitted_generation=generation,
            log=None,
        )

    def with_changes(
        self, upserts: Iterable[IndexRecord] = (), removals: Iterable[Key] = ()
    ) -> TextIndex:
        """A new snapshot with `upserts` (new or replaced records) and `removals` applied.

        A key may not be both upserted and removed in one batch. This snapshot is unchanged.
        """
        batch: dict[Key, IndexRecord] = {}
        for record in upserts:
            batch[record.key] = record
        removed = tuple(dict.fromkeys(removals))
        removed_set = set(removed)
        clash = set(batch) & removed_set
        if clash:
            raise ValueError(f"keys both upserted and removed in one batch: {sorted(clash)}")
        generation = self.generation + 1
        log = _LogEntry.after(self._log, generation, tuple(batch.values()), removed, self.params)
        if self._fitted is None:
            # No vocabulary yet: rebuild from scratch (small catalogues only get here).
            live = {record.key: record for record in self.records()}
            for key in removed:
                live.pop(key, None)
            live.update(batch)
            rebuilt = TextIndex.build(live.values(), self.params, generation=generation)
            return rebuilt._replace(log=log)

        partitions = dict(self._partitions)
        touched: dict[str, set[int]] = {}
        for kind, record_id in (*removed, *batch):
            touched.setdefault(kind, set()).add(record_id)
        tokens = oov = 0
        removed_count = 0
        for kind, ids in touched.items():
            partition = partitions.get(kind)
            if partition is None:
                raise ValueError(f"unknown kind {kind!r}")
            alive = list(partition.alive)
            for record_id in ids:
                located = partition.locate(record_id)
                if located is None:
                    continue
                position, row = located
                if alive[position] is partition.alive[position]:
                    alive[position] = alive[position].copy()
                alive[position][row] = False
                if (kind, record_id) in removed_set:
                    removed_count += 1
            segments = list(partition.segments)
            new_records = [record for key, record in batch.items() if key[0] == kind]
            if new_records:
                texts = [self.document_text(record) for record in new_records]
                matrix = self._fitted.vectorizer.transform(texts)
                for text in texts:
                    analysed = self._fitted.analyzer(text)
                    tokens += len(analysed)
                    oov += sum(1 for token in analysed if token not in self._fitted.vocabulary)
                segments.append(Segment.build(kind, new_records, matrix))
                alive.append(np.ones(len(new_records), dtype=bool))
            merged = _merge_deltas(
                Partition(kind, tuple(segments), tuple(alive)), self.params.max_delta_segments
            )
            partitions[kind] = Partition(
                kind, merged.segments, tuple(_frozen(mask) for mask in merged.alive)
            )
        drift = self._drift.add(len(batch), tokens, oov, removed_count)
        return TextIndex(
            params=self.params,
            fitted=self._fitted,
            partitions=partitions,
            drift=drift,
            generation=generation,
            fitted_generation=self.fitted_generation,
            log=log,
        )

    def refit(self) -> TextIndex:
        """A complete new index fitted on this snapshot's live records (same generation)."""
        rebuilt = TextIndex.build(self.records(), self.params, generation=self.generation)
        return rebuilt

    def catch_up(self, newer: TextIndex) -> TextIndex:
        """Replay onto this (refitted) index the batches `newer` received after our generation.

        Usage: `fresh = snapshot.refit()` in the background, then, under the writer's lock,
        `current = fresh.catch_up(current)`. Raises `StaleRefit` if `newer` does not descend
        from the snapshot this index was fitted from.
        """
        if newer.generation < self.generation:
            raise StaleRefit("the newer index is older than this one")
        entries: list[_LogEntry] = []
        entry = newer._log
        while entry is not None and entry.generation > self.generation:
            entries.append(entry)
            entry = entry.previous
        expected = newer.generation - self.generation
        if len(entries) != expected:
            raise StaleRefit(
                f"cannot replay generations {self.generation + 1}..{newer.generation}: "
                "the index was refitted meanwhile"
            )
        index = self
        for entry in reversed(entries):
            index = index.with_changes(entry.upserts, entry.removals)
        return index

    def _replace(self, **changes: Any) -> TextIndex:
        values = {
            "params": self.params,
            "fitted": self._fitted,
            "partitions": self._partitions,
            "drift": self._drift,
            "generation": self.generation,
            "fitted_generation": self.fitted_generation,
            "log": self._log,
        }
        values.update(changes)
        return TextIndex(**values)

    # --- maintenance ----------------------------------------------------------------------------

    @property
    def drift(self) -> DriftStats:
        return self._drift

    def refit_reasons(self) -> list[str]:
        """Why a refit is worthwhile now (empty: it is not)."""
        params = self.params
        reasons = []
        drift = self._drift
        if drift.tokens >= params.min_drift_tokens and drift.excess > params.drift_threshold:
            reasons.append(
                f"vocabulary drift: {drift.oov_rate:.1%} of new tokens unknown "
                f"(baseline {drift.baseline_oov_rate:.1%})"
            )
        base = sum(partition.base_rows for partition in self._partitions.values())
        delta = sum(partition.delta_rows for partition in self._partitions.values())
        removed = sum(partition.removed_rows for partition in self._partitions.values())
        scale = max(base, params.min_rows_for_share)
        if delta > params.max_delta_share * scale:
            reasons.append(f"{delta} rows added since the fit over a base of {base}")
        if removed > params.max_removed_share * scale:
            reasons.append(f"{removed} tombstoned rows over a base of {base}")
        if self._fitted is None and self.count() > 0:
            reasons.append("no vocabulary fitted yet")
        return reasons

    def needs_refit(self) -> bool:
        return bool(self.refit_reasons())

    def status(self) -> dict[str, Any]:
        """Figures for `GET /v1/index/status`."""
        return {
            "generation": self.generation,
            "fitted_generation": self.fitted_generation,
            "vocabulary": len(self._fitted.vocabulary) if self._fitted else 0,
            "rows": {kind: partition.live_rows for kind, partition in self._partitions.items()},
            "delta_rows": sum(p.delta_rows for p in self._partitions.values()),
            "tombstoned_rows": sum(p.removed_rows for p in self._partitions.values()),
            "segments": sum(len(p.segments) for p in self._partitions.values()),
            "drift": self._drift.as_dict(),
            "needs_refit": self.needs_refit(),
            "refit_reasons": self.refit_reasons(),
        }

    # --- reading ----------------------------------------------------------------------------------

    def partition(self, kind: str) -> Partition:
        try:
            return self._partitions[kind]
        except KeyError:
            raise ValueError(f"unknown kind {kind!r}; one of {INDEXED_KINDS}") from None

    @property
    def vocabulary_size(self) -> int:
        return len(self._fitted.vocabulary) if self._fitted else 0

    def get(self, key: Key) -> IndexRecord | None:
        partition = self._partitions.get(key[0])
        if partition is None:
            return None
        located = partition.locate(key[1])
        if located is None:
            return None
        position, row = located
        return partition.segments[position].records[row]

    def __contains__(self, key: Key) -> bool:
        return self.get(key) is not None

    def records(self, kind: str | None = None) -> Iterator[IndexRecord]:
        kinds = (kind,) if kind is not None else tuple(self._partitions)
        for name in kinds:
            for segment, row in self.partition(name).live():
                yield segment.records[row]

    def count(self, kind: str | None = None) -> int:
        if kind is not None:
            return self.partition(kind).live_rows
        return sum(partition.live_rows for partition in self._partitions.values())

    def vectorise(self, text: str) -> QueryVector:
        """The TF-IDF vector of a raw text (glossary expansion applied)."""
        if self._fitted is None:
            return QueryVector.empty()
        matrix = self._fitted.vectorizer.transform([self.analyse(text)])
        return QueryVector.from_row(sparse.csr_matrix(matrix), 0)

    def row_vector(self, key: Key) -> QueryVector | None:
        partition = self._partitions.get(key[0])
        located = partition.locate(key[1]) if partition is not None else None
        if partition is None or located is None:
            return None
        position, row = located
        return QueryVector.from_row(partition.segments[position].matrix, row)

    def query_vector(self, record: IndexRecord) -> QueryVector:
        """The record's indexed row when the index holds this very record, else its text's."""
        if self.get(record.key) == record:
            vector = self.row_vector(record.key)
            if vector is not None:
                return vector
        return self.vectorise(profile_text(record))

    def segment_scores(self, query: QueryVector, kind: str) -> list[NDArray[np.float64]]:
        """Term-major cosine of `query` with every row of every segment of `kind`."""
        return [segment.postings.accumulate(query) for segment in self.partition(kind).segments]

    def similarity(self, query: QueryVector, key: Key) -> float:
        """Cosine of `query` with one indexed record's row (0 when the key is absent)."""
        vector = self.row_vector(key)
        return query.dot(vector) if vector is not None else 0.0

    def term_contributions(
        self, query: QueryVector, key: Key, limit: int = 5
    ) -> tuple[TermContribution, ...]:
        """The terms that contributed most to the cosine of `query` with `key`'s row."""
        vector = self.row_vector(key)
        if vector is None:
            return ()
        return self.contributions(query.hits(vector), limit)

    def contributions(self, hits: Sequence[Hit], limit: int = 5) -> tuple[TermContribution, ...]:
        """The `limit` common terms with the largest products (ties: increasing term id)."""
        if self._fitted is None:
            return ()
        names = self._fitted.terms
        best = sorted(hits, key=lambda hit: (-(hit[1] * hit[2]), hit[0]))[:limit]
        return tuple([TermContribution(names[term], q, d) for term, q, d in best])

    def top_k(
        self,
        query: QueryVector,
        kind: str,
        k: int,
        masks: Sequence[NDArray[np.bool_]] | None = None,
    ) -> list[tuple[Key, float]]:
        """Text-only retrieval: the k live rows of `kind` with the highest cosine.

        `masks` (one boolean array per segment) are extra hard filters. Rows scoring 0 are not
        returned. Ties are broken by record id.
        """
        partition = self.partition(kind)
        scores = self.segment_scores(query, kind)
        keep = [
            alive & (masks[i] if masks is not None else True) & (scores[i] > 0)
            for i, alive in enumerate(partition.alive)
        ]
        all_scores = np.concatenate([s[m] for s, m in zip(scores, keep, strict=True)] or [[]])
        all_ids = np.concatenate(
            [seg.table.ids[m] for seg, m in zip(partition.segments, keep, strict=True)] or [[]]
        )
        if all_scores.size == 0 or k <= 0:
            return []
        if k < all_scores.size:
            top = np.argpartition(-all_scores, k - 1)[:k]
        else:
            top = np.arange(all_scores.size)
        order = top[np.lexsort((all_ids[top], -all_scores[top]))]
        return [((kind, int(all_ids[i])), float(all_scores[i])) for i in order]


def _locality(record: IndexRecord) -> tuple[str, str, str, Key]:
    """Row order of a built segment: by region, then CPV division, then key.

    A ranking's hard filters keep rows of a region and a CPV family; with such rows next to
    each other, the gathers of the candidate rows (their vectors, budgets, fuzzy strings) read
    neighbouring memory instead of one cache line per row here and there (measured 10-15 %
    faster per match at 100,000 suppliers, interleaved with the id order in one process).
    Results never depend on row order: ties are broken by candidate id.
    """
    if isinstance(record, Organisation):
        regions, codes = record.nuts_codes, record.all_cpv_codes
    elif isinstance(record, Need):
        regions, codes = (record.nuts_code,) if record.nuts_code else (), record.cpv_codes
    else:
        regions, codes = record.eligible_nuts, record.cpv_codes
    return (
        record.key[0],
        regions[0] if regions else "",
        codes[0][:2] if codes else "",
        record.key,
    )


def _vectorizer(params: TextIndexParams, documents: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        strip_accents="unicode",
        stop_words=stop_words(),
        ngram_range=params.ngram_range,
        sublinear_tf=True,
        min_df=params.min_df_for(documents),
        norm="l2",
        smooth_idf=True,
        dtype=np.float64,
    )


def _fit(
    texts: Sequence[str], params: TextIndexParams
) -> tuple[_Fitted | None, sparse.csr_matrix | None]:
    if not texts:
        return None, None
    vectorizer = _vectorizer(params, len(texts))
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # empty vocabulary: only stop words, or min_df pruned everything
        if vectorizer.min_df == params.min_df:
            return None, None
        vectorizer = _vectorizer(params, 0)
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:
            return None, None
    if hasattr(vectorizer, "stop_words_"):
        # The terms pruned by min_df: only for introspection, and large (scikit-learn docs).
        with suppress(AttributeError):
            delattr(vectorizer, "stop_words_")
    fitted = _Fitted(
        vectorizer=vectorizer,
        terms=tuple(vectorizer.get_feature_names_out().tolist()),
        vocabulary=vectorizer.vocabulary_,
        analyzer=vectorizer.build_analyzer(),
    )
    return fitted, sparse.csr_matrix(matrix)


def _baseline_oov(fitted: _Fitted, texts: Sequence[str], params: TextIndexParams) -> float:
    if not texts:
        return 0.0
    step = max(1, len(texts) // params.baseline_sample)
    tokens = oov = 0
    for text in texts[::step]:
        analysed = fitted.analyzer(text)
        tokens += len(analysed)
        oov += sum(1 for token in analysed if token not in fitted.vocabulary)
    return oov / tokens if tokens else 0.0


def _merge_deltas(partition: Partition, max_delta_segments: int) -> Partition:
    """Merge every delta segment into one when there are more than `max_delta_segments`.

    Live rows only; their vectors are reused (no re-transform), so the merged segment scores
    exactly as the segments it replaces.
    """
    if len(partition.segments) - 1 <= max_delta_segments:
        return partition
    records: list[IndexRecord] = []
    blocks: list[sparse.csr_matrix] = []
    for segment, mask in zip(partition.segments[1:], partition.alive[1:], strict=True):
        rows = np.flatnonzero(mask)
        if rows.size:
            records.extend(segment.records[row] for row in rows)
            blocks.append(segment.matrix[rows])
    segments = [partition.segments[0]]
    alive = [partition.alive[0]]
    if records:
        segments.append(Segment.build(partition.kind, records, sparse.vstack(blocks, "csr")))
        alive.append(np.ones(len(records), dtype=bool))
    return Partition(partition.kind, tuple(segments), tuple(alive))


__all__ = [
    "DriftStats",
    "Partition",
    "PostingLists",
    "QueryVector",
    "Segment",
    "StaleRefit",
    "TermContribution",
    "TextIndex",
    "TextIndexParams",
]
