"""Mapping one compiled OCDS release to catalogue documents: a need and its organisations.

The model. A compiled release (see `ocds_merge`) describes one contracting process. Its tender
becomes a *need* of the buyer, in the catalogue's vocabulary (API.md):

- `title`: `tender.title`; else the start of `tender.description` (ANAC publishes no titles);
  neither → rejected.
- `description`: `tender.description` (at most 10,000 characters).
- `cpv_codes`: the items' `classification` and `additionalClassifications` of scheme `CPV`
  (check digit optional; a spreadsheet's `45233130.0` read as `45233130`); none is fine (the
  need model allows it); an unknown code is left out with a warning.
- `category`: the programme category of the first CPV code at or below one in `CATEGORY_CPV`,
  else words of the title (`CATEGORY_WORDS`), else `other`.
- `nuts_code` (required by the need model): a NUTS gazetteer of an item's `deliveryLocation`;
  else an item's `deliveryAddress`, then the buyer's address, whose region or locality is the
  name of a NUTS region of its country (`ROMA` → `ITI43`); else the buyer's country when it is in
  NUTS (`IT`). NUTS covers the EU-27 only, so a UK, Moldovan or Ukrainian tender is rejected
  with that reason (its parties are still imported).
- `budget`: `tender.value` as published (`amount` ≥ 0 and an ISO 4217 `currency`: GBP stays
  GBP); an empty value (`{"amount": "", "currency": ""}`) is no budget; a malformed one rejects.
- `contract_forms`: words of `procurementMethodDetails` / `procurementMethod` naming a
  concession, PPP, PFI, project financing or energy performance contract; else `procurement`
  for any stated procurement method (an OCDS tender is a procurement procedure).
- `needed_by`: the date of `tender.tenderPeriod.endDate`.
- `status`: `closed` when `tender.status` is complete, cancelled, unsuccessful or withdrawn, or,
  with a non-standard status, once the process has reached an award or contract; else `open`.

Parties: `buyer` and `procuringEntity` become organisations of kind `municipality` (the
catalogue's kind for public bodies), `supplier` and `tenderer` become `supplier`s; other roles
(payer, funder, reviewBody, ...) are not imported. An organisation is known by its identifier
`SCHEME-ID` when the party has a global one (org-id.guide schemes such as `GB-COH`, `IT-CF`,
`UA-EDR`, `MD-IDNO`), else by `ocid/party id` (OCDS party ids are unique only within a process).
Its country is the identifier scheme's country, else the address's `countryName` (English or any
language pycountry has a translation for), else the country the partner named for the package;
a party with neither name nor country is rejected.

Pointers are relative to the release (`/tender/value/currency`); the caller makes them absolute.
Issues reject the record; warnings are reported and the record is imported.
"""

from __future__ import annotations

import gettext
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import pycountry

from services.catalogue.domain.codes import cpv_stem
from services.catalogue.domain.ocds_merge import parse_date
from shared.reference.codelist import UnknownCode
from shared.reference.country import NUTS_TO_ISO
from shared.reference.cpv import normalise_cpv
from shared.reference.currency import normalise_currency
from shared.reference.index import fold
from shared.reference.nuts import normalise_nuts, search_nuts

TITLE_MAX = 300
TITLE_MIN = 3
DESCRIPTION_MAX = 10_000
NAME_MAX = 200

BUYER_ROLES = ("buyer", "procuringEntity")
SUPPLIER_ROLES = ("supplier", "tenderer")
CLOSED_TENDER_STATUSES = frozenset({"complete", "cancelled", "unsuccessful", "withdrawn"})
OPEN_TENDER_STATUSES = frozenset({"planning", "planned", "active"})
STANDARD_METHODS = frozenset({"open", "selective", "limited", "direct"})
GLOBAL_SCHEME = re.compile(r"^[A-Z]{2}-[A-Z0-9]+$")
# org-id.guide prefixes that are not countries: XI (international), XM (multi-national), XE, XR...
NON_COUNTRY_PREFIXES = frozenset({"XI", "XM", "XE", "XR", "XA", "XB", "ZZ"})

