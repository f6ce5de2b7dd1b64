"""Catalogue tables. Each record keeps its API document in `doc` (JSON) and promotes the fields
that lists filter or sort on to columns; `entity_codes` indexes CPV and NUTS codes by stem so
hierarchical filters are index lookups on both SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Column, Field, SQLModel

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Organisation(SQLModel, table=True):
    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_kind_id", "kind", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2)
    status: str = Field(default="active", max_length=16)
    contact_email: str | None = Field(default=None, max_length=254)
    brought_by_id: int | None = Field(default=None, foreign_key="organisations.id")
    # `SCHEME-ID` (org-id.guide): how an imported organisation is found again and claimed
    identifier: str | None = Field(default=None, max_length=120, unique=True, index=True)
    # where an imported organisation came from (None for one that registered itself)
    provenance: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JsonDocument, nullable=True)
    )
    doc: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    role: str = Field(max_length=16)
    prefix: str = Field(max_length=16, unique=True)
    digest: str = Field(max_length=64)
    label: str | None = Field(default=None, max_length=100)
    version: int = Field(default=1)
    created_at: datetime
    revoked_at: datetime | None = None


class Offer(SQLModel, table=True):
    __tablename__ = "offers"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    kind: str = Field(max_length=16)
    title: str = Field(max_length=300)
    doc: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime


class Need(SQLModel, table=True):
    __tablename__ = "needs"
    __table_args__ = (Index("ix_needs_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str = Field(max_length=300)
    category: str = Field(max_length=40, index=True)
    nuts_code: str = Field(max_length=8)
    status: str = Field(default="open", max_length=16)
    budget_amount: float | None = None
    budget_currency: str | None = Field(default=None, max_length=3)
    needed_by: date | None = None
    provenance: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JsonDocument, nullable=True)
    )
    doc: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime


class FundingCall(SQLModel, table=True):
    __tablename__ = "funding_calls"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    title: str = Field(max_length=300)
    opens_at: date
    closes_at: date
    doc: dict[str, Any] = Field(sa_column=Column(JsonDocument, nullable=False))
    version: int = Field(default=1)
    created_at: datetime
    updated_at: datetime


class EntityCode(SQLModel, table=True):
    """One CPV or NUTS code of a record, by stem (CPV without its trailing zero padding)."""

    __tablename__ = "entity_codes"
    __table_args__ = (Index("ix_entity_codes_scheme_stem", "scheme", "stem", "entity"),)

    entity: str = Field(primary_key=True, max_length=16)
    entity_id: int = Field(primary_key=True)
    scheme: str = Field(primary_key=True, max_length=4)
    stem: str = Field(primary_key=True, max_length=8)


class ChangeRecord(SQLModel, table=True):
    """The outbox: one row per committed change, written in the same transaction as the record.

    `txid` is the writing transaction's id on PostgreSQL (0 on SQLite, which serialises writers);
    followers are handed only rows whose transaction is older than every transaction still
    running, so a row that commits late can never be stepped over (DESIGN.md, the change feed).
    """

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_txid_id", "txid", "id"),
        # compaction looks for a later change of the same record
        Index("ix_changes_entity_entity_id", "entity", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    txid: int = Field(
        default=None,
        sa_column=Column(
            BigInteger,
            nullable=False,
            server_default=text("0"),
        ),
    )
    entity: str = Field(max_length=16)
    entity_id: int
    op: str = Field(max_length=8)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonDocument, nullable=True))
    at: datetime


class OcdsLedger(SQLModel, table=True):
    """What each OCDS import applied, per contracting process (`need`, keyed by ocid) and per
    party (`organisation`, keyed by identifier or `ocid/party id`): the newest release seen and
    a digest of the mapped document, so a repeated or older release changes nothing."""

    __tablename__ = "ocds_ledger"

    entity: str = Field(primary_key=True, max_length=16)
    source_key: str = Field(primary_key=True, max_length=400)
    entity_id: int
    release_date: datetime
    release_id: str = Field(max_length=400)
    content_hash: str = Field(max_length=64)


CATALOGUE_TABLES = (
    "organisations",
    "api_keys",
    "offers",
    "needs",
    "funding_calls",
    "entity_codes",
    "changes",
    "ocds_ledger",
    "idempotency_keys",
)
