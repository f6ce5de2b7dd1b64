"""Keyword-default builders of matching records, made from catalogue-shaped JSON documents.

Every builder goes through `from_document`, so the tests exercise the same parsing as the feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.matching.domain import FundingCall, Need, Offer, Organisation

TODAY = date(2026, 11, 25)


def eur(amount: float, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def money_range(low: float, high: float, currency: str = "EUR") -> dict[str, Any]:
    return {"min": eur(low, currency), "max": eur(high, currency)}


def organisation(
    id: int,
    kind: str,
    *,
    name: str = "",
    country: str = "IT",
    status: str = "active",
    description: str = "",
    capabilities: Sequence[str] = (),
    references: Sequence[dict[str, Any]] = (),
    cpv: Sequence[str] = (),
    nuts: Sequence[str] = (),
    forms: Sequence[str] = (),
    **extra: Any,
) -> Organisation:
    document = {
        "id": id,
        "kind": kind,
        "name": name or f"{kind} {id}",
        "country": country,
        "status": status,
        "description": description,
        "capabilities": list(capabilities),
        "references": list(references),
        "cpv_codes": list(cpv),
        "nuts_codes": list(nuts),
        "contract_forms": list(forms),
        **extra,
    }
    return Organisation.from_document("organisation", document)


def supplier(
    id: int = 1,
    *,
    size: tuple[float, float] | None = None,
    currency: str = "EUR",
    offers: Sequence[Offer] = (),
    **fields: Any,
) -> Organisation:
    extra = {"project_size": money_range(*size, currency)} if size else {}
    record = organisation(id, "supplier", **fields, **extra)
    return record.with_offers(offers) if offers else record


def lender(
    id: int = 50,
    *,
    ticket: tuple[float, float] | None = (1e6, 5e7),
    currency: str = "EUR",
    min_dscr: float | None = None,
    target_irr: float | None = None,
    instruments: Sequence[str] = ("senior_debt",),
    **fields: Any,
) -> Organisation:
    extra: dict[str, Any] = {"instruments": list(instruments)}
    if ticket:
        extra["ticket"] = money_range(*ticket, currency)
    if min_dscr is not None:
        extra["min_dscr"] = min_dscr
    if target_irr is not None:
        extra["target_irr"] = target_irr
    return organisation(id, "lender", **fields, **extra)


def municipality(id: int = 900, *, nuts: Sequence[str] = ("ITC11",), **fields: Any) -> Organisation:
    return organisation(id, "municipality", nuts=nuts, **fields)


def offer(
    id: int,
    organisation_id: int,
    *,
    kind: str = "product",
    title: str = "Offer",
    description: str = "",
    cpv: Sequence[str] = (),
) -> Offer:
    return Offer.from_document(
        "offer",
        {
            "id": id,
            "organisation_id": organisation_id,
            "kind": kind,
            "title": title,
            "description": description,
            "cpv_codes": list(cpv),
        },
    )


def need(
    id: int = 100,
    *,
    organisation_id: int = 900,
    title: str = "Riqualificazione dell'illuminazione pubblica con tecnologia LED",
    description: str = "",
    category: str = "public_lighting",
    cpv: Sequence[str] = (),
    nuts: str = "ITC11",
    budget: float | None = 1_200_000,
    currency: str = "EUR",
    forms: Sequence[str] = (),
    needed_by: str | None = "2027-06-30",
    status: str = "open",
    appraisal: bool = False,
) -> Need:
    document: dict[str, Any] = {
        "id": id,
        "organisation_id": organisation_id,
        "title": title,
        "description": description,
        "category": category,
        "cpv_codes": list(cpv),
        "nuts_code": nuts,
        "budget": eur(budget, currency) if budget is not None else None,
        "contract_forms": list(forms),
        "needed_by": needed_by,
        "status": status,
    }
    if appraisal:
        document["appraisal"] = {"appraisal_id": f"apr-{id}"}
    return Need.from_document("need", document)


def call(
    id: int = 300,
    *,
    title: str = "Public lighting efficiency call",
    description: str = "",
    opens: str = "2026-01-01",
    closes: str = "2027-12-31",
    categories: Sequence[str] = ("public_lighting",),
    cpv: Sequence[str] = (),
    nuts: Sequence[str] = (),
    kinds: Sequence[str] = ("municipality",),
    grant: tuple[float, float] | None = None,
    rate: float | None = None,
) -> FundingCall:
    document: dict[str, Any] = {
        "id": id,
        "title": title,
        "description": description,
        "opens_at": opens,
        "closes_at": closes,
        "categories": list(categories),
        "cpv_codes": list(cpv),
        "eligible_nuts": list(nuts),
        "eligible_kinds": list(kinds),
        "co_financing_rate": rate,
    }
    if grant:
        document["grant"] = money_range(*grant)
    return FundingCall.from_document("funding_call", document)


def led_supplier(id: int = 1, **fields: Any) -> Organisation:
    """An English-only LED street lighting supplier covering Italy."""
    defaults: dict[str, Any] = {
        "name": "Lumen Street Lighting Ltd",
        "description": "We design and install LED street lighting retrofits for cities, "
        "with remote monitoring and maintenance.",
        "capabilities": ["LED street lighting", "lighting controls"],
        "references": [{"title": "Street lighting upgrade in Bristol", "year": 2021}],
        "cpv": ["34928500"],
        "nuts": ["IT"],
        "size": (200_000, 5_000_000),
    }
    defaults.update(fields)
    return supplier(id, **defaults)


def distractors() -> list[Organisation]:
    """Suppliers that should rank below an LED street lighting specialist for a lighting need."""
    return [
        supplier(
            2,
            name="Semafori Srl",
            description="Impianti semaforici e regolazione del traffico",
            capabilities=["semafori a LED"],
            cpv=["34996100"],
            nuts=["ITC"],
        ),
        supplier(
            3,
            name="Efficienza Edifici Spa",
            description="Riqualificazione energetica di edifici pubblici, cappotto termico",
            capabilities=["efficienza energetica"],
            cpv=["45321000"],
            nuts=["ITC"],
        ),
        supplier(
            4,
            name="CleanCity",
            description="Street cleaning and waste collection services for municipalities",
            capabilities=["street sweeping"],
            cpv=["90610000"],
            nuts=["IT"],
        ),
        supplier(
            5,
            name="Parking Apps",
            description="Smart parking sensors and mobile payment for public car parks",
            capabilities=["parking sensors"],
            cpv=["48813200"],
            nuts=["IT"],
        ),
    ]
