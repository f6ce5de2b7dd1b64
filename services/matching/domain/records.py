"""The records matching works on, built from the catalogue's public JSON documents.

The matching service follows the catalogue change feed (`GET /v1/changes`); each item's `data` is
the catalogue's public document of an `organisation`, `offer`, `need` or `funding_call` (shapes in
API.md, produced by `services/catalogue/api/schemas.py`). This module turns those documents into
frozen dataclasses so the rest of the domain never touches raw JSON:

- `Organisation` (kind `supplier`, `lender`, `municipality`, `partner`), with the supplier's
  offers folded in (`offers`, set by `CatalogueMirror`, see `mirror.py`);
- `Offer` (a supplier's product, service or past reference);
- `Need` (a municipality's project need);
- `FundingCall` (a public funding call);
- `Bankability` (the evaluation service's bankability summary of a need's appraisal).

Conventions of the documents, kept here: ids are ints; money is `{"amount": float, "currency":
"EUR"}` (ISO 4217; amounts in units of the currency); CPV codes are 8-digit strings (a check
digit `-d`, if any, is dropped); NUTS codes are upper case; dates are ISO 8601 (`2027-06-30`;
a datetime string is cut to its date). Optional fields absent from a document (the catalogue
omits empty ones) take empty defaults; contract forms outside the API's list are dropped. A
document without `id` (or `kind` for an organisation) raises `RecordError`; unknown fields are
ignored, so the catalogue can add fields freely.

`Bankability.available` is False when the evaluation service could not be reached: lender DSCR /
IRR constraints are then reported `not_evaluated` (see `constraints.py`). A need without an
appraisal has no `Bankability` at all (`None`): the constraints are `not_applicable`.

Checked by `tests/domain/test_records.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar, Self

from shared.contracts import vocabulary

Key = tuple[str, int]
"""A row of the index: (kind, id), e.g. `("supplier", 17)`, `("need", 4)`."""

ORGANISATION_KINDS = vocabulary.ORGANISATION_KINDS
INDEXED_KINDS = (*ORGANISATION_KINDS, "need", "funding_call")
CATEGORIES = vocabulary.NEED_CATEGORIES
CONTRACT_FORMS = vocabulary.CONTRACT_FORMS


class RecordError(ValueError):
    """A catalogue document that cannot be read as a record (missing id, wrong entity...)."""


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _forms(values: Any) -> tuple[str, ...]:
    # The catalogue validates forms; an unknown one is dropped so both sides compare alike.
    return tuple(form for form in _strings(values) if form in CONTRACT_FORMS)


def _optional_text(value: Any) -> str | None:
    text = _text(value)
    return text or None


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        return ()
    seen: dict[str, None] = {}
    for value in values:
        text = _text(value)
        if text:
            seen.setdefault(text, None)
    return tuple(seen)


def _cpv_codes(values: Any) -> tuple[str, ...]:
    # `34996100-6` -> `34996100`; the catalogue already sends the 8-digit form.
    return tuple(dict.fromkeys(code[:8] for code in _strings(values) if code[:8].isdigit()))


def _nuts_codes(values: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code.upper() for code in _strings(values)))


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return int(number) if number is not None else None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _required_id(data: Mapping[str, Any], entity: str) -> int:
    value = _int(data.get("id"))
    if value is None:
        raise RecordError(f"a {entity} document needs an integer id")
    return value


def _check_entity(entity: str, expected: str) -> None:
    if entity != expected:
        raise RecordError(f"expected a {expected!r} document, got {entity!r}")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in units of an ISO 4217 currency."""

    amount: float
    currency: str

    @classmethod
    def from_document(cls, data: Any) -> Money | None:
        if not isinstance(data, Mapping):
            return None
        amount = _float(data.get("amount"))
        currency = _text(data.get("currency")).upper()
        if amount is None or not currency:
            return None
        return cls(amount=amount, currency=currency)

    def __str__(self) -> str:
        return f"{short_amount(self.amount)} {self.currency}"


