"""A team member's daily digest: the messages collected until the `member-digest` job mails
them as one.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_member_digest_items",
        sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), nullable=False),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("digested_at", sa.DateTime),
    )
    op.create_index(
        "ix_miomente_member_digest_items_pending",
        "miomente_member_digest_items",
        ["digested_at", "user_id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_miomente_member_digest_items_pending", table_name="miomente_member_digest_items"
    )
    op.drop_table("miomente_member_digest_items")
