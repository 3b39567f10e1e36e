"""Payouts: a negative payout is offset ("Verrechnung") against the partner's next payout.

`miomente_payouts.carried` (≤ 0) is what a payout sets off; `miomente_payout_offsets` records
which negative payout it settles, at most once (primary key on offsets_payout_id).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy): SQLite supports it with a constant default.
    op.add_column(
        "miomente_payouts",
        sa.Column("carried", sa.Numeric(14, 2), nullable=False, server_default="0"),
    )
    op.create_table(
        "miomente_payout_offsets",
        sa.Column(
            "offsets_payout_id",
            sa.Integer,
            sa.ForeignKey("miomente_payouts.payout_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column(
            "payout_id", sa.Integer, sa.ForeignKey("miomente_payouts.payout_id"), nullable=False
        ),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.CheckConstraint("amount < 0", name="ck_miomente_payout_offsets_amount"),
        sa.CheckConstraint(
            "payout_id <> offsets_payout_id", name="ck_miomente_payout_offsets_self"
        ),
    )
    op.create_index("ix_miomente_payout_offsets_payout", "miomente_payout_offsets", ["payout_id"])


def downgrade() -> None:
    op.drop_index("ix_miomente_payout_offsets_payout", "miomente_payout_offsets")
    op.drop_table("miomente_payout_offsets")
    with op.batch_alter_table("miomente_payouts") as batch:
        batch.drop_column("carried")
