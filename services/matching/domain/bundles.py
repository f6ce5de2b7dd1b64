"""Joint-procurement bundles: small needs of several municipalities that together reach lenders.

When bundles are proposed. A need with a budget is too small for a lender when its budget is
below the lender's minimum ticket even with the tolerance (`budget < min (1 - tol)`, the
`budget` constraint of `constraints.py`). Bundles are proposed when the need is too small for
every *relevant* lender (active, covering the need's region, with compatible contract forms and
CPV family, ticket in the budget's currency), or when it is below the technical-assistance
threshold (`BundleRules.assistance_threshold`, 30 M EUR: facilities such as the EIB's ELENA
support investment programmes above it). `BundleProposal.reasons` says which.

Members. Open needs of *other* municipalities, at most one per municipality, each compatible
with the need (`BundleCompatibility`, added to the need <-> need constraints of
`assessment.assess_related_need`):

- `bundle_budget`: a budget in the same currency (it must add to the total);
- `bundle_relation`: the same category (not `other`) or a CPV division shared by the codes the
  two needs declare;
- `bundle_contract_forms`: contract forms intersect, or either side declares none;
- `bundle_timing`: `needed_by` within `window_days` (365) of each other; a missing date is
  compatible, with a note;
- `bundle_region`: the same country (first two NUTS characters).

They are ranked by affinity: the need <-> need score (text, CPV, category and region proximity:
same NUTS-2 1, NUTS-1 0.7, country 0.4; `scoring.py`), best first.

Construction (greedy, deterministic). Targets are the distinct minimum tickets of relevant
lenders above the need's budget, in increasing order, then the assistance threshold. For each
target, members are added in affinity order, skipping one that would break the bundle's
timing window or leave its members without a common contract form, or push the total above
the target lender's maximum ticket, until the total reaches the target or `max_members` is
reached. Every distinct bundle that reaches a target is kept.

Each bundle lists its members (the need first), the total, the lenders it unlocks (every
relevant lender whose checks pass for the bundle: active, covering every member's region,
common contract forms, CPV family, and the total within its ticket with the tolerance), the
assistance note when the total crosses the threshold, and the reasons in words. Order: most
lenders unlocked, then fewer members, then higher mean affinity, then member ids.

Checked by `tests/domain/test_bundles.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.domain.assessment import MatchPolicy
from services.matching.domain.columns import CATEGORY_INDEX, RowTable, forms_mask
from services.matching.domain.constraints import (
    FAILED,
    NOT_APPLICABLE,
    PASSED,
    ConstraintCheck,
    check_active,
    check_budget,
    check_contract_forms,
    check_coverage,
    lender_cpv_family,
    region_name,
)
from services.matching.domain.glossary import category_label
from services.matching.domain.ranking import rank_related_needs
from services.matching.domain.records import Money, MoneyRange, Need, Organisation
from services.matching.domain.scoring import best_cpv_match, tolerance_bounds
from services.matching.domain.text_index import TextIndex

ELENA_THRESHOLD = Money(30_000_000.0, "EUR")


@dataclass(frozen=True, slots=True)
class BundleRules:
    """Settings of bundle proposals."""

    window_days: int = 365
    max_members: int = 6
    max_bundles: int = 5
    max_candidates: int = 50
    assistance_threshold: Money = ELENA_THRESHOLD
    assistance_name: str = "technical-assistance facilities such as ELENA"

    def __post_init__(self) -> None:
        if self.window_days < 0 or self.max_members < 2 or self.max_bundles < 1:
            raise ValueError("window_days >= 0, max_members >= 2 and max_bundles >= 1")


@dataclass(frozen=True, slots=True)
class BundleCompatibility:
    """The bundle rules between the need and another need (see the module docstring)."""

    need: Need
    window_days: int

    def mask(self, table: RowTable) -> NDArray[np.bool_]:
        budget = self.need.budget
        if budget is None:
            return np.zeros(table.size, dtype=bool)
        country = self.need.nuts_code[:2]
        same_country = np.zeros(table.size, dtype=bool)
        rows = table.region_prefixes.get(country)
        if rows is not None and len(country) == 2:
            same_country[rows] = True
        category = CATEGORY_INDEX.get(self.need.category, -1)
        related = table.cpv_depths(self.need.cpv_codes, own=True) >= 2
        if self.need.category != "other":
            related |= table.category == category
        timing = np.ones(table.size, dtype=bool)
        if self.need.needed_by is not None:
            ordinal = self.need.needed_by.toordinal()
            timing = (table.needed_by == 0) | (
                np.abs(table.needed_by - ordinal) <= self.window_days
            )
        return (
            (table.currency == budget.currency)
            & ~np.isnan(table.money_low)
            & same_country
            & related
            & table.forms_compatible(forms_mask(self.need.contract_forms))
            & timing
        )

    def checks(self, need: Need, other: Need) -> tuple[ConstraintCheck, ...]:
        return (
            _budget_check(need, other),
            _relation_check(need, other),
            _forms_check(need, other),
            _timing_check(need, other, self.window_days),
            _region_check(need, other),
        )


def _budget_check(need: Need, other: Need) -> ConstraintCheck:
    if other.budget is None:
        return ConstraintCheck("bundle_budget", FAILED, "no budget to add to the total")
    if need.budget is None or other.budget.currency != need.budget.currency:
        theirs = other.budget.currency
        return ConstraintCheck("bundle_budget", FAILED, f"budget in {theirs}, not comparable")
    return ConstraintCheck("bundle_budget", PASSED, f"adds {other.budget}")


def _relation_check(need: Need, other: Need) -> ConstraintCheck:
    if need.category == other.category and need.category != "other":
        return ConstraintCheck(
            "bundle_relation", PASSED, f"same category {category_label(need.category)}"
        )
    match = best_cpv_match(need.cpv_codes, other.cpv_codes)
    if match.depth >= 2:
        return ConstraintCheck(
            "bundle_relation", PASSED, f"same CPV division {(match.need_code or '')[:2]}"
        )
    return ConstraintCheck("bundle_relation", FAILED, "different category and CPV division")


def _forms_check(need: Need, other: Need) -> ConstraintCheck:
    check = check_contract_forms(need.contract_forms, other.contract_forms)
    detail = (
        "one of the two needs declares no contract forms"
        if check.status == NOT_APPLICABLE
        else check.detail.replace("the candidate", "the other need")
    )
    return ConstraintCheck("bundle_contract_forms", check.status, detail)


def _timing_check(need: Need, other: Need, window_days: int) -> ConstraintCheck:
    if need.needed_by is None or other.needed_by is None:
        return ConstraintCheck(
            "bundle_timing", NOT_APPLICABLE, "a needed-by date is missing: timing assumed fine"
        )
    apart = abs((other.needed_by - need.needed_by).days)
    status = PASSED if apart <= window_days else FAILED
    return ConstraintCheck(
        "bundle_timing", status, f"needed {apart} days apart (window {window_days})"
    )


def _region_check(need: Need, other: Need) -> ConstraintCheck:
    if need.nuts_code[:2] and need.nuts_code[:2] == other.nuts_code[:2]:
        return ConstraintCheck(
            "bundle_region", PASSED, f"both in {region_name(need.nuts_code[:2])}"
        )
    return ConstraintCheck("bundle_region", FAILED, "in another country")


@dataclass(frozen=True, slots=True)
class BundleMember:
    need: Need
    affinity: float
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        need = self.need
        return {
            "need_id": need.id,
            "organisation_id": need.organisation_id,
            "title": need.title,
            "category": need.category,
            "nuts_code": need.nuts_code,
            "budget": _money(need.budget),
            "needed_by": need.needed_by.isoformat() if need.needed_by else None,
            "contract_forms": list(need.contract_forms),
            "affinity": round(self.affinity, 6),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class UnlockedLender:
    lender: Organisation
    checks: tuple[ConstraintCheck, ...]

    def as_dict(self) -> dict[str, Any]:
        ticket = self.lender.ticket
        return {
            "lender_id": self.lender.id,
            "name": self.lender.name,
            "ticket": ({"min": _money(ticket.min), "max": _money(ticket.max)} if ticket else None),
            "constraints": [check.as_dict() for check in self.checks],
        }


@dataclass(frozen=True, slots=True)
class Bundle:
    members: tuple[BundleMember, ...]
    total: Money
    lenders: tuple[UnlockedLender, ...]
    technical_assistance: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def need_ids(self) -> tuple[int, ...]:
        return tuple(member.need.id for member in self.members)

    @property
    def mean_affinity(self) -> float:
        others = self.members[1:]
        return sum(m.affinity for m in others) / len(others) if others else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": [member.as_dict() for member in self.members],
            "total": _money(self.total),
            "lenders": [lender.as_dict() for lender in self.lenders],
            "technical_assistance": list(self.technical_assistance),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class BundleProposal:
    """Whether bundling helps the need, why, and the bundles (best first)."""

    need_id: int
    proposed: bool
    reasons: tuple[str, ...]
    bundles: tuple[Bundle, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "need_id": self.need_id,
            "proposed": self.proposed,
            "reasons": list(self.reasons),
            "bundles": [bundle.as_dict() for bundle in self.bundles],
        }


def _money(money: Money | None) -> dict[str, Any] | None:
    return {"amount": money.amount, "currency": money.currency} if money else None


def _lender_checks(
    lender: Organisation, members: tuple[Need, ...], total: Money | None, tolerance: float
) -> tuple[ConstraintCheck, ...]:
    """The lender's constraints for a group of needs."""
    regions = [check_coverage(member.nuts_code, lender.nuts_codes) for member in members]
    region = next((check for check in regions if check.failed), regions[0])
    checks = [
        check_active(lender),
        region,
        check_contract_forms(_common_forms(members), lender.contract_forms),
        lender_cpv_family(),
    ]
    if total is not None:
        checks.append(check_budget(total, lender.ticket, tolerance, "ticket"))
    return tuple(checks)


