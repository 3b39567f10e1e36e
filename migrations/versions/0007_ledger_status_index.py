"""Ledger: an index on (status, booked_at) for staff's all-partner lists filtered by status.

Without it, staff's capped count of "all new bookings" scans the ledger from its oldest rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NAME = "ix_miomente_bookings_status_booked"


def upgrade() -> None:
    op.create_index(NAME, "miomente_bookings", ["status", "booked_at", "item_id"])


def downgrade() -> None:
    op.drop_index(NAME, "miomente_bookings")
