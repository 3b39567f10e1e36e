"""Mindestteilnehmerzahl: a minimum per course date and per series, each partner's check
settings, and the check of each date (issue 12, item 4).

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0015"
branch_labels = None
depends_on = None


def _partner() -> sa.Column:
    return sa.Column(
        "partner_id", sa.Integer, sa.ForeignKey("miomente_partners.partner_id"), nullable=False
    )


def upgrade() -> None:
    with op.batch_alter_table("miomente_recurring_patterns") as batch:
        batch.add_column(
            sa.Column("min_participants", sa.Integer, nullable=False, server_default="0")
        )
    op.create_table(
        "miomente_date_minimums",
        sa.Column("date_id", sa.Integer, primary_key=True, autoincrement=False),
        _partner(),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("min_participants", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "min_participants between 0 and 10000", name="ck_miomente_date_minimums_range"
        ),
    )
    op.create_table(
        "miomente_minimum_settings",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("check_days", sa.Integer, nullable=False, server_default="3"),
        sa.Column("answer_hours", sa.Integer, nullable=False, server_default="24"),
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("check_days between 1 and 14", name="ck_miomente_minimum_settings_days"),
        sa.CheckConstraint(
            "answer_hours between 1 and 72", name="ck_miomente_minimum_settings_hours"
        ),
    )
    op.create_table(
        "miomente_minimum_checks",
        sa.Column("date_id", sa.Integer, primary_key=True, autoincrement=False),
        _partner(),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("min_participants", sa.Integer, nullable=False),
        sa.Column("seats_sold", sa.Integer, nullable=False),
        sa.Column("asked_at", sa.DateTime),
        sa.Column("last_call_at", sa.DateTime),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "state in ('reached', 'asked', 'go', 'cancelled')",
            name="ck_miomente_minimum_checks_state",
        ),
    )
    op.create_index(
        "ix_miomente_minimum_checks_partner", "miomente_minimum_checks", ["partner_id", "state"]
    )


def downgrade() -> None:
    op.drop_index("ix_miomente_minimum_checks_partner", "miomente_minimum_checks")
    op.drop_table("miomente_minimum_checks")
    op.drop_table("miomente_minimum_settings")
    op.drop_table("miomente_date_minimums")
    with op.batch_alter_table("miomente_recurring_patterns") as batch:
        batch.drop_column("min_participants")
