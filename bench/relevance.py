"""Ranking quality on the team's labelled relevance set: nDCG@10 and recall@10 per direction.

    uv run python bench/relevance.py [--set bench/relevance_set.json] [--verbose]

The set (`relevance_set.json`) is a fixed hand-written catalogue (suppliers, lenders, funding
calls and municipalities, with offers) and needs in Italian and English with spelling variants
("illuminazionepubblica", "street-light", "streetlights", "trafic lights"...), each labelled
with the candidates that should come first: 2 = should be first, 1 = relevant (the file's
`labelling` says exactly what each grade means). Every CPV and NUTS code is validated against
the shipped lists on loading (`normalise_cpv`; `normalise_nuts` and the 2024 edition).

The documents go through `CatalogueMirror` as change-feed upserts and the index is built from
the mirror with `TextIndex.build`, as the matching service does; every query is then ranked
with `rank_for_need` for suppliers, lenders and funding calls (with the query's bankability
figures where it has an appraisal, on the set's fixed `today`). Printed per direction:

- nDCG@10 with gain 2^grade - 1 and discount 1 / log2(1 + rank), the ideal ordering taken
  over every labelled candidate of the query; recall@10 = labelled candidates in the top 10 /
  labelled candidates. Queries without a labelled candidate in a direction are left out of it.
- the share of returned results that break a hard constraint: each returned result's
  `constraints` list is re-checked and any `failed` status counts. It must be 0.0 %.
- the same for a text-only baseline (`TextIndex.top_k` on the need's TF-IDF vector, no
  constraints, no CPV or budget scoring), whose results are assessed with `assess_pair` to count
  the hard constraints they break, so the value of constraints + CPV + glossary is visible.

A label check lists labelled candidates that a hard constraint excludes (by the labelling rules
they should not be labelled: either the label or the constraint is wrong). `--verbose` prints
every ranking with its grades and, for each labelled candidate missed, its why-not answer.
Exits 1 if any returned result breaks a hard constraint.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from services.matching.domain import (
    Bankability,
    CatalogueMirror,
    Key,
    Need,
    TextIndex,
    assess_pair,
    rank_for_need,
    why_not,
)
from shared.reference.cpv import normalise_cpv
from shared.reference.nuts import CURRENT_EDITION, nuts_entry

DEFAULT_SET = Path(__file__).with_name("relevance_set.json")
DIRECTIONS = ("supplier", "lender", "funding_call")
K = 10
GRADES = (1, 2)


class SetError(ValueError):
    """The relevance set is malformed (unknown code, unknown ref, bad grade...)."""


# --- loading -----------------------------------------------------------------------------------


def _check_cpv(codes: Iterable[str], where: str) -> None:
    for code in codes:
        try:
            if normalise_cpv(code) != code:
                raise SetError(f"{where}: write CPV {code!r} in its 8-digit form")
        except LookupError as exc:
            raise SetError(f"{where}: {exc}") from exc


def _check_nuts(codes: Iterable[str], where: str) -> None:
    for code in codes:
        try:
            entry = nuts_entry(code)
        except LookupError as exc:
            raise SetError(f"{where}: {exc}") from exc
        if entry.code != code or entry.edition != CURRENT_EDITION:
            raise SetError(f"{where}: {code!r} is not a NUTS {CURRENT_EDITION} code as written")


@dataclass(frozen=True)
class Query:
    ref: str
    language: str
    variant: str
    need: Need
    bankability: Bankability | None
    relevant: Mapping[str, Mapping[Key, int]]


@dataclass
class RelevanceSet:
    today: date
    index: TextIndex
    queries: list[Query]
    names: dict[Key, str]
    counts: dict[str, int]
    build_seconds: float


def load_set(path: Path) -> RelevanceSet:
    """Validate the file, feed it through a `CatalogueMirror`, build the index."""
    data = json.loads(path.read_text(encoding="utf-8"))
    today = date.fromisoformat(data["today"])
    keys: dict[str, Key] = {}
    names: dict[Key, str] = {}
    changes: list[tuple[str, int, str, dict[str, Any]]] = []

    def register(ref: str, key: Key, name: str) -> None:
        if ref in keys:
            raise SetError(f"ref {ref!r} is used twice")
        keys[ref] = key
        names[key] = f"{name} [{ref}]"

    def strip(document: Mapping[str, Any], *drop: str) -> dict[str, Any]:
        return {k: v for k, v in document.items() if k not in ("ref", *drop)}

    for number, document in enumerate(data["organisations"], start=1):
        where = f"organisation {document['ref']}"
        _check_cpv(document.get("cpv_codes", ()), where)
        _check_nuts(document.get("nuts_codes", ()), where)
        register(document["ref"], (document["kind"], number), document["name"])
        changes.append(("organisation", number, "upsert", strip(document)))
    organisation_ids = {ref: key[1] for ref, key in keys.items()}

    for number, document in enumerate(data["offers"], start=1):
        where = f"offer {document['ref']}"
        _check_cpv(document.get("cpv_codes", ()), where)
        _check_nuts(document.get("nuts_codes", ()), where)
        owner = organisation_ids[document["organisation"]]
        body = {**strip(document, "organisation"), "organisation_id": owner}
        changes.append(("offer", number, "upsert", body))

    for number, document in enumerate(data["funding_calls"], start=1):
        where = f"funding call {document['ref']}"
        _check_cpv(document.get("cpv_codes", ()), where)
        _check_nuts(document.get("eligible_nuts", ()), where)
        register(document["ref"], ("funding_call", number), document["title"])
        changes.append(("funding_call", number, "upsert", strip(document)))

    pending: list[tuple[dict[str, Any], int]] = []
    for number, query in enumerate(data["queries"], start=1):
        document = query["need"]
        where = f"query {query['ref']}"
        _check_cpv(document.get("cpv_codes", ()), where)
        _check_nuts([document["nuts_code"]], where)
        if keys[document["organisation"]][0] != "municipality":
            raise SetError(f"{where}: the need's organisation must be a municipality")
        body = {
            **strip(document, "organisation"),
            "organisation_id": organisation_ids[document["organisation"]],
        }
        changes.append(("need", number, "upsert", body))
        pending.append((query, number))

    started = time.perf_counter()
    mirror = CatalogueMirror()
    for entity, record_id, op, body in changes:
        mirror.apply(entity, record_id, op, body)
    index = TextIndex.build(mirror.index_records())
    build_seconds = time.perf_counter() - started

    queries = []
    for query, number in pending:
        need = mirror.need(number)
        assert need is not None
        relevant: dict[str, dict[Key, int]] = {}
        for direction in DIRECTIONS:
            labels: dict[Key, int] = {}
            for ref, grade in query["relevant"].get(direction, {}).items():
                key = keys.get(ref)
                if key is None or key[0] != direction:
                    raise SetError(f"query {query['ref']}: {ref!r} is not a {direction}")
                if grade not in GRADES:
                    raise SetError(f"query {query['ref']}: grade of {ref} must be 1 or 2")
                labels[key] = grade
            relevant[direction] = labels
        figures = query.get("bankability")
        queries.append(
            Query(
                ref=query["ref"],
                language=query["language"],
                variant=query.get("variant", ""),
                need=need,
                bankability=Bankability.from_document(figures) if figures else None,
                relevant=relevant,
            )
        )
    counts: dict[str, int] = {}
    for kind, _id in keys.values():
        counts[kind] = counts.get(kind, 0) + 1
    counts["offer"] = len(data["offers"])
    counts["need"] = len(queries)
    return RelevanceSet(today, index, queries, names, counts, build_seconds)


# --- metrics -----------------------------------------------------------------------------------


def dcg(grades: Sequence[int]) -> float:
    return sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(grades, start=1))


def ndcg_at_k(ranked: Sequence[Key], labels: Mapping[Key, int], k: int = K) -> float:
    ideal = dcg(sorted(labels.values(), reverse=True)[:k])
    return dcg([labels.get(key, 0) for key in ranked[:k]]) / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[Key], labels: Mapping[Key, int], k: int = K) -> float:
    found = sum(1 for key in ranked[:k] if key in labels)
    return found / len(labels) if labels else 0.0


@dataclass
class Tally:
    """One method's figures in one direction."""

    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    by_language: dict[str, list[float]] = field(default_factory=dict)
    returned: int = 0
    broken: int = 0
    seconds: float = 0.0

    def add(self, query: Query, ranked: Sequence[Key], labels: Mapping[Key, int]) -> None:
        if not labels:
            return
        value = ndcg_at_k(ranked, labels)
        self.ndcg.append(value)
        self.recall.append(recall_at_k(ranked, labels))
        self.by_language.setdefault(query.language, []).append(value)

    @property
    def broken_share(self) -> float:
        return self.broken / self.returned if self.returned else 0.0


