"""The portal's own tables (Supabase PostgreSQL; SQLite in demo mode).

The Alembic migrations in `migrations/versions/` create them; this module describes the same
tables for queries. `tests/test_migrations.py` fails when the two drift apart.
Timestamps are naive UTC. Money is NUMERIC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    false,
    func,
    true,
)

metadata = MetaData()

ROLE_PARTNER, ROLE_STAFF = "partner", "staff"

partners = Table(
    "miomente_partners",
    metadata,
    Column("partner_id", Integer, primary_key=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("legal_name", String(200), nullable=False),
    Column("street", String(200), nullable=False),
    Column("postcode", String(16), nullable=False),
    Column("city", String(100), nullable=False),
    Column("country_id", String(2), nullable=False, server_default="DE"),
    Column("email", String(200), nullable=False),
    Column("phone", String(50)),
    Column("tax_number", String(50)),
    Column("vat_id", String(50)),
    # Contractual commission in percent, e.g. 25.00; courses may override it later.
    Column("commission_rate", Numeric(5, 2), nullable=False, server_default="25.00"),
    Column("small_business", Boolean, nullable=False, server_default=false()),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

users = Table(
    "miomente_users",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id")),
    Column("locale", String(5), nullable=False, server_default="de"),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime),
    Column("last_login_at", DateTime),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    CheckConstraint("role in ('partner', 'staff')", name="ck_miomente_users_role"),
    CheckConstraint(
        "role = 'staff' or partner_id is not null", name="ck_miomente_users_partner_scope"
    ),
)

courses = Table(
    "miomente_courses",
    metadata,
    Column("course_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False, unique=True),
    Column("sku", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Index("ix_miomente_courses_partner", "partner_id"),
)

audit_log = Table(
    "miomente_audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("user_id", Integer),
    Column("partner_id", Integer),
    Column("action", String(64), nullable=False),
    Column("entity", String(64)),
    Column("entity_id", String(64)),
    Column("details", JSON),
    Column("note", Text),
    Index("ix_miomente_audit_log_partner_at", "partner_id", "at"),
)
