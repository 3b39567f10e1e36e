"""Partner-API keys (hash only) and the idempotency store of its writes.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_api_keys",
        sa.Column("key_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("prefix", sa.String(24), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(400), nullable=False),
        sa.Column("expires_at", sa.DateTime),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("revoked_by", sa.Integer),
    )
    op.create_index(
        "ix_miomente_api_keys_partner", "miomente_api_keys", ["partner_id", "created_at"]
    )
    op.create_table(
        "miomente_api_idempotency",
        sa.Column("key_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idempotency_key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("response", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_miomente_api_idempotency_created", "miomente_api_idempotency", ["created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_miomente_api_idempotency_created", "miomente_api_idempotency")
    op.drop_table("miomente_api_idempotency")
    op.drop_index("ix_miomente_api_keys_partner", "miomente_api_keys")
    op.drop_table("miomente_api_keys")
