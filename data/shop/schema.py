"""The Magento contract: every shop table and column the portal reads or writes.

Real Magento 2.4 names and types (only the used subset). If Miomente's shop differs, this is
the one file to change. `create_shop_schema()` builds these tables for demo mode and tests;
it is never run against a production shop.

Timestamps are naive UTC, as Magento stores them. Money is DECIMAL(20,4), as in Magento.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    ScalarSelect,
    Select,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.schema import CreateIndex

from core import sql
from core.money import to_decimal

metadata = MetaData()

Money = Numeric(20, 4)
Qty = Numeric(12, 4)


def _ts(name: str, *, nullable: bool = False) -> Column:
    return Column(name, DateTime, nullable=nullable, server_default=func.current_timestamp())


# --- catalog (EAV) -----------------------------------------------------------------------

eav_attribute = Table(
    "eav_attribute",
    metadata,
    Column("attribute_id", SmallInteger, primary_key=True),
    Column("entity_type_id", SmallInteger, nullable=False),
    Column("attribute_code", String(255), nullable=False),
    Column("backend_type", String(8), nullable=False),
    UniqueConstraint(
        "entity_type_id", "attribute_code", name="eav_attribute_entity_type_id_attribute_code"
    ),
)

catalog_product_entity = Table(
    "catalog_product_entity",
    metadata,
    Column("entity_id", Integer, primary_key=True),
    Column("attribute_set_id", SmallInteger, nullable=False, server_default=text("0")),
    Column("type_id", String(32), nullable=False, server_default=text("'simple'")),
    Column("sku", String(64), nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_catalog_product_entity_sku", "sku"),
)


def _eav_value_table(backend: str, value_type) -> Table:
    name = f"catalog_product_entity_{backend}"
    return Table(
        name,
        metadata,
        Column("value_id", Integer, primary_key=True),
        Column("attribute_id", SmallInteger, nullable=False),
        Column("store_id", SmallInteger, nullable=False, server_default=text("0")),
        Column(
            "entity_id",
            Integer,
            ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("value", value_type),
        UniqueConstraint("entity_id", "attribute_id", "store_id", name=f"{name}_entity_attr_store"),
    )


catalog_product_entity_varchar = _eav_value_table("varchar", String(255))
catalog_product_entity_int = _eav_value_table("int", Integer)
catalog_product_entity_decimal = _eav_value_table("decimal", Numeric(20, 6))
catalog_product_entity_text = _eav_value_table("text", Text)

PRODUCT_ENTITY_TYPE_ID = 4
# attribute_code -> (attribute_id, backend_type). Ids as in a stock Magento 2.4 install.
PRODUCT_ATTRIBUTES: dict[str, tuple[int, str]] = {
    "name": (73, "varchar"),
    "description": (75, "text"),
    "short_description": (76, "text"),
    "price": (77, "decimal"),
    "meta_title": (84, "varchar"),
    "meta_description": (86, "varchar"),
    "status": (97, "int"),
    "url_key": (121, "varchar"),
}
PRODUCT_ENABLED, PRODUCT_DISABLED = 1, 2

# --- sales ------------------------------------------------------------------------------

sales_order = Table(
    "sales_order",
    metadata,
    Column("entity_id", Integer, primary_key=True),
    Column("increment_id", String(50), nullable=False),
    Column("state", String(32)),
    Column("status", String(32)),
    Column("store_id", SmallInteger, server_default=text("1")),
    Column("customer_id", Integer),
    Column("customer_email", String(128)),
    Column("customer_firstname", String(128)),
    Column("customer_lastname", String(128)),
    Column("customer_is_guest", SmallInteger, server_default=text("0")),
    Column("grand_total", Money),
    Column("subtotal", Money),
    Column("tax_amount", Money),
    Column("discount_amount", Money),
    Column("total_paid", Money),
    Column("total_refunded", Money),
    Column("total_qty_ordered", Qty),
    Column("order_currency_code", String(3), server_default=text("'EUR'")),
    # Miomente checkout: the legal basis for a review request after the course, set when the
    # order is placed — "consent" (the customer ticked the box) or "notice" (the § 7 (3) UWG
    # notice was shown with the email address); NULL: neither, no review request.
    Column("miomente_review_basis", String(16)),
    _ts("created_at"),
    _ts("updated_at"),
    UniqueConstraint("increment_id", "store_id", name="sales_order_increment_id_store_id"),
    Index("ix_sales_order_status", "status"),
    Index("ix_sales_order_state", "state"),
    Index("ix_sales_order_created_at", "created_at"),
    Index("ix_sales_order_customer_id", "customer_id"),
    Index("ix_sales_order_updated_at", "updated_at"),
)

sales_order_item = Table(
    "sales_order_item",
    metadata,
    Column("item_id", Integer, primary_key=True),
    Column(
        "order_id",
        Integer,
        ForeignKey("sales_order.entity_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("parent_item_id", Integer),
    Column("product_id", Integer),
    Column("sku", String(255)),
    Column("name", String(255)),
    Column("product_type", String(255), server_default=text("'simple'")),
    Column("qty_ordered", Qty, server_default=text("0")),
    Column("qty_canceled", Qty, server_default=text("0")),
    Column("qty_refunded", Qty, server_default=text("0")),
    Column("price", Money, server_default=text("0")),
    Column("row_total", Money, server_default=text("0")),
    Column("row_total_incl_tax", Money),
    Column("tax_amount", Money, server_default=text("0")),
    Column("tax_percent", Numeric(12, 4), server_default=text("0")),
    Column("discount_amount", Money, server_default=text("0")),
    Column("amount_refunded", Money, server_default=text("0")),
    Column("product_options", Text),
    _ts("created_at"),
    _ts("updated_at"),
    # Miomente module column: the course date (miomente_course_date.date_id) that was booked.
    Column("miomente_date_id", Integer),
    Index("ix_sales_order_item_order_id", "order_id"),
)

sales_order_status_history = Table(
    "sales_order_status_history",
    metadata,
    Column("entity_id", Integer, primary_key=True),
    Column(
        "parent_id",
        Integer,
        ForeignKey("sales_order.entity_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("is_customer_notified", Integer),
    Column("is_visible_on_front", SmallInteger, nullable=False, server_default=text("0")),
    Column("comment", Text),
    Column("status", String(32)),
    _ts("created_at"),
    Column("entity_name", String(32)),
    Index("ix_sales_order_status_history_parent_id", "parent_id"),
    Index("ix_sales_order_status_history_created_at", "created_at"),
)

sales_order_status = Table(
    "sales_order_status",
    metadata,
    Column("status", String(32), primary_key=True),
    Column("label", String(128), nullable=False),
)

sales_order_status_state = Table(
    "sales_order_status_state",
    metadata,
    Column("status", String(32), ForeignKey("sales_order_status.status"), primary_key=True),
    Column("state", String(32), primary_key=True),
    Column("is_default", SmallInteger, nullable=False, server_default=text("0")),
    Column("visible_on_front", SmallInteger, nullable=False, server_default=text("0")),
)

sales_order_payment = Table(
    "sales_order_payment",
    metadata,
    Column("entity_id", Integer, primary_key=True),
    Column(
        "parent_id",
        Integer,
        ForeignKey("sales_order.entity_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("method", String(128)),
    Column("amount_ordered", Money),
    Column("amount_paid", Money),
    Column("amount_refunded", Money),
    Index("ix_sales_order_payment_parent_id", "parent_id"),
)

sales_order_address = Table(
    "sales_order_address",
    metadata,
    Column("entity_id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("sales_order.entity_id", ondelete="CASCADE")),
    Column("address_type", String(255)),
    Column("firstname", String(255)),
    Column("lastname", String(255)),
    Column("company", String(255)),
    Column("street", String(255)),
    Column("city", String(255)),
    Column("postcode", String(255)),
    Column("country_id", String(2)),
    Column("email", String(255)),
    Column("telephone", String(255)),
    Index("ix_sales_order_address_parent_id", "parent_id"),
)

# --- reviews ----------------------------------------------------------------------------

REVIEW_ENTITY_PRODUCT = 1
REVIEW_APPROVED, REVIEW_PENDING, REVIEW_NOT_APPROVED = 1, 2, 3
# sales_order.miomente_review_basis
ORDER_REVIEW_CONSENT, ORDER_REVIEW_NOTICE = "consent", "notice"

review = Table(
    "review",
    metadata,
    Column("review_id", Integer, primary_key=True),
    _ts("created_at"),
    Column("entity_id", SmallInteger, nullable=False, server_default=text("1")),
    Column("entity_pk_value", Integer, nullable=False),  # the product id
    Column("status_id", SmallInteger, nullable=False, server_default=text("2")),
    Index("ix_review_entity_pk_value", "entity_pk_value"),
    Index("ix_review_status_id", "status_id"),
)

review_detail = Table(
    "review_detail",
    metadata,
    Column("detail_id", Integer, primary_key=True),
    Column(
        "review_id", Integer, ForeignKey("review.review_id", ondelete="CASCADE"), nullable=False
    ),
    Column("store_id", SmallInteger, server_default=text("0")),
    Column("title", String(255), nullable=False),
    Column("detail", Text, nullable=False),
    Column("nickname", String(128), nullable=False),
    Column("customer_id", Integer),
    Index("ix_review_detail_review_id", "review_id"),
)

rating = Table(
    "rating",
    metadata,
    Column("rating_id", SmallInteger, primary_key=True),
    Column("entity_id", SmallInteger, nullable=False, server_default=text("1")),
    Column("rating_code", String(64), nullable=False, unique=True),
    Column("position", SmallInteger, nullable=False, server_default=text("0")),
    Column("is_active", SmallInteger, nullable=False, server_default=text("1")),
)

rating_option = Table(
    "rating_option",
    metadata,
    Column("option_id", Integer, primary_key=True),
    Column("rating_id", SmallInteger, ForeignKey("rating.rating_id"), nullable=False),
    Column("code", String(32), nullable=False),
    Column("value", SmallInteger, nullable=False),
    Column("position", SmallInteger, nullable=False, server_default=text("0")),
)

rating_option_vote = Table(
    "rating_option_vote",
    metadata,
    Column("vote_id", Integer, primary_key=True),
    Column("option_id", Integer, ForeignKey("rating_option.option_id"), nullable=False),
    Column("remote_ip", String(16), nullable=False, server_default=text("''")),
    Column("remote_ip_long", Integer, nullable=False, server_default=text("0")),
    Column("customer_id", Integer),
    Column("entity_pk_value", Integer, nullable=False),
    Column("rating_id", SmallInteger, ForeignKey("rating.rating_id"), nullable=False),
    Column("review_id", Integer, ForeignKey("review.review_id", ondelete="CASCADE")),
    Column("percent", SmallInteger, nullable=False),
    Column("value", SmallInteger, nullable=False),
    Index("ix_rating_option_vote_review_id", "review_id"),
)

# --- Miomente module --------------------------------------------------------------------

DATE_ACTIVE, DATE_CANCELLED = "active", "cancelled"

miomente_course_date = Table(
    "miomente_course_date",
    metadata,
    Column("date_id", Integer, primary_key=True),
    Column("product_id", Integer, nullable=False),
    Column("starts_at", DateTime, nullable=False),  # UTC
    Column("ends_at", DateTime, nullable=False),  # UTC
    Column("seats_total", Integer, nullable=False),
    Column("price", Money, nullable=False),
    Column("status", String(16), nullable=False, server_default=text("'active'")),
    Column("series_id", Integer),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_miomente_course_date_product_starts", "product_id", "starts_at"),
    Index("ix_miomente_course_date_starts_at", "starts_at"),
)

# --- search (Magento_Search) -------------------------------------------------------------

# What customers typed into the shop's search, per store: Magento counts each repeat in
# `popularity` and stores the hits of the last run in `num_results` (the Marketing page's
# keyword ideas read it; data/marketing/keywords.py).
search_query = Table(
    "search_query",
    metadata,
    Column("query_id", Integer, primary_key=True),
    Column("query_text", String(255)),
    Column("num_results", Integer, nullable=False, server_default=text("0")),
    Column("popularity", Integer, nullable=False, server_default=text("0")),
    Column("store_id", SmallInteger, nullable=False, server_default=text("0")),
    _ts("updated_at"),
    UniqueConstraint("query_text", "store_id", name="search_query_query_text_store_id"),
    Index("ix_search_query_store_id", "store_id"),
)

# --- product media gallery (Magento_Catalog, 2.4) -------------------------------------------

# A product's images: one row per file in `catalog_product_entity_media_gallery`, tied to its
# product through `..._value_to_entity` (since 2.2 the gallery is shared, so the link is a table
# of its own). `disabled` hides an image from every store (the Qualitäts-Score counts the rest).
MEDIA_GALLERY_ATTRIBUTE_ID = 90  # `media_gallery` in a stock Magento 2.4 install
catalog_product_entity_media_gallery = Table(
    "catalog_product_entity_media_gallery",
    metadata,
    Column("value_id", Integer, primary_key=True),
    Column("attribute_id", SmallInteger, nullable=False),
    Column("value", String(255)),  # the file path under pub/media/catalog/product
    Column("media_type", String(32), nullable=False, server_default=text("'image'")),
    Column("disabled", SmallInteger, nullable=False, server_default=text("0")),
    Index("ix_catalog_product_entity_media_gallery_attribute_id", "attribute_id"),
)
catalog_product_entity_media_gallery_value_to_entity = Table(
    "catalog_product_entity_media_gallery_value_to_entity",
    metadata,
    Column(
        "value_id",
        Integer,
        ForeignKey("catalog_product_entity_media_gallery.value_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column(
        "entity_id",
        Integer,
        ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        nullable=False,
    ),
    UniqueConstraint("value_id", "entity_id", name="cpe_media_gallery_value_to_entity_uq"),
    Index("ix_cpe_media_gallery_value_to_entity_entity_id", "entity_id"),
)

# --- order statuses -------------------------------------------------------------------------

# Magento's stock statuses and the custom ones the portal needs (status, label, state, default).
ORDER_STATUSES: tuple[tuple[str, str, str, bool], ...] = (
    ("pending", "Pending", "new", True),
    ("pending_payment", "Pending Payment", "pending_payment", True),
    ("processing", "Processing", "processing", True),
    ("complete", "Complete", "complete", True),
    ("closed", "Closed", "closed", True),
    ("canceled", "Canceled", "canceled", True),
    ("holded", "On Hold", "holded", True),
    ("payment_review", "Payment Review", "payment_review", True),
    ("fraud", "Suspected Fraud", "payment_review", False),
    # Miomente: the partner has to confirm the booking before it is final.
    ("miomente_pending_partner", "Wartet auf Partnerbestätigung", "processing", False),
    ("miomente_confirmed", "Vom Partner bestätigt", "processing", False),
    ("miomente_rejected", "Vom Partner abgelehnt", "canceled", False),
)
ORDER_STATES = (
    "new",
    "pending_payment",
    "processing",
    "complete",
    "closed",
    "canceled",
    "holded",
    "payment_review",
)
STATUS_PENDING_PARTNER = "miomente_pending_partner"
STATUS_CONFIRMED = "miomente_confirmed"
STATUS_REJECTED = "miomente_rejected"
# Miomente's store views and the language of their customers; a store not listed is German.
STORE_LOCALES: Mapping[int, str] = {0: "de", 1: "de"}


def store_locale(store_id: int | None) -> str:
    """The language of mails and SMS to a customer who ordered in `store_id`."""
    return STORE_LOCALES.get(int(store_id or 0), "de")


# Orders in these states count neither as sold seats nor as revenue.
VOID_STATES = ("canceled", "closed")


# --- sold seats: the one rule ------------------------------------------------------------------


def net_tickets(item: Table = sales_order_item) -> ColumnElement:
    """SQL: the tickets an order item still holds (ordered, less cancelled, less refunded)."""
    return item.c.qty_ordered - item.c.qty_canceled - item.c.qty_refunded


def holds_seats(order: Table = sales_order, item: Table = sales_order_item) -> ColumnElement[bool]:
    """SQL: the items whose tickets take seats: top-level items (a configurable product's child
    repeats its parent's quantity) of orders that are not void."""
    return and_(order.c.state.not_in(VOID_STATES), item.c.parent_item_id.is_(None))


def _sold(*columns: ColumnElement, where: ColumnElement[bool]) -> Select:
    """The rule once: `columns` and the net tickets (`sold`) of the seat-holding items whose
    course date `where` picks."""
    item, order = sales_order_item, sales_order
    sold = func.coalesce(func.sum(net_tickets(item)), 0).label("sold")
    return (
        select(*columns, sold)
        .select_from(item.join(order, order.c.entity_id == item.c.order_id))
        .where(where, holds_seats(order, item))
    )


def seats_sold(date_id: ColumnElement) -> ScalarSelect:
    """SQL, correlated: the tickets sold on the course date `date_id` (0 when none). For one
    date or a short list; a list of many dates uses `seats_sold_per_date`."""
    return _sold(where=sales_order_item.c.miomente_date_id == date_id).scalar_subquery()


def seats_sold_per_date(date_ids: Iterable[int]) -> Select:
    """SQL: (miomente_date_id, sold) of the dates among `date_ids` that have items, grouped
    once instead of a subquery per date (the same rule); a date without a row sold 0."""
    date_id = sales_order_item.c.miomente_date_id
    return _sold(date_id, where=sql.int_in(date_id, date_ids)).group_by(date_id)


def seats_sold_among(date_ids: Select) -> Select:
    """SQL: the tickets sold over all dates `date_ids` (a one-column select) picks, one sum
    (the same rule); for totals of a week without a row per date."""
    return _sold(where=sales_order_item.c.miomente_date_id.in_(date_ids))


def tickets(net: object) -> int:
    """A selected `net_tickets()` value as a count of tickets, never below zero."""
    return max(int(to_decimal(net)), 0)


# --- indexes beyond Magento's own ------------------------------------------------------------

# Magento has none on sales_order_item.product_id/sku; the portal's scoped queries need them.
# sql/magento_extra_indexes.sql is rendered from this list (tests keep the two in step).
EXTRA_INDEXES: tuple[Index, ...] = (
    Index("mio_idx_soi_product_order", sales_order_item.c.product_id, sales_order_item.c.order_id),
    Index("mio_idx_soi_sku", sales_order_item.c.sku),
    # Seats sold per date read only this index (covering: the date, the top-level test, the
    # order and the three quantities); staff's week of 5,500 dates: 40 ms instead of 450 ms
    # at 1,000,000 orders, where the items do not fit InnoDB's buffer pool.
    Index(
        "mio_idx_soi_date",
        sales_order_item.c.miomente_date_id,
        sales_order_item.c.parent_item_id,
        sales_order_item.c.order_id,
        sales_order_item.c.qty_ordered,
        sales_order_item.c.qty_canceled,
        sales_order_item.c.qty_refunded,
    ),
    Index("mio_idx_soi_updated_at", sales_order_item.c.updated_at),
    # Termine: one date per series and start, so generating a series twice (or after a crash)
    # cannot insert a date twice (data/dates/series.py). Single dates have no series (NULL: exempt).
    Index(
        "mio_uq_course_date_series_start",
        miomente_course_date.c.series_id,
        miomente_course_date.c.starts_at,
        unique=True,
    ),
    # Bewertungen: a partner's reviews by course, status and period (data/reviews/dashboard.py).
    Index(
        "mio_idx_review_product_status_created",
        review.c.entity_pk_value,
        review.c.status_id,
        review.c.created_at,
    ),
)


def extra_indexes_sql(dialect_name: str = "mysql") -> str:
    from sqlalchemy.dialects import mysql, postgresql, sqlite

    dialect = {"mysql": mysql, "postgresql": postgresql, "sqlite": sqlite}[dialect_name].dialect()
    header = (
        "-- Indexes the Miomente partner portal needs on the shop database, beyond Magento's own.\n"
        "-- Generated from data/shop/schema.py (EXTRA_INDEXES); reviewed for the shop's DBA.\n"
        "-- On a large shop create them in a quiet hour (InnoDB builds them online).\n"
    )
    body = "".join(f"{CreateIndex(ix).compile(dialect=dialect)};\n" for ix in EXTRA_INDEXES)
    return header + body


def create_shop_schema(engine: Engine) -> None:
    """Create the contract's tables, extra indexes and reference rows (demo and tests only)."""
    # EXTRA_INDEXES are bound to their table, so create_all builds them too.
    metadata.create_all(engine)
    with engine.begin() as conn:
        if conn.execute(sales_order_status.select().limit(1)).first() is None:
            conn.execute(
                insert(sales_order_status),
                [{"status": s, "label": label} for s, label, _state, _d in ORDER_STATUSES],
            )
            conn.execute(
                insert(sales_order_status_state),
                [
                    {"status": s, "state": st, "is_default": int(d), "visible_on_front": 1}
                    for s, _label, st, d in ORDER_STATUSES
                ],
            )
            conn.execute(
                insert(eav_attribute),
                [
                    {
                        "attribute_id": aid,
                        "entity_type_id": PRODUCT_ENTITY_TYPE_ID,
                        "attribute_code": code,
                        "backend_type": backend,
                    }
                    for code, (aid, backend) in PRODUCT_ATTRIBUTES.items()
                ],
            )
            conn.execute(
                insert(rating),
                [{"rating_id": 1, "entity_id": 1, "rating_code": "Bewertung", "position": 0}],
            )
            conn.execute(
                insert(rating_option),
                [
                    {"option_id": v, "rating_id": 1, "code": str(v), "value": v, "position": v}
                    for v in range(1, 6)
                ],
            )
