"""A small bilingual (Italian / English) glossary of the programme's categories, used at analysis.

Why: the CPV list has English labels only and many municipalities write in Italian, while many
suppliers write only English. Before a text is vectorised (`TextIndex.analyse`) it is expanded
with canonical English terms for every glossary phrase it contains, on both sides (candidate
profiles and queries), so "Riqualificazione dell'illuminazione pubblica" and "LED street lighting
retrofit" share the tokens `public lighting`, `street lighting`, `lighting`, `retrofit`.

Two kinds of entries:

- `CategoryTerms`, one per need category (`public_lighting`, `traffic_lights`, ...): English and
  Italian phrases that signal the category, the canonical English terms appended when one is
  found, and representative CPV codes. A need's CPV family (`profiles.need_cpv_codes`) is its
  declared codes plus its category's representative codes, which is how a need without CPV codes
  still meets suppliers by CPV. A candidate's references are counted per category by these
  phrases (`categories_in`), which feeds the "past references in the same category" signal.
- `TRANSLATIONS`: frequent Italian words of the domain with their English equivalents
  ("manutenzione" -> "maintenance").

Matching rules. Texts are lower-cased and accent-folded (the same `strip_accents_unicode` the
vectorizer uses) before matching. A phrase's words may be joined by spaces, hyphens, slashes,
underscores, apostrophes or nothing, so "street light" also finds "streetlight" and
"street-light", "illuminazione pubblica" finds "illuminazionepubblica". A word ending in `*` is a
stem ("lampion*" finds "lampione", "lampioni"). Matches are whole words and do not overlap; at a
given position the longest phrase wins. Expansion appends each canonical term once, after the
original text, which is kept unchanged.

Checked by `tests/domain/test_glossary.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sklearn.feature_extraction.text import strip_accents_unicode


@dataclass(frozen=True, slots=True)
class CategoryTerms:
    """One need category: its English label, signalling phrases, canonical terms, CPV codes."""

    category: str
    label: str
    canonical: str
    phrases: tuple[str, ...]
    cpv_codes: tuple[str, ...]


CATEGORY_TERMS: tuple[CategoryTerms, ...] = (
    CategoryTerms(
        category="public_lighting",
        label="public lighting",
        canonical="public lighting street lighting",
        phrases=(
            "public lighting",
            "street light*",
            "road lighting",
            "street lamp*",
            "lamppost*",
            "lamp post*",
            "outdoor lighting",
            "illuminazione pubblica",
            "pubblica illuminazione",
            "illuminazione stradale",
            "illuminazione urbana",
            "impianti di illuminazione",
            "impianto di illuminazione",
            "lampion*",
            "punti luce",
            "corpi illuminanti",
        ),
        cpv_codes=("34928500", "34928530", "50232100", "45316110", "31527260"),
    ),
    CategoryTerms(
        category="traffic_lights",
        label="traffic lights",
        canonical="traffic lights traffic signals",
        phrases=(
            "traffic light*",
            "traffic signal*",
            "signalised junction*",
            "semafor*",
            "impianti semaforici",
            "lanterne semaforiche",
            "regolazione del traffico",
        ),
        cpv_codes=("34996100", "45316212", "50232200", "34923000", "34970000"),
    ),
    CategoryTerms(
        category="building_efficiency",
        label="building energy efficiency",
        canonical="building energy efficiency retrofit",
        phrases=(
            "energy efficiency",
            "energy efficient",
            "energy retrofit*",
            "building retrofit*",
            "deep renovation",
            "thermal insulation",
            "energy performance contract*",
            "heat pump*",
            "efficienza energetica",
            "efficientamento energetico",
            "riqualificazione energetica",
            "risparmio energetico",
            "isolamento termico",
            "cappotto termico",
            "pomp* di calore",
            "prestazione energetica",
        ),
        cpv_codes=("45321000", "71314300", "45331000", "09332000", "71314200"),
    ),
    CategoryTerms(
        category="urban_freight_logistics",
        label="urban freight logistics",
        canonical="urban freight logistics consolidation centre",
        phrases=(
            "urban freight",
            "city logistics",
            "urban logistics",
            "freight consolidation",
            "consolidation cent*",
            "last mile deliver*",
            "last mile logistics",
            "cargo bike*",
            "logistica urbana",
            "city logistic*",
            "centro di consolidamento",
            "centri di consolidamento",
            "distribuzione urbana delle merci",
            "distribuzione delle merci",
            "ultimo miglio",
        ),
        cpv_codes=("60161000", "63120000", "63521000", "64121200"),
    ),
    CategoryTerms(
        category="car_pooling",
        label="car pooling",
        canonical="car pooling ride sharing",
        phrases=(
            "car pool*",
            "ride shar*",
            "ride pool*",
            "car shar*",
            "shared mobility",
            "mobilita condivisa",
            "auto condivisa",
            "passaggi condivisi",
        ),
        cpv_codes=("34110000", "60140000", "60171000", "72212100"),
    ),
    CategoryTerms(
        category="smart_grid",
        label="smart grid",
        canonical="smart grid smart metering",
        phrases=(
            "smart grid*",
            "smart meter*",
            "energy storage",
            "demand response",
            "microgrid*",
            "rete intelligente",
            "reti intelligenti",
            "rete elettrica intelligente",
            "contatori intelligenti",
            "contatore intelligente",
            "contatori elettronici",
            "accumulo di energia",
            "sistemi di accumulo",
        ),
        cpv_codes=("38551000", "38554000", "65300000", "31682540", "45315300"),
    ),
    CategoryTerms(
        category="digital_mobility",
        label="digital mobility",
        canonical="digital mobility passenger information",
        phrases=(
            "digital mobility",
            "mobility as a service",
            "journey planner*",
            "passenger information",
            "real time information",
            "smart parking",
            "parking sensor*",
            "electronic ticketing",
            "mobilita digitale",
            "infomobilita",
            "informazione all utenza",
            "bigliettazione elettronica",
            "sensori di parcheggio",
            "parcheggi intelligenti",
        ),
        cpv_codes=("48813200", "32441300", "63712400", "30144200"),
    ),
    CategoryTerms(
        category="urban_safety",
        label="urban safety",
        canonical="urban safety video surveillance",
        phrases=(
            "video surveillance",
            "videosurveillance",
            "cctv",
            "security camera*",
            "urban safety",
            "public safety",
            "urban security",
            "videosorveglianza",
            "video sorveglianza",
            "sicurezza urbana",
            "telecamer*",
            "sorveglianza",
        ),
        cpv_codes=("32323500", "35125300", "32235000", "79714000"),
    ),
    CategoryTerms(
        category="operation_centre",
        label="operation centre",
        canonical="operation centre control room",
        phrases=(
            "operation* cent*",
            "control room*",
            "control cent*",
            "command and control",
            "centrale operativa",
            "centrali operative",
            "sala operativa",
            "sala controllo",
            "sala di controllo",
            "centro di controllo",
            "centro operativo",
        ),
        cpv_codes=("35711000", "32441200", "48800000", "48921000"),
    ),
)

TRANSLATIONS: dict[str, str] = {
    "riqualificazion*": "retrofit upgrade",
    "ammodernament*": "modernisation upgrade",
    "sostituzion*": "replacement",
    "tecnologi*": "technology",
    "manutenzion*": "maintenance",
    "gestion*": "management",
    "fornitur*": "supply",
    "installazion*": "installation",
    "progettazion*": "design",
    "realizzazion*": "construction delivery",
    "illuminazion*": "lighting",
    "lampad*": "lamps",
    "sensori": "sensors",
    "edifici*": "buildings",
    "scuol*": "schools",
    "energi*": "energy",
    "energetic*": "energy",
    "elettric*": "electric",
    "consum*": "consumption",
    "emission*": "emissions",
    "monitoraggi*": "monitoring",
    "piattaform*": "platform",
    "traffico": "traffic",
    "parchegg*": "parking",
    "veicol*": "vehicles",
    "ricaric*": "charging",
    "colonnin*": "charging stations",
    "fotovoltaic*": "photovoltaic solar",
    "pannelli solari": "solar panels",
    "trasporto pubblico": "public transport",
    "mobilita": "mobility",
    "sicurezza": "safety security",
    "citta": "city",
    "comune": "municipality",
    "comuni": "municipalities",
    "comunale": "municipal",
    "comunali": "municipal",
    "intelligent*": "smart",
    "dati": "data",
    "rete": "network",
    "reti": "networks",
    "merci": "freight goods",
    "consegn*": "deliveries",
    "magazzin*": "warehouse",
    "controllo": "control",
    "risparmio": "savings",
    "servizi*": "services",
    "impiant*": "installations",
    "stradal*": "road",
    "strade": "roads",
    "pubblic*": "public",
    "urbano": "urban",
    "urbana": "urban",
    "urbani": "urban",
    "urbane": "urban",
    "riscaldamento": "heating",
    "raffrescamento": "cooling",
    "caldai*": "boilers",
    "finanziament*": "financing",
    "contratto di rendimento energetico": "energy performance contract",
    "partenariato pubblico privato": "public private partnership",
    "finanza di progetto": "project finance",
    "concessione": "concession",
    "concessioni": "concessions",
    "appalt*": "procurement tender",
}
"""Frequent Italian words of the domain -> English (stems with `*`, see the module docstring)."""

CATEGORY_BY_NAME: dict[str, CategoryTerms] = {terms.category: terms for terms in CATEGORY_TERMS}
_SEPARATOR = r"[\s\-_/'\u2019]*"
_WORD = re.compile(r"\w+")
_PREFIX = 3


def fold(text: str) -> str:
    """Lower case and accents removed, as the vectorizer sees text: "Città" -> "citta"."""
    return strip_accents_unicode(text.lower())


def _phrase_pattern(phrase: str) -> str:
    parts = []
    for word in fold(phrase).split():
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word))
    return _SEPARATOR.join(parts)


@dataclass(frozen=True, slots=True)
class GlossaryMatch:
    """One phrase found in a text: where, what, and the English it stands for."""

    start: int
    end: int
    text: str
    english: str
    category: str | None


class Glossary:
    """The compiled glossary. Immutable after construction and safe to share between threads.

    Speed: rather than one alternation tried at every character, entries are grouped by the
    first three letters of their first word; the text's words are scanned once and only a word
    whose first three letters start some entry tries that group's expression (alternatives
    longest first). About 20 µs for a 400-character profile.
    """

    def __init__(
        self,
        categories: tuple[CategoryTerms, ...] = CATEGORY_TERMS,
        translations: dict[str, str] | None = None,
    ) -> None:
        entries: list[tuple[str, str, str | None]] = []
        for terms in categories:
            entries.extend((phrase, terms.canonical, terms.category) for phrase in terms.phrases)
        for phrase, english in (translations if translations is not None else TRANSLATIONS).items():
            entries.append((phrase, english, None))
        # Longest literal first, so "illuminazione pubblica" wins over "illuminazion*".
        entries.sort(key=lambda entry: (-len(entry[0].replace("*", "")), entry[0]))
        self._entries = tuple(entries)
        groups: dict[str, list[str]] = {}
        for number, (phrase, _, _) in enumerate(entries):
            first = fold(phrase).split()[0].rstrip("*")
            if len(first) < _PREFIX:
                raise ValueError(f"glossary phrase {phrase!r}: first word shorter than {_PREFIX}")
            groups.setdefault(first[:_PREFIX], []).append(
                f"(?P<g{number}>{_phrase_pattern(phrase)})"
            )
        self._by_prefix = {
            prefix: re.compile(r"(?:" + "|".join(alternatives) + r")\b")
            for prefix, alternatives in groups.items()
        }
        self.categories = {terms.category: terms for terms in categories}

    def matches(self, text: str) -> list[GlossaryMatch]:
        """The glossary phrases in `text` (folded first), in order of appearance."""
        folded = fold(text)
        found: list[GlossaryMatch] = []
        consumed = 0
        for word in _WORD.finditer(folded):
            if word.start() < consumed:
                continue
            pattern = self._by_prefix.get(word.group()[:_PREFIX])
            if pattern is None:
                continue
            hit = pattern.match(folded, word.start())
            if hit is None:
                continue
            _, english, category = self._entries[int((hit.lastgroup or "g0")[1:])]
            found.append(GlossaryMatch(hit.start(), hit.end(), hit.group(), english, category))
            consumed = hit.end()
        return found

    def categories_in(self, text: str) -> frozenset[str]:
        """The categories whose phrases occur in `text`."""
        return frozenset(m.category for m in self.matches(text) if m.category is not None)

    def english_terms(self, text: str) -> list[str]:
        """The canonical English terms for `text`, each once, in order of first appearance."""
        return list(dict.fromkeys(match.english for match in self.matches(text)))

    def expand(self, text: str) -> str:
        """`text` followed by the English terms of the glossary phrases it contains."""
        terms = self.english_terms(text)
        return f"{text}\n{' '.join(terms)}" if terms else text


@cache
def default_glossary() -> Glossary:
    """The shared compiled glossary (compiled once per process)."""
    return Glossary()


def category_label(category: str) -> str:
    """English label of a category: `public_lighting` -> "public lighting"."""
    terms = CATEGORY_BY_NAME.get(category)
    return terms.label if terms is not None else category.replace("_", " ")


def category_cpv_codes(category: str) -> tuple[str, ...]:
    """The category's representative CPV codes (none for `other`)."""
    terms = CATEGORY_BY_NAME.get(category)
    return terms.cpv_codes if terms is not None else ()
