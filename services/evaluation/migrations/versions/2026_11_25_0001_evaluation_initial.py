"""evaluation: appraisals and the idempotency store

Revision ID: 0001_evaluation_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migration_ops import create_idempotency_table, drop_idempotency_table

revision = "0001_evaluation_initial"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(64), nullable=True),
        sa.Column("template_version", sa.String(32), nullable=True),
        sa.Column("request", JSON_DOC, nullable=False),
        sa.Column("results", JSON_DOC, nullable=False),
        sa.Column("bankability", JSON_DOC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_appraisals"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_appraisals_organisation_id", "appraisals", ["organisation_id"])
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
    op.drop_index("ix_appraisals_organisation_id", table_name="appraisals")
    op.drop_table("appraisals")
