"""Code stems for hierarchical matching of CPV and NUTS codes.

CPV codes are 8 digits whose trailing zeros are padding: `45316000` is the category `45316`, and
every code starting with `45316` lies below it. NUTS codes are already hierarchical prefixes
(`ITC` > `ITC1` > `ITC11`). So a code's *stem* (CPV without trailing zeros, at least the 2-digit
division; NUTS as is) turns "is above or below" into "is a prefix of", which an index answers.
"""

from __future__ import annotations


def cpv_stem(code: str) -> str:
    """`45316110` -> `4531611`; `45000000` -> `45`; expects the 8-digit normalised form."""
    stem = code[:8].rstrip("0")
    return stem if len(stem) >= 2 else code[:2]


def stem_prefixes(stem: str, *, shortest: int) -> list[str]:
    """Every ancestor stem of `stem` (itself included), from `shortest` characters up."""
    return [stem[:length] for length in range(shortest, len(stem) + 1)]


def related_by_hierarchy(a: str, b: str) -> bool:
    """True when one stem lies at or below the other."""
    return a.startswith(b) or b.startswith(a)
