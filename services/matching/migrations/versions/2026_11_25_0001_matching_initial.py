"""matching: feed cursor, mirrored catalogue documents, idempotency store

Revision ID: 0001_matching_initial
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from shared.migration_ops import create_idempotency_table, drop_idempotency_table

revision = "0001_matching_initial"
down_revision = None
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "feed_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.String(40), nullable=False),
        sa.Column("changes_applied", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_state"),
    )
    op.create_table(
        "mirror_documents",
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data", JSON_DOC, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "id", name="pk_mirror_documents"),
    )
    create_idempotency_table()


def downgrade() -> None:
    drop_idempotency_table()
    op.drop_table("mirror_documents")
    op.drop_table("feed_state")
