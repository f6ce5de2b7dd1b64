"""Bankability summary: the lenders' figures of an appraisal and a grade A-D with reasons.

Model
-----
Inputs are the appraisal's figures (ratios are plain numbers, rates decimals):
minimum DSCR, LLCR, FIRR and FNPV at the financial discount rate, equity IRR and the funding gap
rate. Thresholds follow the ranges quoted by project-finance practice for lenders' base-case
cover ratios (e.g. Yescombe, *Principles of Project Finance*, 2nd ed., 2014, ch. 12: about
1.20-1.30x for contracted or availability revenues, higher for demand risk):

- **A**: minimum DSCR >= 1.30, LLCR >= 1.30 and FNPV >= 0 (FIRR at or above the discount rate);
- **B**: minimum DSCR >= 1.20 and LLCR >= 1.20 (or A-level cover with FNPV < 0); without a
  debt structure, a financially viable project (FNPV >= 0, no funding gap) is at most B;
- **C**: debt serviced every year (minimum DSCR >= 1.0) but below B; without debt, a project
  with a funding gap that revenues still partly cover (gap rate < 1);
- **D**: some year cannot service its debt (DSCR < 1), or revenues do not cover operating
  costs (gap rate = 1), or no figure to judge.

Checked against: the threshold table above, case by case, in
``tests/domain/test_bankability.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GRADE_A_COVER = 1.30
GRADE_B_COVER = 1.20


@dataclass(frozen=True)
class Bankability:
    min_dscr: float | None
    llcr: float | None
    firr: float | None
    equity_irr: float | None
    funding_gap_rate: float | None
    grade: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_dscr": self.min_dscr,
            "llcr": self.llcr,
            "firr": self.firr,
            "equity_irr": self.equity_irr,
            "funding_gap_rate": self.funding_gap_rate,
            "grade": self.grade,
            "reasons": list(self.reasons),
        }


def _with_debt(min_dscr: float, llcr: float | None, fnpv: float | None) -> tuple[str, list[str]]:
    reasons: list[str] = []
    cover = min(min_dscr, llcr) if llcr is not None else min_dscr
    if min_dscr < 1.0:
        return "D", [f"minimum DSCR {min_dscr:.2f} < 1: some year cannot service its debt"]
    if cover >= GRADE_A_COVER:
        grade = "A"
        reasons.append(
            f"cover ratios at or above {GRADE_A_COVER:.2f} (minimum DSCR "
            f"{min_dscr:.2f}, LLCR {_fmt(llcr)})"
        )
    elif cover >= GRADE_B_COVER:
        grade = "B"
        reasons.append(
            f"cover ratios between {GRADE_B_COVER:.2f} and {GRADE_A_COVER:.2f} "
            f"(minimum DSCR {min_dscr:.2f}, LLCR {_fmt(llcr)})"
        )
    else:
        grade = "C"
        reasons.append(
            f"debt is serviced every year but cover is thin (minimum DSCR "
            f"{min_dscr:.2f}, LLCR {_fmt(llcr)}, below {GRADE_B_COVER:.2f})"
        )
    if grade == "A" and (fnpv is None or fnpv < 0):
        grade = "B"
        reasons.append("FNPV below zero: the project return is below the discount rate")
    return grade, reasons


def _without_debt(fnpv: float | None, gap: float | None) -> tuple[str, list[str]]:
    reasons = ["no debt structure given: DSCR and LLCR not assessed"]
    if fnpv is not None and fnpv >= 0 and (gap is None or gap == 0):
        reasons.append("FNPV >= 0 with no funding gap: revenues repay the investment")
        return "B", reasons
    if gap is not None and gap < 1:
        reasons.append(f"funding gap rate {gap:.0%}: revenues repay only part of the investment")
        return "C", reasons
    if gap is not None:
        reasons.append("funding gap rate 100%: revenues do not cover the investment at all")
        return "D", reasons
    reasons.append("no FNPV or funding gap to judge")
    return "D", reasons


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def assess_bankability(
    *,
    min_dscr: float | None,
    llcr: float | None,
    firr: float | None,
    fnpv: float | None,
    equity_irr: float | None,
    funding_gap_rate: float | None,
) -> Bankability:
    """Grade the appraisal's figures (see the module docstring for the thresholds)."""
    if min_dscr is not None:
        grade, reasons = _with_debt(min_dscr, llcr, fnpv)
    else:
        grade, reasons = _without_debt(fnpv, funding_gap_rate)
    if firr is None:
        reasons.append("FIRR does not exist or is not unique")
    if funding_gap_rate is not None and funding_gap_rate > 0 and min_dscr is not None:
        reasons.append(f"funding gap rate {funding_gap_rate:.0%}: a grant would be needed")
    return Bankability(min_dscr, llcr, firr, equity_irr, funding_gap_rate, grade, tuple(reasons))
