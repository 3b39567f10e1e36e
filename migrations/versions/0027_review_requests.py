"""Review requests: the partner's settings, one row per request sent, objections.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_review_settings",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
        ),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("delay_days", sa.Integer, nullable=False, server_default="1"),
        sa.Column("reminders", sa.Integer, nullable=False, server_default="1"),
        sa.Column("reminder_days", sa.Integer, nullable=False, server_default="5"),
        sa.Column("basis", sa.String(16), nullable=False, server_default="notice"),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.Integer),
        sa.CheckConstraint("delay_days between 0 and 14", name="ck_miomente_review_settings_delay"),
        sa.CheckConstraint(
            "reminders between 0 and 2", name="ck_miomente_review_settings_reminders"
        ),
        sa.CheckConstraint(
            "reminder_days between 1 and 14", name="ck_miomente_review_settings_reminder_days"
        ),
        sa.CheckConstraint(
            "basis in ('consent', 'notice')", name="ck_miomente_review_settings_basis"
        ),
    )
    op.create_table(
        "miomente_review_requests",
        sa.Column("request_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(80), nullable=False, unique=True),
        sa.Column("item_id", sa.Integer, nullable=False, unique=True),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("increment_id", sa.String(50), nullable=False),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("date_id", sa.Integer),
        sa.Column("course", sa.String(255)),
        sa.Column("email_hash", sa.String(64), nullable=False),
        sa.Column("locale", sa.String(2), nullable=False, server_default="de"),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("ended_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("reminders_sent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_reminder_at", sa.DateTime),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("used_at", sa.DateTime),
        sa.Column("review_id", sa.Integer, unique=True),
        sa.CheckConstraint(
            "basis in ('consent', 'notice')", name="ck_miomente_review_requests_basis"
        ),
        sa.CheckConstraint(
            "reminders_sent between 0 and 2", name="ck_miomente_review_requests_reminders"
        ),
    )
    op.create_index(
        "ix_miomente_review_requests_partner",
        "miomente_review_requests",
        ["partner_id", "sent_at"],
    )
    op.create_index(
        "ix_miomente_review_requests_open", "miomente_review_requests", ["used_at", "sent_at"]
    )
    op.create_table(
        "miomente_review_objections",
        sa.Column("email_hash", sa.String(64), primary_key=True),
        sa.Column("request_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("miomente_review_objections")
    op.drop_index("ix_miomente_review_requests_open", "miomente_review_requests")
    op.drop_index("ix_miomente_review_requests_partner", "miomente_review_requests")
    op.drop_table("miomente_review_requests")
    op.drop_table("miomente_review_settings")
