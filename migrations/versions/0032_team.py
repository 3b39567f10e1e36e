"""The partner's team: a member role per partner user, invitations, each member's own
notification choices.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("miomente_users", sa.Column("member_role", sa.String(16)))
    # Every partner user from before teams is its partner's owner; staff have no member role.
    op.execute("UPDATE miomente_users SET member_role = 'owner' WHERE role = 'partner'")
    op.create_table(
        "miomente_invitations",
        sa.Column("invitation_id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("member_role", sa.String(16), nullable=False),
        sa.Column("invited_by", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime),
        sa.Column("user_id", sa.Integer),
        sa.CheckConstraint(
            "member_role in ('owner', 'accounting', 'team')",
            name="ck_miomente_invitations_role",
        ),
    )
    op.create_index("ix_miomente_invitations_partner", "miomente_invitations", ["partner_id"])
    op.create_table(
        "miomente_member_prefs",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("miomente_users.user_id"),
            primary_key=True,
        ),
        sa.Column("event", sa.String(64), primary_key=True),
        sa.Column("email_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sms_enabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("phone", sa.String(20)),
        sa.Column("quiet_from", sa.String(5)),
        sa.Column("quiet_until", sa.String(5)),
        sa.Column("daily_digest", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("miomente_member_prefs")
    op.drop_index("ix_miomente_invitations_partner", "miomente_invitations")
    op.drop_table("miomente_invitations")
    with op.batch_alter_table("miomente_users") as batch:
        batch.drop_column("member_role")
