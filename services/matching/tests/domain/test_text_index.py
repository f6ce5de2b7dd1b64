from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from services.matching.domain import IndexRecord, StaleRefit, TextIndex, TextIndexParams
from services.matching.domain.profiles import profile_text
from services.matching.domain.stopwords import stop_words
from services.matching.domain.text_index import PostingLists, QueryVector, dot_of_hits, rows_dot
from services.matching.tests.domain.builders import (
    distractors,
    led_supplier,
    lender,
    need,
    supplier,
)


def corpus() -> list[IndexRecord]:
    return [
        led_supplier(1),
        *distractors(),
        supplier(
            6, description="Illuminazione pubblica a LED e telegestione dei lampioni", nuts=["ITC"]
        ),
        supplier(7, description="Smart grid and smart metering for utilities", cpv=["38551000"]),
        lender(50, description="Green loans for public lighting and energy efficiency"),
        need(100),
        need(101, title="Semafori intelligenti", category="traffic_lights", organisation_id=901),
        need(
            102,
            title="Smart meters for public buildings",
            category="smart_grid",
            organisation_id=902,
        ),
    ]


def scores_of(index: TextIndex, query: QueryVector, kind: str) -> dict[int, float]:
    """Term-major scores of every live row of `kind`, by record id."""
    partition = index.partition(kind)
    result = {}
    for segment, alive, scores in zip(
        partition.segments, partition.alive, index.segment_scores(query, kind), strict=True
    ):
        for row in np.flatnonzero(alive):
            result[segment.records[row].id] = float(scores[row])
    return result


def assert_same_scores(got_index: TextIndex, want_index: TextIndex) -> None:
    for text in ("LED street lighting", "semafori", "smart metering utilities"):
        for kind in ("supplier", "need"):
            got = scores_of(got_index, got_index.vectorise(text), kind)
            want = scores_of(want_index, want_index.vectorise(text), kind)
            assert got.keys() == want.keys()
            for key, value in want.items():
                assert got[key] == pytest.approx(value, abs=1e-12)


class TestCosine:
    def test_term_major_scores_equal_scikit_learn_cosine_similarity(self) -> None:
        records = corpus()
        index = TextIndex.build(records)
        # An independent vectorizer with the documented settings, on the same analysed texts.
        ordered = sorted(records, key=lambda record: record.key)
        texts = [TextIndex.document_text(record) for record in ordered]
        reference = TfidfVectorizer(
            lowercase=True,
            strip_accents="unicode",
            stop_words=stop_words(),
            ngram_range=(1, 2),
            sublinear_tf=True,
        )
        matrix = reference.fit_transform(texts)
        expected = cosine_similarity(matrix)
        for i, query_record in enumerate(ordered):
            query = index.query_vector(query_record)
            for kind in ("supplier", "need", "lender"):
                got = scores_of(index, query, kind)
                for j, record in enumerate(ordered):
                    if record.key[0] == kind:
                        assert got[record.id] == pytest.approx(expected[i, j], abs=1e-9)

    def test_similarity_of_a_pair_matches_the_accumulated_score(self) -> None:
        index = TextIndex.build(corpus())
        query = index.query_vector(index.get(("need", 100)))  # type: ignore[arg-type]
        accumulated = scores_of(index, query, "supplier")
        for supplier_id, value in accumulated.items():
            assert index.similarity(query, ("supplier", supplier_id)) == pytest.approx(
                value, abs=1e-12
            )

    def test_an_indexed_record_queries_with_its_own_row(self) -> None:
        index = TextIndex.build(corpus())
        record = index.get(("supplier", 1))
        assert record is not None
        row = index.row_vector(("supplier", 1))
        assert row is not None
        query = index.query_vector(record)
        np.testing.assert_array_equal(query.terms, row.terms)
        fresh = index.vectorise(profile_text(record))
        assert fresh.dot(row) == pytest.approx(1.0)


