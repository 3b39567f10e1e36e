"""Messaging and jobs: outbox, notification preferences, job runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "miomente_outbox",
        sa.Column("message_id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("recipient_name", sa.String(200)),
        sa.Column("locale", sa.String(5), nullable=False, server_default="de"),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("partner_id", sa.Integer),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("last_error", sa.Text),
        sa.Column("provider_message_id", sa.String(200)),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.Column("sent_at", sa.DateTime),
        sa.CheckConstraint("channel in ('email', 'sms')", name="ck_miomente_outbox_channel"),
        sa.CheckConstraint(
            "status in ('pending', 'sending', 'sent', 'failed')",
            name="ck_miomente_outbox_status",
        ),
    )
    op.create_index("ix_miomente_outbox_due", "miomente_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_miomente_outbox_partner", "miomente_outbox", ["partner_id", "created_at"])
    op.create_table(
        "miomente_notification_prefs",
        sa.Column("pref_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("email_enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("sms_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("emails", sa.Text, nullable=False, server_default=""),
        sa.Column("phone", sa.String(50)),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.UniqueConstraint("partner_id", "event", name="uq_miomente_notification_prefs_event"),
    )
    op.create_table(
        "miomente_job_runs",
        sa.Column("run_id", sa.Integer, primary_key=True),
        sa.Column("task", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("details", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("host", sa.String(200)),
    )
    op.create_index(
        "ix_miomente_job_runs_task_started", "miomente_job_runs", ["task", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_miomente_job_runs_task_started", "miomente_job_runs")
    op.drop_table("miomente_job_runs")
    op.drop_table("miomente_notification_prefs")
    op.drop_index("ix_miomente_outbox_partner", "miomente_outbox")
    op.drop_index("ix_miomente_outbox_due", "miomente_outbox")
    op.drop_table("miomente_outbox")
