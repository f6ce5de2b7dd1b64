"""Hard constraints: each evaluated and reported as {name, status, detail}.

Statuses: `passed`; `failed` (the pair is excluded from rankings); `not_applicable` (one side
declares nothing to check, or the rule does not concern this pair: counts as met); and
`not_evaluated` (the check needed data that is missing or not comparable, e.g. evaluation is
down or the currencies differ: counts as met, and the detail says what is missing). Only
`failed` excludes.

The rules (`MatchRules.budget_tolerance` defaults to 0.20):

- `need_open`: the need is `open` (a closed need matches nothing; for need <-> need, the other
  need must be open).
- `active`: the candidate organisation's status is `active`.
- `contract_forms`: the two sides' contract forms intersect; `not_applicable` unless both
  declare some.
- `region`: the candidate's NUTS coverage covers the need's region. Coverage is hierarchical:
  a code covers itself and every region it prefixes (`ITC` covers `ITC11`, `IT` covers every
  Italian region), as `shared.reference.nuts.nuts_covers` defines it. A candidate that declares
  no coverage passes, with a note.
- `budget`: the need's budget lies within the supplier's project size or the lender's ticket,
  with the tolerance: `min (1 - tol) <= budget <= max (1 + tol)`. `not_applicable` when either
  side is missing; `not_evaluated` on a currency mismatch (no conversion is made).
- `cpv_family`: when the candidate declares CPV codes, one of them shares at least the 2-digit
  CPV division with the need's CPV family (declared codes plus the category's representative
  codes from the glossary, `profiles.need_cpv_codes`). `not_applicable` when the candidate
  declares no codes or the need has no family (category `other`, no codes). A funding call
  whose `categories` include the need's passes even when its CPV codes lie in another
  division (`check_call_cpv_family`): the call's category is the stronger statement of what
  it funds (a technical-assistance facility for public lighting may list only consultancy
  codes, division 71 or 79).
- `topic` (suppliers, calls): the pair has something in common: a shared index term (text
  similarity > 0), a CPV division, a past reference in the need's category, or (calls) the
  call's categories name the need's. It keeps a supplier that merely passes the other filters
  out of a ranking it has nothing to do with.
- `lender_min_dscr`, `lender_target_irr`: the appraisal's minimum DSCR >= the lender's
  `min_dscr`; its IRR (equity IRR for equity / mezzanine lenders, else project FIRR, see
  `scoring.project_irr`) >= `target_irr`. `not_applicable` when the lender states no threshold
  or the need has no appraisal (no `Bankability` given and `need.has_appraisal` false);
  `not_evaluated` when evaluation could not be reached (`Bankability.available` false), the
  need has an appraisal but no figures were given, or the appraisal lacks the figure.
- `call_open`: the call is open on some day the need can still use it: `closes_at >= today`
  and `opens_at <= max(today, needed_by)` (`needed_by` missing: today). The issue's "open on the
  need's date" read as a window rather than the single day `needed_by`, because a call that
  closes before the delivery date is still the one to apply to.
- `call_region`: the call's eligible NUTS codes cover the need's region (none: no restriction).
- `call_kind`: the call's eligible kinds include `municipality` (none: no restriction).
- `call_category`: the call's categories include the need's (none declared: not applicable).
- need <-> need (similar municipalities, bundles): `other_municipality` (a different
  organisation), `municipality_active` (when the mirror knows the municipality), and `related`:
  same category (not `other`), a CPV division shared by the codes both needs declare, or text
  similarity >= `related_min_text`.

The same rules are evaluated over whole columns in `columns.py` / `ranking.py` as numpy masks;
`tests/domain/test_ranking.py` checks on random catalogues that both agree. Checked by
`tests/domain/test_constraints.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from services.matching.domain.glossary import category_label
from services.matching.domain.profiles import cpv_label_or_none
from services.matching.domain.records import (
    Bankability,
    FundingCall,
    Money,
    MoneyRange,
    Need,
    Organisation,
)
from services.matching.domain.scoring import CpvMatch, project_irr
from shared.reference.codelist import UnknownCode
from shared.reference.nuts import nuts_label

Status = Literal["passed", "failed", "not_applicable", "not_evaluated"]
PASSED: Status = "passed"
FAILED: Status = "failed"
NOT_APPLICABLE: Status = "not_applicable"
NOT_EVALUATED: Status = "not_evaluated"
EQUITY_INSTRUMENTS = frozenset({"equity", "mezzanine"})


@dataclass(frozen=True, slots=True)
class MatchRules:
    """Tolerances of the hard constraints (settings).

    `budget_tolerance` is the share by which a budget may fall outside a range (0.20: 20 %);
    `related_min_text` the text similarity that alone makes two needs related.
    """

    budget_tolerance: float = 0.20
    related_min_text: float = 0.10

    def __post_init__(self) -> None:
        if not 0.0 <= self.budget_tolerance < 1.0:
            raise ValueError("budget_tolerance must be in [0, 1)")
        if not 0.0 <= self.related_min_text <= 1.0:
            raise ValueError("related_min_text must be in [0, 1]")


@dataclass(slots=True)  # not frozen, for speed: see `assessment.py`
class ConstraintCheck:
    """One hard constraint's outcome."""

    name: str
    status: Status
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@lru_cache(maxsize=8192)
def region_name(code: str) -> str:
    """`ITC11` -> `ITC11 (Torino)`; the code alone when the list does not know it."""
    try:
        return f"{code} ({nuts_label(code)})"
    except UnknownCode:
        return code


