"""The booking widget: partners' public widget keys and the widget's traffic counters.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_widget_keys",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
        ),
        sa.Column("public_key", sa.String(40), nullable=False, unique=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "miomente_widget_traffic",
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("event", sa.String(8), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint("event IN ('view', 'click')", name="ck_miomente_widget_traffic_event"),
    )
    op.create_index("ix_miomente_widget_traffic_day", "miomente_widget_traffic", ["day"])


def downgrade() -> None:
    op.drop_index("ix_miomente_widget_traffic_day", "miomente_widget_traffic")
    op.drop_table("miomente_widget_traffic")
    op.drop_table("miomente_widget_keys")
