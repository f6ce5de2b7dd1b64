"""Assessment of one (need, candidate) pair: every hard constraint and every score component.

This is the authoritative evaluation: rankings (`ranking.py`) use numpy masks and score bounds
only to decide which candidates to assess, then assess them here, so a ranked result and a
why-not answer for the same pair always agree. A ranking hands over the two inputs it already
holds for the row, equal to what would be computed here: the text cosine (its bound, bit for
bit) and the fuzzy keyword match (`scoring.KeywordMasks.match_at`, equal to
`fuzzy_keyword_match` by `tests/domain/test_scoring.py`). One function per pair type:

- need - supplier: constraints need_open, active, contract_forms, region, budget (project size),
  cpv_family, topic; components text, cpv, budget, fuzzy, references.
- need - lender: constraints need_open, active, contract_forms, region, budget (ticket), cpv_family,
  lender_min_dscr, lender_target_irr; components text, cpv, budget, references, bankability.
- need - funding call: constraints need_open, call_open, call_region, call_kind, call_category,
  cpv_family (passed by a call funding the need's category, `check_call_cpv_family`), topic;
  components text, cpv, budget (grant asked), fuzzy, category.
- need - need of another municipality: constraints need_open (the other), other_municipality,
  municipality_active, related; components text, cpv, category, region. Here CPV compares
  the codes the two needs declare, not their families (which would relate any two needs
  through their categories' broad divisions; the category has its own component).

The grant asked of a call is the need's budget times the call's co-financing rate (the whole
budget when the call states no rate). The score is the weighted sum of `scoring.py` with the
candidate kind's weights; `PairScore.eligible` is false as soon as one constraint failed.

The result records (`ConstraintCheck`, `ComponentScore`, `PairScore`, `FuzzyMatch`,
`TermContribution`, `explanation.Match`) are plain slotted dataclasses, not frozen ones, though
nothing changes them once built: a ranking builds a few hundred per request, and a frozen
dataclass's `__init__` (one `object.__setattr__` per field) made the whole request 5% slower
at 100,000 suppliers (`bench/matching.py`).

Checked by `tests/domain/test_ranking.py` (known cases per direction, and a property test that
rankings equal this assessment applied to every candidate) and `tests/domain/test_constraints.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.matching.domain.constraints import (
    FAILED,
    ConstraintCheck,
    MatchRules,
    check_active,
    check_budget,
    check_call_category,
    check_call_cpv_family,
    check_call_kind,
    check_call_open,
    check_contract_forms,
    check_coverage,
    check_cpv_family,
    check_lender_thresholds,
    check_municipality_active,
    check_need_open,
    check_other_municipality,
    check_related,
    check_topic,
    lender_cpv_family,
)
from services.matching.domain.glossary import category_label
from services.matching.domain.profiles import (
    cpv_label_or_none,
    fuzzy_phrases,
    need_cpv_codes,
    need_keywords,
    reference_categories,
)
from services.matching.domain.records import (
    Bankability,
    FundingCall,
    Money,
    Need,
    Organisation,
)
from services.matching.domain.scoring import (
    FUZZY_CUTOFF,
    NEUTRAL,
    ComponentWeights,
    CpvMatch,
    FuzzyMatch,
    ScoringWeights,
    bankability_headroom_value,
    best_cpv_match,
    budget_fit_of,
    fuzzy_keyword_match,
    project_irr,
    references_value,
    region_score,
)

EQUITY_INSTRUMENTS = frozenset({"equity", "mezzanine"})


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Everything settings decide about matching: weights, tolerances, fuzzy cut-off."""

    weights: ScoringWeights = field(default_factory=ScoringWeights)
    rules: MatchRules = field(default_factory=MatchRules)
    fuzzy_cutoff: float = FUZZY_CUTOFF

    def __post_init__(self) -> None:
        if not 0.0 < self.fuzzy_cutoff <= 100.0:
            raise ValueError("fuzzy_cutoff must be in (0, 100]")


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class ComponentScore:
    """One soft signal: its value in [0, 1], weight, share of the score, and why."""

    name: str
    value: float
    weight: float
    contribution: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 6),
            "weight": self.weight,
            "contribution": round(self.contribution, 6),
            "detail": self.detail,
        }


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class PairScore:
    """Constraints and components of one pair, and the weighted score."""

    score: float
    constraints: tuple[ConstraintCheck, ...]
    components: tuple[ComponentScore, ...]

    @property
    def eligible(self) -> bool:
        # `not any(check.failed ...)` without a generator (called for every assessed row).
        return FAILED not in [check.status for check in self.constraints]

    @property
    def failed(self) -> tuple[ConstraintCheck, ...]:
        return tuple(check for check in self.constraints if check.failed)

    def component(self, name: str) -> ComponentScore | None:
        return next((c for c in self.components if c.name == name), None)


