"""catalogue: organisations, keys, offers, needs, funding calls, codes, change feed, idempotency

Revision ID: 0001_catalogue_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migration_ops import create_idempotency_table, drop_idempotency_table

revision = "0001_catalogue_initial"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=True),
        sa.Column("brought_by_id", sa.Integer(), nullable=True),
        sa.Column("doc", JSON_DOC, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_organisations"),
        sa.ForeignKeyConstraint(
            ["brought_by_id"], ["organisations.id"], name="fk_organisations_brought_by_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_organisations_kind_id", "organisations", ["kind", "id"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("label", sa.String(100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_api_keys_organisation_id"
        ),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_api_keys_organisation_id", "api_keys", ["organisation_id"])

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("doc", JSON_DOC, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_offers"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_offers_organisation_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_offers_organisation_id", "offers", ["organisation_id"])

    op.create_table(
        "needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("nuts_code", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("budget_amount", sa.Float(), nullable=True),
        sa.Column("budget_currency", sa.String(3), nullable=True),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("doc", JSON_DOC, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_needs"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_needs_organisation_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_needs_organisation_id", "needs", ["organisation_id"])
    op.create_index("ix_needs_category", "needs", ["category"])
    op.create_index("ix_needs_status_id", "needs", ["status", "id"])

    op.create_table(
        "funding_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("opens_at", sa.Date(), nullable=False),
        sa.Column("closes_at", sa.Date(), nullable=False),
        sa.Column("doc", JSON_DOC, nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_funding_calls"),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name="fk_funding_calls_organisation_id"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_funding_calls_organisation_id", "funding_calls", ["organisation_id"])

    op.create_table(
        "entity_codes",
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(4), nullable=False),
        sa.Column("stem", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("entity", "entity_id", "scheme", "stem", name="pk_entity_codes"),
    )
    op.create_index("ix_entity_codes_scheme_stem", "entity_codes", ["scheme", "stem", "entity"])

    txid_default = sa.text("(pg_current_xact_id()::text::bigint)") if postgres else sa.text("0")
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False, server_default=txid_default),
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("data", JSON_DOC, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_changes"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_changes_txid_id", "changes", ["txid", "id"])

    op.create_table(
        "feed_horizon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("compacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_horizon"),
        sqlite_autoincrement=True,
    )
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
    for table in (
        "feed_horizon",
        "changes",
        "entity_codes",
        "funding_calls",
        "needs",
        "offers",
        "api_keys",
        "organisations",
    ):
        op.drop_table(table)
