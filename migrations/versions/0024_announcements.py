"""Neuigkeiten: announcements, their chosen partners, reads and the weekly digest choice.

Revision ID: 0024
Revises: 0018
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_announcements",
        sa.Column("announcement_id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("all_partners", sa.Boolean, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("publish_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("withdrawn_at", sa.DateTime),
        sa.CheckConstraint(
            "category in ('news', 'feature', 'platform', 'maintenance')",
            name="ck_miomente_announcements_category",
        ),
    )
    op.create_index("ix_miomente_announcements_publish", "miomente_announcements", ["publish_at"])
    op.create_table(
        "miomente_announcement_partners",
        sa.Column(
            "announcement_id",
            sa.Integer,
            sa.ForeignKey("miomente_announcements.announcement_id"),
            primary_key=True,
        ),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
        ),
    )
    op.create_index(
        "ix_miomente_announcement_partners_partner",
        "miomente_announcement_partners",
        ["partner_id"],
    )
    op.create_table(
        "miomente_announcement_reads",
        sa.Column(
            "announcement_id",
            sa.Integer,
            sa.ForeignKey("miomente_announcements.announcement_id"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), primary_key=True),
        sa.Column("read_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "miomente_news_prefs",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), primary_key=True),
        sa.Column("weekly_digest", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("miomente_news_prefs")
    op.drop_table("miomente_announcement_reads")
    op.drop_index("ix_miomente_announcement_partners_partner", "miomente_announcement_partners")
    op.drop_table("miomente_announcement_partners")
    op.drop_index("ix_miomente_announcements_publish", "miomente_announcements")
    op.drop_table("miomente_announcements")