def _mean(values: Sequence[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


# --- evaluation --------------------------------------------------------------------------------


def evaluate(data: RelevanceSet, *, verbose: bool) -> tuple[dict[str, Tally], dict[str, Tally]]:
    full = {direction: Tally() for direction in DIRECTIONS}
    text = {direction: Tally() for direction in DIRECTIONS}
    index = data.index
    for query in data.queries:
        need = query.need
        if verbose:
            print(f"\n== {query.ref} ({query.language}; {query.variant}): {need.title}")
        for direction in DIRECTIONS:
            labels = query.relevant[direction]

            started = time.perf_counter()
            matches = rank_for_need(
                index,
                need,
                direction,
                today=data.today,
                bankability=query.bankability,
                limit=K,
            )
            full[direction].seconds += time.perf_counter() - started
            ranked = [match.candidate for match in matches]
            for match in matches:
                shown = match.to_dict()
                failed = [c for c in shown["constraints"] if c["status"] == "failed"]
                wrong_kind = shown["candidate_kind"] != direction
                full[direction].returned += 1
                if failed or wrong_kind:
                    full[direction].broken += 1
                    print(
                        f"BROKEN: {query.ref} -> {direction} {data.names[match.candidate]}: "
                        f"{failed or 'wrong kind ' + shown['candidate_kind']}"
                    )
            full[direction].add(query, ranked, labels)

            started = time.perf_counter()
            hits = index.top_k(index.query_vector(need), direction, K)
            text[direction].seconds += time.perf_counter() - started
            text_ranked = [key for key, _score in hits]
            for key in text_ranked:
                record = index.get(key)
                assert record is not None
                pair = assess_pair(
                    index, need, record, today=data.today, bankability=query.bankability
                )
                text[direction].returned += 1
                text[direction].broken += 0 if pair.eligible else 1
            text[direction].add(query, text_ranked, labels)

            if verbose:
                _print_ranking(data, query, direction, ranked, text_ranked)
    return full, text


def _print_ranking(
    data: RelevanceSet,
    query: Query,
    direction: str,
    ranked: Sequence[Key],
    text_ranked: Sequence[Key],
) -> None:
    labels = query.relevant[direction]
    if not labels and not ranked:
        return
    if labels:
        print(
            f"  {direction}: nDCG@10 {ndcg_at_k(ranked, labels):.3f} "
            f"(text only {ndcg_at_k(text_ranked, labels):.3f})"
        )
    else:
        print(f"  {direction}: no labelled candidate (not scored)")
    for rank, key in enumerate(ranked, start=1):
        grade = labels.get(key)
        print(f"    {rank:2d}. {'[' + str(grade) + ']' if grade else '   '} {data.names[key]}")
    for key in labels:
        if key in ranked:
            continue
        answer = why_not(
            data.index,
            query.need,
            direction,
            key[1],
            today=data.today,
            bankability=query.bankability,
        )
        if answer.excluded_by:
            reason = "excluded by " + "; ".join(
                f"{check.name} ({check.detail})" for check in answer.excluded_by
            )
        else:
            held = answer.held_down_by
            reason = f"rank {answer.rank}" + (
                f", held down by {held.component} (gap {held.gap:.3f})" if held else ""
            )
        print(f"     missed [{labels[key]}] {data.names[key]}: {reason}")


def label_check(data: RelevanceSet) -> list[str]:
    """Labelled candidates that a hard constraint excludes (see the module docstring)."""
    problems = []
    for query in data.queries:
        for direction in DIRECTIONS:
            for key, grade in query.relevant[direction].items():
                record = data.index.get(key)
                assert record is not None
                pair = assess_pair(
                    data.index,
                    query.need,
                    record,
                    today=data.today,
                    bankability=query.bankability,
                )
                if not pair.eligible:
                    failed = ", ".join(f"{c.name}: {c.detail}" for c in pair.failed)
                    problems.append(
                        f"{query.ref} -> {direction} {data.names[key]} [{grade}]: {failed}"
                    )
    return problems


# --- report ------------------------------------------------------------------------------------


def _row(tally: Tally) -> str:
    return (
        f"{_mean(tally.ndcg):7.3f}  {_mean(tally.recall):9.3f}  "
        f"{tally.returned:7d}  {tally.broken_share:7.1%}"
    )


def report(data: RelevanceSet, full: dict[str, Tally], text: dict[str, Tally]) -> None:
    counts = data.counts
    languages: dict[str, int] = {}
    for query in data.queries:
        languages[query.language] = languages.get(query.language, 0) + 1
    print(
        f"relevance set: {len(data.queries)} queries ("
        + ", ".join(f"{n} {lang}" for lang, n in sorted(languages.items()))
        + f"); catalogue {counts.get('supplier', 0)} suppliers, {counts.get('lender', 0)} "
        f"lenders, {counts.get('funding_call', 0)} funding calls, "
        f"{counts.get('municipality', 0)} municipalities, {counts['offer']} offers; "
        f"today {data.today.isoformat()}"
    )
    print(
        f"index: {data.index.count()} records, {data.index.vocabulary_size} terms, "
        f"built through CatalogueMirror + TextIndex.build in {data.build_seconds * 1000:.0f} ms"
    )
    print()
    head = "nDCG@10  recall@10  results   broken"
    print(f"{'':14s}{'':9s}{'full match (rank_for_need)':<45s}{'text only (TextIndex.top_k)'}")
    print(f"{'direction':14s}{'queries':>7s}  {head}     {head}")
    for direction in DIRECTIONS:
        queries = len(full[direction].ndcg)
        print(f"{direction:14s}{queries:7d}  {_row(full[direction])}     {_row(text[direction])}")

    def overall(tallies: dict[str, Tally]) -> str:
        ndcg = _mean([_mean(t.ndcg) for t in tallies.values()])
        recall = _mean([_mean(t.recall) for t in tallies.values()])
        returned = sum(t.returned for t in tallies.values())
        broken = sum(t.broken for t in tallies.values())
        share = broken / returned if returned else 0.0
        return f"{ndcg:7.3f}  {recall:9.3f}  {returned:7d}  {share:7.1%}"

    print(f"{'mean of dirs':14s}{'':7s}  {overall(full)}     {overall(text)}")
    print()
    print("nDCG@10 by language of the need (full / text only):")
    for language in sorted(languages):
        cells = []
        for direction in DIRECTIONS:
            mine = _mean(full[direction].by_language.get(language, []))
            base = _mean(text[direction].by_language.get(language, []))
            n = len(full[direction].by_language.get(language, []))
            cells.append(f"{direction} {mine:.3f} / {base:.3f} (n={n})")
        print(f"  {language}: " + "; ".join(cells))
    ms = sum(t.seconds for t in full.values()) * 1000
    calls = len(data.queries) * len(DIRECTIONS)
    print(f"\nranking time: {ms:.0f} ms for {calls} rank_for_need calls ({ms / calls:.2f} ms each)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the relevance set (JSON)")
    parser.add_argument("--verbose", action="store_true", help="print every ranking")
    args = parser.parse_args()

    try:
        data = load_set(args.set)
    except (SetError, KeyError) as exc:
        print(f"relevance set {args.set}: {exc}", file=sys.stderr)
        return 2
    full, text = evaluate(data, verbose=args.verbose)
    if args.verbose:
        print()
    report(data, full, text)

    problems = label_check(data)
    print(f"\nlabel check: {len(problems)} labelled candidate(s) excluded by a hard constraint")
    for problem in problems:
        print(f"  {problem}")

    broken = sum(t.broken for t in full.values())
    returned = sum(t.returned for t in full.values())
    if broken:
        print(f"\nFAIL: {broken} of {returned} returned results break a hard constraint")
        return 1
    print(f"\nOK: none of the {returned} returned results breaks a hard constraint")
    return 0


if __name__ == "__main__":
    sys.exit(main())
