"""Match results, why-not answers, and the words that explain them.

A `Match` carries everything a caller needs to trust a ranking: the candidate, its score and
rank, every score component with its weight and weighted contribution (contributions sum to
the score), every hard constraint with its status and detail, the five index terms that
contributed most to the text similarity (query weight x document weight, `TermContribution`),
and a one-sentence `explanation`: the three largest contributions with their reasons, the top
terms, and any constraint that could not be evaluated.

A `WhyNot` answers "why is this candidate not (higher) in my list": `excluded_by` lists the
failed constraints (then `rank` is None); otherwise `held_down_by` names the component whose
weighted contribution is furthest below the top result's (`gap` = top's contribution - this
candidate's), and `rank` is the candidate's position in the full ranking.

`to_dict()` gives the JSON-ready shapes the API returns (floats rounded to 6 decimals).
Checked by `tests/domain/test_ranking.py` (`TestWhyNot`, `TestResults`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.matching.domain.assessment import PairScore
from services.matching.domain.constraints import NOT_EVALUATED, ConstraintCheck
from services.matching.domain.records import Key
from services.matching.domain.text_index import TermContribution

SUMMARY_COMPONENTS = 3
SUMMARY_TERMS = 3


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class Match:
    """One ranked (or assessed) candidate for a subject (a need or an organisation).

    `candidate` is (kind, id) with kind `supplier`, `lender`, `funding_call`, `municipality` or
    `need`; `via` lists the needs behind a municipality match, best first (in a ranking, those
    the search assessed; in a why-not answer, every eligible one).
    """

    subject: Key
    candidate: Key
    name: str
    rank: int | None
    pair: PairScore
    top_terms: tuple[TermContribution, ...] = ()
    via: tuple[Key, ...] = ()

    @property
    def score(self) -> float:
        return self.pair.score

    @property
    def eligible(self) -> bool:
        return self.pair.eligible

    @property
    def components(self) -> dict[str, float]:
        return {c.name: c.value for c in self.pair.components}

    @property
    def contributions(self) -> dict[str, float]:
        return {c.name: c.contribution for c in self.pair.components}

    @property
    def explanation(self) -> str:
        return summarise(self)

    def to_dict(self) -> dict[str, Any]:
        # The four per-component maps in one pass (this runs for every returned result).
        values: dict[str, float] = {}
        weights: dict[str, float] = {}
        contributions: dict[str, float] = {}
        details: dict[str, str] = {}
        for c in self.pair.components:
            values[c.name] = round(c.value, 6)
            weights[c.name] = c.weight
            contributions[c.name] = round(c.contribution, 6)
            details[c.name] = c.detail
        return {
            "subject": {"kind": self.subject[0], "id": self.subject[1]},
            "candidate_kind": self.candidate[0],
            "candidate_id": self.candidate[1],
            "name": self.name,
            "rank": self.rank,
            "score": round(self.score, 6),
            "components": values,
            "weights": weights,
            "contributions": contributions,
            "component_details": details,
            "constraints": [check.as_dict() for check in self.pair.constraints],
            "top_terms": [term.as_dict() for term in self.top_terms],
            "via": [{"kind": kind, "id": record_id} for kind, record_id in self.via],
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class HeldDown:
    """The component that kept a candidate furthest below the top result."""

    component: str
    value: float
    contribution: float
    top_value: float
    top_contribution: float

    @property
    def gap(self) -> float:
        return self.top_contribution - self.contribution

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "value": round(self.value, 6),
            "contribution": round(self.contribution, 6),
            "top_value": round(self.top_value, 6),
            "top_contribution": round(self.top_contribution, 6),
            "gap": round(self.gap, 6),
        }


@dataclass(frozen=True, slots=True)
class WhyNot:
    """Why a named candidate is excluded or ranked where it is (see the module docstring).

    `rank_exact` is False when counting the candidates ahead would have needed more than the
    allowed number of assessments; `rank` is then a lower bound.
    """

    match: Match
    excluded_by: tuple[ConstraintCheck, ...]
    held_down_by: HeldDown | None
    top: Match | None
    rank_exact: bool = True

    @property
    def eligible(self) -> bool:
        return not self.excluded_by

    @property
    def rank(self) -> int | None:
        return self.match.rank

    @property
    def explanation(self) -> str:
        return why_not_text(self)

    def to_dict(self) -> dict[str, Any]:
        data = self.match.to_dict()
        data.update(
            {
                "eligible": self.eligible,
                "rank_exact": self.rank_exact,
                "excluded_by": [check.as_dict() for check in self.excluded_by],
                "held_down_by": self.held_down_by.as_dict() if self.held_down_by else None,
                "top": (
                    {
                        "candidate_kind": self.top.candidate[0],
                        "candidate_id": self.top.candidate[1],
                        "name": self.top.name,
                        "score": round(self.top.score, 6),
                    }
                    if self.top is not None
                    else None
                ),
                "explanation": self.explanation,
            }
        )
        return data


def held_down_by(candidate: PairScore, top: PairScore) -> HeldDown | None:
    """The component with the largest contribution gap to the top result (None: no gap)."""
    best: HeldDown | None = None
    for component in candidate.components:
        other = top.component(component.name)
        if other is None:
            continue
        gap = other.contribution - component.contribution
        if gap > 0 and (best is None or gap > best.gap):
            best = HeldDown(
                component.name,
                component.value,
                component.contribution,
                other.value,
                other.contribution,
            )
    return best


def summarise(match: Match) -> str:
    """One sentence: who, score, the largest contributions and why, top terms, caveats."""
    who = f"{match.name or match.candidate[0]} ({match.candidate[0]} {match.candidate[1]})"
    head = f"#{match.rank} {who}" if match.rank is not None else who
    if not match.eligible:
        failed = "; ".join(check.detail for check in match.pair.failed)
        return f"{head} is excluded: {failed}."
    parts = []
    ranked = sorted(match.pair.components, key=lambda c: -c.contribution)
    for component in ranked[:SUMMARY_COMPONENTS]:
        if component.contribution > 0:
            parts.append(f"{component.name} {component.value:.2f} ({component.detail})")
    terms = [term.term for term in match.top_terms[:SUMMARY_TERMS]]
    if terms:
        parts.append("shared terms: " + ", ".join(terms))
    pending = [c for c in match.pair.constraints if c.status == NOT_EVALUATED]
    if pending:
        parts.append("not evaluated: " + "; ".join(f"{c.name} ({c.detail})" for c in pending))
    via = f" via need {match.via[0][1]}" if match.via else ""
    return f"{head}{via}, score {match.score:.3f}: " + "; ".join(parts) + "."


def why_not_text(answer: WhyNot) -> str:
    match = answer.match
    who = f"{match.name or match.candidate[0]} ({match.candidate[0]} {match.candidate[1]})"
    if answer.excluded_by:
        reasons = "; ".join(f"{c.name}: {c.detail}" for c in answer.excluded_by)
        return f"{who} is excluded by {reasons}."
    rank = f"ranks {match.rank}" if answer.rank_exact else f"ranks {match.rank} or lower"
    text = f"{who} {rank} with score {match.score:.3f}"
    if answer.top is not None and answer.top.candidate != match.candidate:
        text += f"; the top result {answer.top.name or answer.top.candidate} scores "
        text += f"{answer.top.score:.3f}"
        if answer.held_down_by is not None:
            held = answer.held_down_by
            text += (
                f"; held down most by {held.component} ({held.value:.2f} against "
                f"{held.top_value:.2f}, {held.gap:.3f} of score)"
            )
    return text + "."