def _common_forms(members: tuple[Need, ...]) -> tuple[str, ...]:
    """Forms every member that declares forms accepts (members declaring none don't restrict)."""
    declared = [set(member.contract_forms) for member in members if member.contract_forms]
    return tuple(sorted(set.intersection(*declared))) if declared else ()


def _ticket(lender: Organisation) -> MoneyRange:
    if lender.ticket is None:
        raise ValueError(f"lender {lender.id} has no ticket")
    return lender.ticket


def _compatible(members: tuple[Need, ...], window_days: int) -> bool:
    dates = [member.needed_by for member in members if member.needed_by is not None]
    if dates and (max(dates) - min(dates)).days > window_days:
        return False
    declared = [set(member.contract_forms) for member in members if member.contract_forms]
    return not declared or bool(set.intersection(*declared))


def propose_bundles(
    index: TextIndex,
    need: Need,
    *,
    today: date,
    policy: MatchPolicy | None = None,
    rules: BundleRules | None = None,
) -> BundleProposal:
    """Bundles of the need with similar open needs of other municipalities (module docstring)."""
    policy = policy or MatchPolicy()
    rules = rules or BundleRules()
    tolerance = policy.rules.budget_tolerance
    budget = need.budget
    if not need.is_open:
        return BundleProposal(need.id, False, (f"need {need.id} is {need.status}",))
    if budget is None:
        return BundleProposal(need.id, False, ("the need states no budget to bundle",))

    lenders = _relevant_lenders(index, need, tolerance)
    too_small_for = [lender for lender in lenders if _below_ticket(budget, lender, tolerance)]
    below_every_lender = bool(lenders) and len(too_small_for) == len(lenders)
    threshold = rules.assistance_threshold
    below_threshold = budget.currency == threshold.currency and budget.amount < threshold.amount
    if not below_every_lender and not below_threshold:
        reachable = [lender.name for lender in lenders if lender not in too_small_for]
        why = (
            f"the budget already reaches the tickets of {', '.join(reachable)}"
            if reachable
            else f"no lender with a {budget.currency} ticket serves the need"
        )
        return BundleProposal(need.id, False, (why,))
    reasons = []
    if below_every_lender:
        smallest = min(_ticket(lender).min.amount for lender in lenders)
        reasons.append(
            f"{budget} is below the minimum ticket of every lender serving the need "
            f"(smallest {Money(smallest, budget.currency)})"
        )
    if below_threshold:
        reasons.append(f"{budget} is below the {threshold} threshold of {rules.assistance_name}")

    matches = rank_related_needs(
        index,
        need,
        today=today,
        compatibility=BundleCompatibility(need, rules.window_days),
        policy=policy,
        limit=rules.max_candidates,
    )
    candidates: list[BundleMember] = []
    for match in matches:
        other = index.get(match.via[0]) if match.via else None
        if isinstance(other, Need):
            details = tuple(
                check.detail for check in match.pair.constraints if check.name.startswith("bundle")
            )
            candidates.append(BundleMember(other, match.score, details))

    bundles = _build(
        need,
        candidates=candidates,
        targets=too_small_for,
        lenders=lenders,
        rules=rules,
        tolerance=tolerance,
    )
    if not bundles:
        reasons.append("no combination of compatible open needs reaches a lender or threshold")
    return BundleProposal(need.id, True, tuple(reasons), tuple(bundles[: rules.max_bundles]))


