"""Foundation: partners, users, courses, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _now() -> sa.sql.elements.ColumnElement:
    return sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "miomente_partners",
        sa.Column("partner_id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("legal_name", sa.String(200), nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(16), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country_id", sa.String(2), nullable=False, server_default="DE"),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(50)),
        sa.Column("tax_number", sa.String(50)),
        sa.Column("vat_id", sa.String(50)),
        sa.Column("commission_rate", sa.Numeric(5, 2), nullable=False, server_default="25.00"),
        sa.Column("small_business", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.Column("updated_at", sa.DateTime, nullable=False, server_default=_now()),
    )
    op.create_table(
        "miomente_users",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("partner_id", sa.Integer, sa.ForeignKey("miomente_partners.partner_id")),
        sa.Column("locale", sa.String(5), nullable=False, server_default="de"),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("last_login_at", sa.DateTime),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
        sa.CheckConstraint("role in ('partner', 'staff')", name="ck_miomente_users_role"),
        sa.CheckConstraint(
            "role = 'staff' or partner_id is not null", name="ck_miomente_users_partner_scope"
        ),
    )
    op.create_table(
        "miomente_courses",
        sa.Column("course_id", sa.Integer, primary_key=True),
        sa.Column(
            "partner_id",
            sa.Integer,
            sa.ForeignKey("miomente_partners.partner_id"),
            nullable=False,
        ),
        sa.Column("product_id", sa.Integer, nullable=False, unique=True),
        sa.Column("sku", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False, server_default=_now()),
    )
    op.create_index("ix_miomente_courses_partner", "miomente_courses", ["partner_id"])
    op.create_table(
        "miomente_audit_log",
        sa.Column("audit_id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, server_default=_now()),
        sa.Column("user_id", sa.Integer),
        sa.Column("partner_id", sa.Integer),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64)),
        sa.Column("entity_id", sa.String(64)),
        sa.Column("details", sa.JSON),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_miomente_audit_log_partner_at", "miomente_audit_log", ["partner_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_miomente_audit_log_partner_at", "miomente_audit_log")
    op.drop_table("miomente_audit_log")
    op.drop_index("ix_miomente_courses_partner", "miomente_courses")
    op.drop_table("miomente_courses")
    op.drop_table("miomente_users")
    op.drop_table("miomente_partners")