class TestTermMajor:
    def test_only_the_query_terms_posting_lists_are_read(self) -> None:
        rng = np.random.default_rng(0)
        dense = rng.random((40, 12)) * (rng.random((40, 12)) < 0.3)
        matrix = sparse.csr_matrix(dense)
        postings = PostingLists.from_matrix(matrix)
        query_terms = np.array([2, 5, 9])
        query = QueryVector(query_terms, np.array([0.5, 0.25, 1.0]))
        expected = dense[:, query_terms] @ query.weights
        # Poison every weight outside the query's columns: a full product would turn NaN.
        poisoned = postings.weights.copy()
        for position, term in enumerate(postings.terms):
            if term not in query_terms:
                poisoned[postings.indptr[position] : postings.indptr[position + 1]] = np.nan
        spy = PostingLists(
            postings.n_rows, postings.terms, postings.indptr, postings.rows, poisoned
        )
        np.testing.assert_allclose(spy.accumulate(query), expected, atol=1e-12)

    def test_posting_lists_are_the_matrix_columns(self) -> None:
        dense = np.array([[0.0, 0.6, 0.0, 0.8], [1.0, 0.0, 0.0, 0.0], [0.0, 0.6, 0.0, 0.8]])
        postings = PostingLists.from_matrix(sparse.csr_matrix(dense))
        assert postings.terms.tolist() == [0, 1, 3]  # empty column 2 holds no list
        for position, term in enumerate(postings.terms):
            span = slice(postings.indptr[position], postings.indptr[position + 1])
            rows = postings.rows[span]
            np.testing.assert_array_equal(dense[rows, term], postings.weights[span])
            assert set(rows) == set(np.flatnonzero(dense[:, term]))

    def test_scores_at_some_rows_equal_the_row_slice_product_and_the_term_major_pass(
        self,
    ) -> None:
        index = TextIndex.build(corpus())
        segment = index.partition("supplier").segments[0]
        query = index.query_vector(need(100))
        dense = query.dense(segment.matrix.shape[1])
        accumulated = segment.postings.accumulate(query)
        for rows in ([], [0], [segment.size - 1, 0, 2], list(range(segment.size))):
            picked = np.array(rows, dtype=np.int64)
            got = segment.scores_at(dense, picked)
            assert got.dtype == np.float64
            assert got.shape == (picked.size,)
            # Bit for bit: the same products summed in the same order.
            assert got.tolist() == np.asarray(segment.matrix[picked] @ dense).tolist()
            assert got.tolist() == accumulated[picked].tolist()

    def test_a_rows_exact_text_equals_its_bound_bit_for_bit(self) -> None:
        # The ranking bounds rows with `scores_at` and assesses them with the hits' dot: equal,
        # so an assessed row never scores above the bound it was chosen by.
        index = TextIndex.build(corpus())
        segment = index.partition("supplier").segments[0]
        for number in (100, 101):
            query = index.query_vector(need(number))
            bounds = segment.scores_at(
                query.dense(segment.matrix.shape[1]), np.arange(segment.size)
            ).tolist()
            for row in range(segment.size):
                hits = segment.hits(query.by_term(), row)
                assert hits == query.hits(segment.row_vector(row))
                assert dot_of_hits(hits) == bounds[row]
                assert query.dot(segment.row_vector(row)) == bounds[row]

    @settings(max_examples=200, deadline=None)
    @given(
        shape=st.tuples(st.integers(1, 30), st.integers(1, 12)),
        density=st.sampled_from([0.0, 0.1, 0.4, 1.0]),
        seed=st.integers(0, 2**32 - 1),
        data=st.data(),
    )
    def test_rows_dot_is_the_row_slice_product_bit_for_bit(
        self, shape: tuple[int, int], density: float, seed: int, data: st.DataObject
    ) -> None:
        # Random matrices with empty rows, rows picked in any order with repeats: the
        # zero-copy kernel call must give exactly `matrix[rows] @ dense`.
        generator = np.random.default_rng(seed)
        matrix = sparse.random(shape[0], shape[1], density=density, format="csr", rng=generator)
        matrix.sort_indices()
        dense = generator.normal(size=shape[1])
        picked = data.draw(st.lists(st.integers(0, shape[0] - 1), max_size=40))
        rows = np.array(sorted(picked) if data.draw(st.booleans()) else picked, dtype=np.int64)
        got = rows_dot(matrix, dense, rows)
        assert got.dtype == np.float64
        assert got.shape == (rows.size,)
        assert got.tolist() == np.asarray(matrix[rows] @ dense).tolist()

    def test_top_k_is_sorted_filtered_and_breaks_ties_by_id(self) -> None:
        index = TextIndex.build(corpus())
        query = index.vectorise("LED street lighting")
        top = index.top_k(query, "supplier", 3)
        assert top[0][0] == ("supplier", 1)
        assert [score for _, score in top] == sorted((score for _, score in top), reverse=True)
        masks = [
            np.array([record.id != 1 for record in segment.records])
            for segment in index.partition("supplier").segments
        ]
        assert ("supplier", 1) not in [key for key, _ in index.top_k(query, "supplier", 3, masks)]

    def test_top_terms_are_the_largest_products(self) -> None:
        index = TextIndex.build(corpus())
        query = index.vectorise("LED street lighting retrofit")
        terms = index.term_contributions(query, ("supplier", 1), limit=100)
        contributions = [term.contribution for term in terms]
        assert contributions == sorted(contributions, reverse=True)
        assert sum(contributions) == pytest.approx(index.similarity(query, ("supplier", 1)))
        assert {"led", "street lighting"} <= {term.term for term in terms[:5]}


