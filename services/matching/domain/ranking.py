"""Rankings in every direction, and why-not, as pure functions over an index snapshot.

Directions (`rank_for_need(kind=...)`, `rank_for_organisation`):

- need -> `supplier`, `lender`, `funding_call`: candidates of that kind;
- need -> `municipality`: other municipalities whose open needs resemble this one (joint
  procurement, replication); a municipality's score is its best need's, `via` lists them;
- supplier -> open needs it can deliver; lender -> open needs it could finance.

A pair scores the same whichever side asks (`assessment.py`).

How a ranking is computed, per segment of the candidate kind (`text_index.Segment`):

1. hard filters that need no text, as boolean masks over the rows (`columns.RowTable`, whose
   per-row answers for a region, a contract-form mask or a CPV code are cached): tombstones,
   status, contract forms, NUTS coverage, CPV family, call dates / kinds / categories, lender
   thresholds when the need's bankability is known; then, over the rows left only, the budget
   with tolerance;
2. text: the cosine of the subject's vector with those rows only (their CSR rows times the
   dense query, `Segment.scores_at`: the same sums as the term-major `PostingLists.accumulate`,
   which at 100,000 suppliers reads ~300,000 postings for ~1,500 surviving rows); then the
   topic rule (a shared term, a CPV division, a reference or the call's category). Need ->
   municipality keeps the term-major pass: its filters are loose and need <-> need text
   decides relatedness;
3. score bounds per row: the components computable over columns exactly (text, CPV depth,
   budget fit, references, category, region, bankability of a known appraisal, and, for
   need -> candidates, fuzzy keywords through `scoring.FuzzyVocabulary`), the others (fuzzy
   keywords for organisation -> needs, bankability per need for lender -> needs) at 0 for the
   lower and 1 for the upper bound. Fuzzy keywords (need -> candidates) are computed only for
   the rows whose upper bound reaches the k-th best lower bound of their segment; the others
   keep the [0, 1] bound, valid and never reached;
4. an exact threshold search: rows are assessed (`assessment.py`, the authoritative
   evaluation of every constraint and component) in decreasing upper bound, until the k-th
   best exact score exceeds the next upper bound (by 1e-9). Every unassessed row then scores
   below the k-th: the top-k equals a brute-force assessment of every candidate, which
   `tests/domain/test_ranking.py` checks on random catalogues. Rows failing any constraint in
   the assessment are dropped, so no ranked result breaks a hard constraint.

A closed need (as subject of supplier, lender or call rankings) and an inactive organisation
match nothing, as their pair constraints say. Top-k selection uses `np.argpartition` on the
upper bounds (then sorts only that slice).
Order: score descending, then candidate id ascending. `limit` / `offset` page the ranking.

Why-not (`why_not`): the named candidate is assessed whatever its constraints; its rank is
1 + the number of eligible candidates ordered ahead of it, counted by assessing the rows whose
upper bound reaches its score (at most `max_assessments`; beyond, the rank is a lower bound).
"""

from __future__ import annotations

import heapq
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.assessment import (
    MatchPolicy,
    PairScore,
    assess_funding_call,
    assess_lender,
    assess_related_need,
    assess_supplier,
)
from services.matching.domain.columns import (
    CATEGORY_INDEX,
    KIND_BITS,
    RowTable,
    forms_mask,
)
from services.matching.domain.constraints import ConstraintCheck, call_window
from services.matching.domain.explanation import HeldDown, Match, WhyNot, held_down_by
from services.matching.domain.profiles import (
    need_cpv_codes,
    need_keywords,
    reference_categories,
)
from services.matching.domain.records import (
    CATEGORIES,
    Bankability,
    FundingCall,
    IndexRecord,
    Key,
    Money,
    MoneyRange,
    Need,
    Organisation,
)
from services.matching.domain.scoring import (
    NEUTRAL,
    REGION_SCORES,
    ComponentWeights,
    FuzzyMatch,
    KeywordMasks,
    bankability_headroom,
    budget_fit_logs,
    cpv_scores,
    log_amount,
    project_irr,
    references_score,
    tolerance_bounds,
)
from services.matching.domain.text_index import Hit, QueryVector, Segment, TextIndex, dot_of_hits

EPSILON = 1e-9
NEED_KINDS = ("supplier", "lender", "funding_call", "municipality")
MAX_ASSESSMENTS = 20_000
TOP_TERMS = 5


class UnknownCandidate(LookupError):
    """The named candidate is not in the index."""


class UnsupportedDirection(ValueError):
    """No ranking exists for this subject and candidate kind."""


class NeedCompatibility(Protocol):
    """Extra rules for need <-> need searches (bundles): a mask and the matching checks.

    `mask` must keep every row whose `checks` would pass (it may keep more): the checks are
    authoritative and are appended to the pair's constraints.
    """

    def mask(self, table: RowTable) -> NDArray[np.bool_]: ...

    def checks(self, need: Need, other: Need) -> tuple[ConstraintCheck, ...]: ...


