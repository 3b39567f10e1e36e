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
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
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
    # Bank account for the payout transfer (SEPA); migration 0005.
    Column("iban", String(34)),
    Column("bic", String(11)),
    Column("account_holder", String(200)),
    # Contractual commission in percent, e.g. 25.00; courses may override it later.
    Column("commission_rate", Numeric(5, 2), nullable=False, server_default="25.00"),
    Column("small_business", Boolean, nullable=False, server_default=false()),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    # The partner's first settled course day (migration 0011): items before it were paid out
    # outside the portal. The later of this and MIOMENTE_SETTLEMENT_START applies.
    Column("settlement_start", Date),
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
    # Staff's all-partner lists filtered by status (migration 0007).
    Index("ix_miomente_bookings_status_booked", "status", "booked_at", "item_id"),
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

SERIES_ACTIVE, SERIES_CANCELLED = "active", "cancelled"

# A recurring series of course dates (data/dates/series.py, core/recurrence.py): the rule's fields
# (kind, interval, weekdays, month day or position, custom RRULE), start day and local time,
# duration, seats, price, how it ends, the Bundesland whose holidays it skips, and how far its
# dates have been generated into the shop (`generated_until`, a local day).
recurring_patterns = Table(
    "miomente_recurring_patterns",
    metadata,
    Column("series_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("interval", Integer, nullable=False, server_default="1"),
    Column("weekdays", String(32)),  # "TU,TH"
    Column("month_day", Integer),
    Column("short_months", String(8)),  # skip | last
    Column("position", Integer),  # 1..4, -1 = last
    Column("position_weekday", String(2)),
    Column("rrule", Text, nullable=False),  # the rule as RFC 5545 RRULE (custom: as entered)
    Column("starts_on", Date, nullable=False),
    Column("start_time", Time, nullable=False),  # Europe/Berlin wall clock
    Column("duration_minutes", Integer, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("price", Numeric(20, 4), nullable=False),
    Column("ends_on", Date),
    Column("count", Integer),
    Column("holidays_in", String(8)),  # Bundesland code, e.g. "BY"
    Column("status", String(16), nullable=False, server_default="active"),
    Column("generated_until", Date),
    Column("split_from", Integer),
    # Mindestteilnehmerzahl of the series' dates (migration 0017; 0 = none): a date of the
    # series without its own row in miomente_date_minimums takes this default.
    Column("min_participants", Integer, nullable=False, server_default="0"),
    Column("created_by", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    CheckConstraint("status in ('active', 'cancelled')", name="ck_miomente_series_status"),
    # The rule's fields as expansion needs them (migration 0010; core/recurrence.py checks the
    # same before a save and again when expanding).
    CheckConstraint(
        "kind in ('daily', 'weekly', 'monthly_day', 'monthly_position', 'rrule')",
        name="ck_miomente_series_kind",
    ),
    CheckConstraint('"interval" >= 1', name="ck_miomente_series_interval"),
    CheckConstraint("duration_minutes between 1 and 1440", name="ck_miomente_series_duration"),
    CheckConstraint('"count" is null or "count" >= 1', name="ck_miomente_series_count"),
    CheckConstraint("ends_on is null or ends_on >= starts_on", name="ck_miomente_series_ends"),
    CheckConstraint('"count" is null or ends_on is null', name="ck_miomente_series_one_end"),
    Index("ix_miomente_series_partner", "partner_id", "product_id"),
    Index("ix_miomente_series_due", "status", "generated_until"),
)

# One occurrence of a series changed: skipped, or moved (`moved_to`, UTC). `occurs_on` is the
# rule's local day, the occurrence's identity; one exception per occurrence.
recurring_exceptions = Table(
    "miomente_recurring_exceptions",
    metadata,
    Column("exception_id", Integer, primary_key=True),
    Column(
        "series_id",
        Integer,
        ForeignKey("miomente_recurring_patterns.series_id"),
        nullable=False,
    ),
    Column("occurs_on", Date, nullable=False),
    Column("action", String(8), nullable=False),
    Column("moved_to", DateTime),
    Column("date_id", Integer),  # the shop's course date it concerns, once it exists
    Column("created_by", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    CheckConstraint("action in ('skip', 'move')", name="ck_miomente_series_exception_action"),
    UniqueConstraint("series_id", "occurs_on", name="uq_miomente_series_exception_day"),
)

# --- accounting (migration 0005) ------------------------------------------------------------

# Per-course commission: overrides the partner's contractual rate for events on or after
# valid_from (the latest valid_from not after the event's Berlin date wins).
commission_rates = Table(
    "miomente_commission_rates",
    metadata,
    Column("rate_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("rate", Numeric(5, 2), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("created_by", Integer),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("product_id", "valid_from", name="uq_miomente_commission_rates_from"),
    Index("ix_miomente_commission_rates_partner", "partner_id"),
)

PAYOUT_DRAFT, PAYOUT_APPROVED, PAYOUT_PAID = "draft", "approved", "paid"
PAYOUT_STATUSES = (PAYOUT_DRAFT, PAYOUT_APPROVED, PAYOUT_PAID)
LINE_SALE, LINE_CORRECTION = "sale", "correction"

# One payout per partner and month of the events (period = the month's first day).
payouts = Table(
    "miomente_payouts",
    metadata,
    Column("payout_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("period", Date, nullable=False),
    Column("status", String(16), nullable=False, server_default=PAYOUT_DRAFT),
    Column("vat_case", String(16), nullable=False),
    Column("lines", Integer, nullable=False, server_default="0"),
    Column("gross", Numeric(14, 2), nullable=False, server_default="0"),
    Column("commission_net", Numeric(14, 2), nullable=False, server_default="0"),
    Column("commission_vat_rate", Numeric(5, 2), nullable=False, server_default="0"),
    Column("commission_vat", Numeric(14, 2), nullable=False, server_default="0"),
    Column("commission_gross", Numeric(14, 2), nullable=False, server_default="0"),
    Column("amount", Numeric(14, 2), nullable=False, server_default="0"),
    Column("expected_date", Date, nullable=False),
    Column("computed_at", DateTime, nullable=False),
    Column("approved_by", Integer),
    Column("approved_at", DateTime),
    Column("paid_on", Date),
    Column("paid_by", Integer),
    Column("paid_at", DateTime),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    CheckConstraint("status in ('draft', 'approved', 'paid')", name="ck_miomente_payouts_status"),
    UniqueConstraint("partner_id", "period", name="uq_miomente_payouts_partner_period"),
    Index("ix_miomente_payouts_period_status", "period", "status"),
)

# What a payout settles, one line per order item: a sale, or the correction of an item an
# earlier approved/paid payout settled (refund, cancellation). Copied from the ledger, so a
# line stays what was paid even when the ledger changes later.
payout_lines = Table(
    "miomente_payout_lines",
    metadata,
    Column("line_id", Integer, primary_key=True),
    Column("payout_id", Integer, ForeignKey("miomente_payouts.payout_id"), nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("item_id", Integer, nullable=False),  # sales_order_item
    Column("order_id", Integer, nullable=False),
    Column("increment_id", String(50), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("course", String(255)),
    Column("event_at", DateTime),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("kind", String(16), nullable=False),
    Column("gross", Numeric(14, 2), nullable=False),
    Column("vat_rate", Numeric(5, 2), nullable=False),
    Column("commission_rate", Numeric(5, 2), nullable=False),
    Column("commission_net", Numeric(14, 2), nullable=False),
    CheckConstraint("kind in ('sale', 'correction')", name="ck_miomente_payout_lines_kind"),
    UniqueConstraint("payout_id", "item_id", name="uq_miomente_payout_lines_item"),
    Index("ix_miomente_payout_lines_item", "item_id"),
)

DOC_CREDIT_NOTE, DOC_CANCELLATION = "credit_note", "cancellation"

# Issued credit notes (Gutschriften) and their cancellations: immutable once written (the
# migration adds a trigger that refuses UPDATE); numbered without gaps per year.
documents = Table(
    "miomente_documents",
    metadata,
    Column("document_id", Integer, primary_key=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("payout_id", Integer, ForeignKey("miomente_payouts.payout_id"), nullable=False),
    Column("cancels_document_id", Integer, ForeignKey("miomente_documents.document_id")),
    Column("period", Date, nullable=False),
    Column("issue_date", Date, nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("issued_by", Integer),
    Column("gross", Numeric(14, 2), nullable=False),
    Column("commission_gross", Numeric(14, 2), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    CheckConstraint("kind in ('credit_note', 'cancellation')", name="ck_miomente_documents_kind"),
    UniqueConstraint("year", "sequence", name="uq_miomente_documents_year_sequence"),
    Index("ix_miomente_documents_partner_issued", "partner_id", "issue_date"),
    Index("ix_miomente_documents_payout", "payout_id"),
)

# The last number issued per year; the issuer locks the row (UPDATE first) in the transaction
# that inserts the document, so numbers are gapless and unique under concurrency.
document_sequences = Table(
    "miomente_document_sequences",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False, server_default="0"),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

# --- revenue roll-ups (migration 0006) -------------------------------------------------------

from sqlalchemy import Date  # noqa: E402 - this section's own import, kept below its marker

# Monthly sums of the booking ledger for the revenue dashboard (data/money/rollup.py keeps
# them in step with every ledger write). One row per partner, basis ("booked": the Berlin month
# of booked_at; "event": of event_at), Berlin month (first day) and course; product_id 0 is the
# partner's row over all its courses, the only one whose `orders` (distinct orders) can be
# summed across courses. Only counted bookings (new, confirmed, completed) are in it.
REVENUE_ALL_COURSES = 0
revenue_monthly = Table(
    "miomente_revenue_monthly",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("basis", String(8), primary_key=True),
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    Column("month", Date, primary_key=True),
    Column("gross", Numeric(20, 4), nullable=False, server_default="0"),
    Column("refunded", Numeric(20, 4), nullable=False, server_default="0"),
    Column("tickets", Integer, nullable=False, server_default="0"),
    Column("items", Integer, nullable=False, server_default="0"),
    Column("orders", Integer, nullable=False, server_default="0"),
    CheckConstraint("basis in ('booked', 'event')", name="ck_miomente_revenue_monthly_basis"),
    Index("ix_miomente_revenue_monthly_all", "basis", "product_id", "month", "partner_id"),
)

# --- payout offsets (migration 0008) ----------------------------------------------------------

# A payout whose amount is negative (only corrections that month) leaves the partner owing
# Miomente; that deficit is set off against the partner's next payout ("Verrechnung"). One row
# per offset: `payout_id` is the payout that absorbs it, `offsets_payout_id` the approved/paid
# negative payout it settles, `amount` that payout's (negative) amount. The primary key on
# `offsets_payout_id` makes sure a deficit is offset exactly once; `miomente_payouts.carried`
# is the sum of a payout's offsets (amount = gross − commission_gross + carried).
payout_offsets = Table(
    "miomente_payout_offsets",
    metadata,
    Column(
        "offsets_payout_id",
        Integer,
        ForeignKey("miomente_payouts.payout_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("payout_id", Integer, ForeignKey("miomente_payouts.payout_id"), nullable=False),
    Column("amount", Numeric(14, 2), nullable=False),
    CheckConstraint("amount < 0", name="ck_miomente_payout_offsets_amount"),
    CheckConstraint("payout_id <> offsets_payout_id", name="ck_miomente_payout_offsets_self"),
    Index("ix_miomente_payout_offsets_payout", "payout_id"),
)
payouts.append_column(Column("carried", Numeric(14, 2), nullable=False, server_default="0"))

# Login sessions (data/access/sessions.py): the browser's cookie holds a random id, the table
# only its SHA-256, so a copy of the table logs nobody in. A row is a live session; logout,
# "überall abmelden", a password change and expiry delete it, which ends a copied cookie too.
sessions = Table(
    "miomente_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_miomente_sessions_user", "user_id"),
)

# Password-reset links that staff send (data/access/resets.py): single use, expiring; like
# sessions, only the SHA-256 of the link's token is kept.
password_resets = Table(
    "miomente_password_resets",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), nullable=False),
    Column("created_by", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Index("ix_miomente_password_resets_user", "user_id"),
)

# The booking widget (migration 0014). A partner's public key identifies the partner in the
# embed code on its website: not a secret (anyone can read it in the page), only an address;
# disabling it makes the widget answer "unknown" (data/integrations/widget_keys.py).
widget_keys = Table(
    "miomente_widget_keys",
    metadata,
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), primary_key=True),
    Column("public_key", String(40), nullable=False, unique=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

WIDGET_EVENTS = ("view", "click")

# Widget traffic per partner, Berlin day and event ("view": the dates were loaded, "click":
# "Buchen" was pressed): one counter row each, incremented by the public endpoints.
widget_traffic = Table(
    "miomente_widget_traffic",
    metadata,
    Column("partner_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("event", String(8), primary_key=True),
    Column("count", Integer, nullable=False, server_default="0"),
    CheckConstraint("event IN ('view', 'click')", name="ck_miomente_widget_traffic_event"),
    Index("ix_miomente_widget_traffic_day", "day"),
)


# --- Warteliste (migration 0012) ----------------------------------------------------------------

WAITLIST_SOURCES = ("phone", "widget", "shop", "api")
WAITLIST_ALL, WAITLIST_QUEUE = "all", "queue"  # alle benachrichtigen / der Reihe nach
NOTICE_SENT, NOTICE_KNOWN = "sent", "known"

# People waiting for a course (data/demand/waitlist.py): for one date (`date_id`) or any date
# (`date_id` 0). One row per course, date and email (`uq_…_email`): signing up again merges.
# An entry waits while converted_at, unsubscribed_at and expired_at are all empty.
waitlist = Table(
    "miomente_waitlist",
    metadata,
    Column("entry_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("date_id", Integer, nullable=False, server_default="0"),  # 0: any date
    Column("customer_name", String(200), nullable=False),
    Column("email", String(200), nullable=False),  # lower case
    Column("phone", String(50)),
    Column("locale", String(5), nullable=False, server_default="de"),
    Column("seats", Integer, nullable=False),
    Column("source", String(16), nullable=False),
    Column("note", String(500)),
    Column("consent_at", DateTime, nullable=False),  # agreed to be mailed about new dates
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer),  # staff/partner user of a phone sign-up; None: the customer
    Column("updated_at", DateTime, nullable=False),
    Column("notified_at", DateTime),  # the last notice
    Column("converted_at", DateTime),  # booked the course (same email, any date)
    Column("unsubscribed_at", DateTime),
    Column("expired_at", DateTime),
    CheckConstraint("seats between 1 and 50", name="ck_miomente_waitlist_seats"),
    CheckConstraint(
        "source in ('phone', 'widget', 'shop', 'api')", name="ck_miomente_waitlist_source"
    ),
    UniqueConstraint("product_id", "date_id", "email", name="uq_miomente_waitlist_email"),
    Index("ix_miomente_waitlist_partner", "partner_id", "product_id", "created_at"),
    Index("ix_miomente_waitlist_product", "product_id", "created_at"),
)

# One row per entry and course date it was told about (`sent`: a mail was queued in the same
# transaction) or that was open when it signed up (`known`: no mail). The primary key makes a
# notice exactly-once, also when two runs race or a run is repeated after a crash.
waitlist_notices = Table(
    "miomente_waitlist_notices",
    metadata,
    Column(
        "entry_id",
        Integer,
        ForeignKey("miomente_waitlist.entry_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("date_id", Integer, primary_key=True, autoincrement=False),
    Column("partner_id", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("seats", Integer, nullable=False),
    Column("notified_at", DateTime, nullable=False),
    CheckConstraint("kind in ('sent', 'known')", name="ck_miomente_waitlist_notices_kind"),
    Index("ix_miomente_waitlist_notices_date", "date_id", "notified_at"),
)

# A partner's waitlist settings; no row means the defaults (all, 24 hours, 6 months).
waitlist_settings = Table(
    "miomente_waitlist_settings",
    metadata,
    Column(
        "partner_id",
        Integer,
        ForeignKey("miomente_partners.partner_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("mode", String(8), nullable=False, server_default="all"),
    Column("wait_hours", Integer, nullable=False, server_default="24"),
    Column("expiry_months", Integer, nullable=False, server_default="6"),
    Column("updated_by", Integer),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("mode in ('all', 'queue')", name="ck_miomente_waitlist_settings_mode"),
    CheckConstraint("wait_hours between 1 and 168", name="ck_miomente_waitlist_settings_hours"),
    CheckConstraint("expiry_months between 1 and 24", name="ck_miomente_waitlist_settings_expiry"),
)

# --- Terminanfragen (migration 0013) --------------------------------------------------------

# A customer's wish for an extra date of a course (data/demand/date_requests.py): the course,
# the Berlin day and time of day asked for, who asks and for how many. Status moves once:
# pending → accepted / proposed / rejected / expired, and proposed → accepted (the customer
# took the proposal); never back. `answer_due_on` is the 5th German working day after the
# request: the expiry job rejects what is still pending after it. A proposal keeps the
# SHA-256 of the customer's link token only (like password resets).
REQUEST_PENDING, REQUEST_ACCEPTED, REQUEST_PROPOSED = "pending", "accepted", "proposed"
REQUEST_REJECTED, REQUEST_EXPIRED = "rejected", "expired"
date_requests = Table(
    "miomente_date_requests",
    metadata,
    Column("request_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("requested_day", Date, nullable=False),
    Column("requested_time", Time, nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("phone", String(50)),
    Column("participants", Integer, nullable=False),
    Column("message", Text),
    Column("locale", String(5), nullable=False, server_default="de"),
    Column("source", String(16), nullable=False, server_default="portal"),
    Column("status", String(16), nullable=False, server_default=REQUEST_PENDING),
    Column("answer_due_on", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("decided_by", Integer),
    Column("decision_note", Text),
    Column("proposed_starts_at", DateTime),
    Column("proposed_date_id", Integer),
    Column("proposal_token_hash", String(64), unique=True),
    Column("created_date_id", Integer),
    CheckConstraint(
        "status in ('pending', 'accepted', 'proposed', 'rejected', 'expired')",
        name="ck_miomente_date_requests_status",
    ),
    CheckConstraint("participants > 0", name="ck_miomente_date_requests_participants"),
    UniqueConstraint("product_id", "requested_day", "email", name="uq_miomente_date_requests_wish"),
    Index("ix_miomente_date_requests_partner", "partner_id", "status", "requested_day"),
    Index("ix_miomente_date_requests_due", "status", "answer_due_on"),
)

# Per partner: which requests it takes at all (checked when a request comes in). No row: the
# defaults in data/demand/date_requests.py. `weekdays` like the series' ("MO,TU,…").
date_request_rules = Table(
    "miomente_date_request_rules",
    metadata,
    Column(
        "partner_id",
        Integer,
        ForeignKey("miomente_partners.partner_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("weekdays", String(32), nullable=False),
    Column("earliest", Time, nullable=False),
    Column("latest", Time, nullable=False),
    Column("min_participants", Integer, nullable=False),
    Column("max_participants", Integer, nullable=False),
    Column("lead_days", Integer, nullable=False),
    Column("updated_by", Integer),
    Column("updated_at", DateTime, nullable=False),
)


# One row per form submission that created something (data/ops/submissions.py): the form's
# idempotency token, drawn once per rendered form. A second submit of the same rendered form
# (a double click, two racing reruns) finds its token taken and creates nothing.
submissions = Table(
    "miomente_submissions",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_miomente_submissions_created", "created_at"),
)

# --- Neuigkeiten (data/news/announcements.py) ---------------------------------------------------

NEWS_CATEGORIES = ("news", "feature", "platform", "maintenance")

# What staff announce to partners: Markdown (rendered through core/markdown.safe_markdown),
# for all partners or the chosen ones (miomente_announcement_partners), shown from `publish_at`
# (a later moment schedules it), pinned ones first; `withdrawn_at` takes it off every feed.
announcements = Table(
    "miomente_announcements",
    metadata,
    Column("announcement_id", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("category", String(16), nullable=False),
    Column("all_partners", Boolean, nullable=False),
    Column("pinned", Boolean, nullable=False, server_default=false()),
    Column("publish_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("withdrawn_at", DateTime),
    CheckConstraint(
        "category in ('news', 'feature', 'platform', 'maintenance')",
        name="ck_miomente_announcements_category",
    ),
    Index("ix_miomente_announcements_publish", "publish_at"),
)

# The chosen partners of an announcement that is not for all.
announcement_partners = Table(
    "miomente_announcement_partners",
    metadata,
    Column(
        "announcement_id",
        Integer,
        ForeignKey("miomente_announcements.announcement_id"),
        primary_key=True,
    ),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), primary_key=True),
    Index("ix_miomente_announcement_partners_partner", "partner_id"),
)

# Who read what: one row per user and announcement (the primary key makes "read" idempotent).
announcement_reads = Table(
    "miomente_announcement_reads",
    metadata,
    Column(
        "announcement_id",
        Integer,
        ForeignKey("miomente_announcements.announcement_id"),
        primary_key=True,
    ),
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), primary_key=True),
    Column("read_at", DateTime, nullable=False),
)

# A partner user's choice of the weekly digest of unread announcements (default: off).
news_prefs = Table(
    "miomente_news_prefs",
    metadata,
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), primary_key=True),
    Column("weekly_digest", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# --- SMS-Erinnerungen (data/comms/sms_reminders.py) ---------------------------------------------

SMS_LEADS = ("24h", "2h")

# A partner's choice of SMS reminders to its customers (off unless a row says otherwise).
sms_settings = Table(
    "miomente_sms_settings",
    metadata,
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), primary_key=True),
    Column("remind_24h", Boolean, nullable=False, server_default=false()),
    Column("remind_2h", Boolean, nullable=False, server_default=false()),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", Integer),
)

# Mobile numbers (E.164) whose owner objected to SMS reminders: none is ever sent to them.
sms_objections = Table(
    "miomente_sms_objections",
    metadata,
    Column("phone", String(20), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer),
)

# One row per booked item and reminder that the task has dealt with: queued (with the SMS's
# segments, for the cost), or not sent and why. The primary key makes a reminder once-only,
# also with two runs at once; later runs skip what is here without reading a phone number.
sms_reminders = Table(
    "miomente_sms_reminders",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=False),
    Column("lead", String(4), primary_key=True),
    Column("partner_id", Integer, nullable=False),
    Column("date_id", Integer),
    Column("outcome", String(12), nullable=False),
    Column("segments", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("lead in ('24h', '2h')", name="ck_miomente_sms_reminders_lead"),
    CheckConstraint(
        "outcome in ('queued', 'no_mobile', 'objected', 'late')",
        name="ck_miomente_sms_reminders_outcome",
    ),
    Index("ix_miomente_sms_reminders_partner", "partner_id", "created_at"),
)

# Rate limits of the public service (migration 0018; data/integrations/rate_limits.py): one
# counter per bucket and fixed window, shared by every API process. A bucket names what is
# counted and a hash of whom ("signup:ip:<sha256>", "signup:email:<sha256>"), so neither an
# address nor an IP is stored in clear. Rows of past windows are pruned.
rate_limits = Table(
    "miomente_rate_limits",
    metadata,
    Column("bucket", String(80), primary_key=True),
    Column("window_start", DateTime, primary_key=True),
    Column("count", Integer, nullable=False, server_default="0"),
    Index("ix_miomente_rate_limits_window", "window_start"),
)

# --- Mindestteilnehmerzahl (migration 0017) -------------------------------------------------

# A course date's own minimum number of participants (data/dates/minimums.py); 0 = none. The
# shop's date table is Magento's module table, so the minimum lives here, keyed by its id. A
# series' date without a row takes its series' `min_participants`.
date_minimums = Table(
    "miomente_date_minimums",
    metadata,
    Column("date_id", Integer, primary_key=True, autoincrement=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("min_participants", Integer, nullable=False),
    Column("updated_by", Integer),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("min_participants between 0 and 10000", name="ck_miomente_date_minimums_range"),
)

# Per partner: how many days before a date its minimum is checked, and how many hours the
# partner then has to answer before an unanswered date is cancelled. No row: 3 days, 24 hours.
minimum_settings = Table(
    "miomente_minimum_settings",
    metadata,
    Column(
        "partner_id",
        Integer,
        ForeignKey("miomente_partners.partner_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("check_days", Integer, nullable=False, server_default="3"),
    Column("answer_hours", Integer, nullable=False, server_default="24"),
    Column("updated_by", Integer),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint("check_days between 1 and 14", name="ck_miomente_minimum_settings_days"),
    CheckConstraint("answer_hours between 1 and 72", name="ck_miomente_minimum_settings_hours"),
)

# The check of one date's minimum (one row per date, its primary key makes every step happen
# once): `reached` (bookings confirmed automatically), `asked` (the partner was asked; the
# date is cancelled at `last_call_at` without an answer), `go` (the partner holds it anyway),
# `cancelled` (by the partner's answer or at the last call). Moves only forward from `asked`.
MINIMUM_REACHED, MINIMUM_ASKED, MINIMUM_GO, MINIMUM_CANCELLED = (
    "reached",
    "asked",
    "go",
    "cancelled",
)
minimum_checks = Table(
    "miomente_minimum_checks",
    metadata,
    Column("date_id", Integer, primary_key=True, autoincrement=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("min_participants", Integer, nullable=False),
    Column("seats_sold", Integer, nullable=False),
    Column("asked_at", DateTime),
    Column("last_call_at", DateTime),
    Column("decided_at", DateTime),
    Column("decided_by", Integer),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint(
        "state in ('reached', 'asked', 'go', 'cancelled')", name="ck_miomente_minimum_checks_state"
    ),
    Index("ix_miomente_minimum_checks_partner", "partner_id", "state"),
)

# --- Partner-API keys (migration 0030; data/integrations/api_keys.py) ----------------------

# A partner's API key: only its SHA-256 hash is stored; `prefix` ("mio_live_ab12cd34") is the
# visible start of the key for recognition and the lookup. `scopes`: permission names
# (data/access/permissions.py), space-separated. No `expires_at`: never expires.
api_keys = Table(
    "miomente_api_keys",
    metadata,
    Column("key_id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("prefix", String(24), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("scopes", String(400), nullable=False),
    Column("expires_at", DateTime),
    Column("created_by", Integer),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
    Column("revoked_by", Integer),
    Index("ix_miomente_api_keys_partner", "partner_id", "created_at"),
)

# A write of the partner API repeated with the same `Idempotency-Key`: the first answer is
# kept 24 hours and replayed; `fingerprint` (hash of method, path, query and body) refuses the
# same key with a different request. `status` NULL: the first request is still running.
api_idempotency = Table(
    "miomente_api_idempotency",
    metadata,
    Column("key_id", Integer, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer),
    Column("response", Text),
    Column("created_at", DateTime, nullable=False),
    Index("ix_miomente_api_idempotency_created", "created_at"),
)


# Two-factor login (TOTP): one row per user who enrolled or is enrolling. `secret` is sealed
# with core/secretbox.py (never stored in the clear); `confirmed_at` is set by the first correct
# code, and only then does the login ask for codes; `last_used_step` refuses a code (or an
# older one) a second time; wrong codes count towards a lockout like the password's.
totp = Table(
    "miomente_totp",
    metadata,
    Column(
        "user_id",
        Integer,
        ForeignKey("miomente_users.user_id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("secret", String(200), nullable=False),
    Column("confirmed_at", DateTime),
    Column("last_used_step", Integer),  # 30 s steps since 1970: fits until the year 4000
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime),
    Column("created_at", DateTime, nullable=False),
)
# Ten single-use recovery codes per enrolment, as salted SHA-256 (core/totp.py).
recovery_codes = Table(
    "miomente_recovery_codes",
    metadata,
    Column("code_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("used_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "code_hash", name="uq_miomente_recovery_codes_code"),
)


# Webhooks (issue 16): a partner's endpoints, the events written in the same transaction as
# their cause (outbox pattern), and one delivery per event and endpoint with its latest
# attempt (kept 30 days). An endpoint keeps its previous secret until `previous_until`, so
# both sign during a rotation. Disabled: by the partner, `gone` (410) or `failing` (5 days).
WEBHOOK_PENDING, WEBHOOK_SENDING, WEBHOOK_OK, WEBHOOK_FAILED = (
    "pending",
    "sending",
    "ok",
    "failed",
)
webhook_endpoints = Table(
    "miomente_webhook_endpoints",
    metadata,
    Column("endpoint_id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("url", String(2000), nullable=False),
    Column("events", String(500), nullable=False),  # comma-separated event types
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100)),
    Column("previous_until", DateTime),
    Column("include_contact", Boolean, nullable=False, server_default=false()),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("disabled_reason", String(16)),
    Column("disabled_at", DateTime),
    Column("failing_since", DateTime),
    Column("created_by", Integer),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_miomente_webhook_endpoints_partner", "partner_id"),
)
webhook_events = Table(
    "miomente_webhook_events",
    metadata,
    Column("event_id", Integer, primary_key=True),
    Column("msg_id", String(40), nullable=False, unique=True),  # the webhook-id header
    Column("partner_id", Integer, nullable=False),
    Column("event_type", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_miomente_webhook_events_partner", "partner_id", "created_at"),
)
webhook_deliveries = Table(
    "miomente_webhook_deliveries",
    metadata,
    Column("delivery_id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("miomente_webhook_events.event_id"), nullable=False),
    Column(
        "endpoint_id",
        Integer,
        ForeignKey("miomente_webhook_endpoints.endpoint_id"),
        nullable=False,
    ),
    Column("partner_id", Integer, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("retry_until", DateTime, nullable=False),  # retries stop here (3 days)
    Column("lease_until", DateTime),
    Column("claimed_by", String(64)),
    Column("status_code", Integer),
    Column("duration_ms", Integer),
    Column("error", String(200)),
    Column("response_excerpt", String(500)),
    Column("last_attempt_at", DateTime),
    Column("delivered_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    CheckConstraint(
        "status in ('pending', 'sending', 'ok', 'failed')",
        name="ck_miomente_webhook_deliveries_status",
    ),
    UniqueConstraint("event_id", "endpoint_id", name="uq_miomente_webhook_deliveries_event"),
    Index("ix_miomente_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_miomente_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    Index("ix_miomente_webhook_deliveries_partner", "partner_id", "created_at"),
)


# --- Bewertungen: review requests (migration 0027; data/reviews/requests.py) -------------------

# The legal basis of a review request (BGH VI ZR 225/17: a request is advertising): the order
# carries the customer's consent, or the § 7 (3) UWG notice given when the address was taken.
REVIEW_BASIS_CONSENT, REVIEW_BASIS_NOTICE = "consent", "notice"
REVIEW_BASES = (REVIEW_BASIS_CONSENT, REVIEW_BASIS_NOTICE)

# A partner's review-request settings. No row: on, 1 day after the course ended, one reminder
# 5 days later, consent or the UWG notice. `basis` is the weakest basis the partner accepts:
# "notice" (consent or notice) or "consent" (consent only).
review_settings = Table(
    "miomente_review_settings",
    metadata,
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), primary_key=True),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("delay_days", Integer, nullable=False, server_default="1"),
    Column("reminders", Integer, nullable=False, server_default="1"),
    Column("reminder_days", Integer, nullable=False, server_default="5"),
    Column("basis", String(16), nullable=False, server_default=REVIEW_BASIS_NOTICE),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", Integer),
    CheckConstraint("delay_days between 0 and 14", name="ck_miomente_review_settings_delay"),
    CheckConstraint("reminders between 0 and 2", name="ck_miomente_review_settings_reminders"),
    CheckConstraint(
        "reminder_days between 1 and 14", name="ck_miomente_review_settings_reminder_days"
    ),
    CheckConstraint("basis in ('consent', 'notice')", name="ck_miomente_review_settings_basis"),
)

# One review request per customer and course (`dedupe_key` = hash of the email + product id):
# written in the transaction that queues its mail, so a rerun or a second run at once asks no
# one twice. `token_hash` is the SHA-256 of the signed link's token; `used_at`/`review_id` are
# set when the review is written (the link is single-use), `review_id` marks the Magento review
# as coming from a verified booking.
review_requests = Table(
    "miomente_review_requests",
    metadata,
    Column("request_id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(80), nullable=False, unique=True),
    Column("item_id", Integer, nullable=False, unique=True),
    Column("order_id", Integer, nullable=False),
    Column("increment_id", String(50), nullable=False),
    Column("partner_id", Integer, nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("date_id", Integer),
    Column("course", String(255)),
    Column("email_hash", String(64), nullable=False),
    Column("locale", String(2), nullable=False, server_default="de"),
    Column("basis", String(16), nullable=False),
    Column("ended_at", DateTime, nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("reminders_sent", Integer, nullable=False, server_default="0"),
    Column("last_reminder_at", DateTime),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("used_at", DateTime),
    Column("review_id", Integer, unique=True),
    CheckConstraint("basis in ('consent', 'notice')", name="ck_miomente_review_requests_basis"),
    CheckConstraint("reminders_sent between 0 and 2", name="ck_miomente_review_requests_reminders"),
    Index("ix_miomente_review_requests_partner", "partner_id", "sent_at"),
    Index("ix_miomente_review_requests_open", "used_at", "sent_at"),
)

# Customers who objected to review mails (the link in every one): no request or reminder goes
# to the address again. Only the SHA-256 of the lower-cased address is kept.
review_objections = Table(
    "miomente_review_objections",
    metadata,
    Column("email_hash", String(64), primary_key=True),
    Column("request_id", Integer),  # the request whose link was used
    Column("created_at", DateTime, nullable=False),
)


# --- Qualitäts-Score (marketing/score.py, data/marketing/scores.py) ---------------------------

# The current score of each course with its checklist (JSON, language-free: ids, points,
# figures), written by the `score-courses` job and on demand; the Marketing page reads a
# partner's rows with one query on (partner_id, score).
course_scores = Table(
    "miomente_course_scores",
    metadata,
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("items", Text, nullable=False),
    Column("keyword", String(255)),
    Column("computed_at", DateTime, nullable=False),
    CheckConstraint("score between 0 and 100", name="ck_miomente_course_scores_score"),
    Index("ix_miomente_course_scores_partner", "partner_id", "score"),
    Index("ix_miomente_course_scores_score", "score"),
)
# One score per course and Berlin day (the last computation of the day wins): the history
# chart shows what a change of the text or the photos did.
course_score_history = Table(
    "miomente_course_score_history",
    metadata,
    Column("product_id", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("score", Integer, nullable=False),
)


# --- iCal subscription (data/dates/ical_feed.py) -------------------------------------------------

# A partner's calendar subscription address: one secret token per partner (the token is the
# credential of /v1/ical/{token}.ics); a new token replaces the old one, deleting the row ends
# the subscription.
ical_feeds = Table(
    "miomente_ical_feeds",
    metadata,
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), primary_key=True),
    Column("token", String(48), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", Integer),
)


# --- Bewertungen: the partner's answers to reviews and their moderation -------------------------
# One current answer per review (unique review_id). `body` is the text as the partner wrote it
# last; `published_body` the text staff approved last, which the shop shows, so a revision
# under moderation never takes an approved answer off the shop. Status moves draft → pending →
# approved | rejected; a revision of an approved or rejected answer goes to pending again.
RESPONSE_DRAFT, RESPONSE_PENDING, RESPONSE_APPROVED, RESPONSE_REJECTED = (
    "draft",
    "pending",
    "approved",
    "rejected",
)
RESPONSE_STATUSES = (RESPONSE_DRAFT, RESPONSE_PENDING, RESPONSE_APPROVED, RESPONSE_REJECTED)
# Why staff reject an answer (the partner sees the reason, in German or English, and the note).
REJECT_REASONS = ("personal_data", "contact_data", "advertising", "offensive", "off_topic", "other")
review_responses = Table(
    "miomente_review_responses",
    metadata,
    Column("response_id", Integer, primary_key=True),
    Column("review_id", Integer, nullable=False, unique=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("product_id", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("published_body", Text),
    Column("reject_reason", String(32)),
    Column("reject_note", Text),
    Column("review_created_at", DateTime, nullable=False),  # the review's, for time to answer
    Column("first_approved_at", DateTime),
    Column("submitted_at", DateTime),
    Column("decided_at", DateTime),
    Column("decided_by", Integer),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", Integer),
    CheckConstraint(
        "status in ('draft', 'pending', 'approved', 'rejected')",
        name="ck_miomente_review_responses_status",
    ),
    Index("ix_miomente_review_responses_partner", "partner_id", "status"),
    Index("ix_miomente_review_responses_status", "status", "submitted_at"),
)

# Every step of an answer: each saved text, submission, approval and rejection with who and when.
review_response_history = Table(
    "miomente_review_response_history",
    metadata,
    Column("history_id", Integer, primary_key=True),
    Column(
        "response_id",
        Integer,
        ForeignKey("miomente_review_responses.response_id"),
        nullable=False,
    ),
    Column("status", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("reject_reason", String(32)),
    Column("reject_note", Text),
    Column("actor_id", Integer),
    Column("at", DateTime, nullable=False),
    Index("ix_miomente_review_response_history_response", "response_id", "at"),
)


# The partner's team (migration 0032, data/access/team.py). A partner user's role in the team
# (data/access/permissions.py ROLE_PERMISSIONS): every existing partner user is the owner;
# staff have none. Invitations: single use, valid 7 days, only the SHA-256 of the link's
# token is kept. Member prefs: which events reach one member, by email and/or SMS, with quiet
# hours (Berlin, HH:MM) and a daily digest instead of single messages.
users.append_column(Column("member_role", String(16)))
invitations = Table(
    "miomente_invitations",
    metadata,
    Column("invitation_id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("email", String(200), nullable=False),
    Column("member_role", String(16), nullable=False),
    Column("invited_by", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Column("user_id", Integer),
    CheckConstraint(
        "member_role in ('owner', 'accounting', 'team')", name="ck_miomente_invitations_role"
    ),
    Index("ix_miomente_invitations_partner", "partner_id"),
)
member_prefs = Table(
    "miomente_member_prefs",
    metadata,
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), primary_key=True),
    Column("event", String(64), primary_key=True),
    Column("email_enabled", Boolean, nullable=False, server_default=false()),
    Column("sms_enabled", Boolean, nullable=False, server_default=false()),
    Column("phone", String(20)),
    Column("quiet_from", String(5)),
    Column("quiet_until", String(5)),
    Column("daily_digest", Boolean, nullable=False, server_default=false()),
    Column("updated_at", DateTime, nullable=False),
)


# A team member's daily digest (migration 0034, data/comms/member_digest.py): the messages a
# member who chose the digest would have had one by one, collected until the `member-digest`
# job mails them as one. `dedupe_key` makes collecting idempotent like the outbox's key;
# `context` holds what the digest lists (course, moment, link ...), JSON like a payload.
member_digest_items = Table(
    "miomente_member_digest_items",
    metadata,
    Column("item_id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("miomente_users.user_id"), nullable=False),
    Column("partner_id", Integer, ForeignKey("miomente_partners.partner_id"), nullable=False),
    Column("event", String(64), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("context", JSON, nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("digested_at", DateTime),
    Index("ix_miomente_member_digest_items_pending", "digested_at", "user_id"),
)