@dataclass(frozen=True, slots=True)
class MoneyRange:
    """`{min, max}` in one currency (a supplier's project size, a lender's ticket, a grant)."""

    min: Money
    max: Money

    @property
    def currency(self) -> str:
        return self.min.currency

    @classmethod
    def from_document(cls, data: Any) -> MoneyRange | None:
        if not isinstance(data, Mapping):
            return None
        low, high = Money.from_document(data.get("min")), Money.from_document(data.get("max"))
        if low is None or high is None or low.currency != high.currency:
            return None
        if low.amount > high.amount:
            low, high = high, low
        return cls(min=low, max=high)

    def __str__(self) -> str:
        return f"{short_amount(self.min.amount)}-{short_amount(self.max.amount)} {self.currency}"


@lru_cache(maxsize=65_536)  # explanations repeat the need's budget and common ranges
def short_amount(amount: float) -> str:
    """`1250000` -> `"1.25 M"`: short, for explanations (`Money` adds the currency)."""
    magnitude = abs(amount)
    if magnitude >= 1e9:
        return f"{amount / 1e9:.3g} bn"
    if magnitude >= 1e6:
        return f"{amount / 1e6:.3g} M"
    if magnitude >= 1e3:
        return f"{amount / 1e3:.3g} k"
    return f"{amount:.0f}"


@dataclass(frozen=True, slots=True)
class PastReference:
    """A past project of an organisation: title, city, year, value."""

    title: str
    city: str | None = None
    year: int | None = None
    value: Money | None = None

    @classmethod
    def from_document(cls, data: Any) -> PastReference | None:
        if not isinstance(data, Mapping) or not _text(data.get("title")):
            return None
        return cls(
            title=_text(data.get("title")),
            city=_optional_text(data.get("city")),
            year=_int(data.get("year")),
            value=Money.from_document(data.get("value")),
        )


@dataclass(frozen=True, slots=True)
class Offer:
    """A supplier's offer: `kind` is `product`, `service` or `reference` (a past project)."""

    ENTITY: ClassVar[str] = "offer"

    id: int
    organisation_id: int
    kind: str
    title: str
    description: str = ""
    cpv_codes: tuple[str, ...] = ()
    nuts_codes: tuple[str, ...] = ()
    city: str | None = None
    year: int | None = None

    @classmethod
    def from_document(cls, entity: str, data: Mapping[str, Any]) -> Self:
        _check_entity(entity, cls.ENTITY)
        organisation_id = _int(data.get("organisation_id"))
        if organisation_id is None:
            raise RecordError("an offer document needs an organisation_id")
        return cls(
            id=_required_id(data, entity),
            organisation_id=organisation_id,
            kind=_text(data.get("kind")) or "product",
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            cpv_codes=_cpv_codes(data.get("cpv_codes")),
            nuts_codes=_nuts_codes(data.get("nuts_codes")),
            city=_optional_text(data.get("city")),
            year=_int(data.get("year")),
        )


