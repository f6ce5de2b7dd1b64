"""The search index over a code list: folded label words, code prefixes and the ranking.

Built once per list (CPV, NUTS) from its `CodeEntry` rows, which come from the CSV files in
`shared/reference/data/`. Labels are folded once at build time (`fold`: Unicode NFKD with the
combining marks dropped, then case-folded, so "Rhône" and "rhone" are the same word) and split
into words; a sorted vocabulary with a posting set per word answers "words starting with w" by
bisection, so a search touches only the entries that can match.

Ranking, a total order so that offset pagination is stable:

1. tier 0, exact: the code equals the queried code, or the label's words equal the query's words;
2. tier 1, prefix: the code starts with the queried code prefix, or the label starts with the
   query's words (the last query word may be a word prefix: "traffic li" → "Traffic lights");
3. tier 2, words: every query word is a prefix of some word of the label, in any order;

then, within a tier, lower `level` (more general) first, then by code (a list may refine this
order, see `CodeIndex`). An empty query lists the whole list in that order.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from shared.reference.codelist import CodeEntry

_WORD = re.compile(r"\w+")
# Letters that NFKD does not decompose but that people type without their mark.
_LIGATURES = str.maketrans(
    {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "\u0131": "i", "ŀ": "l"}
)

TIER_EXACT = 0
TIER_PREFIX = 1
TIER_WORDS = 2


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents: `"Rhône-Alpes"` → `"rhone-alpes"`."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_LIGATURES)


def words(text: str) -> tuple[str, ...]:
    """The folded words of `text` (runs of letters and digits; punctuation separates)."""
    return tuple(_WORD.findall(fold(text)))


class CodeIndex:
    """Precomputed search structures over one code list.

    Parameters
    ----------
    entries:
        The list's entries, in any order.
    order:
        The within-tier order, as a sort key; by default level, then code.
    """

    def __init__(
        self,
        entries: Iterable[CodeEntry],
        order: Callable[[CodeEntry], tuple[Any, ...]] | None = None,
    ) -> None:
        key = order if order is not None else (lambda e: (e.level, e.code))
        # Position in this order is the within-tier rank, so ranking sorts plain integers.
        self.entries_: list[CodeEntry] = sorted(entries, key=key)
        self.words_: list[tuple[str, ...]] = [words(e.label) for e in self.entries_]
        postings: dict[str, set[int]] = {}
        for position, label_words in enumerate(self.words_):
            for word in label_words:
                postings.setdefault(word, set()).add(position)
        self.vocabulary_: list[str] = sorted(postings)
        self.postings_: dict[str, frozenset[int]] = {w: frozenset(p) for w, p in postings.items()}
        by_code = sorted(range(len(self.entries_)), key=lambda i: self.entries_[i].code)
        self.sorted_codes_: list[str] = [self.entries_[i].code for i in by_code]
        self.code_positions_: list[int] = by_code

    def _with_word_prefix(self, prefix: str) -> set[int]:
        """Positions of the entries whose label has a word starting with `prefix`."""
        found: set[int] = set()
        start = bisect_left(self.vocabulary_, prefix)
        for word in self.vocabulary_[start:]:
            if not word.startswith(prefix):
                break
            found |= self.postings_[word]
        return found

    def _with_code_prefix(self, prefix: str) -> list[int]:
        """Positions of the entries whose code starts with `prefix`."""
        start = bisect_left(self.sorted_codes_, prefix)
        found: list[int] = []
        for offset, code in enumerate(self.sorted_codes_[start:], start=start):
            if not code.startswith(prefix):
                break
            found.append(self.code_positions_[offset])
        return found

    def _word_matches(self, query_words: tuple[str, ...]) -> dict[int, int]:
        """Entries whose label matches every query word, with their tier."""
        candidates: set[int] | None = None
        # Longest words first: they have the fewest postings, so the intersection shrinks fast.
        for word in sorted(set(query_words), key=len, reverse=True):
            matching = self._with_word_prefix(word)
            candidates = matching if candidates is None else candidates & matching
            if not candidates:
                return {}
        tiers: dict[int, int] = {}
        head, last = query_words[:-1], query_words[-1]
        n = len(query_words)
        for position in candidates or ():
            label_words = self.words_[position]
            if label_words == query_words:
                tiers[position] = TIER_EXACT
            elif (
                len(label_words) >= n
                and label_words[: n - 1] == head
                and label_words[n - 1].startswith(last)
            ):
                tiers[position] = TIER_PREFIX
            else:
                tiers[position] = TIER_WORDS
        return tiers

    def search(
        self,
        *,
        text: str | None,
        code_prefix: str | None = None,
        exact_code: str | None = None,
        where: Callable[[CodeEntry], bool] | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[CodeEntry]:
        """Rank the entries matching a label query and/or a code prefix; return one page.

        Parameters
        ----------
        text:
            Words to find in labels (folded; each must be a word prefix), or None for no
            label search.
        code_prefix:
            Codes starting with this (already canonical) prefix match, in tier 1.
        exact_code:
            This code, if present, ranks in tier 0.
        where:
            Keeps only the entries for which it is true (applied before paging).
        limit, offset:
            The page: at most `limit` entries after skipping `offset` (both >= 0).

        An entry matched by both the code and the label takes its better tier. With no text,
        no code prefix and no exact code, every entry matches in tier 0.
        """
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must be >= 0")
        query_words = words(text) if text else ()
        if not query_words and code_prefix is None and exact_code is None:
            everything = self.entries_ if where is None else filter(where, self.entries_)
            return list(islice(everything, offset, offset + limit))
        tiers: dict[int, int] = self._word_matches(query_words) if query_words else {}
        if code_prefix is not None:
            for position in self._with_code_prefix(code_prefix):
                tiers[position] = min(tiers.get(position, TIER_PREFIX), TIER_PREFIX)
        if exact_code is not None:
            for position in self._with_code_prefix(exact_code):
                if self.entries_[position].code == exact_code:
                    tiers[position] = TIER_EXACT
        ranked = sorted(tiers, key=lambda position: (tiers[position], position))
        matches = (self.entries_[position] for position in ranked)
        if where is not None:
            matches = filter(where, matches)
        return list(islice(matches, offset, offset + limit))
