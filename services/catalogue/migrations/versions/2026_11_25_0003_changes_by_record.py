"""catalogue: log compaction of the feed (changes indexed by record; no compaction horizon)

Revision ID: 0003_changes_by_record
Revises: 0002_ocds_import
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_changes_by_record"
down_revision = "0002_ocds_import"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_changes_entity_entity_id", "changes", ["entity", "entity_id"])
    # compaction now keeps every record's newest change: no cursor falls behind a horizon
    op.drop_table("feed_horizon")


def downgrade() -> None:
    op.create_table(
        "feed_horizon",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("compacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feed_horizon"),
    )
    op.drop_index("ix_changes_entity_entity_id", table_name="changes")
