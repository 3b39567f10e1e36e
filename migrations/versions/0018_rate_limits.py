"""Rate limits of the public service: fixed-window counters shared by every API process.

`miomente_rate_limits` holds one counter per bucket (what is counted and a hash of whom) and
window (data/integrations/rate_limits.py); rows of past windows are pruned.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_rate_limits",
        sa.Column("bucket", sa.String(80), primary_key=True),
        sa.Column("window_start", sa.DateTime, primary_key=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_miomente_rate_limits_window", "miomente_rate_limits", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_miomente_rate_limits_window", "miomente_rate_limits")
    op.drop_table("miomente_rate_limits")
