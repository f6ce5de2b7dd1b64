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
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("identifier", sa.String(120), nullable=True))
        batch.add_column(sa.Column("provenance", JSON_DOC, nullable=True))
        batch.create_unique_constraint("uq_organisations_identifier", ["identifier"])
    with op.batch_alter_table("needs") as batch:
        batch.add_column(sa.Column("provenance", JSON_DOC, nullable=True))
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
    with op.batch_alter_table("needs") as batch:
        batch.drop_column("provenance")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("uq_organisations_identifier", type_="unique")
        batch.drop_column("provenance")
        batch.drop_column("identifier")