def _relevant_lenders(index: TextIndex, need: Need, tolerance: float) -> list[Organisation]:
    """Lenders that could finance the need but for the amount (ticket in its currency)."""
    relevant = []
    for record in index.records("lender"):
        if not isinstance(record, Organisation) or record.ticket is None:
            continue
        if need.budget is None or record.ticket.currency != need.budget.currency:
            continue
        if not any(check.failed for check in _lender_checks(record, (need,), None, tolerance)):
            relevant.append(record)
    return sorted(relevant, key=lambda lender: (_ticket(lender).min.amount, lender.id))


def _below_ticket(budget: Money, lender: Organisation, tolerance: float) -> bool:
    """Too small for the lender: below its minimum ticket even with the tolerance."""
    ticket = _ticket(lender)
    low, _ = tolerance_bounds(ticket.min.amount, ticket.max.amount, tolerance)
    return bool(budget.amount < low)


def _build(
    need: Need,
    *,
    candidates: list[BundleMember],
    targets: list[Organisation],
    lenders: list[Organisation],
    rules: BundleRules,
    tolerance: float,
) -> list[Bundle]:
    assert need.budget is not None
    currency = need.budget.currency
    goals: list[tuple[float, float]] = []  # (amount to reach, amount not to exceed)
    for lender in targets:
        ticket = _ticket(lender)
        low, high = tolerance_bounds(ticket.min.amount, ticket.max.amount, tolerance)
        goals.append((float(low), float(high)))
    threshold = rules.assistance_threshold
    if threshold.currency == currency and need.budget.amount < threshold.amount:
        goals.append((threshold.amount, float("inf")))
    goals = sorted(set(goals))

    seen: set[tuple[int, ...]] = set()
    bundles: list[Bundle] = []
    for goal, ceiling in goals:
        members: list[BundleMember] = [BundleMember(need, 1.0, ("the need itself",))]
        total = need.budget.amount
        for candidate in candidates:
            if total >= goal or len(members) >= rules.max_members:
                break
            amount = candidate.need.budget.amount if candidate.need.budget else 0.0
            group = (*(member.need for member in members), candidate.need)
            if total + amount > ceiling or not _compatible(group, rules.window_days):
                continue
            members.append(candidate)
            total += amount
        key = tuple(sorted(member.need.id for member in members))
        if total < goal or len(members) < 2 or key in seen:
            continue
        seen.add(key)
        bundles.append(_bundle(tuple(members), Money(total, currency), lenders, rules, tolerance))
    bundles = [bundle for bundle in bundles if bundle.lenders or bundle.technical_assistance]
    bundles.sort(key=lambda b: (-len(b.lenders), len(b.members), -b.mean_affinity, b.need_ids))
    return bundles


