"""The ensemble's judgement of its members (weights per level, calibration), kept per forecast
month under a fingerprint of the history it was computed from (forecasting.models.memo).

Revision ID: 0008_ensemble_judgements
Revises: 0001_events
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_ensemble_judgements"
down_revision = "0001_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ensemble_judgements",
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("forecast_month", sa.String(7), nullable=False),
        sa.Column("settings", sa.String(40), nullable=False),
        sa.Column("judgement", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_ensemble_judgements"),
    )
    op.create_index(
        "ix_ensemble_judgements_forecast_month_settings", "ensemble_judgements", ["forecast_month", "settings"]
    )


def downgrade() -> None:
    op.drop_table("ensemble_judgements")
