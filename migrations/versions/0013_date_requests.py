"""Terminanfragen: customers' date requests and each partner's rules for them (issue 12).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_date_requests",
        sa.Column("request_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("requested_day", sa.Date, nullable=False),
        sa.Column("requested_time", sa.Time, nullable=False),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(50)),
        sa.Column("participants", sa.Integer, nullable=False),
        sa.Column("message", sa.Text),
        sa.Column("locale", sa.String(5), nullable=False, server_default="de"),
        sa.Column("source", sa.String(16), nullable=False, server_default="portal"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("answer_due_on", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.Integer),
        sa.Column("decision_note", sa.Text),
        sa.Column("proposed_starts_at", sa.DateTime),
        sa.Column("proposed_date_id", sa.Integer),
        sa.Column("proposal_token_hash", sa.String(64), unique=True),
        sa.Column("created_date_id", sa.Integer),
        sa.CheckConstraint(
            "status in ('pending', 'accepted', 'proposed', 'rejected', 'expired')",
            name="ck_miomente_date_requests_status",
        ),
        sa.CheckConstraint("participants > 0", name="ck_miomente_date_requests_participants"),
        sa.UniqueConstraint(
            "product_id", "requested_day", "email", name="uq_miomente_date_requests_wish"
        ),
    )
    op.create_index(
        "ix_miomente_date_requests_partner",
        "miomente_date_requests",
        ["partner_id", "status", "requested_day"],
    )
    op.create_index(
        "ix_miomente_date_requests_due", "miomente_date_requests", ["status", "answer_due_on"]
    )
    op.create_table(
        "miomente_date_request_rules",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("weekdays", sa.String(32), nullable=False),
        sa.Column("earliest", sa.Time, nullable=False),
        sa.Column("latest", sa.Time, nullable=False),
        sa.Column("min_participants", sa.Integer, nullable=False),
        sa.Column("max_participants", sa.Integer, nullable=False),
        sa.Column("lead_days", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("miomente_date_request_rules")
    op.drop_index("ix_miomente_date_requests_due", "miomente_date_requests")
    op.drop_index("ix_miomente_date_requests_partner", "miomente_date_requests")
    op.drop_table("miomente_date_requests")
