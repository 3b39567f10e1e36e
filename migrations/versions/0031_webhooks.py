"""Webhooks: endpoints, events (outbox pattern) and deliveries.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "miomente_webhook_endpoints",
        sa.Column("endpoint_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100)),
        sa.Column("previous_until", sa.DateTime),
        sa.Column("include_contact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("disabled_reason", sa.String(16)),
        sa.Column("disabled_at", sa.DateTime),
        sa.Column("failing_since", sa.DateTime),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_miomente_webhook_endpoints_partner", "miomente_webhook_endpoints", ["partner_id"]
    )
    op.create_table(
        "miomente_webhook_events",
        sa.Column("event_id", sa.Integer, primary_key=True),
        sa.Column("msg_id", sa.String(40), nullable=False, unique=True),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("event_type", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "ix_miomente_webhook_events_partner",
        "miomente_webhook_events",
        ["partner_id", "created_at"],
    )
    op.create_table(
        "miomente_webhook_deliveries",
        sa.Column("delivery_id", sa.Integer, primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer,
            sa.ForeignKey("miomente_webhook_events.event_id"),
            nullable=False,
        ),
        sa.Column(
            "endpoint_id",
            sa.Integer,
            sa.ForeignKey("miomente_webhook_endpoints.endpoint_id"),
            nullable=False,
        ),
        sa.Column("partner_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("retry_until", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("status_code", sa.Integer),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("error", sa.String(200)),
        sa.Column("response_excerpt", sa.String(500)),
        sa.Column("last_attempt_at", sa.DateTime),
        sa.Column("delivered_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "status in ('pending', 'sending', 'ok', 'failed')",
            name="ck_miomente_webhook_deliveries_status",
        ),
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_miomente_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_miomente_webhook_deliveries_due",
        "miomente_webhook_deliveries",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_miomente_webhook_deliveries_endpoint",
        "miomente_webhook_deliveries",
        ["endpoint_id", "created_at"],
    )
    op.create_index(
        "ix_miomente_webhook_deliveries_partner",
        "miomente_webhook_deliveries",
        ["partner_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("miomente_webhook_deliveries")
    op.drop_table("miomente_webhook_events")
    op.drop_table("miomente_webhook_endpoints")
