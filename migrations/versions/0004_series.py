"""Termine: recurring series and their exceptions (issue 6).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_recurring_patterns",
        sa.Column("series_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("interval", sa.Integer, nullable=False, server_default="1"),
        sa.Column("weekdays", sa.String(32)),
        sa.Column("month_day", sa.Integer),
        sa.Column("short_months", sa.String(8)),
        sa.Column("position", sa.Integer),
        sa.Column("position_weekday", sa.String(2)),
        sa.Column("rrule", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("price", sa.Numeric(20, 4), nullable=False),
        sa.Column("ends_on", sa.Date),
        sa.Column("count", sa.Integer),
        sa.Column("holidays_in", sa.String(8)),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("generated_until", sa.Date),
        sa.Column("split_from", sa.Integer),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()
        ),
        sa.Column(
            "updated_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()
        ),
        sa.CheckConstraint("status in ('active', 'cancelled')", name="ck_miomente_series_status"),
    )
    op.create_index(
        "ix_miomente_series_partner", "miomente_recurring_patterns", ["partner_id", "product_id"]
    )
    op.create_index(
        "ix_miomente_series_due", "miomente_recurring_patterns", ["status", "generated_until"]
    )
    op.create_table(
        "miomente_recurring_exceptions",
        sa.Column("exception_id", sa.Integer, primary_key=True),
        sa.Column(
            "series_id",
            sa.Integer,
            sa.ForeignKey("miomente_recurring_patterns.series_id"),
            nullable=False,
        ),
        sa.Column("occurs_on", sa.Date, nullable=False),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("moved_to", sa.DateTime),
        sa.Column("date_id", sa.Integer),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()
        ),
        sa.CheckConstraint(
            "action in ('skip', 'move')", name="ck_miomente_series_exception_action"
        ),
        sa.UniqueConstraint("series_id", "occurs_on", name="uq_miomente_series_exception_day"),
    )


def downgrade() -> None:
    op.drop_table("miomente_recurring_exceptions")
    op.drop_index("ix_miomente_series_due", "miomente_recurring_patterns")
    op.drop_index("ix_miomente_series_partner", "miomente_recurring_patterns")
    op.drop_table("miomente_recurring_patterns")