def _bundle(
    members: tuple[BundleMember, ...],
    total: Money,
    lenders: list[Organisation],
    rules: BundleRules,
    tolerance: float,
) -> Bundle:
    needs = tuple(member.need for member in members)
    unlocked = []
    for lender in lenders:
        checks = _lender_checks(lender, needs, total, tolerance)
        if not any(check.failed for check in checks):
            unlocked.append(UnlockedLender(lender, checks))
    threshold = rules.assistance_threshold
    assistance = ()
    if total.currency == threshold.currency and total.amount >= threshold.amount:
        assistance = (
            f"total {total} reaches the {threshold} threshold of {rules.assistance_name}",
        )
    municipalities = len({need.organisation_id for need in needs})
    regions = sorted({need.nuts_code for need in needs})
    dates = sorted(need.needed_by for need in needs if need.needed_by is not None)
    reasons = [
        f"{len(needs)} open needs of {municipalities} municipalities in "
        f"{', '.join(region_name(region) for region in regions)}",
    ]
    category = needs[0].category
    if all(need.category == category for need in needs) and category != "other":
        reasons.append(f"all {category_label(category)}")
    if dates:
        span = (dates[-1] - dates[0]).days
        reasons.append(f"needed within {span} days of each other")
    forms = _common_forms(needs)
    if forms:
        reasons.append(f"common contract forms: {', '.join(forms)}")
    if unlocked:
        names = ", ".join(f"{e.lender.name} (min {_ticket(e.lender).min})" for e in unlocked)
        reasons.append(f"total {total} reaches the ticket of {names}")
    reasons.extend(assistance)
    return Bundle(members, total, tuple(unlocked), assistance, tuple(reasons))