@dataclass(frozen=True, slots=True)
class Organisation:
    """A supplier, lender, municipality or partner platform, as a matching candidate.

    `offers` holds a supplier's offers (folded in by `CatalogueMirror`); `cpv_codes` and
    `nuts_codes` are the organisation's own declarations, `all_cpv_codes` adds its offers'.
    `project_size` is a supplier's range of project budgets; `ticket`, `instruments`,
    `min_dscr` (x, e.g. 1.3), `target_irr` (decimal, e.g. 0.07) and `max_tenor_years` a lender's.
    """

    ENTITY: ClassVar[str] = "organisation"

    id: int
    kind: str
    name: str
    country: str = ""
    status: str = "active"
    description: str = ""
    capabilities: tuple[str, ...] = ()
    references: tuple[PastReference, ...] = ()
    cpv_codes: tuple[str, ...] = ()
    nuts_codes: tuple[str, ...] = ()
    contract_forms: tuple[str, ...] = ()
    project_size: MoneyRange | None = None
    ticket: MoneyRange | None = None
    instruments: tuple[str, ...] = ()
    min_dscr: float | None = None
    target_irr: float | None = None
    max_tenor_years: int | None = None
    offers: tuple[Offer, ...] = field(default=())

    @classmethod
    def from_document(cls, entity: str, data: Mapping[str, Any]) -> Self:
        _check_entity(entity, cls.ENTITY)
        kind = _text(data.get("kind"))
        if kind not in ORGANISATION_KINDS:
            raise RecordError(f"organisation kind must be one of {ORGANISATION_KINDS}: {kind!r}")
        references = (PastReference.from_document(item) for item in data.get("references") or ())
        return cls(
            id=_required_id(data, entity),
            kind=kind,
            name=_text(data.get("name")),
            country=_text(data.get("country")).upper(),
            status=_text(data.get("status")) or "active",
            description=_text(data.get("description")),
            capabilities=_strings(data.get("capabilities")),
            references=tuple(item for item in references if item is not None),
            cpv_codes=_cpv_codes(data.get("cpv_codes")),
            nuts_codes=_nuts_codes(data.get("nuts_codes")),
            contract_forms=_forms(data.get("contract_forms")),
            project_size=MoneyRange.from_document(data.get("project_size")),
            ticket=MoneyRange.from_document(data.get("ticket")),
            instruments=_strings(data.get("instruments")),
            min_dscr=_float(data.get("min_dscr")),
            target_irr=_float(data.get("target_irr")),
            max_tenor_years=_int(data.get("max_tenor_years")),
        )

    @property
    def key(self) -> Key:
        return (self.kind, self.id)

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def money_range(self) -> MoneyRange | None:
        """The range a need's budget is checked against: project size or ticket."""
        return self.ticket if self.kind == "lender" else self.project_size

    @property
    def all_cpv_codes(self) -> tuple[str, ...]:
        codes = dict.fromkeys(self.cpv_codes)
        for offer in self.offers:
            codes.update(dict.fromkeys(offer.cpv_codes))
        return tuple(codes)

    def with_offers(self, offers: Iterable[Offer]) -> Organisation:
        """A copy with these offers folded in (sorted by id, for deterministic text)."""
        return replace(self, offers=tuple(sorted(offers, key=lambda offer: offer.id)))


@dataclass(frozen=True, slots=True)
class Need:
    """A municipality's project need (`organisation_id` is the municipality).

    `has_appraisal` says whether the need carries an appraisal (template inputs or an appraisal
    id): only then are lender DSCR / IRR thresholds applicable.
    """

    ENTITY: ClassVar[str] = "need"

    id: int
    organisation_id: int
    title: str
    description: str = ""
    category: str = "other"
    cpv_codes: tuple[str, ...] = ()
    nuts_code: str = ""
    budget: Money | None = None
    contract_forms: tuple[str, ...] = ()
    needed_by: date | None = None
    status: str = "open"
    has_appraisal: bool = False
    appraisal_id: str | None = None

    @classmethod
    def from_document(cls, entity: str, data: Mapping[str, Any]) -> Self:
        _check_entity(entity, cls.ENTITY)
        organisation_id = _int(data.get("organisation_id"))
        if organisation_id is None:
            raise RecordError("a need document needs an organisation_id")
        appraisal = data.get("appraisal")
        category = _text(data.get("category"))
        return cls(
            id=_required_id(data, entity),
            organisation_id=organisation_id,
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            category=category if category in CATEGORIES else "other",
            cpv_codes=_cpv_codes(data.get("cpv_codes")),
            nuts_code=_text(data.get("nuts_code")).upper(),
            budget=Money.from_document(data.get("budget")),
            contract_forms=_forms(data.get("contract_forms")),
            needed_by=_date(data.get("needed_by")),
            status=_text(data.get("status")) or "open",
            has_appraisal=isinstance(appraisal, Mapping) and bool(appraisal),
            appraisal_id=(
                _optional_text(appraisal.get("appraisal_id"))
                if isinstance(appraisal, Mapping)
                else None
            ),
        )

    @property
    def key(self) -> Key:
        return ("need", self.id)

    @property
    def is_open(self) -> bool:
        return self.status == "open"


