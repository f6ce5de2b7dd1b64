"""catalogue: OCDS import — provenance, organisation identifiers (claiming), the import ledger

Revision ID: 0002_ocds_import
Revises: 0001_catalogue_initial
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_ocds_import"
down_revision = "0001_catalogue_initial"
branch_labels = None
depends_on = None

JSON_DOC = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ADD COLUMNs and a unique index, not a unique constraint: on SQLite a constraint makes
    # batch mode rebuild `organisations`, and dropping the old table fails once offers, needs and
    # keys point at it (foreign keys are on). A unique index enforces the same rule on both.
    op.add_column("organisations", sa.Column("identifier", sa.String(120), nullable=True))
    op.add_column("organisations", sa.Column("provenance", JSON_DOC, nullable=True))
    op.create_index("ix_organisations_identifier", "organisations", ["identifier"], unique=True)
    op.add_column("needs", sa.Column("provenance", JSON_DOC, nullable=True))
    op.create_table(
        "ocds_ledger",
        sa.Column("entity", sa.String(16), nullable=False),
        sa.Column("source_key", sa.String(400), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("release_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_id", sa.String(400), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("entity", "source_key", name="pk_ocds_ledger"),
    )


def downgrade() -> None:
    op.drop_table("ocds_ledger")
    op.drop_index("ix_organisations_identifier", table_name="organisations")
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("provenance")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("provenance")
        batch.drop_column("identifier")