_NOT_COMPUTED = (0.0, "not computed for this pair")


def combine(
    values: Mapping[str, tuple[float, str]], weights: ComponentWeights
) -> tuple[float, tuple[ComponentScore, ...]]:
    """Weighted sum over the components with a positive weight (see `scoring.py`)."""
    total = weights.total
    components = []
    score = 0.0
    for name, weight in weights.active():
        value, detail = values.get(name, _NOT_COMPUTED)
        value = float(value)
        # `min(1.0, max(0.0, value))` without the calls (NaN and -0.0 give 0.0 alike).
        value = value if value > 0.0 else 0.0
        value = value if value < 1.0 else 1.0
        contribution = weight * value / total
        score += contribution
        components.append(ComponentScore(name, value, weight, contribution, detail))
    return score, tuple(components)


def _code(code: str | None) -> str:
    label = cpv_label_or_none(code) if code else None
    return f"{code} {label}" if label else str(code)


def _cpv_detail(match: CpvMatch) -> str:
    if match.depth < 2:
        return "no CPV division in common"
    return (
        f"{_code(match.candidate_code)} ~ {_code(match.need_code)} "
        f"({match.depth} significant digits shared)"
    )


def _fuzzy_value(match: FuzzyMatch) -> tuple[float, str]:
    if not match.found:
        detail = f"none of {match.keywords} keywords found" if match.keywords else "no keywords"
    else:
        shown = ", ".join(
            keyword if keyword == found else f"{keyword}~{found}"
            for keyword, found, _ in match.found
        )
        detail = f"{len(match.found)}/{match.keywords} keywords found: {shown}"
    return match.score, detail


def _references_value(count: int, category: str) -> tuple[float, str]:
    value = references_value(count)
    if count == 0:
        return value, f"no past references in {category_label(category)}"
    return value, f"{count} past reference(s) in {category_label(category)}"


def _text_value(text: float) -> tuple[float, str]:
    return text, f"cosine {text:.3f}"


def _fuzzy_match(
    need: Need, candidate: Organisation | FundingCall, policy: MatchPolicy
) -> FuzzyMatch:
    return fuzzy_keyword_match(need_keywords(need), fuzzy_phrases(candidate), policy.fuzzy_cutoff)


def assess_supplier(
    need: Need,
    supplier: Organisation,
    text: float,
    policy: MatchPolicy,
    *,
    fuzzy: FuzzyMatch | None = None,
) -> PairScore:
    """`fuzzy`: the pair's fuzzy keyword match when the caller has it (a ranking reads it off
    its segment's vocabulary, `KeywordMasks.match_at`), else computed here."""
    rules = policy.rules
    family = need_cpv_codes(need)
    codes = supplier.all_cpv_codes
    match = best_cpv_match(family, codes)
    references = reference_categories(supplier).get(need.category, 0)
    constraints = (
        check_need_open(need),
        check_active(supplier),
        check_contract_forms(need.contract_forms, supplier.contract_forms),
        check_coverage(need.nuts_code, supplier.nuts_codes),
        check_budget(need.budget, supplier.project_size, rules.budget_tolerance, "project size"),
        check_cpv_family(family, codes, match),
        check_topic(text, match, references, need.category),
    )
    values = {
        "text": _text_value(text),
        "cpv": (match.score, _cpv_detail(match)),
        "budget": budget_fit_of(need.budget, supplier.project_size, rules.budget_tolerance),
        "fuzzy": _fuzzy_value(fuzzy if fuzzy is not None else _fuzzy_match(need, supplier, policy)),
        "references": _references_value(references, need.category),
    }
    score, components = combine(values, policy.weights.supplier)
    return PairScore(score, constraints, components)


def _bankability_value(lender: Organisation, bankability: Bankability | None) -> tuple[float, str]:
    if bankability is None:
        return NEUTRAL, "neutral: no appraisal figures"
    if not bankability.available:
        return NEUTRAL, f"neutral: {bankability.reason or 'evaluation unavailable'}"
    prefers_equity = bool(EQUITY_INSTRUMENTS & set(lender.instruments))
    irr = project_irr(bankability, prefers_equity)
    value = bankability_headroom_value(
        bankability.min_dscr, irr, lender.min_dscr, lender.target_irr
    )
    parts = []
    if bankability.min_dscr is not None:
        parts.append(f"min DSCR {bankability.min_dscr:.2f}x")
    if irr is not None:
        parts.append(f"IRR {irr:.1%}")
    if bankability.grade:
        parts.append(f"grade {bankability.grade}")
    return value, ", ".join(parts) or "no figures to compare"


