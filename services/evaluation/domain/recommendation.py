"""Recommended contract and financing forms, ranked, each with the reasons drawn from the figures.

Model
-----
A transparent points score per form (0-100, higher is more suitable) built from the
appraisal's figures; every rule that adds or removes points adds a reason that quotes the
figure. Forms scoring at least ``RECOMMENDED_SCORE`` are recommended, ranked by score (ties in
the order of ``FORMS``); traditional procurement is always kept as the fallback.

Facts used: total investment ``I`` (EUR, undiscounted), what the project earns
(``energy_savings``, ``budget_savings``, ``user_fees`` or ``none``), FNPV/FIRR at the financial
discount rate, simple payback, ENPV, funding gap rate, VfM of the PPP option against the PSC,
minimum DSCR and LLCR, and the social outcomes valued (time saved, accidents avoided).

Size thresholds: PPP/PFI procurement costs rarely pay off below about EUR 20 M of capital
value (HM Treasury, *PFI: meeting the investment challenge*, 2003, judged PFI unlikely to give
value for money below GBP 20 M); project finance needs tickets large enough to carry due
diligence (EUR 10 M used here, an assumption); micro-finance covers loans up to EUR 25,000
(the EU microcredit definition used by the EaSI programme), extended here to EUR 100,000
projects split among small borrowers.

Form codes: ``procurement``, ``ppp``, ``pfi``, ``project_finance``, ``epc``, ``concession``,
``sib``, ``shared_revenue``, ``micro_finance``, ``grant``.

Checked against: scenario tests in ``tests/domain/test_recommendation.py`` (a profitable LED
retrofit ranks ``epc`` first; a project with a funding gap and positive ENPV gets ``grant``;
a user-fee project with FNPV > 0 gets ``concession``; a small one never gets ``ppp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.contracts import vocabulary

FORMS = vocabulary.CONTRACT_FORMS
RECOMMENDED_SCORE = 50
PPP_MIN_SIZE = 20_000_000.0
PROJECT_FINANCE_MIN_SIZE = 10_000_000.0
SMALL_PROJECT = 1_000_000.0
MICRO_LOAN = 25_000.0
MICRO_PROJECT = 100_000.0


@dataclass(frozen=True)
class ProjectProfile:
    """The figures the recommendation reads (``None`` where the appraisal has none)."""

    total_investment: float
    revenue_kind: str
    horizon_years: int
    fnpv: float | None
    firr: float | None
    discount_rate: float
    payback_years: float | None
    enpv: float | None
    funding_gap_rate: float | None
    vfm_amount: float | None
    vfm_percent: float | None
    min_dscr: float | None
    llcr: float | None
    time_saved_hours: float = 0.0
    accidents_avoided: float = 0.0


@dataclass(frozen=True)
class FormAssessment:
    form: str
    score: int
    reasons: tuple[str, ...]

    @property
    def recommended(self) -> bool:
        return self.score >= RECOMMENDED_SCORE

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.form, "score": self.score, "reasons": list(self.reasons)}


class _Score:
    def __init__(self, form: str, base: int, reason: str) -> None:
        self.form = form
        self.points = base
        self.reasons = [reason]

    def add(self, points: int, reason: str) -> None:
        self.points += points
        self.reasons.append(reason)

    def result(self) -> FormAssessment:
        return FormAssessment(self.form, max(0, min(100, self.points)), tuple(self.reasons))


def _eur(amount: float) -> str:
    return f"EUR {amount:,.0f}"


def _viable(p: ProjectProfile) -> bool:
    return p.fnpv is not None and p.fnpv >= 0


def _firr_text(p: ProjectProfile) -> str:
    firr = "n/a" if p.firr is None else f"{p.firr:.1%}"
    return f"FIRR {firr} against a {p.discount_rate:.1%} discount rate"


def _procurement(p: ProjectProfile) -> FormAssessment:
    s = _Score("procurement", 50, "a public buyer can always tender works and supplies itself")
    if p.total_investment < SMALL_PROJECT:
        s.add(10, f"small investment ({_eur(p.total_investment)}): tendering costs stay low")
    if p.vfm_amount is not None and p.vfm_amount <= 0:
        s.add(10, f"the PPP option shows no value for money (VfM {_eur(p.vfm_amount)})")
    if p.revenue_kind in ("none", "budget_savings") and not _viable(p):
        s.add(10, "no revenue a private partner could rely on")
    if p.total_investment >= PPP_MIN_SIZE and p.vfm_amount is not None and p.vfm_amount > 0:
        s.add(-20, "a large project where the PPP option shows value for money")
    return s.result()


def _ppp_size(s: _Score, p: ProjectProfile) -> None:
    if p.total_investment >= PPP_MIN_SIZE:
        s.add(20, f"investment {_eur(p.total_investment)} absorbs PPP procurement costs")
    elif p.total_investment < SMALL_PROJECT:
        s.add(
            -40,
            f"investment {_eur(p.total_investment)} is too small for PPP procurement "
            f"costs (usually worthwhile above about {_eur(PPP_MIN_SIZE)})",
        )
    else:
        s.add(
            -10,
            f"investment {_eur(p.total_investment)} is below the ~{_eur(PPP_MIN_SIZE)} "
            "where PPP procurement costs usually pay off",
        )


def _vfm(s: _Score, p: ProjectProfile) -> None:
    if p.vfm_amount is None:
        s.add(-10, "no value-for-money comparison available")
    elif p.vfm_amount > 0:
        percent = "" if p.vfm_percent is None else f", {p.vfm_percent:.1f}% of the PSC"
        s.add(30, f"the PPP option costs less than the PSC (VfM {_eur(p.vfm_amount)}{percent})")
    else:
        s.add(-20, f"the PPP option costs more than the PSC (VfM {_eur(p.vfm_amount)})")


def _ppp(p: ProjectProfile) -> FormAssessment:
    s = _Score("ppp", 30, "a partner designs, builds, finances and operates under one contract")
    _vfm(s, p)
    _ppp_size(s, p)
    if p.revenue_kind == "user_fees" and _viable(p):
        s.add(10, "user revenues can share the payment burden")
    return s.result()


def _pfi(p: ProjectProfile) -> FormAssessment:
    s = _Score(
        "pfi", 25, "the authority pays availability payments to a privately financed partner"
    )
    _vfm(s, p)
    _ppp_size(s, p)
    if p.revenue_kind in ("none", "budget_savings"):
        s.add(10, "no user revenues: availability payments fit")
    else:
        s.add(-10, "user revenues suit a concession better than availability payments")
    return s.result()


def _project_finance(p: ProjectProfile) -> FormAssessment:
    s = _Score("project_finance", 20, "non-recourse debt repaid from the project's own cash flows")
    if p.min_dscr is None:
        s.add(0, "no debt structure given: DSCR not assessed")
    elif p.min_dscr < 1.0:
        s.add(-30, f"minimum DSCR {p.min_dscr:.2f} < 1: some year cannot service its debt")
    elif p.min_dscr >= 1.30:
        s.add(35, f"minimum DSCR {p.min_dscr:.2f} >= 1.30")
    elif p.min_dscr >= 1.20:
        s.add(25, f"minimum DSCR {p.min_dscr:.2f} >= 1.20")
    else:
        s.add(5, f"minimum DSCR {p.min_dscr:.2f} is thin for lenders")
    if p.llcr is not None and p.llcr >= 1.30:
        s.add(10, f"LLCR {p.llcr:.2f} >= 1.30")
    if p.total_investment >= PROJECT_FINANCE_MIN_SIZE:
        s.add(15, f"investment {_eur(p.total_investment)} carries due-diligence costs")
    else:
        s.add(
            -30,
            f"investment {_eur(p.total_investment)} is small for non-recourse lending "
            f"(due diligence and legal costs; about {_eur(PROJECT_FINANCE_MIN_SIZE)} "
            "or more)",
        )
    if p.revenue_kind in ("user_fees", "energy_savings") and _viable(p):
        s.add(10, f"ring-fenced revenues with {_firr_text(p)}")
    return s.result()


def _epc(p: ProjectProfile) -> FormAssessment:
    if p.revenue_kind != "energy_savings":
        return FormAssessment("epc", 0, ("no energy savings to guarantee",))
    s = _Score(
        "epc",
        40,
        "energy savings can be guaranteed and shared by an ESCO "
        "(Directive 2012/27/EU energy performance contract)",
    )
    if p.payback_years is None:
        s.add(-30, "the savings never repay the investment")
    elif p.payback_years <= 10:
        s.add(25, f"payback {p.payback_years:.1f} years fits a typical 10-15 year EPC")
    elif p.payback_years <= 15:
        s.add(10, f"payback {p.payback_years:.1f} years needs a long EPC")
    else:
        s.add(-20, f"payback {p.payback_years:.1f} years is too long for an EPC")
    if _viable(p):
        s.add(15, _firr_text(p))
    return s.result()


def _concession(p: ProjectProfile) -> FormAssessment:
    if p.revenue_kind != "user_fees":
        return FormAssessment("concession", 0, ("no user fees to carry the operating risk",))
    s = _Score(
        "concession",
        40,
        "users pay fees, so operating (demand) risk can pass to the "
        "concessionaire (Directive 2014/23/EU)",
    )
    if _viable(p):
        s.add(30, f"user revenues repay costs and capital: {_firr_text(p)}")
    elif p.funding_gap_rate is not None and p.funding_gap_rate > 0.5:
        s.add(-20, f"funding gap rate {p.funding_gap_rate:.0%}: fees cover too little")
    else:
        s.add(0, f"{_firr_text(p)}: a public contribution would be needed")
    return s.result()


def _sib(p: ProjectProfile) -> FormAssessment:
    outcomes = p.time_saved_hours > 0 or p.accidents_avoided > 0
    if _viable(p) or p.enpv is None or p.enpv <= 0 or not outcomes:
        return FormAssessment(
            "sib",
            5,
            (
                "social impact bonds pay for measurable social outcomes of projects "
                "that do not pay for themselves; not the case here",
            ),
        )
    s = _Score("sib", 40, f"socially worthwhile (ENPV {_eur(p.enpv)}) but not financially")
    s.add(
        10,
        f"measurable outcomes ({p.time_saved_hours:,.0f} person-hours saved, "
        f"{p.accidents_avoided:,.1f} accidents avoided over the horizon)",
    )
    if p.total_investment <= 10_000_000:
        s.add(10, "within the few-million size of social impact bonds")
    return s.result()


def _shared_revenue(p: ProjectProfile) -> FormAssessment:
    if p.revenue_kind not in ("user_fees", "energy_savings"):
        return FormAssessment("shared_revenue", 0, ("no revenue stream to share",))
    s = _Score("shared_revenue", 35, "the city and an operator share the project's revenues")
    if _viable(p):
        s.add(20, _firr_text(p))
    if p.funding_gap_rate is not None and 0 < p.funding_gap_rate < 0.5:
        s.add(
            10,
            f"a partial funding gap ({p.funding_gap_rate:.0%}) can be bridged by the revenue split",
        )
    return s.result()


def _micro_finance(p: ProjectProfile) -> FormAssessment:
    if p.total_investment > MICRO_PROJECT:
        return FormAssessment(
            "micro_finance",
            0,
            (
                f"investment {_eur(p.total_investment)} exceeds "
                f"micro-finance tickets ({_eur(MICRO_PROJECT)})",
            ),
        )
    s = _Score("micro_finance", 45, f"small investment ({_eur(p.total_investment)})")
    if p.total_investment <= MICRO_LOAN:
        s.add(10, f"within the EU microcredit ceiling of {_eur(MICRO_LOAN)}")
    if _viable(p):
        s.add(15, f"repayable from its own cash flows: {_firr_text(p)}")
    return s.result()


def _grant(p: ProjectProfile) -> FormAssessment:
    gap = p.funding_gap_rate
    if gap is None or gap == 0:
        return FormAssessment("grant", 5, ("no funding gap: revenues repay the investment",))
    if p.enpv is None or p.enpv <= 0:
        return FormAssessment(
            "grant",
            10,
            (
                f"funding gap rate {gap:.0%} but ENPV <= 0: EU grants need a "
                "socially worthwhile project",
            ),
        )
    return _Score(
        "grant",
        50 + round(40 * gap),
        f"funding gap rate {gap:.0%} with ENPV {_eur(p.enpv)}: a grant up to the gap "
        "(EC CBA Guide 2014, Reg. (EU) 480/2014)",
    ).result()


_RULES = (
    _procurement,
    _ppp,
    _pfi,
    _project_finance,
    _epc,
    _concession,
    _sib,
    _shared_revenue,
    _micro_finance,
    _grant,
)


def assess_forms(profile: ProjectProfile) -> list[FormAssessment]:
    """Every form with its score and reasons, best first."""
    assessed = [rule(profile) for rule in _RULES]
    return sorted(assessed, key=lambda a: (-a.score, FORMS.index(a.form)))


def recommend_forms(profile: ProjectProfile) -> list[FormAssessment]:
    """The recommended forms (score >= ``RECOMMENDED_SCORE``), best first; never empty."""
    assessed = assess_forms(profile)
    recommended = [a for a in assessed if a.recommended]
    return recommended or [a for a in assessed if a.form == "procurement"]
