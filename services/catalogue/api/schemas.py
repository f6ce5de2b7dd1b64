"""Request and response models of the catalogue API (shapes from API.md).

Every request model forbids unknown fields and validates what users expect: codes exist in the
shipped CPV / NUTS / ISO 4217 lists (CPV check digits optional), ranges have min <= max in one
currency, text has sane lengths, numbers are finite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)

from shared.contracts import vocabulary
from shared.identifiers import IdField
from shared.reference.country import normalise_country
from shared.reference.cpv import normalise_cpv
from shared.reference.currency import normalise_currency
from shared.reference.nuts import normalise_nuts

OrganisationKind = Literal[*vocabulary.ORGANISATION_KINDS]  # type: ignore[valid-type]
ContractForm = Literal[*vocabulary.CONTRACT_FORMS]  # type: ignore[valid-type]
Instrument = Literal[*vocabulary.INSTRUMENTS]  # type: ignore[valid-type]
NeedCategory = Literal[*vocabulary.NEED_CATEGORIES]  # type: ignore[valid-type]
NeedStatus = Literal["open", "closed"]
OrganisationStatus = Literal["active", "inactive"]
OfferKind = Literal["product", "service", "reference"]
FundingCallStatus = Literal["open", "upcoming", "closed"]

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]


def _cpv(code: str) -> str:
    return normalise_cpv(code)


def _nuts(code: str) -> str:
    return normalise_nuts(code)


def _currency(code: str) -> str:
    return normalise_currency(code)


CpvCode = Annotated[str, StringConstraints(pattern=r"^\d{8}(-\d)?$"), AfterValidator(_cpv)]
NutsCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}[A-Za-z0-9]{0,3}$"), AfterValidator(_nuts)
]
CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2}$"), AfterValidator(normalise_country)
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$"), AfterValidator(_currency)]


def _unique(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


CpvList = Annotated[list[CpvCode], Field(max_length=100), AfterValidator(_unique)]
NutsList = Annotated[list[NutsCode], Field(max_length=100), AfterValidator(_unique)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Money(Strict):
    amount: float = Field(ge=0, le=1e13, description="in units of the currency")
    currency: Currency


class MoneyRange(Strict):
    min: Money
    max: Money

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min.currency != self.max.currency:
            raise ValueError("min and max must be in the same currency")
        if self.min.amount > self.max.amount:
            raise ValueError("min must not exceed max")
        return self


class PastReference(Strict):
    title: Title
    city: ShortText | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)
    value: Money | None = None


SUPPLIER_ONLY = ("project_size",)
LENDER_ONLY = ("ticket", "instruments", "min_dscr", "target_irr", "max_tenor_years")


class OrganisationIdentifier(Strict):
    """A global organisation identifier as in org-id.guide and OCDS: `GB-COH` + `01234567`."""

    scheme: Annotated[
        str,
        StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Z]{2}-[A-Z0-9]+$"),
    ] = Field(description="org-id.guide list code, e.g. GB-COH, IT-CF, MD-IDNO, UA-EDR")
    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class Provenance(BaseModel):
    """Where an imported record came from: the OCDS release whose content it shows."""

    source: Literal["ocds"]
    publisher: str | None = Field(default=None, description="the OCDS publisher's name")
    ocid: str = Field(description="the contracting process")
    release_id: str
    release_date: datetime
    imported_by: int = Field(description="the organisation (partner or admin) that imported it")
    imported_at: datetime
    claimed_at: datetime | None = Field(
        default=None, description="organisations: when the real organisation claimed it"
    )


class ProfileFields(Strict):
    identifier: OrganisationIdentifier | None = Field(
        default=None,
        description=(
            "registering with the identifier of an imported, unclaimed organisation claims it "
            "(admin or the importing partner's key)"
        ),
    )
    description: LongText | None = None
    capabilities: list[ShortText] = Field(default_factory=list, max_length=50)
    references: list[PastReference] = Field(default_factory=list, max_length=50)
    cpv_codes: CpvList = Field(default_factory=list)
    nuts_codes: NutsList = Field(default_factory=list)
    contract_forms: list[ContractForm] = Field(default_factory=list, max_length=10)
    website: HttpUrl | None = None
    project_size: MoneyRange | None = None
    ticket: MoneyRange | None = None
    instruments: list[Instrument] = Field(default_factory=list, max_length=10)
    min_dscr: float | None = Field(default=None, ge=0, le=10)
    target_irr: float | None = Field(default=None, gt=-1, le=1)
    max_tenor_years: int | None = Field(default=None, ge=1, le=60)


def check_kind_fields(kind: str, values: dict[str, Any]) -> None:
    """Lender-only fields on a supplier (and the reverse) are mistakes, not data to keep."""
    for name in SUPPLIER_ONLY:
        if values.get(name) not in (None, []) and kind != "supplier":
            raise KindMismatch(name, "only suppliers have a project_size")
    for name in LENDER_ONLY:
        if values.get(name) not in (None, []) and kind != "lender":
            raise KindMismatch(name, f"only lenders have {name}")


class KindMismatch(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class OrganisationCreate(ProfileFields):
    kind: OrganisationKind
    name: ShortText
    country: CountryCode


class OrganisationUpdate(Strict):
    """A merge patch: fields present replace the stored ones, `null` clears an optional one."""

    name: ShortText | None = None
    country: CountryCode | None = None
    status: OrganisationStatus | None = None
    description: LongText | None = None
    capabilities: list[ShortText] | None = Field(default=None, max_length=50)
    references: list[PastReference] | None = Field(default=None, max_length=50)
    cpv_codes: CpvList | None = None
    nuts_codes: NutsList | None = None
    contract_forms: list[ContractForm] | None = Field(default=None, max_length=10)
    website: HttpUrl | None = None
    project_size: MoneyRange | None = None
    ticket: MoneyRange | None = None
    instruments: list[Instrument] | None = Field(default=None, max_length=10)
    min_dscr: float | None = Field(default=None, ge=0, le=10)
    target_irr: float | None = Field(default=None, gt=-1, le=1)
    max_tenor_years: int | None = Field(default=None, ge=1, le=60)


class OrganisationPublic(ProfileFields):
    model_config = ConfigDict(extra="ignore")

    id: int
    kind: OrganisationKind
    name: str
    country: str
    status: OrganisationStatus
    brought_by_id: int | None = None
    provenance: Provenance | None = None
    created_at: datetime
    updated_at: datetime


class RegistrationCreate(Strict):
    organisation: OrganisationCreate
    contact_email: EmailStr


class ApiKeyPublic(Strict):
    id: int
    organisation_id: int
    role: str
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyIssued(ApiKeyPublic):
    api_key: str | None = Field(
        description="the key itself: shown in this response only, null in an idempotent replay"
    )


class RegistrationPublic(Strict):
    organisation: OrganisationPublic
    api_key: str | None = Field(
        description="the first API key: shown in this response only, null in an idempotent replay"
    )
    key: ApiKeyPublic


class ApiKeyCreate(Strict):
    label: ShortText | None = None
    organisation_id: IdField | None = Field(
        default=None, description="admin only: issue the key to another organisation"
    )
    role: Literal["supplier", "lender", "municipality", "partner", "admin"] | None = Field(
        default=None, description="defaults to the organisation's kind; admin only for others"
    )


class OfferCreate(Strict):
    organisation_id: IdField | None = Field(
        default=None, description="the supplier; defaults to the caller's organisation"
    )
    kind: OfferKind
    title: Title
    description: LongText | None = None
    cpv_codes: CpvList = Field(default_factory=list)
    nuts_codes: NutsList = Field(default_factory=list)
    price: Money | None = None
    city: ShortText | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


class OfferUpdate(Strict):
    kind: OfferKind | None = None
    title: Title | None = None
    description: LongText | None = None
    cpv_codes: CpvList | None = None
    nuts_codes: NutsList | None = None
    price: Money | None = None
    city: ShortText | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


class OfferPublic(BaseModel):
    id: int
    organisation_id: int
    kind: OfferKind
    title: str
    description: str | None = None
    cpv_codes: list[str] = Field(default_factory=list)
    nuts_codes: list[str] = Field(default_factory=list)
    price: Money | None = None
    city: str | None = None
    year: int | None = None
    created_at: datetime
    updated_at: datetime


class NeedAppraisal(Strict):
    """Either a stored appraisal of the evaluation service (`appraisal_id`), or what to
    appraise: a template with its inputs and, optionally, the financing and discount rate
    (evaluation checks them when the appraisal is computed)."""

    appraisal_id: IdField | None = Field(
        default=None, description="an appraisal stored by the evaluation service"
    )
    template: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    inputs: dict[str, float | int | str | bool] | None = Field(default=None, max_length=100)
    financing: dict[str, float | int | str] | None = Field(default=None, max_length=20)
    discount_rate: float | None = Field(default=None, gt=-1, le=10)

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.appraisal_id is None) == (self.template is None):
            raise ValueError("give either appraisal_id or template (with inputs)")
        if self.appraisal_id is not None and any(
            value is not None for value in (self.inputs, self.financing, self.discount_rate)
        ):
            raise ValueError("inputs, financing and discount_rate go with a template")
        return self


class NeedCreate(Strict):
    organisation_id: IdField | None = Field(
        default=None, description="the municipality; defaults to the caller's organisation"
    )
    title: Title
    description: LongText | None = None
    category: NeedCategory
    cpv_codes: CpvList = Field(default_factory=list)
    nuts_code: NutsCode
    budget: Money | None = None
    contract_forms: list[ContractForm] = Field(default_factory=list, max_length=10)
    needed_by: date | None = None
    status: NeedStatus = "open"
    appraisal: NeedAppraisal | None = None


class NeedUpdate(Strict):
    title: Title | None = None
    description: LongText | None = None
    category: NeedCategory | None = None
    cpv_codes: CpvList | None = None
    nuts_code: NutsCode | None = None
    budget: Money | None = None
    contract_forms: list[ContractForm] | None = Field(default=None, max_length=10)
    needed_by: date | None = None
    status: NeedStatus | None = None
    appraisal: NeedAppraisal | None = None


class NeedPublic(BaseModel):
    id: int
    organisation_id: int
    title: str
    description: str | None = None
    category: NeedCategory
    cpv_codes: list[str] = Field(default_factory=list)
    nuts_code: str
    budget: Money | None = None
    contract_forms: list[ContractForm] = Field(default_factory=list)
    needed_by: date | None = None
    status: NeedStatus
    appraisal: NeedAppraisal | None = None
    provenance: Provenance | None = None
    created_at: datetime
    updated_at: datetime


class FundingCallFields(Strict):
    description: LongText | None = None
    programme: ShortText | None = None
    categories: list[NeedCategory] = Field(default_factory=list, max_length=10)
    cpv_codes: CpvList = Field(default_factory=list)
    eligible_nuts: NutsList = Field(default_factory=list)
    grant: MoneyRange | None = None
    co_financing_rate: float | None = Field(default=None, gt=0, le=1)
    eligible_kinds: list[OrganisationKind] = Field(default_factory=list, max_length=4)


class FundingCallCreate(FundingCallFields):
    title: Title
    opens_at: date
    closes_at: date

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.opens_at > self.closes_at:
            raise ValueError("opens_at must not be after closes_at")
        return self


class FundingCallUpdate(Strict):
    title: Title | None = None
    description: LongText | None = None
    programme: ShortText | None = None
    categories: list[NeedCategory] | None = Field(default=None, max_length=10)
    cpv_codes: CpvList | None = None
    eligible_nuts: NutsList | None = None
    opens_at: date | None = None
    closes_at: date | None = None
    grant: MoneyRange | None = None
    co_financing_rate: float | None = Field(default=None, gt=0, le=1)
    eligible_kinds: list[OrganisationKind] | None = Field(default=None, max_length=4)


class FundingCallPublic(BaseModel):
    id: int
    organisation_id: int
    title: str
    description: str | None = None
    programme: str | None = None
    categories: list[NeedCategory] = Field(default_factory=list)
    cpv_codes: list[str] = Field(default_factory=list)
    eligible_nuts: list[str] = Field(default_factory=list)
    opens_at: date
    closes_at: date
    grant: MoneyRange | None = None
    co_financing_rate: float | None = None
    eligible_kinds: list[OrganisationKind] = Field(default_factory=list)
    status: FundingCallStatus
    created_at: datetime
    updated_at: datetime


class CodePublic(BaseModel):
    code: str
    label: str
    level: int | None = None
    code_with_check_digit: str | None = None
    country: str | None = None


class ImportIssue(BaseModel):
    pointer: str = Field(description="JSON pointer (RFC 6901) into the posted document")
    reason: str


class ImportedRecord(BaseModel):
    entity: Literal["need", "organisation"]
    id: int
    pointer: str = Field(description="the release (or party) it was mapped from")
    ocid: str | None = None
    source_key: str = Field(description="needs: the ocid; organisations: SCHEME-ID or ocid/party")
    reason: str | None = Field(default=None, description="why an item is unchanged")


class ImportRejection(BaseModel):
    entity: Literal["release", "need", "organisation"]
    pointer: str
    ocid: str | None = None
    source_key: str | None = None
    errors: list[ImportIssue]


class ImportCounts(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int


class ImportReport(BaseModel):
    format: Literal[
        "release_package", "record_package", "record", "release", "release_list", "json_lines"
    ]
    publisher: str | None
    releases: int = Field(description="releases (or compiled releases) read")
    counts: ImportCounts
    created: list[ImportedRecord]
    updated: list[ImportedRecord]
    unchanged: list[ImportedRecord]
    rejected: list[ImportRejection]
    warnings: list[ImportIssue] = Field(description="imported, but worth knowing")
