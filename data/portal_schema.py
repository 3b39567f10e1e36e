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
    UniqueConstraint,
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

# --- messaging and jobs (migration 0002) ----------------------------------------------------

CHANNEL_EMAIL, CHANNEL_SMS = "email", "sms"
OUTBOX_PENDING, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED = "pending", "sending", "sent", "failed"

outbox = Table(
    "miomente_outbox",
    metadata,
    Column("message_id", Integer, primary_key=True),
    Column("channel", String(8), nullable=False),
    Column("template", String(64), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("recipient_name", String(200)),
    Column("locale", String(5), nullable=False, server_default="de"),
    Column("payload", JSON, nullable=False),
    # Whose message it is (for the partner's own timeline); None for staff/system mail.
    Column("partner_id", Integer),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    # A sender claims a row until lease_until; a crashed sender's rows come back after it.
    Column("lease_until", DateTime),
    Column("claimed_by", String(64)),
    Column("last_error", Text),
    Column("provider_message_id", String(200)),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("sent_at", DateTime),
    CheckConstraint("channel in ('email', 'sms')", name="ck_miomente_outbox_channel"),
    CheckConstraint(
        "status in ('pending', 'sending', 'sent', 'failed')", name="ck_miomente_outbox_status"
    ),
    Index("ix_miomente_outbox_due", "status", "next_attempt_at"),
    Index("ix_miomente_outbox_partner", "partner_id", "created_at"),
)

notification_prefs = Table(
    "miomente_notification_prefs",
    metadata,
    Column("pref_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("event", String(64), nullable=False),
    Column("email_enabled", Boolean, nullable=False, server_default=true()),
    Column("sms_enabled", Boolean, nullable=False, server_default=false()),
    # Comma-separated addresses; empty means the partner's main address.
    Column("emails", Text, nullable=False, server_default=""),
    Column("phone", String(50)),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("partner_id", "event", name="uq_miomente_notification_prefs_event"),
)

JOB_RUNNING, JOB_OK, JOB_FAILED = "running", "ok", "failed"

job_runs = Table(
    "miomente_job_runs",
    metadata,
    Column("run_id", Integer, primary_key=True),
    Column("task", String(64), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", String(16), nullable=False),
    Column("dry_run", Boolean, nullable=False, server_default=false()),
    Column("processed", Integer, nullable=False, server_default="0"),
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("details", JSON),
    Column("error", Text),
    Column("host", String(200)),
    Index("ix_miomente_job_runs_task_started", "task", "started_at"),
)

# --- bookings (migration 0003) ---------------------------------------------------------------

# Partner-facing booking status, derived from the shop's order and the partner's decision.
BOOKING_NEW, BOOKING_CONFIRMED, BOOKING_REJECTED = "new", "confirmed", "rejected"
BOOKING_CANCELLED, BOOKING_REFUNDED, BOOKING_COMPLETED = "cancelled", "refunded", "completed"
BOOKING_STATUSES = (
    BOOKING_NEW,
    BOOKING_CONFIRMED,
    BOOKING_REJECTED,
    BOOKING_CANCELLED,
    BOOKING_REFUNDED,
    BOOKING_COMPLETED,
)

# The booking ledger: one row per booked order item of a partner's course, copied from Magento
# (like Magento's own sales_order_grid) so partner lists are index lookups, not joins over the
# shop's million orders. Filled incrementally by updated_at; the portal's own writes update it
# at once. Single records (order detail) are still read live from Magento.
bookings = Table(
    "miomente_bookings",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=False),  # sales_order_item
    Column("order_id", Integer, nullable=False),
    Column("increment_id", String(50), nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("sku", String(64)),
    Column("course", String(255)),
    Column("date_id", Integer),
    Column("event_at", DateTime),  # UTC start of the booked date
    Column("booked_at", DateTime, nullable=False),  # UTC, the order's created_at
    Column("customer_name", String(260)),
    Column("customer_email", String(128)),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("gross", Numeric(20, 4), nullable=False, server_default="0"),
    Column("refunded", Numeric(20, 4), nullable=False, server_default="0"),
    Column("order_state", String(32)),
    Column("order_status", String(32)),
    Column("status", String(16), nullable=False),
    # lower(customer name, email, order number): what the free-text filter searches.
    Column("search_text", String(500), nullable=False, server_default=""),
    Column("shop_updated_at", DateTime, nullable=False),
    Column("synced_at", DateTime, nullable=False),
    Index("ix_miomente_bookings_partner_booked", "partner_id", "booked_at", "item_id"),
    Index("ix_miomente_bookings_partner_event", "partner_id", "event_at", "item_id"),
    Index("ix_miomente_bookings_partner_status", "partner_id", "status", "booked_at"),
    Index("ix_miomente_bookings_booked", "booked_at", "item_id"),
    Index("ix_miomente_bookings_event", "event_at", "item_id"),
    Index("ix_miomente_bookings_order", "order_id"),
)

DECISION_CONFIRMED, DECISION_REJECTED = "confirmed", "rejected"

# A partner's decision on one booked item. The primary key on item_id makes "two clicks, two
# tabs" safe: exactly one decision per item can ever be stored.
booking_decisions = Table(
    "miomente_booking_decisions",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", Text),
    Column("alternatives", JSON),  # up to three date ids offered instead
    Column("decided_by", Integer, nullable=False),
    Column("decided_at", DateTime, nullable=False),
    CheckConstraint(
        "decision in ('confirmed', 'rejected')", name="ck_miomente_booking_decisions_decision"
    ),
    Index("ix_miomente_booking_decisions_order", "order_id"),
)

# Watermarks of incremental copies from the shop (the ledger's: last order updated_at + id).
sync_state = Table(
    "miomente_sync_state",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("watermark_at", DateTime),
    Column("watermark_id", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

# --- series (migration 0004) ----------------------------------------------------------------

# --- accounting (migration 0005) ------------------------------------------------------------
