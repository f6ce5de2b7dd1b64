"""Rankings in every direction, and why-not, as pure functions over an index snapshot.

Directions (`rank_for_need(kind=...)`, `rank_for_organisation`):

- need -> `supplier`, `lender`, `funding_call`: candidates of that kind;
- need -> `municipality`: other municipalities whose open needs resemble this one (joint
  procurement, replication); a municipality's score is its best need's, `via` lists them;
- supplier -> open needs it can deliver; lender -> open needs it could finance.

A pair scores the same whichever side asks (`assessment.py`).

How a ranking is computed, per segment of the candidate kind (`text_index.Segment`):

1. text: term-major cosine of the subject's vector with every row (`PostingLists.accumulate`);
2. hard filters as one boolean mask over the rows (`columns.RowTable`): tombstones, status,
   contract forms, NUTS coverage, budget with tolerance, CPV family, call dates / kinds /
   categories, lender thresholds when the need's bankability is known, topic;
3. score bounds per row: the components computable over columns exactly (text, CPV depth,
   budget fit, references, category, region, bankability of a known appraisal, and, for
   need -> candidates, fuzzy keywords through `scoring.FuzzyVocabulary`), the others (fuzzy
   keywords for organisation -> needs, bankability per need for lender -> needs) at 0 for the
   lower and 1 for the upper bound;
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
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
    bankability_headroom,
    budget_fit_logs,
    cpv_scores,
    log_amount,
    project_irr,
    references_score,
    tolerance_bounds,
)
from services.matching.domain.text_index import QueryVector, Segment, TextIndex

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
    """A segment's hard-filter mask, and the exactly known components of chosen rows."""

    mask: NDArray[np.bool_]
    exact: Callable[[NDArray[np.int64]], Exact]


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
    lower = np.zeros(size)
    upper = np.zeros(size)
    for name, weight in weights.active():
        values = exact.get(name)
        if values is None:
            upper += weight
        else:
            clipped = np.clip(values, 0.0, 1.0)
            lower += weight * clipped
            upper += weight * clipped
    total = weights.total
    return lower / total, upper / total


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
    budget: Money | None, table: RowTable, tolerance: float
) -> tuple[NDArray[np.bool_], Callable[[NDArray[np.int64]], NDArray[np.float64]]]:
    """A need's budget against every row's range: (constraint met, budget fit at rows)."""
    if budget is None:
        return np.ones(table.size, dtype=bool), lambda rows: np.full(rows.size, NEUTRAL)
    has = ~np.isnan(table.money_low)
    same = table.currency == budget.currency
    low, high = tolerance_bounds(table.money_low, table.money_high, tolerance)
    with np.errstate(invalid="ignore"):
        inside = (low <= budget.amount) & (budget.amount <= high)
    x = math.log(max(budget.amount, 1.0))

    def fit(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        values = _range_fit(x, table, rows, tolerance)
        return np.where(has[rows] & ~same[rows], 0.0, values)

    return ~has | ~same | inside, fit


def _budget_for_amounts(
    money_range: MoneyRange | None, table: RowTable, tolerance: float
) -> tuple[NDArray[np.bool_], Callable[[NDArray[np.int64]], NDArray[np.float64]]]:
    """Every need row's budget against one range: (constraint met, budget fit at rows)."""
    if money_range is None:
        return np.ones(table.size, dtype=bool), lambda rows: np.full(rows.size, NEUTRAL)
    amount = table.money_low
    has = ~np.isnan(amount)
    same = table.currency == money_range.currency
    low, high = tolerance_bounds(money_range.min.amount, money_range.max.amount, tolerance)
    with np.errstate(invalid="ignore"):
        inside = (low <= amount) & (amount <= high)
    log_low = math.log(max(money_range.min.amount, 1.0))
    log_high = math.log(max(money_range.max.amount, 1.0))

    def fit(rows: NDArray[np.int64]) -> NDArray[np.float64]:
        values = budget_fit_logs(table.log_low[rows], log_low, log_high, tolerance)
        values = np.where(has[rows], values, NEUTRAL)
        return np.where(has[rows] & ~same[rows], 0.0, values)

    return ~has | ~same | inside, fit


def _row_vector(segment: Segment, row: int) -> QueryVector:
    return QueryVector.from_row(segment.matrix, row)


class _Search(ABC):
    """One ranking problem: a subject, a candidate partition, masks, bounds and assessment."""

    kind: str  # the partition searched
    candidate_kind: str  # the kind reported in results

    def __init__(self, index: TextIndex, query: QueryVector, policy: MatchPolicy) -> None:
        self.index = index
        self.query = query
        self.policy = policy

    def pools(self) -> list[_Pool]:
        partition = self.index.partition(self.kind)
        pools = []
        for segment, alive in zip(partition.segments, partition.alive, strict=True):
            if segment.size == 0:
                continue
            text = segment.postings.accumulate(self.query)
            columns = self.columns(segment, text)
            rows = np.flatnonzero(alive & columns.mask)
            if rows.size:
                exact = columns.exact(rows)
                exact["text"] = text[rows]
                lower, upper = _bounds(self.weights, exact, rows.size)
                pools.append(_Pool(segment, rows, lower, upper))
        return pools

    @property
    def weights(self) -> ComponentWeights:
        return self.policy.weights.for_kind(self.candidate_kind)

    @abstractmethod
    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        """The hard-filter mask over the segment's rows and the exactly known components."""

    def assess_row(self, segment: Segment, row: int) -> PairScore:
        record = segment.records[row]
        return self.assess(record, self.query.dot(_row_vector(segment, row)))

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

    def pools(self) -> list[_Pool]:
        if not self.need.is_open and self.kind != "need":
            return []  # a closed need matches no candidate (`need_open`)
        return super().pools()

    def _fuzzy(self, table: RowTable, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        if self.weights.fuzzy <= 0:
            return np.zeros(rows.size)  # not scored: skip the string comparisons
        cutoff = self.policy.fuzzy_cutoff
        return table.fuzzy.scores(self.keywords, table.size, cutoff)[rows]

    def _family(self, table: RowTable) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
        depth = table.cpv_depths(self.family)
        if not self.family:
            return depth, np.ones(table.size, dtype=bool)
        return depth, ~table.cpv_declared | (depth >= 2)


class _SupplierSearch(_NeedSearch):
    kind = candidate_kind = "supplier"

    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        table = segment.table
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_ranges(self.need.budget, table, tolerance)
        depth, family_ok = self._family(table)
        references = table.references[:, self.category]
        mask = (
            table.active
            & table.forms_compatible(self.forms)
            & table.covering(self.need.nuts_code)
            & budget_ok
            & family_ok
            & ((text > 0) | (depth >= 2) | (references > 0))
        )
        return _Columns(
            mask,
            lambda rows: {
                "cpv": cpv_scores(depth[rows]),
                "budget": fit(rows),
                "fuzzy": self._fuzzy(table, rows),
                "references": references_score(references[rows]),
            },
        )

    def assess(self, record: IndexRecord, text: float) -> PairScore:
        assert isinstance(record, Organisation)
        return assess_supplier(self.need, record, text, self.policy)


class _LenderSearch(_NeedSearch):
    kind = candidate_kind = "lender"

    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        table = segment.table
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_ranges(self.need.budget, table, tolerance)
        depth, _family_ok = self._family(table)  # not a constraint for lenders (see constraints)
        thresholds_ok, headroom = self._bankability(table)
        mask = (
            table.active
            & table.forms_compatible(self.forms)
            & table.covering(self.need.nuts_code)
            & budget_ok
            & thresholds_ok
        )
        references = table.references[:, self.category]
        return _Columns(
            mask,
            lambda rows: {
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

    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        table = segment.table
        first, last = call_window(self.need, self.today)
        funds = (table.call_categories & (1 << self.category)) != 0
        depth, family_ok = self._family(table)
        kinds_ok = (table.call_kinds == 0) | ((table.call_kinds & KIND_BITS["municipality"]) != 0)
        mask = (
            (table.closes >= first.toordinal())
            & (table.opens <= last.toordinal())
            & table.covering(self.need.nuts_code)
            & kinds_ok
            & ((table.call_categories == 0) | funds)
            & family_ok
            & ((text > 0) | (depth >= 2) | funds)
        )
        return _Columns(
            mask,
            lambda rows: {
                "cpv": cpv_scores(depth[rows]),
                "budget": self._grant_fit(table, rows),
                "fuzzy": self._fuzzy(table, rows),
                "category": np.where(table.call_categories[rows] == 0, NEUTRAL, funds[rows]),
            },
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

    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        table = segment.table
        depth = table.cpv_depths(self.need.cpv_codes, own=True)
        same = (table.category == self.category) & (self.category != CATEGORY_INDEX["other"])
        # A hair below the threshold: the assessment's cosine may differ in the last bit.
        related = same | (depth >= 2) | (text >= self.policy.rules.related_min_text - EPSILON)
        mask = (
            table.active
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

        return _Columns(mask, exact)

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

    def pools(self) -> list[_Pool]:
        if not self.organisation.active:
            return []  # an inactive organisation matches nothing (`active`)
        return super().pools()

    def columns(self, segment: Segment, text: NDArray[np.float64]) -> _Columns:
        table = segment.table
        tolerance = self.policy.rules.budget_tolerance
        budget_ok, fit = _budget_for_amounts(self.organisation.money_range, table, tolerance)
        if self.codes:
            depth = table.cpv_depths(self.codes)
            family_ok = ~table.cpv_declared | (depth >= 2)
        else:
            depth = np.zeros(table.size, dtype=np.int64)
            family_ok = np.ones(table.size, dtype=bool)
        references = self.references[np.maximum(table.category, 0)]
        mask = (
            table.active
            & table.forms_compatible(self.forms)
            & table.regions_within(self.organisation.nuts_codes)
            & budget_ok
            & family_ok
        )
        if self.organisation.kind == "supplier":
            mask &= (text > 0) | (depth >= 2) | (references > 0)
        return _Columns(
            mask,
            lambda rows: {
                "cpv": cpv_scores(depth[rows]),
                "budget": fit(rows),
                "references": references_score(references[rows]),
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

    def order(self) -> tuple[float, int]:
        return (-self.score, self.group)


def _candidates(pools: Sequence[_Pool]) -> tuple[NDArray, NDArray, NDArray]:
    if not pools:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    pool_of = np.concatenate([np.full(p.rows.size, i, dtype=np.int64) for i, p in enumerate(pools)])
    rows = np.concatenate([p.rows for p in pools])
    upper = np.concatenate([p.upper for p in pools])
    return pool_of, rows, upper


def _descending(upper: NDArray[np.float64], first: int) -> list[NDArray[np.int64]]:
    """Positions by decreasing upper bound: a partial sort of the best `first`, then the rest."""
    n = upper.size
    if n <= first:
        return [np.argsort(-upper, kind="stable")]
    head = np.argpartition(-upper, first - 1)[:first]
    head = head[np.argsort(-upper[head], kind="stable")]
    rest = np.setdiff1d(np.arange(n), head, assume_unique=True)
    rest = rest[np.argsort(-upper[rest], kind="stable")]
    return [head, rest]


def _run(search: _Search, wanted: int, pools: Sequence[_Pool] | None = None) -> list[_Found]:
    """The best `wanted` groups by exact score (see the module docstring)."""
    pools = search.pools() if pools is None else pools
    pool_of, rows, upper = _candidates(pools)
    found: dict[int, _Found] = {}
    threshold: float | None = None  # the wanted-th best exact score so far
    for chunk in _descending(upper, max(64, 8 * wanted)):
        for position in chunk:
            if threshold is not None and upper[position] + EPSILON < threshold:
                return sorted(found.values(), key=_Found.order)[:wanted]
            pool = pools[pool_of[position]]
            row = int(rows[position])
            pair = search.assess_row(pool.segment, row)
            if not pair.eligible:
                continue
            record = pool.segment.records[row]
            group = search.group(record)
            member = (pair.score, record.id)
            entry = found.get(group)
            if entry is None:
                found[group] = _Found(pair.score, group, pool.segment, row, pair, [member])
            else:
                entry.members.append(member)
                if (-pair.score, record.id) < (-entry.score, entry.segment.records[entry.row].id):
                    entry.score, entry.segment, entry.row, entry.pair = (
                        pair.score,
                        pool.segment,
                        row,
                        pair,
                    )
            if len(found) >= wanted:
                threshold = heapq.nlargest(wanted, (f.score for f in found.values()))[-1]
    return sorted(found.values(), key=_Found.order)[:wanted]


def _match(search: _Search, found: _Found, rank: int | None, subject: Key) -> Match:
    record = found.segment.records[found.row]
    members = sorted(found.members, key=lambda m: (-m[0], m[1]))
    via = tuple(("need", m[1]) for m in members) if search.candidate_kind == "municipality" else ()
    terms = search.index.term_contributions(search.query, record.key, TOP_TERMS)
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
