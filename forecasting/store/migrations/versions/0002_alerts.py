"""Alerts and their lifecycle.

Revision ID: 0002_alerts
Revises: 0001_events
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_alerts"
down_revision = "0001_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("country", sa.Text),
        sa.Column("admin1", sa.Text),
        sa.Column("admin2", sa.Text),
        sa.Column("tier", sa.String(20)),
        sa.Column("actor", sa.Text),
        sa.Column("measure", sa.String(16), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("as_of", sa.String(7), nullable=False),
        sa.Column("observed", sa.Float, nullable=False),
        sa.Column("expected", sa.Float),
        sa.Column("lower", sa.Float),
        sa.Column("upper", sa.Float),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("episode", sa.String(80), nullable=False),
        sa.Column("suppressed_by", sa.String(80)),
        sa.Column("resolved_as_of", sa.String(7)),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_as_of", "alerts", ["as_of"])
    op.create_index("ix_alerts_episode", "alerts", ["episode"])


def downgrade() -> None:
    op.drop_index("ix_alerts_episode", "alerts")
    op.drop_index("ix_alerts_as_of", "alerts")
    op.drop_table("alerts")
