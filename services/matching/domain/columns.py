"""Columnar attributes of an index segment, for hard filters as numpy masks.

A `RowTable` holds, for the rows of one segment (all of one kind), the attributes the hard
constraints and the cheap score components need, as numpy arrays aligned with the segment's
rows, plus inverted lists (code -> rows) for the hierarchical codes:

- `cpv_prefixes`: every prefix (2 digits up to the significant length) of every CPV code a row
  declares -> rows (for needs: the need's CPV family, `profiles.need_cpv_codes`). The depth of a
  row against a query code `q` is the longest prefix of `significant(q)` whose list holds the
  row: exactly `scoring.cpv_depth` when the depth is 2 or more (a depth of 1 shows as 0; both
  score 0 and fail the family rule). `own_cpv_prefixes` (needs) lists only declared codes:
  need <-> need similarity compares what the needs declare, since the families' category codes
  share broad divisions (31, 45) across categories.
- `coverage`: each declared coverage code (organisations' `nuts_codes`, calls' `eligible_nuts`)
  -> rows. Rows covering region `r` are the union of the lists of `r`'s prefixes.
- `region_prefixes` (needs): every prefix (2 to 5 characters) of the need's NUTS code -> rows.
  Needs inside a supplier's area `a` are `region_prefixes[a]`.

Money ranges are (currency, low, high) with NaN when absent, and their logs floored at 1 unit
(`scoring.log_amount`, 0 when absent) for the budget fit; a need row's budget is low = high;
a call's co-financing rate is 1 when it states none (the grant asked is then the budget).
Dates are proleptic ordinals (`date.toordinal()`), 0 when absent. Bit masks: contract forms by
`records.CONTRACT_FORMS` order, call categories by `records.CATEGORIES` order, eligible kinds by
`records.ORGANISATION_KINDS` order.

`fuzzy` (organisations and calls): the rows' fuzzy choices (`scoring.FuzzyVocabulary`), so the
fuzzy keyword component is computed over columns too.

Currencies are also small integer codes (`currency_code`, `in_currency`). Per-row answers that
depend on one query value only (`covering(region)`, `forms_compatible(mask)`, `code_depths(code)`,
`cpv_depths(codes)` their maximum, `family_passes(family)`, the tolerated budget bounds per
currency and tolerance behind `budget_within`) are cached per table, bounded (`CACHE_SIZE`
entries); a query then reads them at its rows only. `budget_fit` uses `log_ranges`
(`scoring.LogRanges`, the ranges prepared in log space once).

Every array is read-only: a segment never changes once built (index snapshots share them).
Checked by `tests/domain/test_columns.py` (the cached answers against the per-record
constraints and components) and through `tests/domain/test_ranking.py` (vectorised masks
agree with the per-candidate constraints on random catalogues).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.profiles import (
    candidate_cpv_codes,
    fuzzy_phrases,
    reference_categories,
)
from services.matching.domain.records import (
    CATEGORIES,
    CONTRACT_FORMS,
    ORGANISATION_KINDS,
    FundingCall,
    IndexRecord,
    Need,
    Organisation,
)
from services.matching.domain.scoring import (
    NEUTRAL,
    FuzzyVocabulary,
    LogRanges,
    fuzzy_choices,
    log_amount,
    significant,
)

FORM_BITS = {form: 1 << position for position, form in enumerate(CONTRACT_FORMS)}
CATEGORY_INDEX = {category: position for position, category in enumerate(CATEGORIES)}
KIND_BITS = {kind: 1 << position for position, kind in enumerate(ORGANISATION_KINDS)}
NO_ROWS: NDArray[np.int32] = np.zeros(0, dtype=np.int32)
NO_ROWS.setflags(write=False)


def forms_mask(forms: Iterable[str]) -> int:
    return sum(FORM_BITS.get(form, 0) for form in set(forms))


def categories_mask(categories: Iterable[str]) -> int:
    return sum(1 << CATEGORY_INDEX[c] for c in set(categories) if c in CATEGORY_INDEX)


def kinds_mask(kinds: Iterable[str]) -> int:
    return sum(KIND_BITS.get(kind, 0) for kind in set(kinds))


def _frozen(array: NDArray) -> NDArray:
    array.setflags(write=False)
    return array


def _postings(lists: dict[str, list[int]]) -> dict[str, NDArray[np.int32]]:
    return {
        key: _frozen(np.unique(np.asarray(rows, dtype=np.int32))) for key, rows in lists.items()
    }


@dataclass(frozen=True, slots=True, eq=False)
class RowTable:
    """Attributes of one segment's rows (see the module docstring)."""

    kind: str
    size: int
    ids: NDArray[np.int64]
    active: NDArray[np.bool_]
    forms: NDArray[np.int64]
    currency: NDArray[np.str_]
    currency_code: NDArray[np.int16]
    currency_codes: Mapping[str, int]
    money_low: NDArray[np.float64]
    money_high: NDArray[np.float64]
    log_low: NDArray[np.float64]
    log_high: NDArray[np.float64]
    log_ranges: LogRanges
    cpv_declared: NDArray[np.bool_]
    cpv_prefixes: Mapping[str, NDArray[np.int32]]
    own_cpv_prefixes: Mapping[str, NDArray[np.int32]]
    coverage_declared: NDArray[np.bool_]
    coverage: Mapping[str, NDArray[np.int32]]
    region_declared: NDArray[np.bool_]
    region_prefixes: Mapping[str, NDArray[np.int32]]
    references: NDArray[np.int64]
    """Past references per category and row: `references[category][rows]` (one contiguous
    row per category, so a ranking gathers its rows from one array, not one per row)."""
    organisation_id: NDArray[np.int64]
    category: NDArray[np.int64]
    needed_by: NDArray[np.int64]
    min_dscr: NDArray[np.float64]
    target_irr: NDArray[np.float64]
    prefers_equity: NDArray[np.bool_]
    opens: NDArray[np.int64]
    closes: NDArray[np.int64]
    call_categories: NDArray[np.int64]
    call_kinds: NDArray[np.int64]
    co_financing: NDArray[np.float64]
    fuzzy: FuzzyVocabulary
    _cache: dict[tuple[object, ...], NDArray] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, kind: str, records: Sequence[IndexRecord]) -> RowTable:
        n = len(records)
        ids = np.zeros(n, dtype=np.int64)
        active = np.ones(n, dtype=bool)
        forms = np.zeros(n, dtype=np.int64)
        currency = np.full(n, "", dtype="<U3")
        money_low = np.full(n, np.nan)
        money_high = np.full(n, np.nan)
        cpv_declared = np.zeros(n, dtype=bool)
        coverage_declared = np.zeros(n, dtype=bool)
        region_declared = np.zeros(n, dtype=bool)
        references = np.zeros((len(CATEGORIES), n), dtype=np.int64)
        organisation_id = np.full(n, -1, dtype=np.int64)
        category = np.full(n, -1, dtype=np.int64)
        needed_by = np.zeros(n, dtype=np.int64)
        min_dscr = np.full(n, np.nan)
        target_irr = np.full(n, np.nan)
        prefers_equity = np.zeros(n, dtype=bool)
        opens = np.zeros(n, dtype=np.int64)
        closes = np.zeros(n, dtype=np.int64)
        call_categories = np.zeros(n, dtype=np.int64)
        call_kinds = np.zeros(n, dtype=np.int64)
        co_financing = np.ones(n)
        cpv_lists: dict[str, list[int]] = {}
        own_cpv_lists: dict[str, list[int]] = {}
        coverage_lists: dict[str, list[int]] = {}
        region_lists: dict[str, list[int]] = {}

        for row, record in enumerate(records):
            ids[row] = record.id
            codes = candidate_cpv_codes(record)
            cpv_declared[row] = bool(codes)
            for code in codes:
                digits = significant(code)
                for length in range(2, len(digits) + 1):
                    cpv_lists.setdefault(digits[:length], []).append(row)
            if isinstance(record, Organisation):
                active[row] = record.active
                forms[row] = forms_mask(record.contract_forms)
                money = record.money_range
                if money is not None:
                    currency[row] = money.currency
                    money_low[row], money_high[row] = money.min.amount, money.max.amount
                coverage_declared[row] = bool(record.nuts_codes)
                for code in record.nuts_codes:
                    coverage_lists.setdefault(code, []).append(row)
                for name, count in reference_categories(record).items():
                    references[CATEGORY_INDEX[name], row] = count
                if record.min_dscr is not None:
                    min_dscr[row] = record.min_dscr
                if record.target_irr is not None:
                    target_irr[row] = record.target_irr
                prefers_equity[row] = bool({"equity", "mezzanine"} & set(record.instruments))
            elif isinstance(record, Need):
                active[row] = record.is_open
                forms[row] = forms_mask(record.contract_forms)
                if record.budget is not None:
                    currency[row] = record.budget.currency
                    money_low[row] = money_high[row] = record.budget.amount
                for code in record.cpv_codes:
                    digits = significant(code)
                    for length in range(2, len(digits) + 1):
                        own_cpv_lists.setdefault(digits[:length], []).append(row)
                region_declared[row] = bool(record.nuts_code)
                for length in range(2, len(record.nuts_code) + 1):
                    region_lists.setdefault(record.nuts_code[:length], []).append(row)
                organisation_id[row] = record.organisation_id
                category[row] = CATEGORY_INDEX.get(record.category, -1)
                needed_by[row] = record.needed_by.toordinal() if record.needed_by else 0
            elif isinstance(record, FundingCall):
                if record.grant is not None:
                    currency[row] = record.grant.currency
                    money_low[row] = record.grant.min.amount
                    money_high[row] = record.grant.max.amount
                coverage_declared[row] = bool(record.eligible_nuts)
                for code in record.eligible_nuts:
                    coverage_lists.setdefault(code, []).append(row)
                opens[row] = record.opens_at.toordinal()
                closes[row] = record.closes_at.toordinal()
                call_categories[row] = categories_mask(record.categories)
                call_kinds[row] = kinds_mask(record.eligible_kinds)
                if record.co_financing_rate is not None:
                    co_financing[row] = record.co_financing_rate

        currency_names, currency_code = np.unique(currency, return_inverse=True)
        log_low = log_amount(np.nan_to_num(money_low, nan=1.0))
        log_high = log_amount(np.nan_to_num(money_high, nan=1.0))
        return cls(
            kind=kind,
            size=n,
            ids=_frozen(ids),
            active=_frozen(active),
            forms=_frozen(forms),
            currency=_frozen(currency),
            currency_code=_frozen(currency_code.reshape(n).astype(np.int16)),
            currency_codes=MappingProxyType(
                {str(name): code for code, name in enumerate(currency_names)}
            ),
            money_low=_frozen(money_low),
            money_high=_frozen(money_high),
            log_low=_frozen(log_low),
            log_high=_frozen(log_high),
            log_ranges=LogRanges.of(log_low, log_high),
            cpv_declared=_frozen(cpv_declared),
            cpv_prefixes=_postings(cpv_lists),
            own_cpv_prefixes=_postings(own_cpv_lists),
            coverage_declared=_frozen(coverage_declared),
            coverage=_postings(coverage_lists),
            region_declared=_frozen(region_declared),
            region_prefixes=_postings(region_lists),
            references=_frozen(references),
            organisation_id=_frozen(organisation_id),
            category=_frozen(category),
            needed_by=_frozen(needed_by),
            min_dscr=_frozen(min_dscr),
            target_irr=_frozen(target_irr),
            prefers_equity=_frozen(prefers_equity),
            opens=_frozen(opens),
            closes=_frozen(closes),
            call_categories=_frozen(call_categories),
            call_kinds=_frozen(call_kinds),
            co_financing=_frozen(co_financing),
            fuzzy=FuzzyVocabulary(
                [
                    () if isinstance(record, Need) else fuzzy_choices(fuzzy_phrases(record))
                    for record in records
                ]
            ),
        )

    # --- vectorised questions ----------------------------------------------------------------

    CACHE_SIZE = 256

    def _cached(self, key: tuple[object, ...], compute: Callable[[], NDArray]) -> NDArray:
        """A per-row answer computed once per key (segments never change; bounded; only
        complete, read-only answers are stored, so concurrent readers are safe)."""
        cached = self._cache.get(key)
        if cached is None:
            cached = _frozen(compute())
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def code_depths(self, code: str, *, own: bool = False) -> NDArray[np.int8]:
        """Per row, the deepest CPV match (>= 2, else 0) against one code (cached)."""

        def compute() -> NDArray[np.int8]:
            lists = self.own_cpv_prefixes if own else self.cpv_prefixes
            digits = significant(code)
            depth = np.zeros(self.size, dtype=np.int8)
            # Shortest first: a row in a longer prefix's list is overwritten with the longer depth.
            for length in range(2, len(digits) + 1):
                rows = lists.get(digits[:length])
                if rows is not None:
                    depth[rows] = length
            return depth

        return self._cached(("cpv", own, code), compute)

    def cpv_depths(self, codes: Iterable[str], *, own: bool = False) -> NDArray[np.int8]:
        """Per row, the deepest CPV match (>= 2, else 0) against any of `codes`.

        `own` compares a need row's declared codes rather than its family. The maximum over
        the codes of `code_depths` (the deepest prefix of any code whose list holds the row).
        Cached per list of codes (a need's family is shared by the needs of its category).
        Read-only.
        """
        distinct = tuple(dict.fromkeys(codes))
        if len(distinct) == 1:
            return self.code_depths(distinct[0], own=own)

        def compute() -> NDArray[np.int8]:
            depth = np.zeros(self.size, dtype=np.int8)
            for code in distinct:
                np.maximum(depth, self.code_depths(code, own=own), out=depth)
            return depth

        return self._cached(("cpv_depths", own, distinct), compute)

    def family_passes(self, family: tuple[str, ...]) -> NDArray[np.bool_]:
        """Rows passing the `cpv_family` rule against a need's family: rows declaring no CPV
        code, or sharing at least a division with one of the family's codes (cached,
        read-only). Every row passes an empty family."""
        if not family:
            return self._cached(("everyone",), lambda: np.ones(self.size, dtype=bool))
        return self._cached(
            ("family", family), lambda: ~self.cpv_declared | (self.cpv_depths(family) >= 2)
        )

    def budget_within(
        self, amount: float, currency: str, tolerance: float, rows: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Whether an amount lies within each of `rows`' range with the tolerance, or the row
        states no range, or one in another currency (`constraints.check_budget` passes or is
        not applicable / not evaluated). The bounds are cached per currency and tolerance."""

        def compute() -> NDArray[np.float64]:
            bounds = np.empty((2, self.size))
            bounds[0] = -np.inf
            bounds[1] = np.inf
            code = self.currency_codes.get(currency)
            if code is None:
                return bounds  # no row states a range in this currency
            same = ~np.isnan(self.money_low) & (self.currency_code == code)
            # The products of `check_budget`: min (1 - tol), max (1 + tol).
            bounds[0, same] = self.money_low[same] * (1.0 - tolerance)
            bounds[1, same] = self.money_high[same] * (1.0 + tolerance)
            return bounds

        bounds = self._cached(("budget", currency, tolerance), compute)
        return (bounds[0, rows] <= amount) & (amount <= bounds[1, rows])

    def budget_fit(
        self, x: float, currency: str, tolerance: float, rows: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        """Budget fit of a logged amount `x` in each of `rows`' range (`scoring.budget_fit_logs`):
        neutral where a row states no range, 0 where it states one in another currency."""

        def compute() -> NDArray[np.float64]:
            # NaN: compute the fit; otherwise the value of the row whatever the amount.
            fixed = np.full(self.size, np.nan)
            fixed[np.isnan(self.money_low)] = NEUTRAL
            code = self.currency_codes.get(currency)
            other = ~np.isnan(self.money_low)
            if code is not None:
                other &= self.currency_code != code
            fixed[other] = 0.0
            return fixed

        fixed = self._cached(("fit", currency), compute)[rows]
        fit = self.log_ranges.fit(x, rows, tolerance)
        return np.where(np.isnan(fixed), fit, fixed)

    def in_currency(self, currency: str, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each of `rows` states its amounts in `currency` (`currency[rows] == c`)."""
        code = self.currency_codes.get(currency)
        if code is None:
            return np.zeros(rows.size, dtype=bool)
        return self.currency_code[rows] == code

    def covering(self, region: str) -> NDArray[np.bool_]:
        """Rows whose declared coverage covers `region`, or that declare none (cached,
        read-only)."""

        def compute() -> NDArray[np.bool_]:
            if not region:
                return np.ones(self.size, dtype=bool)
            ok = ~self.coverage_declared
            for length in range(2, len(region) + 1):
                rows = self.coverage.get(region[:length])
                if rows is not None:
                    ok[rows] = True
            return ok

        return self._cached(("covering", region), compute)

    def regions_within(self, areas: Sequence[str]) -> NDArray[np.bool_]:
        """Need rows whose region lies inside one of `areas`; all rows when `areas` is empty;
        rows without a region always (the constraint is not applicable to them)."""
        if not areas:
            return np.ones(self.size, dtype=bool)
        ok = ~self.region_declared
        for area in areas:
            rows = self.region_prefixes.get(area)
            if rows is not None:
                ok[rows] = True
        return ok

    def region_shared(self, region: str) -> NDArray[np.int64]:
        """Per need row, the NUTS characters shared with `region`, capped at 4 (0 below 2)."""
        shared = np.zeros(self.size, dtype=np.int64)
        for length in range(2, min(len(region), 4) + 1):
            rows = self.region_prefixes.get(region[:length])
            if rows is None:
                break
            shared[rows] = length
        return shared

    def forms_compatible(self, mask: int) -> NDArray[np.bool_]:
        """Rows whose contract forms intersect `mask`, or either side declares none (cached,
        read-only)."""

        def compute() -> NDArray[np.bool_]:
            if mask == 0:
                return np.ones(self.size, dtype=bool)
            return (self.forms == 0) | ((self.forms & mask) != 0)

        return self._cached(("forms", mask), compute)
