"""SMS reminders: the partner's choice, objections, and one row per reminder dealt with.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_sms_settings",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
        ),
        sa.Column("remind_24h", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("remind_2h", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.Integer),
    )
    op.create_table(
        "miomente_sms_objections",
        sa.Column("phone", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer),
    )
    op.create_table(
        "miomente_sms_reminders",
        sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("lead", sa.String(4), primary_key=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("date_id", sa.Integer),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("segments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("lead in ('24h', '2h')", name="ck_miomente_sms_reminders_lead"),
        sa.CheckConstraint(
            "outcome in ('queued', 'no_mobile', 'objected', 'late')",
            name="ck_miomente_sms_reminders_outcome",
        ),
    )
    op.create_index(
        "ix_miomente_sms_reminders_partner", "miomente_sms_reminders", ["partner_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_miomente_sms_reminders_partner", "miomente_sms_reminders")
    op.drop_table("miomente_sms_reminders")
    op.drop_table("miomente_sms_objections")
    op.drop_table("miomente_sms_settings")