def covers(area: str, region: str) -> bool:
    """Whether NUTS `area` contains `region` (prefix containment, as `nuts_covers`)."""
    return bool(area) and region.startswith(area)


def check_active(candidate: Organisation) -> ConstraintCheck:
    if candidate.active:
        return ConstraintCheck("active", PASSED, f"{candidate.name or candidate.kind} is active")
    return ConstraintCheck(
        "active", FAILED, f"{candidate.name or candidate.kind} is {candidate.status}"
    )


def check_need_open(need: Need) -> ConstraintCheck:
    if need.is_open:
        return ConstraintCheck("need_open", PASSED, f"need {need.id} is open")
    return ConstraintCheck("need_open", FAILED, f"need {need.id} is {need.status}")


def check_contract_forms(
    need_forms: Sequence[str], candidate_forms: Sequence[str]
) -> ConstraintCheck:
    if not need_forms or not candidate_forms:
        side = "the need" if not need_forms else "the candidate"
        return ConstraintCheck(
            "contract_forms", NOT_APPLICABLE, f"{side} declares no contract forms"
        )
    shared = [form for form in need_forms if form in candidate_forms]
    if shared:
        return ConstraintCheck("contract_forms", PASSED, f"both accept {', '.join(shared)}")
    return ConstraintCheck(
        "contract_forms",
        FAILED,
        f"no common contract form: the need accepts {', '.join(need_forms)}, "
        f"the candidate {', '.join(candidate_forms)}",
    )


def check_coverage(
    region: str, coverage: Sequence[str], *, name: str = "region", who: str = "the candidate"
) -> ConstraintCheck:
    if not coverage:
        return ConstraintCheck(
            name, PASSED, f"{who} declares no regional coverage: assumed to serve every region"
        )
    if not region:
        return ConstraintCheck(name, NOT_APPLICABLE, "the need states no region")
    for area in coverage:
        if covers(area, region):
            how = "is" if area == region else "covers"
            return ConstraintCheck(
                name, PASSED, f"{who}'s area {region_name(area)} {how} {region_name(region)}"
            )
    return ConstraintCheck(
        name,
        FAILED,
        f"{region_name(region)} is outside {who}'s area {', '.join(coverage)}",
    )


def check_budget(
    budget: Money | None, money_range: MoneyRange | None, tolerance: float, range_name: str
) -> ConstraintCheck:
    if budget is None:
        return ConstraintCheck("budget", NOT_APPLICABLE, "the need states no budget")
    if money_range is None:
        return ConstraintCheck("budget", NOT_APPLICABLE, f"the candidate declares no {range_name}")
    if budget.currency != money_range.currency:
        return ConstraintCheck(
            "budget",
            NOT_EVALUATED,
            f"currency mismatch: budget in {budget.currency}, {range_name} in "
            f"{money_range.currency}; no conversion is made",
        )
    # Scalar twin of `scoring.tolerance_bounds` (the same products, without numpy).
    low = money_range.min.amount * (1.0 - tolerance)
    high = money_range.max.amount * (1.0 + tolerance)
    if low <= budget.amount <= high:
        inside = money_range.min.amount <= budget.amount <= money_range.max.amount
        where = "within" if inside else f"within {tolerance:.0%} tolerance of"
        return ConstraintCheck(
            "budget", PASSED, f"budget {budget} {where} {range_name} {money_range}"
        )
    side = "below" if budget.amount < low else "above"
    return ConstraintCheck(
        "budget",
        FAILED,
        f"budget {budget} {side} {range_name} {money_range} even with {tolerance:.0%} tolerance",
    )