class TestIncremental:
    def test_an_added_candidate_is_found_with_the_fitted_vocabulary(self) -> None:
        index = TextIndex.build(corpus())
        newcomer = supplier(
            8, name="Lampioni Nuovi", description="LED street lighting and zyxwv lanterns"
        )
        updated = index.with_changes([newcomer])
        found = dict(updated.top_k(updated.vectorise("LED street lighting"), "supplier", 20))
        assert ("supplier", 8) in found
        assert index.get(("supplier", 8)) is None  # the old snapshot is unchanged
        assert updated.vocabulary_size == index.vocabulary_size
        assert updated.drift.oov_tokens > 0  # "zyxwv", "nuovi"... are out of vocabulary
        assert updated.drift.documents == 1

    def test_a_replaced_candidate_is_scored_on_its_new_text_only(self) -> None:
        index = TextIndex.build(corpus())
        replaced = index.with_changes(
            [supplier(4, name="CleanCity", description="LED street lighting")]
        )
        query = replaced.vectorise("sweeping waste collection")
        assert ("supplier", 4) not in dict(replaced.top_k(query, "supplier", 20))
        assert ("supplier", 4) in dict(index.top_k(query, "supplier", 20))
        assert replaced.count("supplier") == index.count("supplier")

    def test_a_tombstoned_candidate_is_never_returned(self) -> None:
        index = TextIndex.build(corpus()).with_changes(removals=[("supplier", 1)])
        query = index.vectorise("LED street lighting")
        assert ("supplier", 1) not in dict(index.top_k(query, "supplier", 20))
        assert index.get(("supplier", 1)) is None
        assert ("supplier", 1) not in index
        assert index.status()["tombstoned_rows"] == 1

    def test_a_key_cannot_be_upserted_and_removed_in_one_batch(self) -> None:
        index = TextIndex.build(corpus())
        with pytest.raises(ValueError, match="both upserted and removed"):
            index.with_changes([supplier(1)], [("supplier", 1)])

    def test_snapshot_arrays_are_read_only(self) -> None:
        index = TextIndex.build(corpus())
        segment = index.partition("supplier").segments[0]
        with pytest.raises(ValueError, match="read-only"):
            segment.table.active[0] = False
        with pytest.raises(ValueError, match="read-only"):
            index.partition("supplier").alive[0][0] = False

    def test_merging_delta_segments_keeps_every_score(self) -> None:
        params = TextIndexParams(max_delta_segments=2)
        index = TextIndex.build(corpus(), params)
        query = index.vectorise("LED street lighting lanterns")
        for number in range(5):
            index = index.with_changes(
                [supplier(20 + number, description=f"LED lanterns batch {number}")]
            )
            index = index.with_changes(removals=[("supplier", 20)] if number == 3 else [])
        assert len(index.partition("supplier").segments) <= 3
        scores = scores_of(index, query, "supplier")
        assert 20 not in scores
        for supplier_id in (21, 22, 23, 24):
            assert scores[supplier_id] == pytest.approx(
                index.similarity(query, ("supplier", supplier_id))
            )

    def test_an_empty_index_learns_its_vocabulary_from_the_first_changes(self) -> None:
        index = TextIndex.build([])
        assert index.vocabulary_size == 0
        grown = index.with_changes([led_supplier(1), need(100)])
        assert grown.vocabulary_size > 0
        query = grown.query_vector(need(100))
        assert grown.top_k(query, "supplier", 5)[0][0] == ("supplier", 1)


