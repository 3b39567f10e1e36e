"""Warteliste: waiting customers, the notices they got, each partner's settings (issue 12).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_waitlist",
        sa.Column("entry_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("date_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column("customer_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(50)),
        sa.Column("locale", sa.String(5), nullable=False, server_default="de"),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("consent_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("notified_at", sa.DateTime),
        sa.Column("converted_at", sa.DateTime),
        sa.Column("unsubscribed_at", sa.DateTime),
        sa.Column("expired_at", sa.DateTime),
        sa.CheckConstraint("seats between 1 and 50", name="ck_miomente_waitlist_seats"),
        sa.CheckConstraint(
            "source in ('phone', 'widget', 'shop', 'api')", name="ck_miomente_waitlist_source"
        ),
        sa.UniqueConstraint("product_id", "date_id", "email", name="uq_miomente_waitlist_email"),
    )
    op.create_index(
        "ix_miomente_waitlist_partner",
        "miomente_waitlist",
        ["partner_id", "product_id", "created_at"],
    )
    op.create_index(
        "ix_miomente_waitlist_product", "miomente_waitlist", ["product_id", "created_at"]
    )
    op.create_table(
        "miomente_waitlist_notices",
        sa.Column(
            "entry_id",
            sa.Integer,
            sa.ForeignKey("miomente_waitlist.entry_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("date_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("notified_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("kind in ('sent', 'known')", name="ck_miomente_waitlist_notices_kind"),
    )
    op.create_index(
        "ix_miomente_waitlist_notices_date",
        "miomente_waitlist_notices",
        ["date_id", "notified_at"],
    )
    op.create_table(
        "miomente_waitlist_settings",
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("mode", sa.String(8), nullable=False, server_default="all"),
        sa.Column("wait_hours", sa.Integer, nullable=False, server_default="24"),
        sa.Column("expiry_months", sa.Integer, nullable=False, server_default="6"),
        sa.Column("updated_by", sa.Integer),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint("mode in ('all', 'queue')", name="ck_miomente_waitlist_settings_mode"),
        sa.CheckConstraint(
            "wait_hours between 1 and 168", name="ck_miomente_waitlist_settings_hours"
        ),
        sa.CheckConstraint(
            "expiry_months between 1 and 24", name="ck_miomente_waitlist_settings_expiry"
        ),
    )


def downgrade() -> None:
    op.drop_table("miomente_waitlist_settings")
    op.drop_index("ix_miomente_waitlist_notices_date", "miomente_waitlist_notices")
    op.drop_table("miomente_waitlist_notices")
    op.drop_index("ix_miomente_waitlist_product", "miomente_waitlist")
    op.drop_index("ix_miomente_waitlist_partner", "miomente_waitlist")
    op.drop_table("miomente_waitlist")
