"""Back-in-band verdicts on open alert episodes, one per episode and detection month.

Revision ID: 0005_alert_band_checks
Revises: 0002_alerts
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_alert_band_checks"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_band_checks",
        sa.Column("episode", sa.String(80), nullable=False),
        sa.Column("as_of", sa.String(7), nullable=False),
        sa.Column("in_band", sa.Boolean, nullable=False),
        sa.Column("observed", sa.Float),
        sa.Column("lower", sa.Float),
        sa.Column("upper", sa.Float),
        sa.PrimaryKeyConstraint("episode", "as_of", name="pk_alert_band_checks"),
    )


def downgrade() -> None:
    op.drop_table("alert_band_checks")
