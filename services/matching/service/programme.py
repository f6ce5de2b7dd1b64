"""The programme dashboard's figures, from matching's own index (the catalogue feed's mirror).

For every open need it asks the same rankings the matches endpoints answer (`matches.for_need`,
first result only), so a need "has a supplier match" exactly when
`GET /v1/needs/{id}/matches?kind=supplier` returns at least one item, and likewise for lenders
(with the need's bankability, as that endpoint uses it). Needs are grouped by category and by
NUTS region at a chosen level; the budget of open needs without any lender match is summed per
currency; funding calls open today and closing within a window are listed, soonest first.

Ranking every open need is linear in the needs, so an answer is kept while the index snapshot
is unchanged, for at most `SummaryCache.max_age_seconds` (bankability figures come from
evaluation and may change without a catalogue write).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from services.matching.clients.evaluation import BankabilitySource
from services.matching.domain import FundingCall, MatchPolicy, Need, TextIndex
from services.matching.service import matches
from shared.reference.codelist import UnknownCode
from shared.reference.nuts import nuts_label

CALLS_LISTED = 10
NOTES_KEPT = 5


class SummaryCache:
    """The last answers per question, each valid while the index snapshot it read is current.

    One computation per question at a time: dashboards opened together while the index moves
    wait for the one summary being computed rather than each ranking every need again."""

    def __init__(self, max_age_seconds: float = 30.0) -> None:
        self.max_age_seconds = max_age_seconds
        self._answers: dict[Hashable, tuple[TextIndex, float, dict[str, Any]]] = {}
        self._computing: dict[Hashable, threading.Lock] = defaultdict(threading.Lock)
        self._lock = threading.Lock()

    def _kept(self, question: Hashable, index: TextIndex) -> dict[str, Any] | None:
        with self._lock:
            kept = self._answers.get(question)
        fresh = kept is not None and time.monotonic() - kept[1] < self.max_age_seconds
        return kept[2] if fresh and kept[0] is index else None

    def answer(
        self, question: Hashable, index: TextIndex, compute: Callable[[], dict[str, Any]]
    ) -> dict[str, Any]:
        kept = self._kept(question, index)
        if kept is not None:
            return kept
        with self._lock:
            computing = self._computing[question]
        with computing:
            kept = self._kept(question, index)
            if kept is not None:
                return kept
            fresh = compute()
            with self._lock:
                # a handful of questions at most (today x level x window); never let it grow
                if len(self._answers) > 32:
                    self._answers.clear()
                    self._computing.clear()
                self._answers[question] = (index, time.monotonic(), fresh)
        return fresh


def _region(code: str, level: int) -> tuple[str, str | None]:
    """The need's region at NUTS `level` (0 country .. 3), with its Eurostat name."""
    region = code[: 2 + level] if code else ""
    try:
        return region, nuts_label(region)
    except (UnknownCode, KeyError):
        return region, None


def _group() -> dict[str, Any]:
    return {"needs": 0, "with_supplier_match": 0, "with_lender_match": 0, "budget": {}}


def _largest_first(item: tuple[str, dict[str, Any]]) -> tuple[int, str]:
    return -item[1]["needs"], item[0]


def _money(totals: dict[str, float]) -> list[dict[str, Any]]:
    return [{"amount": amount, "currency": currency} for currency, amount in sorted(totals.items())]


def _call(call: FundingCall, today: date) -> dict[str, Any]:
    grant = None
    if call.grant is not None:
        grant = {
            "min": {"amount": call.grant.min.amount, "currency": call.grant.min.currency},
            "max": {"amount": call.grant.max.amount, "currency": call.grant.max.currency},
        }
    return {
        "id": call.id,
        "title": call.title,
        "programme": call.programme or None,
        "categories": list(call.categories),
        "closes_at": call.closes_at,
        "days_left": (call.closes_at - today).days,
        "grant": grant,
    }


def summarise(
    session: Session,
    index: TextIndex,
    source: BankabilitySource,
    policy: MatchPolicy,
    *,
    today: date,
    region_level: int,
    closing_within_days: int,
) -> dict[str, Any]:
    categories: dict[str, dict[str, Any]] = defaultdict(_group)
    regions: dict[str, dict[str, Any]] = defaultdict(_group)
    labels: dict[str, str | None] = {}
    without_lender: dict[str, float] = defaultdict(float)
    totals = {"open_needs": 0, "with_supplier_match": 0, "with_lender_match": 0}
    needs_without_lender = 0
    notes: list[str] = []
    for need in index.records("need"):
        if not isinstance(need, Need) or not need.is_open:
            continue
        found = {
            kind: matches.for_need(
                session, index, source, policy, need_id=need.id, kind=kind, limit=1, offset=0
            )
            for kind in ("supplier", "lender")
        }
        notes += [note for note in found["lender"].notes if note not in notes]
        supplier, lender = bool(found["supplier"].items), bool(found["lender"].items)
        region, label = _region(need.nuts_code, region_level)
        labels[region] = label
        totals["open_needs"] += 1
        totals["with_supplier_match"] += supplier
        totals["with_lender_match"] += lender
        for group in (categories[need.category], regions[region]):
            group["needs"] += 1
            group["with_supplier_match"] += supplier
            group["with_lender_match"] += lender
            if need.budget is not None:
                currency = need.budget.currency
                group["budget"][currency] = group["budget"].get(currency, 0.0) + need.budget.amount
        if not lender:
            needs_without_lender += 1
            if need.budget is not None:
                without_lender[need.budget.currency] += need.budget.amount
    horizon = today + timedelta(days=closing_within_days)
    calls = sorted(
        (
            record
            for record in index.records("funding_call")
            if isinstance(record, FundingCall) and record.opens_at <= today <= record.closes_at
            if record.closes_at <= horizon
        ),
        key=lambda call: (call.closes_at, call.id),
    )
    return {
        "today": today,
        **totals,
        "needs_without_lender": needs_without_lender,
        "budget_without_lender": _money(without_lender),
        "by_category": [
            {"category": name, **group, "budget": _money(group["budget"])}
            for name, group in sorted(categories.items(), key=_largest_first)
        ],
        "region_level": region_level,
        "by_region": [
            {"nuts": code, "label": labels[code], **group, "budget": _money(group["budget"])}
            for code, group in sorted(regions.items(), key=_largest_first)
        ],
        "closing_within_days": closing_within_days,
        "calls_closing_soon": [_call(call, today) for call in calls[:CALLS_LISTED]],
        "notes": notes[:NOTES_KEPT],
    }