def _code_text(code: str | None) -> str:
    if code is None:
        return "?"
    label = cpv_label_or_none(code)
    return f"{code} {label}" if label else code


LENDER_CPV_NOTE = (
    "a lender's CPV codes describe its own financial services (division 66), not the sectors it "
    "finances: the family is not checked for lenders"
)


def lender_cpv_family() -> ConstraintCheck:
    return ConstraintCheck("cpv_family", NOT_APPLICABLE, LENDER_CPV_NOTE)


def check_cpv_family(
    need_family: Sequence[str], candidate_codes: Sequence[str], match: CpvMatch
) -> ConstraintCheck:
    if not candidate_codes:
        return ConstraintCheck("cpv_family", NOT_APPLICABLE, "the candidate declares no CPV codes")
    if not need_family:
        return ConstraintCheck(
            "cpv_family", NOT_APPLICABLE, "the need has no CPV codes and no category family"
        )
    if match.depth >= 2:
        return ConstraintCheck(
            "cpv_family",
            PASSED,
            f"{_code_text(match.candidate_code)} shares division "
            f"{(match.need_code or '')[:2]} with {_code_text(match.need_code)} "
            f"({match.depth} digits in common)",
        )
    return ConstraintCheck(
        "cpv_family",
        FAILED,
        f"no CPV division in common: candidate {', '.join(candidate_codes[:5])}; "
        f"need family {', '.join(need_family[:5])}",
    )


def check_call_cpv_family(
    call: FundingCall, need: Need, need_family: Sequence[str], match: CpvMatch
) -> ConstraintCheck:
    """`cpv_family` for a funding call: as `check_cpv_family`, except that a call whose
    `categories` include the need's passes whatever divisions its CPV codes lie in."""
    check = check_cpv_family(need_family, call.cpv_codes, match)
    if check.failed and need.category in call.categories:
        return ConstraintCheck(
            "cpv_family",
            PASSED,
            f"the call funds {category_label(need.category)}: its category decides, although "
            f"its CPV codes {', '.join(call.cpv_codes[:5])} share no division with the need's "
            f"family {', '.join(need_family[:5])}",
        )
    return check


def check_topic(
    text: float, match: CpvMatch, references: int, category: str, extra: str | None = None
) -> ConstraintCheck:
    reasons = []
    if text > 0:
        reasons.append(f"shared terms (cosine {text:.3f})")
    if match.depth >= 2:
        reasons.append(f"CPV division {(match.need_code or '')[:2]}")
    if references > 0:
        reasons.append(f"{references} past reference(s) in {category_label(category)}")
    if extra:
        reasons.append(extra)
    if reasons:
        return ConstraintCheck("topic", PASSED, "in common: " + "; ".join(reasons))
    return ConstraintCheck(
        "topic", FAILED, "nothing in common: no shared terms, CPV division or references"
    )


def check_lender_thresholds(
    lender: Organisation, need: Need, bankability: Bankability | None
) -> tuple[ConstraintCheck, ConstraintCheck]:
    """(`lender_min_dscr`, `lender_target_irr`) for a lender and the need's appraisal."""
    checks = []
    prefers_equity = bool(EQUITY_INSTRUMENTS & set(lender.instruments))
    thresholds = (
        ("lender_min_dscr", lender.min_dscr, "minimum DSCR", "x"),
        ("lender_target_irr", lender.target_irr, "target IRR", "%"),
    )
    for name, threshold, label, unit in thresholds:
        if threshold is None:
            checks.append(ConstraintCheck(name, NOT_APPLICABLE, f"the lender states no {label}"))
            continue
        shown = f"{threshold:.0%}" if unit == "%" else f"{threshold:.2f}x"
        if bankability is None:
            status, why = (
                (NOT_EVALUATED, "its bankability figures were not provided")
                if need.has_appraisal
                else (NOT_APPLICABLE, "the need has no appraisal")
            )
            checks.append(ConstraintCheck(name, status, f"{label} {shown}: {why}"))
            continue
        if not bankability.available:
            reason = bankability.reason or "evaluation unavailable"
            checks.append(
                ConstraintCheck(name, NOT_EVALUATED, f"{label} {shown} not checked: {reason}")
            )
            continue
        if name == "lender_min_dscr":
            value, what = bankability.min_dscr, "minimum DSCR"
        else:
            value = project_irr(bankability, prefers_equity)
            what = "equity IRR" if prefers_equity else "project IRR"
        if value is None:
            checks.append(
                ConstraintCheck(name, NOT_EVALUATED, f"the appraisal has no {what} to compare")
            )
            continue
        value_text = f"{value:.1%}" if unit == "%" else f"{value:.2f}x"
        status = PASSED if value >= threshold else FAILED
        relation = ">=" if status == PASSED else "<"
        checks.append(
            ConstraintCheck(name, status, f"{what} {value_text} {relation} {label} {shown}")
        )
    return checks[0], checks[1]