class TestRefit:
    def test_drift_asks_for_a_refit(self) -> None:
        params = TextIndexParams(min_drift_tokens=10, drift_threshold=0.2, min_rows_for_share=1000)
        index = TextIndex.build(corpus(), params)
        assert not index.needs_refit()
        novel = supplier(
            30, description="quantum blockchain hyperloop drones metaverse teleportation"
        )
        drifted = index.with_changes([novel])
        assert drifted.needs_refit()
        assert "vocabulary drift" in drifted.refit_reasons()[0]

    def test_many_added_rows_ask_for_a_refit(self) -> None:
        params = TextIndexParams(min_rows_for_share=1, max_delta_share=0.2)
        index = TextIndex.build(corpus(), params)
        grown = index.with_changes(
            [supplier(40 + n, description="LED street lighting") for n in range(4)]
        )
        assert any("rows added" in reason for reason in grown.refit_reasons())

    def test_a_refit_without_concurrent_changes_equals_a_fresh_build(self) -> None:
        index = TextIndex.build(corpus()).with_changes([supplier(8, description="LED lanterns")])
        index = index.with_changes(removals=[("supplier", 2)])
        refitted = index.refit()
        fresh = TextIndex.build(index.records())
        assert refitted.generation == index.generation
        assert refitted.vocabulary_size == fresh.vocabulary_size != index.vocabulary_size
        assert_same_scores(refitted, fresh)

    def test_catch_up_replays_the_changes_made_during_the_refit(self) -> None:
        snapshot = TextIndex.build(corpus()).with_changes([supplier(8, description="LED lanterns")])
        refitted = snapshot.refit()  # in the background...
        # ...while the writer keeps applying changes to the live index.
        first = [supplier(9, description="street lighting maintenance")]
        live = snapshot.with_changes(first).with_changes(removals=[("supplier", 2)])
        swapped = refitted.catch_up(live)
        assert swapped.generation == live.generation
        assert sorted(r.key for r in swapped.records()) == sorted(r.key for r in live.records())
        # Exactly the refitted vocabulary with the same batches applied on top.
        replayed = TextIndex.build(snapshot.records()).with_changes(first)
        replayed = replayed.with_changes(removals=[("supplier", 2)])
        assert_same_scores(swapped, replayed)
        # And the swapped index keeps answering from then on.
        later = swapped.with_changes([supplier(10, description="LED street lighting")])
        assert ("supplier", 10) in dict(
            later.top_k(later.vectorise("LED street lighting"), "supplier", 20)
        )

    def test_catch_up_refuses_an_index_that_was_refitted_meanwhile(self) -> None:
        index = TextIndex.build(corpus())
        refitted = index.refit()
        other = index.refit().with_changes([supplier(8)]).refit().with_changes([supplier(9)])
        with pytest.raises(StaleRefit):
            refitted.catch_up(other)