def assess_lender(
    need: Need,
    lender: Organisation,
    text: float,
    bankability: Bankability | None,
    policy: MatchPolicy,
) -> PairScore:
    rules = policy.rules
    family = need_cpv_codes(need)
    codes = lender.all_cpv_codes
    match = best_cpv_match(family, codes)
    references = reference_categories(lender).get(need.category, 0)
    dscr, irr = check_lender_thresholds(lender, need, bankability)
    constraints = (
        check_need_open(need),
        check_active(lender),
        check_contract_forms(need.contract_forms, lender.contract_forms),
        check_coverage(need.nuts_code, lender.nuts_codes),
        check_budget(need.budget, lender.ticket, rules.budget_tolerance, "ticket"),
        lender_cpv_family(),
        dscr,
        irr,
    )
    values = {
        "text": _text_value(text),
        "cpv": (match.score, _cpv_detail(match)),
        "budget": budget_fit_of(need.budget, lender.ticket, rules.budget_tolerance),
        "references": _references_value(references, need.category),
        "bankability": _bankability_value(lender, bankability),
    }
    score, components = combine(values, policy.weights.lender)
    return PairScore(score, constraints, components)


def grant_asked(need: Need, call: FundingCall) -> Money | None:
    """The grant a need would ask of a call: budget x co-financing rate (rate 1 when absent)."""
    if need.budget is None:
        return None
    rate = call.co_financing_rate if call.co_financing_rate is not None else 1.0
    return Money(need.budget.amount * rate, need.budget.currency)


def assess_funding_call(
    need: Need,
    call: FundingCall,
    text: float,
    today: date,
    policy: MatchPolicy,
    *,
    fuzzy: FuzzyMatch | None = None,
) -> PairScore:
    """`fuzzy` as in `assess_supplier`."""
    family = need_cpv_codes(need)
    match = best_cpv_match(family, call.cpv_codes)
    funds_category = need.category in call.categories
    constraints = (
        check_need_open(need),
        check_call_open(call, need, today),
        check_coverage(need.nuts_code, call.eligible_nuts, name="call_region", who="the call"),
        check_call_kind(call),
        check_call_category(call, need),
        check_call_cpv_family(call, need, family, match),
        check_topic(
            text,
            match,
            0,
            need.category,
            f"the call funds {category_label(need.category)}" if funds_category else None,
        ),
    )
    if not call.categories:
        category = (NEUTRAL, "the call names no categories")
    elif funds_category:
        category = (1.0, f"the call funds {category_label(need.category)}")
    else:
        category = (0.0, f"the call does not fund {category_label(need.category)}")
    asked = grant_asked(need, call)
    budget, budget_detail = budget_fit_of(asked, call.grant, policy.rules.budget_tolerance)
    values = {
        "text": _text_value(text),
        "cpv": (match.score, _cpv_detail(match)),
        "budget": (budget, f"grant asked: {budget_detail}"),
        "fuzzy": _fuzzy_value(fuzzy if fuzzy is not None else _fuzzy_match(need, call, policy)),
        "category": category,
    }
    score, components = combine(values, policy.weights.funding_call)
    return PairScore(score, constraints, components)


def assess_related_need(
    need: Need,
    other: Need,
    text: float,
    municipality: Organisation | None,
    policy: MatchPolicy,
) -> PairScore:
    """`other` (a need of another municipality) as a joint-procurement / replication partner."""
    # Declared codes only: the category codes in the families would relate any two needs
    # through broad divisions (31, 45); the category has its own component.
    match = best_cpv_match(need.cpv_codes, other.cpv_codes)
    constraints = (
        check_need_open(other),
        check_other_municipality(need, other),
        check_municipality_active(municipality, other),
        check_related(need, other, match, text, policy.rules.related_min_text),
    )
    same = need.category == other.category and need.category != "other"
    region = region_score(need.nuts_code, other.nuts_code)
    values = {
        "text": _text_value(text),
        "cpv": (match.score, _cpv_detail(match)),
        "category": (
            (1.0, f"both {category_label(need.category)}")
            if same
            else (0.0, f"{category_label(other.category)} vs {category_label(need.category)}")
        ),
        "region": (region, f"{other.nuts_code or '?'} vs {need.nuts_code or '?'}"),
    }
    score, components = combine(values, policy.weights.municipality)
    return PairScore(score, constraints, components)
