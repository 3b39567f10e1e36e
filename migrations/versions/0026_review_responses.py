"""Bewertungen: the partner's answers to reviews, their moderation and history.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_review_responses",
        sa.Column("response_id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, nullable=False, unique=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_body", sa.Text),
        sa.Column("reject_reason", sa.String(32)),
        sa.Column("reject_note", sa.Text),
        sa.Column("review_created_at", sa.DateTime, nullable=False),
        sa.Column("first_approved_at", sa.DateTime),
        sa.Column("submitted_at", sa.DateTime),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("decided_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.Integer),
        sa.CheckConstraint(
            "status in ('draft', 'pending', 'approved', 'rejected')",
            name="ck_miomente_review_responses_status",
        ),
    )
    op.create_index(
        "ix_miomente_review_responses_partner",
        "miomente_review_responses",
        ["partner_id", "status"],
    )
    op.create_index(
        "ix_miomente_review_responses_status",
        "miomente_review_responses",
        ["status", "submitted_at"],
    )
    op.create_table(
        "miomente_review_response_history",
        sa.Column("history_id", sa.Integer, primary_key=True),
        sa.Column(
            "response_id",
            sa.Integer,
            sa.ForeignKey("miomente_review_responses.response_id"),
            nullable=False,
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reject_reason", sa.String(32)),
        sa.Column("reject_note", sa.Text),
        sa.Column("actor_id", sa.Integer),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_miomente_review_response_history_response",
        "miomente_review_response_history",
        ["response_id", "at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_miomente_review_response_history_response", "miomente_review_response_history"
    )
    op.drop_table("miomente_review_response_history")
    op.drop_index("ix_miomente_review_responses_status", "miomente_review_responses")
    op.drop_index("ix_miomente_review_responses_partner", "miomente_review_responses")
    op.drop_table("miomente_review_responses")
