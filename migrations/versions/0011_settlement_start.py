"""Partners: the first course day the portal settles for them (`settlement_start`).

Items whose course date lies before the later of this and MIOMENTE_SETTLEMENT_START were
paid out outside the portal and never enter a payout (data/money/payouts.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable ADD COLUMN: no batch copy needed on SQLite.
    op.add_column("miomente_partners", sa.Column("settlement_start", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("miomente_partners") as batch:
        batch.drop_column("settlement_start")
