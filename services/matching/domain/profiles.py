"""What each record says about itself: index text, fuzzy phrases, keywords, CPV family.

Index text (`profile_text`), before glossary expansion and vectorisation (`TextIndex.analyse`):

- organisation: name, description, capabilities, its offers (title and description), its past
  references (titles; offers of kind `reference` are offers, so they count too), and the
  English CPV labels of its own and its offers' codes (`shared.reference.cpv.cpv_label`);
- need: title, description, the English label of its category, the CPV labels of its codes;
- funding call: title, description, programme, its categories' labels, its CPV labels.

A need's text is both its document (for supplier -> needs) and its query (for need ->
candidates): one text, so the cosine of a (need, candidate) pair is the same whichever side asks.

Fuzzy phrases (`fuzzy_phrases`): the short, keyword-dense strings a candidate is fuzzy-matched
on: capabilities, offer titles and reference titles (organisations); the title (needs, calls).
Need keywords (`need_keywords`): the content words of the need's title, folded, without stop
words, at least 3 characters, at most 8.

CPV family (`need_cpv_codes`): a need's declared codes plus the representative codes of its
category (`glossary.CategoryTerms.cpv_codes`), so a need written without CPV codes still meets
suppliers by CPV. Candidates are compared on what they declare (`candidate_cpv_codes`).

Checked by `tests/domain/test_profiles.py`.
"""

from __future__ import annotations

import re
from functools import lru_cache

from services.matching.domain.glossary import (
    category_cpv_codes,
    category_label,
    default_glossary,
    fold,
)
from services.matching.domain.records import FundingCall, IndexRecord, Need, Organisation
from services.matching.domain.stopwords import stop_words
from shared.reference.codelist import UnknownCode
from shared.reference.cpv import cpv_label

MAX_KEYWORDS = 8
MIN_KEYWORD_LENGTH = 3
_TOKEN = re.compile(r"\w+")
_STOP = frozenset(stop_words())


@lru_cache(maxsize=65_536)
def cpv_label_or_none(code: str) -> str | None:
    """The English CPV label, or None for a code the shipped list does not know."""
    try:
        return cpv_label(code)
    except UnknownCode:
        return None


def cpv_labels(codes: tuple[str, ...]) -> list[str]:
    labels = (cpv_label_or_none(code) for code in codes)
    return [label for label in labels if label]


def profile_text(record: IndexRecord) -> str:
    """The text indexed for a record (see the module docstring)."""
    if isinstance(record, Organisation):
        parts = [record.name, record.description, *record.capabilities]
        for offer in record.offers:
            parts.extend((offer.title, offer.description))
        parts.extend(reference.title for reference in record.references)
        parts.extend(cpv_labels(record.all_cpv_codes))
    elif isinstance(record, Need):
        parts = [record.title, record.description]
        if record.category != "other":
            parts.append(category_label(record.category))
        parts.extend(cpv_labels(record.cpv_codes))
    else:
        parts = [record.title, record.description, record.programme]
        parts.extend(category_label(category) for category in record.categories)
        parts.extend(cpv_labels(record.cpv_codes))
    return "\n".join(part for part in parts if part)


def fuzzy_phrases(record: IndexRecord) -> tuple[str, ...]:
    """Folded short phrases a candidate is fuzzy-matched on (see the module docstring)."""
    if isinstance(record, Organisation):
        phrases = [*record.capabilities]
        phrases.extend(offer.title for offer in record.offers)
        phrases.extend(reference.title for reference in record.references)
    elif isinstance(record, Need | FundingCall):
        phrases = [record.title]
    return tuple(dict.fromkeys(_fold(phrase) for phrase in phrases if phrase))


@lru_cache(maxsize=65_536)
def _fold(phrase: str) -> str:
    return fold(phrase)


def content_words(text: str) -> list[str]:
    """Folded words of `text` without stop words, at least `MIN_KEYWORD_LENGTH` long."""
    words = _TOKEN.findall(fold(text))
    return [w for w in words if len(w) >= MIN_KEYWORD_LENGTH and w not in _STOP]


def need_keywords(need: Need) -> tuple[str, ...]:
    """The content words of the need's title, each once, in order, at most `MAX_KEYWORDS`."""
    return _title_keywords(need.title)


@lru_cache(maxsize=16_384)
def _title_keywords(title: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(content_words(title)))[:MAX_KEYWORDS]


def need_cpv_codes(need: Need) -> tuple[str, ...]:
    """Declared codes, then the category's representative codes (each once)."""
    return _family(need.cpv_codes, need.category)


@lru_cache(maxsize=16_384)
def _family(codes: tuple[str, ...], category: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*codes, *category_cpv_codes(category))))


def candidate_cpv_codes(record: IndexRecord) -> tuple[str, ...]:
    """The codes a candidate declares: an organisation's and its offers', a call's, a need's
    family (a need as candidate, in need <-> need similarity)."""
    if isinstance(record, Organisation):
        return record.all_cpv_codes
    if isinstance(record, Need):
        return need_cpv_codes(record)
    return record.cpv_codes


def reference_categories(record: Organisation) -> dict[str, int]:
    """How many of an organisation's past references fall in each category.

    References are the profile's `references` and the offers of kind `reference`; a reference
    counts for a category when its title (or an offer's title and description) contains one of
    the category's glossary phrases.
    """
    texts = [reference.title for reference in record.references]
    texts.extend(
        f"{offer.title}\n{offer.description}"
        for offer in record.offers
        if offer.kind == "reference"
    )
    counts: dict[str, int] = {}
    for text in texts:
        for category in _categories_in(text):
            counts[category] = counts.get(category, 0) + 1
    return counts


@lru_cache(maxsize=65_536)
def _categories_in(text: str) -> frozenset[str]:
    return default_glossary().categories_in(text)