# The programme's categories by CPV code (at or below the code): the code lists' own words,
# e.g. 34928500 "Street-lighting equipment", 34996100 "Traffic lights", 32323500 "Video-
# surveillance system". A need whose first such code is absent falls back to title words.
CATEGORY_CPV: dict[str, str] = {
    "34928500": "public_lighting",
    "34993000": "public_lighting",
    "31527200": "public_lighting",
    "45316100": "public_lighting",
    "50232100": "public_lighting",
    "34996100": "traffic_lights",
    "34923000": "traffic_lights",
    "45316212": "traffic_lights",
    "50232200": "traffic_lights",
    "45321000": "building_efficiency",
    "45331000": "building_efficiency",
    "71314300": "building_efficiency",
    "38551000": "smart_grid",
    "32323500": "urban_safety",
    "35120000": "urban_safety",
    "34970000": "digital_mobility",
    "48813000": "digital_mobility",
    "60161000": "urban_freight_logistics",
}
CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "public_lighting",
        ("illuminazione pubblica", "pubblica illuminazione", "street lighting", "public lighting"),
    ),
    ("traffic_lights", ("semafor", "traffic light", "traffic signal")),
    (
        "building_efficiency",
        ("efficientamento energetico", "energy efficiency", "riqualificazione energetica"),
    ),
    ("smart_grid", ("smart grid", "rete intelligente", "smart meter", "contatori intelligenti")),
    ("urban_safety", ("videosorveglianza", "video surveillance", "cctv")),
    ("car_pooling", ("car pooling", "carpooling", "car sharing")),
    ("urban_freight_logistics", ("city logistics", "logistica urbana", "last mile")),
)
# Contract forms named in a procedure's details (English and Italian, as published).
FORM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("concession", ("concession", "concessione", "concesión")),
    ("ppp", ("public-private partnership", "public private partnership", "partenariato pubblico")),
    ("pfi", ("private finance initiative",)),
    ("project_finance", ("project financing", "project finance", "finanza di progetto")),
    ("epc", ("energy performance contract", "prestazione energetica")),
)


@dataclass(frozen=True)
class Issue:
    pointer: str
    reason: str


@dataclass
class MappedParty:
    key: str
    kind: str
    document: dict[str, Any]
    pointer: str
    roles: list[str]
    issues: list[Issue] = field(default_factory=list)

    @property
    def identifier(self) -> str | None:
        ident = self.document.get("identifier")
        return f"{ident['scheme']}-{ident['id']}" if ident else None


@dataclass
class MappedNeed:
    document: dict[str, Any]
    sources: dict[str, str]
    issues: list[Issue] = field(default_factory=list)


@dataclass
class MappedRelease:
    ocid: str
    release_id: str
    release_date: str
    need: MappedNeed | None
    buyer_key: str | None
    parties: list[MappedParty]
    warnings: list[Issue] = field(default_factory=list)


def content_hash(document: dict[str, Any]) -> str:
    """A stable digest of a mapped document: equal documents, equal digests."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scalar(value: Any) -> str:
    """An identifier-like value as text: strings and numbers only (an id may be published as a
    number); anything else is treated as absent, never stringified."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


# --- countries and regions -----------------------------------------------------------------


@cache
def _translated_country_names() -> dict[str, str]:
    """Folded country names in every language pycountry ships (`україна` → `UA`)."""
    names: dict[str, str] = {}
    locales = pycountry.LOCALES_DIR
    for language in sorted(os.listdir(locales)):
        try:
            translation = gettext.translation("iso3166-1", locales, languages=[language])
        except OSError:
            continue
        for country in pycountry.countries:
            for english in {country.name, getattr(country, "official_name", country.name)}:
                names.setdefault(fold(translation.gettext(english)), country.alpha_2)
    return names


