"""Soft signals, each in [0, 1], and the weighted sum that makes a match score.

Score of a (subject, candidate) pair that passed every hard constraint:

    score = sum_c w_c * s_c / sum_c w_c        (in [0, 1])

over the components c with a positive weight for the candidate's kind (`ScoringWeights`). The
pair's score is the same whichever side asks (need -> supplier or supplier -> need).

Components:

- `text`: cosine of the two L2-normalised TF-IDF vectors (`TextIndex`), in [0, 1].
- `cpv`: best hierarchical CPV match between the need's CPV family (declared codes plus its
  category's codes, `profiles.need_cpv_codes`) and the candidate's declared codes. Depth = the
  number of leading significant digits two codes share (`cpv_common_prefix_depth` of
  `shared.reference.cpv`: padding zeros never count). Scale (`CPV_DEPTH_SCORES`): depth < 2 -> 0
  (not even the division), 2 division -> 0.1, 3 group -> 0.3, 4 class -> 0.6, 5 category ->
  0.85, 6+ sub-category -> 1. Absolute rather than depth/8 because most codes have 5 or 6
  significant digits: an exact match of `34928500` (6 digits) should score 1, not 0.75; and
  low at division and group level, which are broad (group 349 holds street lighting and
  traffic lights alike).
- `budget`: fit of an amount `a` (need budget, or the grant asked of a call) in a range
  `[lo, hi]` (project size, ticket, grant), in log space with amounts floored at 1 unit:
  x = ln a, c = (ln lo + ln hi) / 2, h = (ln hi - ln lo) / 2. Inside the range
  fit = 1 - 0.5 (|x - c| / h)^2: 1 at the geometric middle, 0.5 at either edge (a point range,
  h = 0, gives 1 on the point). Outside it falls linearly from 0.5 at the edge to 0 at the
  tolerance bound (`lo (1 - tol)`, `hi (1 + tol)`): fit = 0.5 (1 - d / d_tol), with d the log
  distance past the edge and d_tol = -ln(1 - tol) below, ln(1 + tol) above. Unknown budget or
  range -> 0.5 (neutral); a currency mismatch -> 0 (no conversion is made).
- `fuzzy`: share of the need's keywords (`profiles.need_keywords`) found in the candidate's
  fuzzy phrases (capabilities, offer and reference titles) by rapidfuzz `fuzz.ratio` >= 85
  (Indel similarity: one letter off in a 10-letter word is 95). Compounds: adjacent keywords
  are also tried joined ("illuminazione pubblica" -> "illuminazionepubblica") and the
  candidate's adjacent words are offered joined too ("street light" -> "streetlight"), so both
  spellings meet. Why not `token_set_ratio`: it scores 100 whenever one side's words are a
  subset of the other's, so a one-word capability "LED" would fully match any title with
  "LED"; keyword coverage keeps the signal proportional.
- `references`: past references in the need's category (glossary phrases in their titles):
  1 - 0.4^n for n references: 0, 0.6, 0.84, 0.94...
- `bankability` (lenders): mean over the lender's thresholds the appraisal can be compared
  with, of a score from the headroom r in scale units (DSCR: (min_dscr - threshold) / 0.5;
  IRR: (irr - target) / 0.05): a met threshold scores 0.6 + 0.4 min(r, 1), in [0.6, 1]; a missed
  one 0.4 max(0, 1 + r), in [0, 0.4). Neutral 0.5 when there is no appraisal, evaluation is
  down, or the lender states no threshold: known good figures rank above unknown ones, which
  rank above known bad ones (those are excluded by the constraint anyway). The IRR compared
  is the equity IRR for a lender offering equity or mezzanine, else the project FIRR (the
  other one when the first is missing).
- `category` (funding calls, needs): 1 when the call's categories include the need's (0.5 when
  the call names none); for need <-> need, 1 for the same category (not `other`), else 0.
- `region` (need <-> need): 1 same NUTS-2 (4 characters shared), 0.7 same NUTS-1, 0.4 same
  country, 0 otherwise.

Default weights (`ScoringWeights`), by candidate kind; lenders weigh the ticket fit and
bankability more than text:

| kind         | text | cpv  | budget | fuzzy | references | bankability | category | region |
| supplier     | 0.35 | 0.25 | 0.15   | 0.15  | 0.10       |             |          |        |
| lender       | 0.10 | 0.05 | 0.40   |       | 0.10       | 0.35        |          |        |
| funding_call | 0.35 | 0.15 | 0.15   | 0.10  |            |             | 0.25     |        |
| municipality | 0.45 | 0.15 |        |       |            |             | 0.25     | 0.15   |

For need <-> need the CPV families include each category's representative codes, so two needs
of one category always share CPV codes: the CPV weight is kept low there to avoid counting the
category twice.

The budget, CPV, references and bankability functions come in two twins: numpy over arrays
(the index's pass over every row) and pure Python for one pair (`*_value`, the assessment);
`tests/domain/test_scoring.py` checks they agree within 1e-12, and checks each component.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from rapidfuzz import fuzz, process

from services.matching.domain.records import Bankability, Money, MoneyRange

COMPONENTS = ("text", "cpv", "budget", "fuzzy", "references", "bankability", "category", "region")
CANDIDATE_KINDS = ("supplier", "lender", "funding_call", "municipality")

CPV_DEPTH_SCORES = np.array([0.0, 0.0, 0.1, 0.3, 0.6, 0.85, 1.0, 1.0, 1.0])
"""Score of a CPV match by depth (index = shared significant digits, 0..8)."""
CPV_DIVISION_DIGITS = 2
NEUTRAL = 0.5
FUZZY_CUTOFF = 85.0
REFERENCE_DECAY = 0.4
DSCR_HEADROOM_SCALE = 0.5
IRR_HEADROOM_SCALE = 0.05
REGION_SCORES = {4: 1.0, 3: 0.7, 2: 0.4}


@dataclass(frozen=True, slots=True)
class ComponentWeights:
    """Weights of the score components for one candidate kind (non-negative, any scale)."""

    text: float = 0.0
    cpv: float = 0.0
    budget: float = 0.0
    fuzzy: float = 0.0
    references: float = 0.0
    bankability: float = 0.0
    category: float = 0.0
    region: float = 0.0
    # Derived once: read for every assessed pair (a cache keyed by the weights would hash them).
    _total: float = field(init=False, repr=False, compare=False)
    _active: tuple[tuple[str, float], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in COMPONENTS:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"weight {name} must be a finite number >= 0, got {value!r}")
        total = float(sum(getattr(self, name) for name in COMPONENTS))
        if total <= 0:
            raise ValueError("at least one weight must be positive")
        active = tuple(
            (name, float(getattr(self, name))) for name in COMPONENTS if getattr(self, name) > 0
        )
        object.__setattr__(self, "_total", total)
        object.__setattr__(self, "_active", active)

    @property
    def total(self) -> float:
        return self._total

    def active(self) -> tuple[tuple[str, float], ...]:
        """(name, weight) of the components that count, in `COMPONENTS` order."""
        return self._active

    def as_dict(self) -> dict[str, float]:
        return dict(self.active())


@dataclass(frozen=True, slots=True)
class ScoringWeights:
    """Component weights per candidate kind (defaults in the module docstring's table).

    The service loads them from settings, e.g. `ScoringWeights.from_mapping({"lender":
    {"budget": 0.5, "bankability": 0.3, "text": 0.2}})`: a kind given replaces that kind's
    weights entirely; kinds not given keep their defaults.
    """

    supplier: ComponentWeights = ComponentWeights(
        text=0.35, cpv=0.25, budget=0.15, fuzzy=0.15, references=0.10
    )
    lender: ComponentWeights = ComponentWeights(
        text=0.10, cpv=0.05, budget=0.40, references=0.10, bankability=0.35
    )
    funding_call: ComponentWeights = ComponentWeights(
        text=0.35, cpv=0.15, budget=0.15, fuzzy=0.10, category=0.25
    )
    municipality: ComponentWeights = ComponentWeights(
        text=0.45, cpv=0.15, category=0.25, region=0.15
    )

    def for_kind(self, kind: str) -> ComponentWeights:
        if kind not in CANDIDATE_KINDS:
            raise ValueError(f"no weights for candidate kind {kind!r}")
        weights: ComponentWeights = getattr(self, kind)
        return weights

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, float]]) -> ScoringWeights:
        unknown = set(data) - set(CANDIDATE_KINDS)
        if unknown:
            raise ValueError(f"unknown candidate kinds in weights: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for kind, weights in data.items():
            bad = set(weights) - set(COMPONENTS)
            if bad:
                raise ValueError(f"unknown components in {kind} weights: {sorted(bad)}")
            values[kind] = ComponentWeights(**{k: float(v) for k, v in weights.items()})
        return cls(**values)

    def as_dict(self) -> dict[str, dict[str, float]]:
        return {f.name: getattr(self, f.name).as_dict() for f in fields(self)}


# --- CPV -----------------------------------------------------------------------------------


def significant(code: str) -> str:
    """A CPV code's significant digits (trailing padding zeros dropped, at least 2)."""
    return code[: max(CPV_DIVISION_DIGITS, len(code.rstrip("0")))]


def cpv_depth(a: str, b: str) -> int:
    """Leading significant digits shared by two 8-digit codes.

    Same definition as `shared.reference.cpv.cpv_common_prefix_depth`, computed on the strings
    alone so unknown codes cannot raise: min(shared digits, significant(a), significant(b)).
    """
    sig_a, sig_b = significant(a), significant(b)
    shared = 0
    for digit_a, digit_b in zip(sig_a, sig_b, strict=False):
        if digit_a != digit_b:
            break
        shared += 1
    return shared


@dataclass(frozen=True, slots=True)
class CpvMatch:
    """The best pair of codes between two lists and their depth (0 when nothing is shared)."""

    depth: int
    need_code: str | None = None
    candidate_code: str | None = None

    @property
    def score(self) -> float:
        return float(CPV_DEPTH_SCORES[self.depth])


def best_cpv_match(need_codes: Sequence[str], candidate_codes: Sequence[str]) -> CpvMatch:
    """The deepest (then first-listed) pair between the two lists."""
    if isinstance(need_codes, tuple) and isinstance(candidate_codes, tuple):
        return _best_cpv_match(need_codes, candidate_codes)
    return _best_cpv_match(tuple(need_codes), tuple(candidate_codes))


@lru_cache(maxsize=65_536)
def _best_cpv_match(need_codes: tuple[str, ...], candidate_codes: tuple[str, ...]) -> CpvMatch:
    best = CpvMatch(depth=0)
    for need_code in need_codes:
        for candidate_code in candidate_codes:
            depth = cpv_depth(need_code, candidate_code)
            if depth > best.depth:
                best = CpvMatch(depth, need_code, candidate_code)
    return best


def cpv_scores(depths: ArrayLike) -> NDArray[np.float64]:
    """Vectorised `CPV_DEPTH_SCORES[depth]`."""
    return CPV_DEPTH_SCORES[np.asarray(depths, dtype=np.int64)]


# --- budget ----------------------------------------------------------------------------------


def tolerance_bounds(
    low: ArrayLike, high: ArrayLike, tolerance: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The accepted interval for a range with a tolerance: [low (1 - tol), high (1 + tol)]."""
    return (
        np.asarray(low, dtype=np.float64) * (1.0 - tolerance),
        np.asarray(high, dtype=np.float64) * (1.0 + tolerance),
    )


def log_amount(values: ArrayLike) -> NDArray[np.float64]:
    """ln of amounts floored at 1 unit (NaN stays NaN)."""
    return np.log(np.maximum(np.asarray(values, dtype=np.float64), 1.0))


def budget_fit_logs(
    x: ArrayLike, log_low: ArrayLike, log_high: ArrayLike, tolerance: float
) -> NDArray[np.float64]:
    """Vectorised budget fit from logged amounts (no NaN expected; see `budget_fit`)."""
    x, lo, hi = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64),
        np.asarray(log_low, dtype=np.float64),
        np.asarray(log_high, dtype=np.float64),
    )
    centre = (lo + hi) / 2.0
    half = (hi - lo) / 2.0
    relative = np.divide(np.abs(x - centre), half, out=np.zeros(x.shape), where=half > 0)
    # at most 1 inside the range, but a range a few ulps wide can round the centre past x
    relative = np.minimum(relative, 1.0)
    inside_fit = 1.0 - 0.5 * relative**2
    below, above = _tolerance_spans(tolerance)
    past = np.where(x < lo, lo - x, x - hi)
    span = np.where(x < lo, below, above)
    outside = np.divide(past, span, out=np.full(x.shape, np.inf), where=span > 0)
    outside_fit = np.clip(0.5 * (1.0 - outside), 0.0, 0.5)
    return np.where((x >= lo) & (x <= hi), inside_fit, outside_fit)


@dataclass(frozen=True, slots=True, eq=False)
class LogRanges:
    """Ranges in log space prepared once for many fits of one amount at a time: the fast twin
    of `budget_fit_logs` for a scalar `x` (the ranking's per-row bounds), equal bit for bit
    (the same operations in the same order, on fewer and smaller arrays).

    `low`, `high` are ln lo, ln hi; `centre` (ln lo + ln hi) / 2; `divisor` the half width
    (ln hi - ln lo) / 2, or 1 for a point range, where x is inside only at the centre
    (relative distance 0, as `budget_fit_logs` has it).
    """

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    centre: NDArray[np.float64]
    divisor: NDArray[np.float64]

    @classmethod
    def of(cls, log_low: ArrayLike, log_high: ArrayLike) -> LogRanges:
        low = np.array(log_low, dtype=np.float64)
        high = np.array(log_high, dtype=np.float64)
        half = (high - low) / 2.0
        arrays = (low, high, (low + high) / 2.0, np.where(half > 0, half, 1.0))
        for array in arrays:
            array.setflags(write=False)
        return cls(*arrays)

    def fit(self, x: float, rows: NDArray[np.int64], tolerance: float) -> NDArray[np.float64]:
        """`budget_fit_logs(x, low[rows], high[rows], tolerance)`."""
        fit = np.abs(x - self.centre[rows])
        fit /= self.divisor[rows]
        np.minimum(fit, 1.0, out=fit)  # as `budget_fit_logs`: ranges a few ulps wide
        fit *= fit
        fit *= 0.5
        np.subtract(1.0, fit, out=fit)  # inside: 1 - 0.5 (|x - c| / h)^2
        low, high = self.low[rows], self.high[rows]
        outside = np.flatnonzero((x < low) | (high < x))
        if outside.size:
            low, high = low[outside], high[outside]
            under = x < low
            past = np.where(under, low - x, x - high)
            below, above = _tolerance_spans(tolerance)
            span = np.where(under, below, above)
            ratio = np.divide(past, span, out=np.full(past.shape, np.inf), where=span > 0)
            fit[outside] = np.clip(0.5 * (1.0 - ratio), 0.0, 0.5)
        return fit


def _tolerance_spans(tolerance: float) -> tuple[float, float]:
    """Log distances from the range edges to the tolerance bounds (below, above)."""
    below = -math.log1p(-tolerance) if tolerance < 1.0 else math.inf
    return below, math.log1p(tolerance)


def budget_fit(
    amount: ArrayLike, low: ArrayLike, high: ArrayLike, tolerance: float
) -> NDArray[np.float64]:
    """Vectorised fit of amounts in ranges (formula in the module docstring).

    NaN in any input -> `NEUTRAL`. Amounts and bounds are floored at 1 before the logarithm.
    """
    a, lo, hi = np.broadcast_arrays(
        np.asarray(amount, dtype=np.float64),
        np.asarray(low, dtype=np.float64),
        np.asarray(high, dtype=np.float64),
    )
    unknown = np.isnan(a) | np.isnan(lo) | np.isnan(hi)
    fit = budget_fit_logs(
        log_amount(np.where(unknown, 1.0, a)),
        log_amount(np.where(unknown, 1.0, lo)),
        log_amount(np.where(unknown, 1.0, hi)),
        tolerance,
    )
    return np.where(unknown, NEUTRAL, fit)


def budget_fit_value(amount: float, low: float, high: float, tolerance: float) -> float:
    """Scalar twin of `budget_fit` (pure Python, for one pair): equal within 1e-12."""
    x = math.log(max(amount, 1.0))
    lo, hi = math.log(max(low, 1.0)), math.log(max(high, 1.0))
    if lo <= x <= hi:
        half = (hi - lo) / 2.0
        relative = abs(x - (lo + hi) / 2.0) / half if half > 0 else 0.0
        return 1.0 - 0.5 * min(relative, 1.0) ** 2
    below, above = _tolerance_spans(tolerance)
    past, span = (lo - x, below) if x < lo else (x - hi, above)
    if span <= 0:
        return 0.0
    return min(0.5, max(0.0, 0.5 * (1.0 - past / span)))


def budget_fit_of(
    budget: Money | None, money_range: MoneyRange | None, tolerance: float
) -> tuple[float, str]:
    """Scalar budget fit with a short reason."""
    if budget is None or money_range is None:
        missing = "the need states no budget" if budget is None else "no range is declared"
        return NEUTRAL, f"neutral: {missing}"
    if budget.currency != money_range.currency:
        return 0.0, f"currency mismatch: {budget.currency} against {money_range.currency}"
    value = budget_fit_value(
        budget.amount, money_range.min.amount, money_range.max.amount, tolerance
    )
    return value, f"{budget} in {money_range}"


# --- references, bankability, region -------------------------------------------------------------


# 1 - 0.4^n for n = 0..127, the same powers; from well below 127 on the value is exactly 1.0.
_REFERENCE_SCORES = 1.0 - REFERENCE_DECAY ** np.arange(128.0)
_REFERENCE_SCORES.setflags(write=False)


def references_score(count: ArrayLike) -> NDArray[np.float64]:
    """1 - 0.4^n for n past references in the need's category (counts >= 0; a table look-up,
    cheaper than the powers)."""
    return _REFERENCE_SCORES[np.minimum(np.asarray(count, dtype=np.int64), 127)]


def references_value(count: int) -> float:
    """Scalar twin of `references_score`."""
    return 1.0 - REFERENCE_DECAY**count


def project_irr(bankability: Bankability, prefers_equity: bool) -> float | None:
    """The IRR a lender's target is compared with (see the module docstring)."""
    first, second = (
        (bankability.equity_irr, bankability.firr)
        if prefers_equity
        else (bankability.firr, bankability.equity_irr)
    )
    return first if first is not None else second


def _threshold_scores(room: NDArray[np.float64]) -> NDArray[np.float64]:
    """Score of one threshold from its headroom in scale units (see the module docstring)."""
    met = 0.6 + 0.4 * np.clip(room, 0.0, 1.0)
    missed = 0.4 * np.clip(1.0 + room, 0.0, 1.0)
    return np.where(room >= 0, met, missed)


def bankability_headroom(
    need_dscr: float | None,
    need_irr: float | None,
    lender_min_dscr: ArrayLike,
    lender_target_irr: ArrayLike,
) -> NDArray[np.float64]:
    """Vectorised mean threshold score over comparable thresholds; `NEUTRAL` where none."""
    min_dscr = np.asarray(lender_min_dscr, dtype=np.float64)
    target = np.asarray(lender_target_irr, dtype=np.float64)
    min_dscr, target = np.broadcast_arrays(min_dscr, target)
    total = np.zeros(min_dscr.shape)
    count = np.zeros(min_dscr.shape)
    for value, thresholds, scale in (
        (need_dscr, min_dscr, DSCR_HEADROOM_SCALE),
        (need_irr, target, IRR_HEADROOM_SCALE),
    ):
        if value is None:
            continue
        has = ~np.isnan(thresholds)
        room = (value - np.nan_to_num(thresholds)) / scale
        total += np.where(has, _threshold_scores(room), 0.0)
        count += has
    return np.where(count > 0, total / np.maximum(count, 1.0), NEUTRAL)


def _threshold_score(room: float) -> float:
    if room >= 0:
        return 0.6 + 0.4 * min(1.0, room)
    return 0.4 * max(0.0, 1.0 + room)


def bankability_headroom_value(
    need_dscr: float | None,
    need_irr: float | None,
    lender_min_dscr: float | None,
    lender_target_irr: float | None,
) -> float:
    """Scalar twin of `bankability_headroom` (None: no threshold or no figure)."""
    scores = []
    if need_dscr is not None and lender_min_dscr is not None:
        scores.append(_threshold_score((need_dscr - lender_min_dscr) / DSCR_HEADROOM_SCALE))
    if need_irr is not None and lender_target_irr is not None:
        scores.append(_threshold_score((need_irr - lender_target_irr) / IRR_HEADROOM_SCALE))
    return sum(scores) / len(scores) if scores else NEUTRAL


def region_score(a: str, b: str) -> float:
    """1 same NUTS-2, 0.7 same NUTS-1, 0.4 same country, else 0 (see the module docstring)."""
    shared = 0
    for char_a, char_b in zip(a, b, strict=False):
        if char_a != char_b:
            break
        shared += 1
    return REGION_SCORES.get(min(shared, 4), 0.0)


# --- fuzzy keywords ------------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class FuzzyMatch:
    """Keyword coverage: which need keywords were found, as what, how similar (0-100)."""

    score: float
    found: tuple[tuple[str, str, float], ...] = ()
    keywords: int = 0


def fuzzy_choices(phrases: Sequence[str]) -> list[str]:
    """What keywords are compared with: the phrases' words and adjacent words joined."""
    return list(_fuzzy_choices(tuple(phrases)))


@lru_cache(maxsize=65_536)
def _fuzzy_choices(phrases: tuple[str, ...]) -> tuple[str, ...]:
    words: dict[str, None] = {}
    for phrase in phrases:
        tokens = phrase.split()
        words.update(dict.fromkeys(token.strip(".,;:()[]\"'") for token in tokens))
        words.update(dict.fromkeys(a + b for a, b in pairwise(tokens)))
    words.pop("", None)
    return tuple(words)


def keyword_queries(keywords: Sequence[str]) -> list[str]:
    """The keywords, then adjacent keywords joined (compound spellings)."""
    return [*keywords, *(a + b for a, b in pairwise(keywords))]


@lru_cache(maxsize=16_384)
def _keyword_queries(keywords: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(keyword_queries(keywords))


def fuzzy_keyword_match(
    keywords: Sequence[str], phrases: Sequence[str], cutoff: float = FUZZY_CUTOFF
) -> FuzzyMatch:
    """Share of `keywords` found in `phrases` (folded strings) by `fuzz.ratio` >= `cutoff`."""
    if not keywords or not phrases:
        return FuzzyMatch(score=0.0, keywords=len(keywords))
    choices = _fuzzy_choices(tuple(phrases))
    if not choices:
        return FuzzyMatch(score=0.0, keywords=len(keywords))
    queries = _keyword_queries(tuple(keywords))
    similarity = process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    # Python numbers for every query at once, rather than numpy scalars one by one.
    values, best = similarity.max(axis=1).tolist(), similarity.argmax(axis=1).tolist()
    return _coverage(
        queries,
        len(keywords),
        {
            position: (value, choices[best[position]])
            for position, value in enumerate(values)
            if value >= cutoff
        },
    )


def _coverage(
    queries: Sequence[str], keywords: int, best: Mapping[int, tuple[float, str]]
) -> FuzzyMatch:
    """The match from each query's best choice (query position -> (ratio, choice), only the
    positions with a choice at the cut-off): a keyword is found by itself or by a joined pair
    it belongs to, whichever comes first in `queries` order."""
    found: dict[int, tuple[str, str, float]] = {}
    for position in sorted(best):
        value, choice = best[position]
        match = (queries[position], choice, value)
        if position < keywords:
            found.setdefault(position, match)
        else:  # a joined pair matched: both of its keywords are found
            first = position - keywords
            found.setdefault(first, match)
            found.setdefault(first + 1, match)
    return FuzzyMatch(
        score=len(found) / keywords,
        found=tuple(found[position] for position in sorted(found)),
        keywords=keywords,
    )


def length_window(length: int, cutoff: float) -> tuple[int, int]:
    """Lengths a string may have to reach `fuzz.ratio` >= `cutoff` with one of `length`.

    ratio = 100 (1 - indel / (a + b)) and indel >= |a - b|, so ratio <= 200 min / (a + b):
    b in [a c / (2 - c), a (2 - c) / c] with c = cutoff / 100, widened by one for rounding.
    """
    share = cutoff / 100.0
    return (
        max(0, math.floor(length * share / (2.0 - share)) - 1),
        math.ceil(length * (2.0 - share) / share) + 1,
    )


class FuzzyVocabulary:
    """The fuzzy choices of a segment's rows, for the vectorised fuzzy component.

    `strings` are the distinct choices (`fuzzy_choices` of each row's phrases) sorted by length;
    each row lists its choices as ids into `strings` (`row_indptr`, `row_strings`, CSR).
    `strings_matching(query)` gives the ids of the strings with `fuzz.ratio >= cutoff` and
    their ratios, comparing the query only with strings of a compatible length
    (`length_window`) in one `process.cdist` call, cached per query (segments never change;
    the cache is bounded and only ever holds complete answers, so concurrent readers are safe).

    `scores_at(keywords, rows)`: bit p of a string's mask says the string finds keyword p
    (matching the keyword, or a joined pair the keyword belongs to); a row's mask is the OR
    of its strings' masks, and its score the number of set bits over the number of keywords:
    `fuzzy_keyword_match(keywords, row's phrases).score` for every row at once. A row's whole
    match (`KeywordMasks.match_at`) is read off the same strings and ratios.
    """

    CACHE_SIZE = 4096
    MAX_KEYWORDS = 64  # one bit each in a mask (uint8 up to 8 keywords, else uint64)

    def __init__(self, choices_per_row: Sequence[Sequence[str]]) -> None:
        self.size = len(choices_per_row)
        distinct = {choice for choices in choices_per_row for choice in choices}
        self.strings = sorted(distinct, key=lambda text: (len(text), text))
        self.lengths = np.array([len(text) for text in self.strings], dtype=np.int64)
        ids = {text: position for position, text in enumerate(self.strings)}
        counts = np.array([len(choices) for choices in choices_per_row], dtype=np.int64)
        self.row_indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        # intp: numpy gathers with an int32 index array several times slower (a cast first)
        self.row_strings = np.array(
            [ids[choice] for choices in choices_per_row for choice in choices], dtype=np.intp
        )
        self._cache: dict[tuple[str, float], tuple[tuple[int, float], ...]] = {}

    def strings_of(self, row: int) -> list[int]:
        """The row's string ids, in its choices' order."""
        start, end = self.row_indptr[row : row + 2].tolist()
        return self.row_strings[start:end].tolist()

    def strings_matching(self, query: str, cutoff: float) -> tuple[tuple[int, float], ...]:
        """(id, ratio) of the strings with `fuzz.ratio(query, string) >= cutoff`, by
        increasing id; the ratios as `process.cdist` gives them (float32)."""
        key = (query, cutoff)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        low, high = length_window(len(query), cutoff)
        start, end = np.searchsorted(self.lengths, [low, high + 1])
        matched: tuple[tuple[int, float], ...] = ()
        if end > start:
            similarity = process.cdist(
                [query], self.strings[start:end], scorer=fuzz.ratio, score_cutoff=cutoff
            )[0]
            found = np.flatnonzero(similarity >= cutoff)
            matched = tuple(zip((found + start).tolist(), similarity[found].tolist(), strict=True))
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = matched
        return matched

    def scores(self, keywords: Sequence[str], cutoff: float) -> NDArray[np.float64]:
        """Vectorised twin of `fuzzy_keyword_match` for every row: share of keywords found."""
        return self.scores_at(keywords, np.arange(self.size), cutoff)

    def scores_at(
        self, keywords: Sequence[str], rows: NDArray[np.int64], cutoff: float
    ) -> NDArray[np.float64]:
        """`scores(keywords, cutoff)[rows]`, touching only `rows` (any order)."""
        return self.keyword_masks(keywords, cutoff).scores_at(rows)

    def keyword_masks(self, keywords: Sequence[str], cutoff: float) -> KeywordMasks:
        """Per string, the bit mask of the keywords it finds: a search computes it once and
        scores rows with it as often as it needs (`KeywordMasks.scores_at`)."""
        if len(keywords) > self.MAX_KEYWORDS:
            raise ValueError(f"at most {self.MAX_KEYWORDS} keywords, got {len(keywords)}")
        queries = _keyword_queries(tuple(keywords))
        # In Python: a need's few queries each match a handful of strings at most.
        string_bits: dict[int, int] = {}
        matched_by: dict[int, list[tuple[int, float]]] = {}
        for position, query in enumerate(queries):
            # bit p: keyword p; a joined pair (after the keywords) finds both of its keywords
            bit = 1 << position if position < len(keywords) else 3 << (position - len(keywords))
            for string, ratio in self.strings_matching(query, cutoff):
                string_bits[string] = string_bits.get(string, 0) | bit
                matched_by.setdefault(string, []).append((position, ratio))
        masks = None
        if string_bits:
            masks = np.zeros(len(self.strings), dtype=np.uint8 if len(keywords) <= 8 else np.uint64)
            masks[list(string_bits)] = list(string_bits.values())
        return KeywordMasks(
            self,
            masks,
            len(keywords),
            queries,
            string_bits,
            {string: tuple(positions) for string, positions in matched_by.items()},
        )


@dataclass(frozen=True, slots=True, eq=False)
class KeywordMasks:
    """`FuzzyVocabulary.keyword_masks`: `masks[s]` has bit p set when string s finds keyword p
    (None: no string finds any keyword), `string_bits` the same masks of the strings that
    find some (as Python ints); `matched_by[s]` lists the positions in `queries`
    (`keyword_queries(keywords)`) whose ratio with string s reaches the cut-off, with the
    ratio."""

    FEW_ROWS = 32  # up to this many rows, a Python loop beats the dozen numpy calls

    vocabulary: FuzzyVocabulary
    masks: NDArray[np.unsignedinteger] | None
    keywords: int
    queries: tuple[str, ...]
    string_bits: Mapping[int, int]
    matched_by: Mapping[int, tuple[tuple[int, float], ...]]

    def match_at(self, row: int) -> FuzzyMatch:
        """`fuzzy_keyword_match(keywords, phrases of row)`, found and all, from the ratios
        the masks were built with: no string comparison per row.

        The row's strings come in its choices' order and a later string replaces a query's
        best only with a higher ratio: the first best choice, as `argmax` picks it.
        """
        if self.keywords == 0:
            return FuzzyMatch(score=0.0)
        strings = self.vocabulary.strings
        best: dict[int, tuple[float, str]] = {}
        for string in self.vocabulary.strings_of(row):
            positions = self.matched_by.get(string)
            if positions is None:
                continue
            for position, ratio in positions:
                known = best.get(position)
                if known is None or ratio > known[0]:
                    best[position] = (ratio, strings[string])
        return _coverage(self.queries, self.keywords, best)

    def _found(self, row: int) -> int:
        """How many keywords the row finds: the bits of its strings' masks, OR-ed."""
        found = 0
        for string in self.vocabulary.strings_of(row):
            found |= self.string_bits.get(string, 0)
        return found.bit_count()

    def scores_at(self, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """Share of the keywords each of `rows` finds (any order)."""
        if self.masks is None or rows.size == 0:
            return np.zeros(rows.size)
        vocabulary = self.vocabulary
        if rows.size <= self.FEW_ROWS:
            return np.array([self._found(row) / self.keywords for row in rows.tolist()])
        # The rows' string ids, gathered without a Python loop: the run of row i starts at
        # row_indptr[rows[i]] and takes counts[i] entries.
        starts = vocabulary.row_indptr[rows]
        counts = vocabulary.row_indptr[rows + 1] - starts
        ends = np.cumsum(counts)
        total = int(ends[-1])
        if total == 0:
            return np.zeros(rows.size)
        shift = np.repeat(starts - (ends - counts), counts)
        found = self.masks[vocabulary.row_strings[np.arange(total) + shift]]
        # OR per row; `reduceat` takes the element itself for an empty run, so those rows
        # (no choices) are left out and stay 0.
        per_row = np.zeros(rows.size, dtype=self.masks.dtype)
        filled = counts > 0
        per_row[filled] = np.bitwise_or.reduceat(found, (ends - counts)[filled])
        return np.bitwise_count(per_row) / self.keywords
