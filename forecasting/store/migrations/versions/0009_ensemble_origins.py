"""The ensemble members' forecasts at each rolling origin, kept under a fingerprint of the series
they were computed from, so that the first detection of a new month fits its members at its
newest origin only (forecasting.models.memo).

Revision ID: 0009_ensemble_origins
Revises: 0008_ensemble_judgements
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_ensemble_origins"
down_revision = "0008_ensemble_judgements"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ensemble_origins",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("seen_until", sa.String(7), nullable=False),
        sa.Column("settings", sa.String(40), nullable=False),
        sa.Column("forecasts", sa.LargeBinary, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ensemble_origins"),
    )
    op.create_index("ix_ensemble_origins_seen_until_settings", "ensemble_origins", ["seen_until", "settings"])


def downgrade() -> None:
    op.drop_table("ensemble_origins")
