"""Login sessions: revocable server-side sessions instead of a self-contained signed cookie.

`miomente_sessions` holds one row per live login: the SHA-256 of the cookie's random id, the
user, and the times that bound it (idle timeout from `last_seen_at`, absolute `expires_at`).
`miomente_password_resets` holds the single-use, expiring reset links staff send (hashed too).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_miomente_sessions_user", "miomente_sessions", ["user_id"])
    op.create_table(
        "miomente_password_resets",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("miomente_users.user_id"), nullable=False),
        sa.Column("created_by", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
    )
    op.create_index("ix_miomente_password_resets_user", "miomente_password_resets", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_miomente_password_resets_user", "miomente_password_resets")
    op.drop_table("miomente_password_resets")
    op.drop_index("ix_miomente_sessions_user", "miomente_sessions")
    op.drop_table("miomente_sessions")