def call_window(need: Need, today: date) -> tuple[date, date]:
    """The days on which the need can use a call: today up to max(today, needed_by)."""
    last = need.needed_by if need.needed_by is not None and need.needed_by > today else today
    return today, last


def check_call_open(call: FundingCall, need: Need, today: date) -> ConstraintCheck:
    first, last = call_window(need, today)
    period = f"open {call.opens_at.isoformat()} to {call.closes_at.isoformat()}"
    if call.closes_at < first:
        return ConstraintCheck("call_open", FAILED, f"call closed on {call.closes_at.isoformat()}")
    if call.opens_at > last:
        until = f"needed by {last.isoformat()}" if last > first else f"today {first.isoformat()}"
        return ConstraintCheck(
            "call_open", FAILED, f"call opens on {call.opens_at.isoformat()}, after {until}"
        )
    return ConstraintCheck("call_open", PASSED, f"{period}; usable until {last.isoformat()}")


def check_call_kind(call: FundingCall) -> ConstraintCheck:
    if not call.eligible_kinds:
        return ConstraintCheck("call_kind", PASSED, "the call restricts no applicant kind")
    if "municipality" in call.eligible_kinds:
        return ConstraintCheck("call_kind", PASSED, "municipalities are eligible applicants")
    return ConstraintCheck(
        "call_kind",
        FAILED,
        f"municipalities are not eligible (only {', '.join(call.eligible_kinds)})",
    )


def check_call_category(call: FundingCall, need: Need) -> ConstraintCheck:
    if not call.categories:
        return ConstraintCheck("call_category", NOT_APPLICABLE, "the call names no categories")
    if need.category in call.categories:
        return ConstraintCheck(
            "call_category", PASSED, f"the call funds {category_label(need.category)}"
        )
    return ConstraintCheck(
        "call_category",
        FAILED,
        f"the call funds {', '.join(category_label(c) for c in call.categories)}, "
        f"not {category_label(need.category)}",
    )


def check_other_municipality(subject: Need, other: Need) -> ConstraintCheck:
    if other.organisation_id != subject.organisation_id:
        return ConstraintCheck(
            "other_municipality", PASSED, f"municipality {other.organisation_id}"
        )
    return ConstraintCheck("other_municipality", FAILED, "a need of the same municipality")


def check_municipality_active(municipality: Organisation | None, other: Need) -> ConstraintCheck:
    if municipality is None:
        return ConstraintCheck(
            "municipality_active",
            NOT_EVALUATED,
            f"municipality {other.organisation_id} is not in the index",
        )
    if municipality.active:
        return ConstraintCheck("municipality_active", PASSED, f"{municipality.name} is active")
    return ConstraintCheck(
        "municipality_active", FAILED, f"{municipality.name} is {municipality.status}"
    )


def check_related(
    subject: Need, other: Need, match: CpvMatch, text: float, min_text: float
) -> ConstraintCheck:
    reasons = []
    if subject.category == other.category and subject.category != "other":
        reasons.append(f"same category {category_label(subject.category)}")
    if match.depth >= 2:
        reasons.append(f"CPV division {(match.need_code or '')[:2]}")
    if text >= min_text:
        reasons.append(f"similar text (cosine {text:.2f})")
    if reasons:
        return ConstraintCheck("related", PASSED, "; ".join(reasons))
    return ConstraintCheck(
        "related",
        FAILED,
        f"different category, no CPV division in common, cosine {text:.2f} < {min_text:.2f}",
    )


def failures(checks: Iterable[ConstraintCheck]) -> list[ConstraintCheck]:
    return [check for check in checks if check.failed]