Exact = dict[str, NDArray[np.float64]]


@dataclass(frozen=True, slots=True, eq=False)
class _Columns:
    """A segment's rows passing every hard filter (increasing), their text similarity, and
    the exactly known components of those rows."""

    rows: NDArray[np.int64]
    text: NDArray[np.float64]
    exact: Callable[[], Exact]
    deferred: Mapping[str, Callable[[NDArray[np.int64]], NDArray[np.float64]]] = field(
        default_factory=dict
    )
    """Components computed only where needed: name -> values at positions of `rows`."""

    @classmethod
    def masked(
        cls,
        mask: NDArray[np.bool_],
        text: NDArray[np.float64],
        exact: Callable[[NDArray[np.int64]], Exact],
    ) -> _Columns:
        """From a mask over every row (tombstones included) and the text of every row."""
        rows = np.flatnonzero(mask)
        return cls(rows, text[rows], lambda: exact(rows))

    @classmethod
    def empty(cls) -> _Columns:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), dict)


@dataclass(frozen=True, slots=True, eq=False)
class _Pool:
    """Rows of one segment that pass the masks, with their score bounds."""

    segment: Segment
    rows: NDArray[np.int64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]


def _bounds(
    weights: ComponentWeights, exact: Exact, size: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper score bounds: exact components as they are, the others in [0, 1]."""
    known = np.zeros(size)
    unknown = 0.0
    for name, weight in weights.active():
        values = exact.get(name)
        if values is None:
            unknown += weight
        else:
            known += weight * np.clip(values, 0.0, 1.0)
    total = weights.total
    return known / total, (known + unknown) / total


def _range_fit(
    x: float | NDArray[np.float64],
    table: RowTable,
    rows: NDArray[np.int64],
    tolerance: float,
) -> NDArray[np.float64]:
    """Budget fit of logged amount(s) `x` in the rows' ranges (neutral where none)."""
    fit = budget_fit_logs(x, table.log_low[rows], table.log_high[rows], tolerance)
    return np.where(np.isnan(table.money_low[rows]), NEUTRAL, fit)


def _budget_for_ranges(
    budget: Money | None, table: RowTable, tolerance: float, rows: NDArray[np.int64]
) -> tuple[NDArray[np.bool_], Callable[[NDArray[np.int64]], NDArray[np.float64]]]:
    """A need's budget against the ranges of `rows`: (constraint met at `rows`, budget fit at
    any rows)."""
    if budget is None:
        return np.ones(rows.size, dtype=bool), lambda rows: np.full(rows.size, NEUTRAL)
    x = math.log(max(budget.amount, 1.0))
    inside = table.budget_within(budget.amount, budget.currency, tolerance, rows)
    return inside, lambda rows: table.budget_fit(x, budget.currency, tolerance, rows)


def _budget_for_amounts(
    money_range: MoneyRange | None, table: RowTable, tolerance: float, rows: NDArray[np.int64]
) -> tuple[NDArray[np.bool_], Callable[[NDArray[np.int64]], NDArray[np.float64]]]:
    """The budgets of need `rows` against one range: (constraint met at `rows`, budget fit at
    any rows)."""
    if money_range is None:
        return np.ones(rows.size, dtype=bool), lambda rows: np.full(rows.size, NEUTRAL)
    amount = table.money_low[rows]
    has = ~np.isnan(amount)
    same = table.in_currency(money_range.currency, rows)
    low, high = tolerance_bounds(money_range.min.amount, money_range.max.amount, tolerance)
    with np.errstate(invalid="ignore"):
        inside = (low <= amount) & (amount <= high)
    log_low = math.log(max(money_range.min.amount, 1.0))
    log_high = math.log(max(money_range.max.amount, 1.0))

    def fit(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        values = budget_fit_logs(table.log_low[rows], log_low, log_high, tolerance)
        known = ~np.isnan(table.money_low[rows])
        values = np.where(known, values, NEUTRAL)
        return np.where(known & ~table.in_currency(money_range.currency, rows), 0.0, values)

    return ~has | ~same | inside, fit


class _Search(ABC):
    """One ranking problem: a subject, a candidate partition, masks, bounds and assessment."""

    kind: str  # the partition searched
    candidate_kind: str  # the kind reported in results

    def __init__(self, index: TextIndex, query: QueryVector, policy: MatchPolicy) -> None:
        self.index = index
        self.query = query
        self.query_terms = query.by_term()
        self.policy = policy
        self._dense: NDArray[np.float64] | None = None

    def pools(self, wanted: int | None = None) -> list[_Pool]:
        """Candidate rows and their score bounds, per segment.

        With `wanted` (the ranking needs only the best `wanted`), the deferred components are
        computed only for rows that could reach the `wanted`-th best lower bound of their
        segment (`_settle`); the others keep them unknown (in [0, 1]), which leaves their upper
        bounds valid, only looser, and they are never assessed unless fewer than `wanted` rows
        of the segment turn out eligible.
        """
        partition = self.index.partition(self.kind)
        pools = []
        for segment, alive in zip(partition.segments, partition.alive, strict=True):
            if segment.size == 0:
                continue
            columns = self.columns(segment, alive)
            size = columns.rows.size
            if size == 0:
                continue
            exact = columns.exact()
            exact["text"] = columns.text
            if not columns.deferred:
                lower, upper = _bounds(self.weights, exact, size)
            elif wanted is None or size <= wanted:
                for name, compute in columns.deferred.items():
                    exact[name] = compute(np.arange(size))
                lower, upper = _bounds(self.weights, exact, size)
            else:
                lower, upper = _bounds(self.weights, exact, size)
                self._settle(columns.deferred, lower, upper, wanted)
            pools.append(_Pool(segment, columns.rows, lower, upper))
        return pools

    def _settle(
        self,
        deferred: Mapping[str, Callable[[NDArray[np.int64]], NDArray[np.float64]]],
        lower: NDArray[np.float64],
        upper: NDArray[np.float64],
        wanted: int,
    ) -> None:
        """Compute the deferred components only for the rows whose upper bound reaches a floor
        below the `wanted`-th best exact score; the others keep them unknown. In place.

        The floor: the `wanted` rows of best lower bound, with their deferred components
        computed (the "seeds"), score at least their smallest lower bound so raised, and so
        does the `wanted`-th best row. Seeding raises the floor by up to the deferred weights
        and leaves ~270 rows of ~1,550 to compute at 100,000 suppliers instead of ~730 with the
        plain `wanted`-th best lower bound. The floor only decides how much is computed: the
        rows left out keep valid (looser) bounds. The seeds are among the chosen rows and are
        computed again with them (`wanted` rows, cheaper than splitting them out). Computing
        rows best first by several batches measured slower than one seed (the extra
        partitions and sorts).
        """
        size = lower.size
        total = self.weights.total
        shares = {name: getattr(self.weights, name) / total for name in deferred}
        seeds = np.argpartition(lower, size - wanted)[size - wanted :]
        seeded = lower[seeds]
        for name, compute in deferred.items():
            seeded += shares[name] * np.clip(compute(seeds), 0.0, 1.0)
        chosen = np.flatnonzero(upper + EPSILON >= seeded.min())
        for name, compute in deferred.items():
            # The component's share moves from unknown (0 to its weight) to known.
            share = shares[name]
            known = share * np.clip(compute(chosen), 0.0, 1.0)
            lower[chosen] += known
            upper[chosen] -= share - known

    def text_at(self, segment: Segment, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """The subject's text similarity with the given rows only (for a few rows, cheaper
        than the term-major pass over every posting of the query's terms)."""
        if self.query.size == 0:
            return np.zeros(rows.size)
        if self._dense is None:
            self._dense = self.query.dense(segment.matrix.shape[1])
        return segment.scores_at(self._dense, rows)

    @property
    def weights(self) -> ComponentWeights:
        return self.policy.weights.for_kind(self.candidate_kind)

    @abstractmethod
    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        """The rows passing every hard filter (`alive` are the untombstoned rows), their text
        similarity, and their exactly known components."""

    def assess_row(self, segment: Segment, row: int) -> PairScore:
        return self.assess_at(segment, row, dot_of_hits(segment.hits(self.query_terms, row)))

    def assess_at(self, segment: Segment, row: int, text: float) -> PairScore:
        """`assess` of a segment's row, handed what the search already knows of the row."""
        return self.assess(segment.records[row], text)

    @abstractmethod
    def assess(self, record: IndexRecord, text: float) -> PairScore:
        """The authoritative assessment of one candidate record (`assessment.py`)."""

    def group(self, record: IndexRecord) -> int:
        """Results are unique per group (the candidate id, or the municipality)."""
        return record.id

    def result_key(self, record: IndexRecord) -> Key:
        return (self.candidate_kind, record.id)

    def name(self, record: IndexRecord) -> str:
        return record.name if isinstance(record, Organisation) else record.title


class _NeedSearch(_Search):
    def __init__(
        self,
        index: TextIndex,
        need: Need,
        policy: MatchPolicy,
        *,
        today: date,
        bankability: Bankability | None = None,
    ) -> None:
        super().__init__(index, index.query_vector(need), policy)
        self.need = need
        self.today = today
        self.bankability = bankability
        self.family = need_cpv_codes(need)
        self.keywords = need_keywords(need)
        self.forms = forms_mask(need.contract_forms)
        self.category = CATEGORY_INDEX.get(need.category, CATEGORY_INDEX["other"])
        self._keyword_masks: dict[Segment, KeywordMasks] = {}

    def pools(self, wanted: int | None = None) -> list[_Pool]:
        if not self.need.is_open and self.kind != "need":
            return []  # a closed need matches no candidate (`need_open`)
        return super().pools(wanted)

    def _deferred_fuzzy(
        self, segment: Segment, rows: NDArray[np.int64]
    ) -> dict[str, Callable[[NDArray[np.int64]], NDArray[np.float64]]]:
        if self.weights.fuzzy <= 0 or rows.size == 0:
            return {}  # not scored (its bound is exact at 0, see `_bounds`), or no row
        masks = self.keyword_masks(segment)
        return {"fuzzy": lambda positions: masks.scores_at(rows[positions])}

    def keyword_masks(self, segment: Segment) -> KeywordMasks:
        """The need's keywords against the segment's fuzzy vocabulary, once per search: the
        bounds score rows with it and the assessments read each row's match off it."""
        masks = self._keyword_masks.get(segment)
        if masks is None:
            masks = segment.table.fuzzy.keyword_masks(self.keywords, self.policy.fuzzy_cutoff)
            self._keyword_masks[segment] = masks
        return masks

    def fuzzy_at(self, segment: Segment, row: int) -> FuzzyMatch | None:
        """The row's fuzzy keyword match (`KeywordMasks.match_at`, equal to the assessment's
        `fuzzy_keyword_match` at a fraction of its cost), None when fuzzy is not scored."""
        if self.weights.fuzzy <= 0:
            return None
        return self.keyword_masks(segment).match_at(row)


class _SupplierSearch(_NeedSearch):
    kind = candidate_kind = "supplier"

    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        # The filters that need no text first, over cached per-row booleans; the budget, the
        # text (a product over the remaining rows' vectors only) and the topic on what is left.
        table = segment.table
        mask = alive & table.active
        mask &= table.forms_compatible(self.forms)
        mask &= table.covering(self.need.nuts_code)
        mask &= table.family_passes(self.family)
        rows = np.flatnonzero(mask)
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_ranges(self.need.budget, table, tolerance, rows)
        rows = rows[budget_ok]
        text = self.text_at(segment, rows)
        references = table.references[self.category][rows]
        depths = table.cpv_depths(self.family)[rows]
        topic = text > 0
        if not topic.all():  # usually every row shares a term: nothing to drop
            topic |= (depths >= 2) | (references > 0)
            keep = np.flatnonzero(topic)
            rows, text, references, depths = rows[keep], text[keep], references[keep], depths[keep]
        return _Columns(
            rows,
            text,
            lambda: {
                "cpv": cpv_scores(depths),
                "budget": fit(rows),
                "references": references_score(references),
            },
            self._deferred_fuzzy(segment, rows),
        )

    def assess_at(self, segment: Segment, row: int, text: float) -> PairScore:
        record = segment.records[row]
        assert isinstance(record, Organisation)
        fuzzy = self.fuzzy_at(segment, row)
        return assess_supplier(self.need, record, text, self.policy, fuzzy=fuzzy)

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, Organisation)
        return assess_supplier(self.need, record, text, self.policy)


class _LenderSearch(_NeedSearch):
    kind = candidate_kind = "lender"

    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        table = segment.table
        depth = table.cpv_depths(self.family)  # no family rule for lenders (see constraints)
        thresholds_ok, headroom = self._bankability(table)
        mask = alive & table.active
        mask &= table.forms_compatible(self.forms)
        mask &= table.covering(self.need.nuts_code)
        mask &= thresholds_ok
        rows = np.flatnonzero(mask)
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_ranges(self.need.budget, table, tolerance, rows)
        rows = rows[budget_ok]
        references = table.references[self.category]
        return _Columns(
            rows,
            self.text_at(segment, rows),
            lambda: {
                "cpv": cpv_scores(depth[rows]),
                "budget": fit(rows),
                "references": references_score(references[rows]),
                "bankability": headroom[rows],
            },
        )

    def _bankability(self, table: RowTable) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        bank = self.bankability
        ok = np.ones(table.size, dtype=bool)
        if bank is None or not bank.available:
            return ok, np.full(table.size, NEUTRAL)
        dscr = bank.min_dscr
        irr_equity, irr_project = project_irr(bank, True), project_irr(bank, False)
        with np.errstate(invalid="ignore"):
            if dscr is not None:
                ok &= np.isnan(table.min_dscr) | (dscr >= table.min_dscr)
            if irr_equity is not None and irr_project is not None:
                irr = np.where(table.prefers_equity, irr_equity, irr_project)
                ok &= np.isnan(table.target_irr) | (irr >= table.target_irr)
        headroom = np.where(
            table.prefers_equity,
            bankability_headroom(dscr, irr_equity, table.min_dscr, table.target_irr),
            bankability_headroom(dscr, irr_project, table.min_dscr, table.target_irr),
        )
        return ok, headroom

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, Organisation)
        return assess_lender(self.need, record, text, self.bankability, self.policy)


class _FundingCallSearch(_NeedSearch):
    kind = candidate_kind = "funding_call"

    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        table = segment.table
        first, last = call_window(self.need, self.today)
        funds = (table.call_categories & (1 << self.category)) != 0
        depth = table.cpv_depths(self.family)
        kinds_ok = (table.call_kinds == 0) | ((table.call_kinds & KIND_BITS["municipality"]) != 0)
        mask = (
            alive
            & (table.closes >= first.toordinal())
            & (table.opens <= last.toordinal())
            & table.covering(self.need.nuts_code)
            & kinds_ok
            & ((table.call_categories == 0) | funds)
            # a call funding the need's category passes cpv_family
            & (table.family_passes(self.family) | funds)
        )
        rows = np.flatnonzero(mask)
        text = self.text_at(segment, rows)
        topic = (text > 0) | (depth[rows] >= 2) | funds[rows]
        rows, text = rows[topic], text[topic]
        return _Columns(
            rows,
            text,
            lambda: {
                "cpv": cpv_scores(depth[rows]),
                "budget": self._grant_fit(table, rows),
                "category": np.where(table.call_categories[rows] == 0, NEUTRAL, funds[rows]),
            },
            self._deferred_fuzzy(segment, rows),
        )

    def _grant_fit(self, table: RowTable, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Fit of the grant asked (budget x each call's rate) in each call's grant range."""
        budget = self.need.budget
        if budget is None:
            return np.full(rows.size, NEUTRAL)
        asked = log_amount(budget.amount * table.co_financing[rows])
        fit = _range_fit(asked, table, rows, self.policy.rules.budget_tolerance)
        has = ~np.isnan(table.money_low[rows])
        return np.where(has & (table.currency[rows] != budget.currency), 0.0, fit)

    def assess_at(self, segment: Segment, row: int, text: float) -> PairScore:
        record = segment.records[row]
        assert isinstance(record, FundingCall)
        fuzzy = self.fuzzy_at(segment, row)
        return assess_funding_call(self.need, record, text, self.today, self.policy, fuzzy=fuzzy)

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, FundingCall)
        return assess_funding_call(self.need, record, text, self.today, self.policy)


class _MunicipalitySearch(_NeedSearch):
    kind = "need"
    candidate_kind = "municipality"

    def __init__(
        self,
        index: TextIndex,
        need: Need,
        policy: MatchPolicy,
        *,
        today: date,
        bankability: Bankability | None = None,
        compatibility: NeedCompatibility | None = None,
    ) -> None:
        super().__init__(index, need, policy, today=today, bankability=bankability)
        self.compatibility = compatibility
        municipalities = index.partition("municipality")
        inactive = [
            segment.table.ids[alive & ~segment.table.active]
            for segment, alive in zip(municipalities.segments, municipalities.alive, strict=True)
        ]
        self.inactive = np.concatenate(inactive) if inactive else np.zeros(0, dtype=np.int64)

    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        table = segment.table
        text = segment.postings.accumulate(self.query)
        depth = table.cpv_depths(self.need.cpv_codes, own=True)
        same = (table.category == self.category) & (self.category != CATEGORY_INDEX["other"])
        # A hair below the threshold: the assessment's cosine may differ in the last bit.
        related = same | (depth >= 2) | (text >= self.policy.rules.related_min_text - EPSILON)
        mask = (
            alive
            & table.active
            & (table.organisation_id != self.need.organisation_id)
            & ~np.isin(table.organisation_id, self.inactive)
            & related
        )
        if self.compatibility is not None:
            mask &= self.compatibility.mask(table)
        shared = table.region_shared(self.need.nuts_code)

        def exact(rows: NDArray[np.int64]) -> Exact:
            region = np.zeros(rows.size)
            for length, value in REGION_SCORES.items():
                region[shared[rows] == length] = value
            return {
                "cpv": cpv_scores(depth[rows]),
                "category": same[rows].astype(float),
                "region": region,
            }

        return _Columns.masked(mask, text, exact)

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, Need)
        municipality = self.index.get(("municipality", record.organisation_id))
        pair = assess_related_need(
            self.need,
            record,
            text,
            municipality if isinstance(municipality, Organisation) else None,
            self.policy,
        )
        if self.compatibility is None:
            return pair
        extra = self.compatibility.checks(self.need, record)
        return replace(pair, constraints=pair.constraints + extra)

    def group(self, record: IndexRecord) -> int:
        assert isinstance(record, Need)
        return record.organisation_id

    def result_key(self, record: IndexRecord) -> Key:
        return ("municipality", self.group(record))

    def name(self, record: IndexRecord) -> str:
        municipality = self.index.get(self.result_key(record))
        if isinstance(municipality, Organisation) and municipality.name:
            return municipality.name
        return f"municipality {self.group(record)}"


class _OrganisationSearch(_Search):
    """Supplier or lender -> open needs."""

    kind = "need"

    def __init__(
        self,
        index: TextIndex,
        organisation: Organisation,
        policy: MatchPolicy,
        bankability: Mapping[int, Bankability],
    ) -> None:
        super().__init__(index, index.query_vector(organisation), policy)
        self.organisation = organisation
        self.bankability = bankability
        self.candidate_kind = "need"
        self.forms = forms_mask(organisation.contract_forms)
        self.codes = organisation.all_cpv_codes
        counts = reference_categories(organisation)
        self.references = np.array([counts.get(category, 0) for category in CATEGORIES])

    @property
    def weights(self) -> ComponentWeights:
        # A pair's weights are the organisation's kind's: the same score from either side.
        return self.policy.weights.for_kind(self.organisation.kind)

    def pools(self, wanted: int | None = None) -> list[_Pool]:
        if not self.organisation.active:
            return []  # an inactive organisation matches nothing (`active`)
        return super().pools(wanted)

    def columns(self, segment: Segment, alive: NDArray[np.bool_]) -> _Columns:
        table = segment.table
        depth = table.cpv_depths(self.codes)
        mask = alive & table.active
        mask &= table.forms_compatible(self.forms)
        mask &= table.regions_within(self.organisation.nuts_codes)
        if self.codes and self.organisation.kind == "supplier":
            # the CPV family rule is a supplier's: a lender's codes name its own financial
            # services, which need -> lender ignores too (`_LenderSearch`)
            mask &= ~table.cpv_declared | (depth >= 2)
        rows = np.flatnonzero(mask)
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_amounts(self.organisation.money_range, table, tolerance, rows)
        rows = rows[budget_ok]
        text = self.text_at(segment, rows)
        references = self.references[np.maximum(table.category[rows], 0)]
        if self.organisation.kind == "supplier":
            topic = (text > 0) | (depth[rows] >= 2) | (references > 0)
            rows, text, references = rows[topic], text[topic], references[topic]
        return _Columns(
            rows,
            text,
            lambda: {
                "cpv": cpv_scores(depth[rows]),
                "budget": fit(rows),
                "references": references_score(references),
            },
        )

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, Need)
        if self.organisation.kind == "lender":
            return assess_lender(
                record, self.organisation, text, self.bankability.get(record.id), self.policy
            )
        return assess_supplier(record, self.organisation, text, self.policy)


# --- the exact threshold search -------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    score: float
    group: int
    segment: Segment
    row: int
    pair: PairScore
    members: list[tuple[float, int]]  # (score, record id) of every eligible row of the group
    hits: list[Hit]  # the row's terms shared with the query (top terms)

    def order(self) -> tuple[float, int]:
        return (-self.score, self.group)


def _candidates(pools: Sequence[_Pool]) -> tuple[NDArray, NDArray, NDArray]:
    if not pools:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    if len(pools) == 1:  # the usual case: one segment
        return np.zeros(pools[0].rows.size, dtype=np.int64), pools[0].rows, pools[0].upper
    pool_of = np.concatenate([np.full(p.rows.size, i, dtype=np.int64) for i, p in enumerate(pools)])
    rows = np.concatenate([p.rows for p in pools])
    upper = np.concatenate([p.upper for p in pools])
    return pool_of, rows, upper


def _descending(upper: NDArray[np.float64], first: int) -> Iterator[NDArray[np.int64]]:
    """Positions by decreasing upper bound: a partial sort of the best `first`, then (only if
    the caller gets that far) the rest."""
    n = upper.size
    if n <= first:
        yield np.argsort(-upper, kind="stable")
        return
    head = np.argpartition(-upper, first - 1)[:first]
    head = head[np.argsort(-upper[head], kind="stable")]
    yield head
    rest = np.ones(n, dtype=bool)
    rest[head] = False
    rest_positions = np.flatnonzero(rest)
    yield rest_positions[np.argsort(-upper[rest_positions], kind="stable")]


def _run(search: _Search, wanted: int, pools: Sequence[_Pool] | None = None) -> list[_Found]:
    """The best `wanted` groups by exact score (see the module docstring)."""
    pools = search.pools(wanted) if pools is None else pools
    pool_of, rows, upper = _candidates(pools)
    found: dict[int, _Found] = {}
    threshold: float | None = None  # the wanted-th best exact score so far
    for chunk in _descending(upper, max(64, 8 * wanted)):
        # Python numbers for the chunk at once, rather than numpy scalars row by row.
        for bound, pool_number, row in zip(
            upper[chunk].tolist(), pool_of[chunk].tolist(), rows[chunk].tolist(), strict=True
        ):
            if threshold is not None and bound + EPSILON < threshold:
                return sorted(found.values(), key=_Found.order)[:wanted]
            pool = pools[pool_number]
            record = pool.segment.records[row]
            hits = pool.segment.hits(search.query_terms, row)
            pair = search.assess_at(pool.segment, row, dot_of_hits(hits))
            if not pair.eligible:
                continue
            group = search.group(record)
            member = (pair.score, record.id)
            entry = found.get(group)
            if entry is None:
                found[group] = _Found(pair.score, group, pool.segment, row, pair, [member], hits)
            else:
                entry.members.append(member)
                if (-pair.score, record.id) < (-entry.score, entry.segment.records[entry.row].id):
                    entry.score, entry.segment, entry.row, entry.pair = (
                        pair.score,
                        pool.segment,
                        row,
                        pair,
                    )
                    entry.hits = hits
            # The wanted-th best changes only when a score above it comes in.
            if len(found) >= wanted and (threshold is None or pair.score > threshold):
                threshold = heapq.nlargest(wanted, (f.score for f in found.values()))[-1]
    return sorted(found.values(), key=_Found.order)[:wanted]


def _match(search: _Search, found: _Found, rank: int | None, subject: Key) -> Match:
    record = found.segment.records[found.row]
    members = sorted(found.members, key=lambda m: (-m[0], m[1]))
    via = tuple(("need", m[1]) for m in members) if search.candidate_kind == "municipality" else ()
    terms = search.index.contributions(found.hits, TOP_TERMS)
    return Match(
        subject=subject,
        candidate=search.result_key(record),
        name=search.name(record),
        rank=rank,
        pair=found.pair,
        top_terms=terms,
        via=via,
    )


def _page(search: _Search, subject: Key, limit: int, offset: int) -> list[Match]:
    if limit <= 0 or offset < 0:
        return []
    found = _run(search, offset + limit)
    return [
        _match(search, entry, offset + position + 1, subject)
        for position, entry in enumerate(found[offset : offset + limit])
    ]


def _need_search(
    index: TextIndex,
    need: Need,
    kind: str,
    policy: MatchPolicy,
    *,
    today: date,
    bankability: Bankability | None,
) -> _NeedSearch:
    searches: dict[str, type[_NeedSearch]] = {
        "supplier": _SupplierSearch,
        "lender": _LenderSearch,
        "funding_call": _FundingCallSearch,
        "municipality": _MunicipalitySearch,
    }
    search = searches.get(kind)
    if search is None:
        raise UnsupportedDirection(f"a need is matched with {NEED_KINDS}, not {kind!r}")
    return search(index, need, policy, today=today, bankability=bankability)


# --- public API --------------------------------------------------------------------------------


def rank_for_need(
    index: TextIndex,
    need: Need,
    kind: str,
    *,
    today: date,
    bankability: Bankability | None = None,
    policy: MatchPolicy | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Match]:
    """Ranked candidates of `kind` (`supplier`, `lender`, `funding_call`, `municipality`).

    `bankability` is the need's appraisal summary (None: no appraisal; `available=False`:
    evaluation down, lender thresholds reported `not_evaluated`). `today` decides which calls
    are open. Results 1 + offset .. offset + limit, each with its rank.
    """
    search = _need_search(
        index, need, kind, policy or MatchPolicy(), today=today, bankability=bankability
    )
    return _page(search, need.key, limit, offset)


def rank_for_organisation(
    index: TextIndex,
    organisation: Organisation,
    *,
    bankability: Mapping[int, Bankability] | None = None,
    policy: MatchPolicy | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Match]:
    """Open needs a supplier can deliver or a lender could finance, best first.

    `bankability` maps need ids to their appraisal summaries (lenders; missing: no figures).
    A municipality's own view is `rank_for_need` over each of its needs.
    """
    if organisation.kind not in ("supplier", "lender"):
        raise UnsupportedDirection(
            f"needs are ranked for suppliers and lenders, not {organisation.kind}s"
        )
    search = _OrganisationSearch(index, organisation, policy or MatchPolicy(), bankability or {})
    return _page(search, organisation.key, limit, offset)


def rank_related_needs(
    index: TextIndex,
    need: Need,
    *,
    today: date,
    compatibility: NeedCompatibility | None = None,
    policy: MatchPolicy | None = None,
    limit: int = 10,
) -> list[Match]:
    """Other municipalities' best related needs, one per municipality, with extra rules.

    `rank_for_need(kind="municipality")` with `compatibility` added to the constraints (the
    bundles use it); each result's `via[0]` is the municipality's best compatible need.
    """
    search = _MunicipalitySearch(
        index, need, policy or MatchPolicy(), today=today, compatibility=compatibility
    )
    return _page(search, need.key, limit, 0)


def assess_pair(
    index: TextIndex,
    need: Need,
    candidate: IndexRecord,
    *,
    today: date,
    bankability: Bankability | None = None,
    policy: MatchPolicy | None = None,
) -> PairScore:
    """The full assessment of one (need, candidate) pair, whatever its constraints.

    `candidate` is a supplier, lender, funding call, or a need of another municipality.
    """
    policy = policy or MatchPolicy()
    kind = "municipality" if isinstance(candidate, Need) else candidate.key[0]
    search = _need_search(index, need, kind, policy, today=today, bankability=bankability)
    return search.assess(candidate, search.query.dot(index.query_vector(candidate)))


def _rank_of(
    search: _Search, pools: Sequence[_Pool], score: float, group: int, max_assessments: int
) -> tuple[int, bool]:
    """1 + eligible groups ordered ahead of (score, group); exact unless the cap is reached."""
    pool_of, rows, upper = _candidates(pools)
    best: dict[int, float] = {}
    assessed = 0
    exact = True
    positions = (position for chunk in _descending(upper, 256) for position in chunk)
    for position in positions:
        if upper[position] + EPSILON < score:
            break  # no row from here on can score as high
        if assessed >= max_assessments:
            exact = False
            break
        pool = pools[pool_of[position]]
        row = int(rows[position])
        other = search.group(pool.segment.records[row])
        if other == group:
            continue
        pair = search.assess_row(pool.segment, row)
        assessed += 1
        if pair.eligible:
            best[other] = max(best.get(other, -1.0), pair.score)
    ahead = sum(1 for other, value in best.items() if (-value, other) < (-score, group))
    return 1 + ahead, exact


def why_not(
    index: TextIndex,
    need: Need,
    kind: str,
    candidate_id: int,
    *,
    today: date,
    bankability: Bankability | None = None,
    policy: MatchPolicy | None = None,
    max_assessments: int = MAX_ASSESSMENTS,
) -> WhyNot:
    """Why `candidate_id` of `kind` is excluded from, or ranked where it is in, the need's list.

    For `municipality` the candidate is a municipality id and the assessment is that of its
    best need (eligible ones first). Raises `UnknownCandidate` when the index has no such
    candidate (for `municipality`: no need of that municipality).
    """
    search = _need_search(
        index, need, kind, policy or MatchPolicy(), today=today, bankability=bankability
    )
    if kind == "municipality":
        record, pair, via = _municipality_assessment(search, candidate_id)
    else:
        found = index.get((kind, candidate_id))
        if found is None:
            raise UnknownCandidate(f"no {kind} {candidate_id} in the index")
        record, via = found, ()
        pair = search.assess(record, search.query.dot(index.query_vector(record)))
    pools = search.pools()
    best = _run(search, 1, pools)
    top = _match(search, best[0], 1, need.key) if best else None
    rank: int | None = None
    exact = True
    if pair.eligible:
        rank, exact = _rank_of(search, pools, pair.score, search.group(record), max_assessments)
    match = Match(
        subject=need.key,
        candidate=search.result_key(record),
        name=search.name(record),
        rank=rank,
        pair=pair,
        top_terms=index.term_contributions(search.query, record.key, TOP_TERMS),
        via=via,
    )
    held: HeldDown | None = None
    if pair.eligible and top is not None and top.candidate != match.candidate:
        held = held_down_by(pair, top.pair)
    return WhyNot(
        match=match, excluded_by=pair.failed, held_down_by=held, top=top, rank_exact=exact
    )


def _municipality_assessment(
    search: _NeedSearch, municipality_id: int
) -> tuple[IndexRecord, PairScore, tuple[Key, ...]]:
    """The municipality's best need (eligible ones first, then score, then id), assessed."""
    assessed: list[tuple[bool, float, int, Need, PairScore]] = []
    partition = search.index.partition("need")
    for segment, alive in zip(partition.segments, partition.alive, strict=True):
        for row in np.flatnonzero(alive & (segment.table.organisation_id == municipality_id)):
            record = segment.records[int(row)]
            assert isinstance(record, Need)
            pair = search.assess_row(segment, int(row))
            assessed.append((pair.eligible, pair.score, record.id, record, pair))
    if not assessed:
        raise UnknownCandidate(f"no need of municipality {municipality_id} in the index")
    assessed.sort(key=lambda item: (not item[0], -item[1], item[2]))
    eligible = tuple(("need", item[2]) for item in assessed if item[0])
    _, _, _, record, pair = assessed[0]
    return record, pair, eligible