@cache
def country_from_name(name: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country name or code in any language pycountry knows."""
    text = " ".join(name.split())
    if not text:
        return None
    upper = text.upper()
    if len(upper) == 2:
        upper = NUTS_TO_ISO.get(upper, upper)
        return upper if pycountry.countries.get(alpha_2=upper) else None
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return _translated_country_names().get(fold(text))


def nuts_country_code(iso: str) -> str:
    """NUTS writes Greece `EL`; every other EU country as in ISO 3166."""
    return "EL" if iso == "GR" else iso


@cache
def _nuts_by_name(country: str) -> dict[str, str]:
    """Folded NUTS names of one country → code, the most detailed level winning a tie."""
    by_name: dict[str, tuple[int, str]] = {}
    for entry in search_nuts("", limit=10_000, country=nuts_country_code(country)):
        level = entry.level or 0
        for name in entry.label.split("/"):
            key = " ".join(re.findall(r"\w+", fold(name)))
            if key and (key not in by_name or by_name[key][0] < level):
                by_name[key] = (level, entry.code)
    return {name: code for name, (_level, code) in by_name.items()}


def in_nuts(country: str) -> bool:
    return bool(_nuts_by_name(country))


def region_by_name(country: str, *names: Any) -> str | None:
    """The NUTS code of the first name (region, locality...) that is a region's name."""
    for name in names:
        text = _text(name)
        if text:
            code = _region_named(country, text)
            if code:
                return code
    return None


@lru_cache(maxsize=20_000)
def _region_named(country: str, text: str) -> str | None:
    # the same buyers' localities recur across a package's releases: fold each once
    return _nuts_by_name(country).get(" ".join(re.findall(r"\w+", fold(text))))


# --- parties ------------------------------------------------------------------------------


def _identifier(party: dict[str, Any]) -> dict[str, str] | None:
    ident = party.get("identifier")
    if not isinstance(ident, dict):
        return None
    scheme = _text(ident.get("scheme"))
    value = ident.get("id")
    value = _text(str(value)) if isinstance(value, str | int) else None
    if scheme is None or value is None or not GLOBAL_SCHEME.match(scheme.upper()):
        return None
    return {"scheme": scheme.upper(), "id": value[:100]}


def _party_country(
    party: dict[str, Any], ident: dict[str, str] | None, default_country: str | None
) -> str | None:
    if ident is not None:
        prefix = ident["scheme"][:2]
        if prefix not in NON_COUNTRY_PREFIXES:
            found = country_from_name(prefix)
            if found:
                return found
    address = party.get("address") if isinstance(party.get("address"), dict) else {}
    name = _text(address.get("countryName"))
    if name:
        found = country_from_name(name)
        if found:
            return found
    return default_country


def party_region(party: dict[str, Any], country: str) -> tuple[str | None, bool]:
    """`(NUTS code, named)`: the region named by the party's address, else the country's code
    when it is in NUTS; `named` tells the first case from the second."""
    if not in_nuts(country):
        return None, False
    address = party.get("address") if isinstance(party.get("address"), dict) else {}
    named = region_by_name(country, address.get("region"), address.get("locality"))
    if named:
        return named, True
    return nuts_country_code(country), False


def map_party(
    party: dict[str, Any],
    pointer: str,
    *,
    ocid: str,
    kind: str,
    roles: list[str],
    default_country: str | None,
) -> MappedParty:
    ident = _identifier(party)
    party_id = party.get("id")
    local = _scalar(party_id) or None
    key = f"{ident['scheme']}-{ident['id']}" if ident else f"{ocid}/{local or pointer}"
    issues: list[Issue] = []
    identifier = party.get("identifier")
    legal_name = identifier.get("legalName") if isinstance(identifier, dict) else None
    name = _text(party.get("name")) or _text(legal_name)
    if name is None:
        issues.append(Issue(f"{pointer}/name", "a party needs a name to become an organisation"))
    country = _party_country(party, ident, default_country)
    document: dict[str, Any] = {"kind": kind, "name": (name or "")[:NAME_MAX]}
    if country is None:
        issues.append(
            Issue(
                f"{pointer}/address/countryName",
                "no country: neither the identifier's scheme nor the address names one; "
                "name the package's country with ?country=",
            )
        )
    else:
        document["country"] = country
        if kind == "municipality":
            region, _named = party_region(party, country)
            if region:
                document["nuts_codes"] = [region]
    if ident:
        document["identifier"] = ident
    return MappedParty(
        key=key, kind=kind, document=document, pointer=pointer, roles=roles, issues=issues
    )


def _kind_for(roles: list[str]) -> str | None:
    if any(role in BUYER_ROLES for role in roles):
        return "municipality"
    if any(role in SUPPLIER_ROLES for role in roles):
        return "supplier"
    return None


def _roles(party: dict[str, Any]) -> list[str]:
    roles = party.get("roles")
    return [role for role in roles if isinstance(role, str)] if isinstance(roles, list) else []


def _buyer(release: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    """The buyer party, its pointer and roles: `buyer` resolved in `parties`, else a party with
    the buyer or procuring entity role, else the inline `buyer` object (OCDS 1.0 style)."""
    parties = release.get("parties") if isinstance(release.get("parties"), list) else []
    reference = release.get("buyer") if isinstance(release.get("buyer"), dict) else None
    wanted = _scalar(reference.get("id")) if reference else ""
    if wanted:
        for index, party in enumerate(parties):
            if isinstance(party, dict) and _scalar(party.get("id")) == wanted:
                return party, f"/parties/{index}", sorted({*_roles(party), "buyer"})
    for role in BUYER_ROLES:
        for index, party in enumerate(parties):
            if isinstance(party, dict) and role in _roles(party):
                return party, f"/parties/{index}", _roles(party)
    if reference is not None and _text(reference.get("name")):
        return reference, "/buyer", ["buyer"]
    return None, None, []


def map_parties(
    release: dict[str, Any], *, ocid: str, default_country: str | None
) -> tuple[list[MappedParty], MappedParty | None]:
    """The organisations a release names, and which of them is the buyer."""
    buyer, buyer_pointer, buyer_roles = _buyer(release)
    mapped: list[MappedParty] = []
    buyer_party: MappedParty | None = None
    parties = release.get("parties") if isinstance(release.get("parties"), list) else []
    for index, party in enumerate(parties):
        if not isinstance(party, dict):
            continue
        pointer = f"/parties/{index}"
        roles = buyer_roles if pointer == buyer_pointer else _roles(party)
        kind = _kind_for(roles)
        if kind is None:
            continue
        item = map_party(
            party, pointer, ocid=ocid, kind=kind, roles=roles, default_country=default_country
        )
        mapped.append(item)
        if pointer == buyer_pointer:
            buyer_party = item
    if buyer is not None and buyer_pointer == "/buyer":
        buyer_party = map_party(
            buyer,
            "/buyer",
            ocid=ocid,
            kind="municipality",
            roles=buyer_roles,
            default_country=default_country,
        )
        mapped.append(buyer_party)
    return mapped, buyer_party


# --- the tender -----------------------------------------------------------------------------


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def _cpv_codes(tender: dict[str, Any], warnings: list[Issue]) -> tuple[list[str], list[str]]:
    """The tender's CPV codes (8 digits, first seen first) and the pointer of each."""
    codes: list[str] = []
    pointers: list[str] = []
    items = tender.get("items") if isinstance(tender.get("items"), list) else []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        found: list[tuple[str, Any]] = []
        if isinstance(item.get("classification"), dict):
            found.append((f"/tender/items/{index}/classification", item["classification"]))
        extra = item.get("additionalClassifications")
        for sub, classification in enumerate(extra if isinstance(extra, list) else []):
            found.append((f"/tender/items/{index}/additionalClassifications/{sub}", classification))
        for pointer, classification in found:
            if not isinstance(classification, dict):
                continue
            if _scalar(classification.get("scheme")).upper() != "CPV":
                continue
            raw = _scalar(classification.get("id"))
            if not raw:
                continue
            code = _cpv(raw)
            if code is None:
                warnings.append(Issue(f"{pointer}/id", f"{raw!r} is not a CPV 2008 code; left out"))
            elif code not in codes:
                codes.append(code)
                pointers.append(f"{pointer}/id")
    return codes, pointers


def _cpv(raw: str) -> str | None:
    # a spreadsheet round trip turns 45233130 into 45233130.0 (the fictional example has it)
    text = raw.removesuffix(".0")
    try:
        return normalise_cpv(text)
    except UnknownCode:
        digits = text.split("-")[0]
        try:
            return normalise_cpv(digits)  # a wrong check digit: the code itself is known
        except UnknownCode:
            return None


def category_for(cpv_codes: list[str], title: str) -> str:
    for code in cpv_codes:
        stem = cpv_stem(code)
        for listed, category in CATEGORY_CPV.items():
            if stem.startswith(cpv_stem(listed)):
                return category
    folded = title.casefold()  # the words are plain ASCII: no need to strip accents
    for category, words in CATEGORY_WORDS:
        if any(word in folded for word in words):
            return category
    return "other"


def contract_forms_for(tender: dict[str, Any]) -> tuple[list[str], str | None]:
    method = _text(tender.get("procurementMethod"))
    details = _text(tender.get("procurementMethodDetails"))
    text = fold(" ".join(part for part in (details, method) if part))
    forms = [form for form, words in FORM_WORDS if any(word in text for word in words)]
    source = "/tender/procurementMethodDetails" if details else "/tender/procurementMethod"
    if forms:
        return forms, source
    if method or details:
        return ["procurement"], source
    return [], None


def _status(release: dict[str, Any], tender: dict[str, Any]) -> str:
    status = _text(tender.get("status"))
    if status in CLOSED_TENDER_STATUSES:
        return "closed"
    if status in OPEN_TENDER_STATUSES:
        return "open"
    awarded = any(
        isinstance(release.get(stage), list) and release[stage] for stage in ("awards", "contracts")
    )
    return "closed" if awarded else "open"


def _budget(
    tender: dict[str, Any], issues: list[Issue], warnings: list[Issue]
) -> dict[str, Any] | None:
    value = tender.get("value")
    if value is None:
        return None
    if not isinstance(value, dict):
        issues.append(Issue("/tender/value", "value must be an object {amount, currency}"))
        return None
    amount, currency = value.get("amount"), value.get("currency")
    if amount in (None, "") and currency in (None, ""):
        if value:
            warnings.append(Issue("/tender/value", "the value is empty: no budget"))
        return None
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        issues.append(Issue("/tender/value/amount", f"the amount must be a number, not {amount!r}"))
    elif amount < 0:
        issues.append(Issue("/tender/value/amount", "the amount must not be negative"))
    try:
        currency = normalise_currency(currency if isinstance(currency, str) else "")
    except UnknownCode:
        issues.append(
            Issue(
                "/tender/value/currency",
                f"{currency!r} is not an ISO 4217 currency code (e.g. EUR, GBP, MDL, UAH)",
            )
        )
        return None
    if any(issue.pointer.startswith("/tender/value") for issue in issues):
        return None
    return {"amount": amount, "currency": currency}


def _need_region(
    tender: dict[str, Any],
    buyer: dict[str, Any] | None,
    buyer_party: MappedParty | None,
    issues: list[Issue],
) -> tuple[str | None, str | None]:
    buyer_country = buyer_party.document.get("country") if buyer_party else None
    items = tender.get("items") if isinstance(tender.get("items"), list) else []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        location = item.get("deliveryLocation")
        gazetteer = location.get("gazetteer") if isinstance(location, dict) else None
        if isinstance(gazetteer, dict) and _scalar(gazetteer.get("scheme")).upper() == "NUTS":
            identifiers = gazetteer.get("identifiers")
            for identifier in identifiers if isinstance(identifiers, list) else []:
                try:
                    code = normalise_nuts(_scalar(identifier))
                except UnknownCode:
                    continue
                return code, f"/tender/items/{index}/deliveryLocation/gazetteer"
        address = item.get("deliveryAddress")
        if isinstance(address, dict):
            country = country_from_name(_text(address.get("countryName")) or "") or buyer_country
            if country and in_nuts(country):
                code = region_by_name(country, address.get("region"), address.get("locality"))
                if code:
                    return code, f"/tender/items/{index}/deliveryAddress"
    if buyer is not None and buyer_country is not None:
        code, _named = party_region(buyer, buyer_country)
        if code and buyer_party is not None:
            return code, f"{buyer_party.pointer}/address"
    if buyer_country is not None:
        name = getattr(pycountry.countries.get(alpha_2=buyer_country), "name", buyer_country)
        issues.append(
            Issue(
                "/tender/items",
                f"no NUTS region: {name} is outside NUTS (EU-27), and a need must name a "
                "NUTS region",
            )
        )
    else:
        issues.append(
            Issue(
                "/tender/items",
                "no NUTS region: neither the items' delivery addresses nor the buyer's address "
                "name a region or an EU country",
            )
        )
    return None, None


def map_need(
    release: dict[str, Any],
    buyer: dict[str, Any] | None,
    buyer_party: MappedParty | None,
    warnings: list[Issue],
) -> MappedNeed | None:
    tender = release.get("tender")
    if not isinstance(tender, dict) or not tender:
        return None
    issues: list[Issue] = []
    sources: dict[str, str] = {}
    document: dict[str, Any] = {}

    title = _text(tender.get("title"))
    description = _text(tender.get("description"))
    if title is not None:
        sources["title"] = "/tender/title"
    elif description is not None:
        title = _shorten(description, TITLE_MAX)
        sources["title"] = "/tender/description"
        warnings.append(Issue("/tender/title", "no title: taken from the tender's description"))
    if title is None or len(title) < TITLE_MIN:
        issues.append(
            Issue("/tender/title", "the tender has neither a title nor a description to name it")
        )
    else:
        document["title"] = _shorten(title, TITLE_MAX)
    if description is not None:
        document["description"] = description[:DESCRIPTION_MAX]
        sources["description"] = "/tender/description"

    cpv_codes, cpv_pointers = _cpv_codes(tender, warnings)
    document["cpv_codes"] = cpv_codes
    for index, pointer in enumerate(cpv_pointers):
        sources[f"cpv_codes.{index}"] = pointer
    document["category"] = category_for(cpv_codes, document.get("title", ""))

    if buyer is None:
        issues.append(Issue("/buyer", "the release names no buyer or procuring entity"))
    nuts_code, nuts_source = _need_region(tender, buyer, buyer_party, issues)
    if nuts_code:
        document["nuts_code"] = nuts_code
        sources["nuts_code"] = nuts_source or "/tender"

    budget = _budget(tender, issues, warnings)
    if budget is not None:
        document["budget"] = budget
        sources["budget"] = "/tender/value"
        sources["budget.amount"] = "/tender/value/amount"
        sources["budget.currency"] = "/tender/value/currency"

    forms, forms_source = contract_forms_for(tender)
    document["contract_forms"] = forms
    if forms_source:
        sources["contract_forms"] = forms_source

    period = tender.get("tenderPeriod") if isinstance(tender.get("tenderPeriod"), dict) else {}
    end, exact = parse_date(period.get("endDate"))
    if end is not None:
        document["needed_by"] = end.date().isoformat()
        sources["needed_by"] = "/tender/tenderPeriod/endDate"
        if not exact:
            warnings.append(
                Issue("/tender/tenderPeriod/endDate", "not an ISO 8601 date: its date part used")
            )
    document["status"] = _status(release, tender)
    sources["status"] = "/tender/status"
    return MappedNeed(document=document, sources=sources, issues=issues)


def map_release(release: dict[str, Any], *, default_country: str | None) -> MappedRelease:
    """Map one compiled release. The caller has checked that it has an `ocid`, an `id` and a
    readable `date` (`release_problems`)."""
    ocid = str(release["ocid"]).strip()
    moment, exact = parse_date(release.get("date"))
    warnings: list[Issue] = []
    if not exact:
        warnings.append(Issue("/date", "not an ISO 8601 date-time: midnight UTC of its date used"))
    parties, buyer_party = map_parties(release, ocid=ocid, default_country=default_country)
    buyer, _pointer, _roles = _buyer(release)
    need = map_need(release, buyer, buyer_party, warnings)
    if need is not None and buyer_party is not None and buyer_party.issues:
        need.issues.append(
            Issue(buyer_party.pointer, "the buyer could not be imported (see its rejection)")
        )
    return MappedRelease(
        ocid=ocid,
        release_id=_scalar(release.get("id")),
        release_date=moment.isoformat() if moment else "",
        need=need,
        buyer_key=buyer_party.key if buyer_party else None,
        parties=parties,
        warnings=warnings,
    )


def release_problems(release: dict[str, Any]) -> list[Issue]:
    """What makes a release impossible to import at all (no ocid, no id, no readable date)."""
    problems: list[Issue] = []
    if _text(release.get("ocid") if isinstance(release.get("ocid"), str) else None) is None:
        problems.append(Issue("/ocid", "a release needs an ocid"))
    if not _scalar(release.get("id")):
        problems.append(Issue("/id", "a release needs an id (a string)"))
    date = release.get("date")
    if parse_date(date)[0] is None:
        shown = (
            repr(date)
            if date is None or isinstance(date, str | int | float)
            else ("an array" if isinstance(date, list) else "an object")
        )
        problems.append(Issue("/date", f"a release needs a date to be ordered, not {shown}"))
    return problems
