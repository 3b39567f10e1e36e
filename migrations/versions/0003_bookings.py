"""Bookings: the partner-scoped booking ledger, partner decisions, sync watermarks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LEDGER_INDEXES = {
    "ix_miomente_bookings_partner_booked": ["partner_id", "booked_at", "item_id"],
    "ix_miomente_bookings_partner_event": ["partner_id", "event_at", "item_id"],
    "ix_miomente_bookings_partner_status": ["partner_id", "status", "booked_at"],
    "ix_miomente_bookings_booked": ["booked_at", "item_id"],
    "ix_miomente_bookings_event": ["event_at", "item_id"],
    "ix_miomente_bookings_order": ["order_id"],
}


def upgrade() -> None:
    op.create_table(
        "miomente_bookings",
        sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("increment_id", sa.String(50), nullable=False),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("product_id", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(64)),
        sa.Column("course", sa.String(255)),
        sa.Column("date_id", sa.Integer),
        sa.Column("event_at", sa.DateTime),
        sa.Column("booked_at", sa.DateTime, nullable=False),
        sa.Column("customer_name", sa.String(260)),
        sa.Column("customer_email", sa.String(128)),
        sa.Column("tickets", sa.Integer, nullable=False, server_default="0"),
        sa.Column("gross", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("refunded", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("order_state", sa.String(32)),
        sa.Column("order_status", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("search_text", sa.String(500), nullable=False, server_default=""),
        sa.Column("shop_updated_at", sa.DateTime, nullable=False),
        sa.Column("synced_at", sa.DateTime, nullable=False),
    )
    for name, columns in LEDGER_INDEXES.items():
        op.create_index(name, "miomente_bookings", columns)
    op.create_table(
        "miomente_booking_decisions",
        sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("order_id", sa.Integer, nullable=False),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("alternatives", sa.JSON),
        sa.Column("decided_by", sa.Integer, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "decision in ('confirmed', 'rejected')",
            name="ck_miomente_booking_decisions_decision",
        ),
    )
    op.create_index(
        "ix_miomente_booking_decisions_order", "miomente_booking_decisions", ["order_id"]
    )
    op.create_table(
        "miomente_sync_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("watermark_at", sa.DateTime),
        sa.Column("watermark_id", sa.Integer, nullable=False, server_default="0"),
        sa.Column(
            "updated_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()
        ),
    )


def downgrade() -> None:
    op.drop_table("miomente_sync_state")
    op.drop_index("ix_miomente_booking_decisions_order", "miomente_booking_decisions")
    op.drop_table("miomente_booking_decisions")
    for name in LEDGER_INDEXES:
        op.drop_index(name, "miomente_bookings")
    op.drop_table("miomente_bookings")
