"""Pull checkpoints and leases; HDX admin2-month aggregates.

Revision ID: 0004_pulls
Revises: 0001_events
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_pulls"
down_revision = "0001_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_state",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("query", sa.Text),
        sa.Column("phase", sa.String(16)),
        sa.Column("next_page", sa.Integer),
        sa.Column("next_url", sa.Text),
        sa.Column("pages_done", sa.Integer, nullable=False),
        sa.Column("events_received", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("newest_received", sa.BigInteger),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("timestamp_watermark", sa.BigInteger),
        sa.Column("deletions_since", sa.BigInteger),
        sa.Column("completed_query", sa.Text),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("source", name="pk_pull_state"),
    )
    op.create_table(
        "hdx_aggregates",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("country", sa.Text, nullable=False),
        sa.Column("admin1", sa.Text, nullable=False),
        sa.Column("admin2", sa.Text, nullable=False),
        sa.Column("iso3", sa.String(3)),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.SmallInteger, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("fatalities", sa.Integer, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hdx_aggregates"),
        sa.UniqueConstraint(
            "country", "admin1", "admin2", "year", "month",
            name="uq_hdx_aggregates_country_admin1_admin2_year_month",
        ),
    )


def downgrade() -> None:
    op.drop_table("hdx_aggregates")
    op.drop_table("pull_state")
