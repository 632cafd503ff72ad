"""The service: run log (runs, run_steps), email outbox and alert approvals.

Revision ID: 0003_service
Revises: 0001_events
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_service"
down_revision = "0001_events"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("slot", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("as_of", sa.String(10)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("job", "slot", name="uq_runs_job_slot"),
    )
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_table(
        "run_steps",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("step", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_run_steps"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_steps_run_id_runs", ondelete="CASCADE"),
        sa.UniqueConstraint("run_id", "attempt", "step", name="uq_run_steps_run_id_attempt_step"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(400), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("alert_ids", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_attempt_at", _TIME),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("sent_at", _TIME),
        sa.Column("run_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    op.create_table(
        "alert_approvals",
        sa.Column("alert_id", sa.String(80), nullable=False),
        sa.Column("approved_at", _TIME, nullable=False),
        sa.Column("approved_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alert_approvals"),
    )


def downgrade() -> None:
    op.drop_table("alert_approvals")
    op.drop_index("ix_outbox_state", "outbox")
    op.drop_table("outbox")
    op.drop_table("run_steps")
    op.drop_index("ix_runs_state", "runs")
    op.drop_table("runs")
