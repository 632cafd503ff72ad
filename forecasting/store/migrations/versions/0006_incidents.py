"""Incidents: the alerts of a month that tell one story, and each alert's incident and driving
events.

Revision ID: 0006_incidents
Revises: 0002_alerts
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_incidents"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("incident", sa.String(80)))
    op.add_column("alerts", sa.Column("driving_events", sa.JSON))
    op.create_index("ix_alerts_incident", "alerts", ["incident"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(80), nullable=False),
        sa.Column("as_of", sa.String(7), nullable=False),
        sa.Column("opened", sa.String(7), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("lead", sa.String(80), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("record", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", "as_of", name="pk_incidents"),
    )
    op.create_index("ix_incidents_as_of", "incidents", ["as_of"])


def downgrade() -> None:
    op.drop_index("ix_incidents_as_of", "incidents")
    op.drop_table("incidents")
    op.drop_index("ix_alerts_incident", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("driving_events")
        batch.drop_column("incident")
