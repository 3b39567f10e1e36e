"""Revenue: monthly roll-ups of the booking ledger per partner and course (issue 5).

Creates `miomente_revenue_monthly` and fills it from the ledger that is already there (an
empty ledger gives an empty table; every later ledger write keeps it current).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "miomente_revenue_monthly"
INDEX = "ix_miomente_revenue_monthly_all"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("partner_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("basis", sa.String(8), primary_key=True),
        sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("month", sa.Date, primary_key=True),
        sa.Column("gross", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("refunded", sa.Numeric(20, 4), nullable=False, server_default="0"),
        sa.Column("tickets", sa.Integer, nullable=False, server_default="0"),
        sa.Column("items", sa.Integer, nullable=False, server_default="0"),
        sa.Column("orders", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "basis in ('booked', 'event')", name="ck_miomente_revenue_monthly_basis"
        ),
    )
    op.create_index(INDEX, TABLE, ["basis", "product_id", "month", "partner_id"])
    # Fill from an existing ledger (the module's table definitions match this revision's).
    from data.money.rollup import rebuild_rollups

    rebuild_rollups(op.get_bind())


def downgrade() -> None:
    op.drop_index(INDEX, TABLE)
    op.drop_table(TABLE)
