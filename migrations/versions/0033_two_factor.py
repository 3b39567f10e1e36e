"""Two-factor login: TOTP secrets (sealed) and single-use recovery codes.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_totp",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("miomente_users.user_id"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("last_used_step", sa.Integer),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "miomente_recovery_codes",
        sa.Column("code_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_miomente_recovery_codes_code"),
    )


def downgrade() -> None:
    op.drop_table("miomente_recovery_codes")
    op.drop_table("miomente_totp")