@dataclass(frozen=True, slots=True)
class FundingCall:
    """A public funding call: open from `opens_at` to `closes_at` (both days included)."""

    ENTITY: ClassVar[str] = "funding_call"

    id: int
    title: str
    opens_at: date
    closes_at: date
    organisation_id: int | None = None
    description: str = ""
    programme: str = ""
    categories: tuple[str, ...] = ()
    cpv_codes: tuple[str, ...] = ()
    eligible_nuts: tuple[str, ...] = ()
    grant: MoneyRange | None = None
    co_financing_rate: float | None = None
    eligible_kinds: tuple[str, ...] = ()

    @classmethod
    def from_document(cls, entity: str, data: Mapping[str, Any]) -> Self:
        _check_entity(entity, cls.ENTITY)
        opens_at, closes_at = _date(data.get("opens_at")), _date(data.get("closes_at"))
        if opens_at is None or closes_at is None:
            raise RecordError("a funding_call document needs opens_at and closes_at dates")
        return cls(
            id=_required_id(data, entity),
            title=_text(data.get("title")),
            opens_at=opens_at,
            closes_at=closes_at,
            organisation_id=_int(data.get("organisation_id")),
            description=_text(data.get("description")),
            programme=_text(data.get("programme")),
            categories=tuple(c for c in _strings(data.get("categories")) if c in CATEGORIES),
            cpv_codes=_cpv_codes(data.get("cpv_codes")),
            eligible_nuts=_nuts_codes(data.get("eligible_nuts")),
            grant=MoneyRange.from_document(data.get("grant")),
            co_financing_rate=_float(data.get("co_financing_rate")),
            eligible_kinds=_strings(data.get("eligible_kinds")),
        )

    @property
    def key(self) -> Key:
        return ("funding_call", self.id)


IndexRecord = Organisation | Need | FundingCall
"""What the index holds: every organisation (offers folded in), every need, every call."""


def record_from_document(entity: str, data: Mapping[str, Any]) -> IndexRecord | Offer:
    """Dispatch a change-feed item to the record class of its `entity`."""
    builders: dict[str, Any] = {
        Organisation.ENTITY: Organisation,
        Offer.ENTITY: Offer,
        Need.ENTITY: Need,
        FundingCall.ENTITY: FundingCall,
    }
    builder = builders.get(entity)
    if builder is None:
        raise RecordError(f"unknown entity {entity!r}")
    return builder.from_document(entity, data)


@dataclass(frozen=True, slots=True)
class Bankability:
    """The bankability figures of a need's appraisal (evaluation service), or their absence.

    `min_dscr` and `llcr` are ratios (x); `firr`, `equity_irr` and `funding_gap_rate` decimals
    (0.07 = 7 %); `grade` the evaluation's letter or word, shown as is. `available` is False when
    evaluation could not be reached (`reason` says why): every figure is then None.
    """

    available: bool = True
    min_dscr: float | None = None
    llcr: float | None = None
    firr: float | None = None
    equity_irr: float | None = None
    funding_gap_rate: float | None = None
    grade: str | None = None
    reason: str | None = None

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> Bankability:
        """From the evaluation's bankability summary (`GET /v1/appraisals/{id}/bankability`).

        Figures may sit at the top level or under `results`; missing ones stay None.
        """
        results = data.get("results")
        source: Mapping[str, Any] = results if isinstance(results, Mapping) else data

        def figure(name: str) -> float | None:
            return _float(source.get(name, data.get(name)))

        grade = source.get("grade", data.get("grade"))
        return cls(
            available=True,
            min_dscr=figure("min_dscr"),
            llcr=figure("llcr"),
            firr=figure("firr"),
            equity_irr=figure("equity_irr"),
            funding_gap_rate=figure("funding_gap_rate"),
            grade=str(grade) if grade is not None else None,
        )

    @classmethod
    def unavailable(cls, reason: str = "the evaluation service could not be reached") -> Self:
        return cls(available=False, reason=reason)
