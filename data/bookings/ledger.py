"""The booking ledger: the shop's booked course items, flat and partner-scoped, in the portal DB.

Magento keeps `sales_order_grid`, a flat copy of its orders, because the normalised tables
cannot serve an admin grid fast; `miomente_bookings` is the portal's equivalent: one row per
order item of a partner's course (partner, booked at, event at, order, customer, course,
tickets, amounts, partner-facing status), so a partner's lists, counts and exports are index
lookups in the portal DB instead of joins over a million shop orders on the shop's primary.

How it is filled
----------------
`sync_ledger` copies incrementally by the order's `updated_at` (Magento indexes it and bumps it
on every order change: status, invoice, refund, cancellation). It reads the orders after the
watermark in keyset order `(updated_at, entity_id)`, in batches, from the shop's read replica;
for each batch the orders' top-level items whose product is a partner's course (the product ->
partner map of `miomente_courses`, loaded once per run) become ledger rows. Items of products
no partner owns (vouchers, unassigned products) are skipped; a shared order gives one row per
partner item, each with only its own amounts.

Crash safety: a batch's upsert, its notifications and the watermark move are one portal
transaction. A killed or failing sync loses nothing and redoes at most the batch it was in;
rows copied twice are the same rows (upsert by item_id).

Late commits: Magento stamps `updated_at` when a transaction writes, not when it commits, so a
row can become visible after rows with later stamps were already read. Instead of re-reading a
fixed slice behind the watermark on every run (which would re-copy the newest order on every
page load), the stored watermark never passes `now - OVERLAP_SECONDS` (whole seconds): orders
stamped within the last few seconds before a run are read again by the next run, anything older
must have committed by then. So a run when nothing changed is one indexed query on
`sales_order.updated_at` plus one tiny portal update; the `sync-ledger` job additionally
re-reads the last ten minutes (`lookback_seconds`) every minute, which reconciles slower
commits, replica lag and clock skew between shop and portal.

Concurrency: two syncs (or a sync and `refresh_orders`) at once are harmless. Each portal
transaction starts by writing the `miomente_sync_state` row, which serialises the writers (a row
lock on PostgreSQL, the write lock on SQLite, taken before any read so SQLite never has to
upgrade a stale snapshot), the watermark only ever moves forward, and the upsert does not
replace a row with an older copy of the order (`shop_updated_at`).

Freshness: the Bestellungen page calls `ensure_fresh` (a sync when the last one is more than five
seconds old, so a booking shows within seconds), the job runs every minute, and the portal's own
writes (a partner's decision) call `refresh_orders`, which reads the shop's primary.

Status (`partner_status`), first rule that matches:

1. rejected: the partner rejected the item (decision "rejected"), or the order carries Magento
   status `miomente_rejected` and this item was not confirmed. (In a shared order that another
   partner rejected, an item this partner had confirmed is *cancelled*, not "rejected by you".)
2. cancelled: order state `canceled`, or the item itself fully cancelled (qty_canceled >=
   qty_ordered > 0).
3. refunded: order state `closed` (Magento closes fully refunded orders), or the item fully
   refunded: qty_refunded > 0 and qty_refunded >= qty_ordered - qty_canceled.
4. completed: order state `complete` (the event has taken place).
5. confirmed: decision "confirmed" or Magento status `miomente_confirmed`.
6. new: everything else (pending_partner, new/pending, pending_payment, processing, holded,
   payment_review, fraud): it still waits for the partner or for the payment.

A *partial* refund is not a status of its own: the booking keeps its status (new, confirmed or
completed), `tickets` counts only the tickets left and `refunded` holds the refunded amount.

New-booking notification: when a sync (or `refresh_orders`) inserts an item the ledger did not
hold before, with status "new" and booked within the last 48 hours, `new_booking_partner` is
queued for each of the partner's recipients (notification prefs, event "new_booking") in the
same transaction as the row. Nothing is sent by the ledger's very first run (no watermark yet):
that is the copy of history, not news. One message per booked item, not per order: each item
is its own booking with its own course, date and decision; a partner rarely gets two items in
one order. The dedupe key `new_booking:<item>:<channel>:<address>` makes reruns harmless.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from core import links, sql
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.money import to_decimal, to_money
from data.access.permissions import ORDERS_READ, ORDERS_WRITE, requires
from data.access.scope import product_partner_map
from data.access.viewer import SYSTEM, Viewer
from data.comms import member_digest
from data.comms.notifications import Recipient, recipients
from data.comms.outbox import queue_many
from data.integrations import webhooks
from data.money import rollup as revenue_rollup
from data.portal_schema import (
    BOOKING_CANCELLED,
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    BOOKING_REFUNDED,
    BOOKING_REJECTED,
    DECISION_CONFIRMED,
    DECISION_REJECTED,
    booking_decisions,
    bookings,
    partners,
    sync_state,
)
from data.shop import schema as m

log = logging.getLogger("data.bookings.ledger")

SYNC_NAME = "bookings"
BATCH_SIZE = 5000
# The stored watermark stays this far behind the run's start (see the module doc).
OVERLAP_SECONDS = 5.0
# ensure_fresh syncs when the last sync is older than this.
MAX_AGE_SECONDS = 5.0
# A page's ensure_fresh copies at most this many orders (whole batches); a backlog beyond it,
# such as the first load of a big shop, is the job's work. The next call continues.
ENSURE_MAX_ORDERS = 20_000
NOTIFY_WINDOW = timedelta(hours=48)
# sync_state.updated_at of a ledger that was never synced.
NEVER = datetime(1970, 1, 1)
NOTIFY_TEMPLATE = "new_booking_partner"
NOTIFY_EVENT = "new_booking"
# refresh_orders reads the shop in chunks of this many orders.
REFRESH_CHUNK = 1000
NAME_ATTRIBUTE_ID = m.PRODUCT_ATTRIBUTES["name"][0]
SYSTEM_ONLY = "access.system_only"  # staff scope over all partners copies the ledger

o, i, d = m.sales_order, m.sales_order_item, m.miomente_course_date
Cursor = tuple[datetime, int]


@dataclass(frozen=True)
class SyncResult:
    orders: int  # shop orders read
    items: int  # ledger rows written (inserted or updated)
    new_bookings: int  # ledger rows inserted
    notified: int  # new-booking messages queued
    seconds: float


# --- the status rules ---------------------------------------------------------------------------


def partner_status(
    *,
    order_state: str | None,
    order_status: str | None,
    qty_ordered: object,
    qty_canceled: object,
    qty_refunded: object,
    decision: str | None,
) -> str:
    """The partner-facing status of one booked item; the rules are in the module doc."""
    ordered, canceled, refunded = (
        to_decimal(qty_ordered),
        to_decimal(qty_canceled),
        to_decimal(qty_refunded),
    )
    if decision == DECISION_REJECTED or (
        order_status == m.STATUS_REJECTED and decision != DECISION_CONFIRMED
    ):
        return BOOKING_REJECTED
    if order_state == "canceled" or (ordered > 0 and canceled >= ordered):
        return BOOKING_CANCELLED
    if order_state == "closed" or (refunded > 0 and refunded >= ordered - canceled):
        return BOOKING_REFUNDED
    if order_state == "complete":
        return BOOKING_COMPLETED
    if decision == DECISION_CONFIRMED or order_status == m.STATUS_CONFIRMED:
        return BOOKING_CONFIRMED
    return BOOKING_NEW


# --- reading the shop ---------------------------------------------------------------------------

_ORDER_COLUMNS = (
    o.c.entity_id,
    o.c.increment_id,
    o.c.state,
    o.c.status,
    o.c.customer_email,
    o.c.customer_firstname,
    o.c.customer_lastname,
    o.c.created_at,
    o.c.updated_at,
)


def _after(cursor: Cursor | None) -> ColumnElement[bool]:
    """`(updated_at, entity_id) > cursor`, spelled so that every engine range-scans the index."""
    if cursor is None:
        return true()
    at, entity_id = cursor
    return and_(o.c.updated_at >= at, or_(o.c.updated_at > at, o.c.entity_id > entity_id))


def _orders_page(cursor: Cursor | None, limit: int) -> Select:
    return (
        select(*_ORDER_COLUMNS)
        .where(_after(cursor))
        .order_by(o.c.updated_at, o.c.entity_id)
        .limit(limit)
    )


def _items(conn: Connection, order_ids: Sequence[int]) -> list[RowMapping]:
    """The orders' top-level items with their course date (children of bundles are skipped)."""
    if not order_ids:
        return []
    query = (
        select(
            i.c.item_id,
            i.c.order_id,
            i.c.product_id,
            i.c.sku,
            i.c.name,
            i.c.qty_ordered,
            i.c.qty_canceled,
            i.c.qty_refunded,
            m.net_tickets(i).label("net_tickets"),
            func.coalesce(i.c.row_total_incl_tax, i.c.row_total + i.c.tax_amount).label("gross"),
            i.c.amount_refunded,
            i.c.miomente_date_id,
            d.c.starts_at,
        )
        .select_from(i.outerjoin(d, d.c.date_id == i.c.miomente_date_id))
        .where(sql.int_in(i.c.order_id, order_ids), i.c.parent_item_id.is_(None))
        .order_by(i.c.item_id)
    )
    return list(conn.execute(query).mappings())


def _product_names(conn: Connection, product_ids: set[int]) -> dict[int, str]:
    """Default-store EAV names, for the rare item stored without a name."""
    v = m.catalog_product_entity_varchar
    query = select(v.c.entity_id, v.c.value).where(
        sql.int_in(v.c.entity_id, sorted(product_ids)),
        v.c.attribute_id == NAME_ATTRIBUTE_ID,
        v.c.store_id == 0,
    )
    return {entity_id: value for entity_id, value in conn.execute(query) if value}


# --- building and writing ledger rows -----------------------------------------------------------


def _text(value: object, limit: int) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:limit] if text else None


def _row(
    order: Mapping,
    item: Mapping,
    *,
    partner_id: int,
    course: str | None,
    decision: str | None,
    now: datetime,
) -> dict[str, object]:
    first, last = order["customer_firstname"] or "", order["customer_lastname"] or ""
    # A display value for the ledger row (bound as a parameter on insert), not SQL.
    name = _text(f"{first} {last}", 260)  # a display name, not SQL: stored as a bound value
    email = _text(order["customer_email"], 128)
    increment_id = str(order["increment_id"])
    ordered, canceled = to_decimal(item["qty_ordered"]), to_decimal(item["qty_canceled"])
    refunded_qty = to_decimal(item["qty_refunded"])
    search = " ".join(part for part in (name, email, increment_id) if part).lower()
    return {
        "item_id": item["item_id"],
        "order_id": order["entity_id"],
        "increment_id": increment_id[:50],
        "partner_id": partner_id,
        "product_id": item["product_id"],
        "sku": _text(item["sku"], 64),
        "course": course,
        "date_id": item["miomente_date_id"],
        "event_at": item["starts_at"],
        "booked_at": order["created_at"],
        "customer_name": name,
        "customer_email": email,
        "tickets": m.tickets(item["net_tickets"]),
        "gross": to_decimal(item["gross"]),
        "refunded": to_decimal(item["amount_refunded"]),
        "order_state": order["state"],
        "order_status": order["status"],
        "status": partner_status(
            order_state=order["state"],
            order_status=order["status"],
            qty_ordered=ordered,
            qty_canceled=canceled,
            qty_refunded=refunded_qty,
            decision=decision,
        ),
        "search_text": search.strip()[:500],
        "shop_updated_at": order["updated_at"],
        "synced_at": now,
    }


def _upsert(conn: Connection, rows: list[dict[str, object]]) -> None:
    """Insert or update ledger rows by item_id; a stored row of a newer copy of its order is
    kept (the caller already left those out; this is the database's own guard)."""
    sql.upsert(conn, bookings, rows, index_elements=["item_id"], version="shop_updated_at")


def _lock_state(conn: Connection, **values: object) -> None:
    """The first statement of every ledger write: serialises writers (see the module doc)."""
    values = values or {"watermark_id": sync_state.c.watermark_id}
    conn.execute(update(sync_state).where(sync_state.c.name == SYNC_NAME).values(**values))


def _advance(conn: Connection, to: Cursor) -> None:
    """Move the watermark to `to` unless it is already there or further (never backwards)."""
    row = conn.execute(
        select(sync_state.c.watermark_at, sync_state.c.watermark_id).where(
            sync_state.c.name == SYNC_NAME
        )
    ).first()
    if row is not None and row.watermark_at is not None and (row[0], row[1]) >= to:
        return
    conn.execute(
        update(sync_state)
        .where(sync_state.c.name == SYNC_NAME)
        .values(watermark_at=to[0], watermark_id=to[1])
    )


def _state(db: Databases) -> RowMapping | None:
    with db.portal.connect() as conn:
        return (
            conn.execute(select(sync_state).where(sync_state.c.name == SYNC_NAME))
            .mappings()
            .first()
        )


def _ensure_state(db: Databases) -> RowMapping:
    state = _state(db)
    if state is not None:
        return state
    try:
        with db.portal.begin() as conn:
            conn.execute(
                insert(sync_state).values(
                    name=SYNC_NAME,
                    watermark_at=None,
                    watermark_id=0,
                    updated_at=NEVER,
                )
            )
    except IntegrityError:
        pass  # a concurrent first sync created it
    state = _state(db)
    assert state is not None
    return state


@dataclass
class _Copier:
    """One run's caches and counters; `store` writes one batch in one portal transaction."""

    db: Databases
    now: datetime
    notify: bool
    owners: dict[int, int] | None = None
    names: dict[int, str] = field(default_factory=dict)
    contacts: dict[int, tuple[str, list[Recipient]]] = field(default_factory=dict)
    # False while the roll-ups are filled for the first time: one rebuild after the copy is
    # far cheaper than recomputing whole months after every batch (data/money/rollup.py).
    rollups: bool = True
    written: int = 0
    inserted: int = 0
    notified: int = 0

    def partner_items(self, conn: Connection, items: list[RowMapping]) -> list[RowMapping]:
        if self.owners is None:
            self.owners = product_partner_map(SYSTEM, self.db)
        kept = [item for item in items if item["product_id"] in self.owners]
        unnamed = {it["product_id"] for it in kept if not it["name"]} - set(self.names)
        if unnamed:
            self.names.update(_product_names(conn, unnamed))
        return kept

    def contact(self, partner_id: int) -> tuple[str, list[Recipient]]:
        """The partner's name and new-booking recipients (none if inactive), once per run."""
        if partner_id not in self.contacts:
            with self.db.portal.connect() as conn:
                partner = conn.execute(
                    select(partners.c.name, partners.c.active).where(
                        partners.c.partner_id == partner_id
                    )
                ).first()
            found = []
            if partner is not None and partner.active:
                found = recipients(SYSTEM.view_as(partner_id), self.db, event=NOTIFY_EVENT)
            self.contacts[partner_id] = (partner.name if partner else "", found)
        return self.contacts[partner_id]

    def store(
        self,
        orders: Sequence[RowMapping],
        items: list[RowMapping],
        *,
        watermark: Cursor | None = None,
        touch: bool = False,
    ) -> None:
        """Upsert the batch's partner items, queue notifications, move the watermark: one commit."""
        owners = self.owners or {}
        by_id = {order["entity_id"]: order for order in orders}
        cutoff = self.now - NOTIFY_WINDOW
        if self.notify:
            # Recipients are read before the write transaction opens (with their own
            # connection), for the recent items the ledger does not hold yet.
            recent = [it for it in items if by_id[it["order_id"]]["created_at"] >= cutoff]
            if recent:
                with self.db.portal.connect() as conn:
                    held = set(
                        conn.execute(
                            select(bookings.c.item_id).where(
                                sql.int_in(bookings.c.item_id, [it["item_id"] for it in recent])
                            )
                        ).scalars()
                    )
                for item in recent:
                    if item["item_id"] not in held:
                        self.contact(owners[item["product_id"]])
        with self.db.portal.begin() as conn:
            _lock_state(conn, **({"updated_at": self.now} if touch else {}))
            item_ids = [item["item_id"] for item in items]
            decisions: dict[int, str] = {}
            existing: dict[int, datetime] = {}
            if item_ids:
                decisions = dict(
                    conn.execute(
                        select(booking_decisions.c.item_id, booking_decisions.c.decision).where(
                            sql.int_in(booking_decisions.c.item_id, item_ids)
                        )
                    ).all()
                )
                existing = dict(
                    conn.execute(
                        select(bookings.c.item_id, bookings.c.shop_updated_at).where(
                            sql.int_in(bookings.c.item_id, item_ids)
                        )
                    ).all()
                )
            rows: list[dict[str, Any]] = []
            for item in items:
                order = by_id[item["order_id"]]
                held_at = existing.get(item["item_id"])
                if held_at is not None and held_at > order["updated_at"]:
                    continue  # a concurrent run already wrote a newer copy of this order
                name = item["name"] or self.names.get(item["product_id"]) or item["sku"]
                rows.append(
                    _row(
                        order,
                        item,
                        partner_id=owners[item["product_id"]],
                        course=_text(name, 255),
                        decision=decisions.get(item["item_id"]),
                        now=self.now,
                    )
                )
            if rows:
                # The revenue roll-ups of every month these rows leave or enter, recomputed in
                # this transaction (data/money/rollup.py).
                if self.rollups:
                    with revenue_rollup.kept_current(conn, rows):
                        _upsert(conn, rows)
                else:
                    _upsert(conn, rows)
            self.written += len(rows)
            fresh = [row for row in rows if row["item_id"] not in existing]
            self.inserted += len(fresh)
            if self.notify:
                messages = [
                    message
                    for row in fresh
                    if row["status"] == BOOKING_NEW and row["booked_at"] >= cutoff
                    for message in self.messages(row)
                ]
                self.notified += queue_many(conn, messages)
                # Members who chose the daily digest get an item for it instead of a message.
                member_digest.collect(
                    conn,
                    [
                        item
                        for row in fresh
                        if row["status"] == BOOKING_NEW and row["booked_at"] >= cutoff
                        for item in self.digest_items(row)
                    ],
                )
                webhooks.emit_ledger(
                    conn, rows, fresh={r["item_id"] for r in fresh}, since=cutoff, now=self.now
                )
            if watermark is not None:
                _advance(conn, watermark)

    def messages(self, row: Mapping[str, Any]) -> list[dict[str, object]]:
        if row["event_at"] is None:
            log.warning("Buchung %s ohne Termin: keine Benachrichtigung", row["item_id"])
            return []
        partner_id = int(row["partner_id"])
        partner_name, found = self.contact(partner_id)
        found, _ = member_digest.split(found)
        gross = to_money(row["gross"])
        payload = {
            "contact_name": partner_name,
            "customer_name": row["customer_name"] or row["customer_email"] or "Gast",
            "course": row["course"] or row["sku"] or "",
            "starts_at": row["event_at"].isoformat(timespec="seconds"),
            "tickets": row["tickets"],
            "total": str(gross),
            "order_number": row["increment_id"],
            "order_url": links.order_url(int(row["order_id"])),
        }
        return [
            {
                "channel": recipient.channel,
                "template": NOTIFY_TEMPLATE,
                "recipient": recipient.address,
                "recipient_name": partner_name or None,
                "locale": "de",
                "payload": payload,
                "partner_id": partner_id,
                "send_after": recipient.send_after,  # a member's quiet hours
                "dedupe_key": (
                    f"new_booking:{row['item_id']}:{recipient.channel}:{recipient.address}"
                )[:200],
            }
            for recipient in found
        ]

    def digest_items(self, row: Mapping[str, Any]) -> list[dict[str, object]]:
        """The booking as an item of each digest member's next daily digest."""
        if row["event_at"] is None:
            return []
        partner_id = int(row["partner_id"])
        _, digest = member_digest.split(self.contact(partner_id)[1])
        return member_digest.item_rows(
            digest,
            partner_id=partner_id,
            event=NOTIFY_EVENT,
            subject=row["course"] or row["sku"] or "",
            context={
                "starts_at": row["event_at"].isoformat(timespec="seconds"),
                "tickets": row["tickets"],
                "url": links.order_url(int(row["order_id"])),
            },
            key=f"new_booking:{row['item_id']}",
            now=self.now,
        )


# --- the public functions -----------------------------------------------------------------------


def _start_cursor(state: Mapping, lookback_seconds: float) -> Cursor | None:
    if state["watermark_at"] is None:
        return None
    if lookback_seconds > 0:
        return (state["watermark_at"] - timedelta(seconds=lookback_seconds), 0)
    return (state["watermark_at"], int(state["watermark_id"]))


Page = tuple[list[RowMapping], list[RowMapping]]


def _pages(
    db: Databases, copier: _Copier, cursor: Cursor | None, batch_size: int
) -> Iterator[Page]:
    """Keyset pages of changed orders with their partner items, from the shop's read replica."""
    while True:
        with db.magento_read.connect() as conn:
            page = list(conn.execute(_orders_page(cursor, batch_size)).mappings())
            items = _items(conn, [order["entity_id"] for order in page])
            items = copier.partner_items(conn, items) if items else []
        if not page:
            return
        yield page, items
        if len(page) < batch_size:
            return
        cursor = (page[-1]["updated_at"], page[-1]["entity_id"])


@requires(ORDERS_WRITE)
def sync_ledger(
    viewer: Viewer,
    db: Databases,
    *,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
    notify: bool = True,
    lookback_seconds: float = 0.0,
    max_orders: int | None = None,
    on_batch: Callable[[int], object] | None = None,
) -> SyncResult:
    """Copy the shop's orders changed since the watermark into the ledger (see the module doc).

    `lookback_seconds` re-reads that much before the watermark (the job's reconciliation);
    `max_orders` stops after the batch that reaches it (the rest waits for the next run);
    `on_batch(orders)` is called after each committed batch (progress lines).
    """
    viewer.require_system(SYSTEM_ONLY)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    now = naive_utc(now) if now else now_utc()
    state = _ensure_state(db)
    copier = _Copier(db, now, notify=notify and state["watermark_at"] is not None)
    # Empty roll-ups: the first copy (or one that crashed before its rebuild) fills them once.
    copier.rollups = not revenue_rollup.is_empty(db.portal)
    cap: Cursor = ((now - timedelta(seconds=OVERLAP_SECONDS)).replace(microsecond=0), 0)
    orders_read = 0
    for page, items in _pages(db, copier, _start_cursor(state, lookback_seconds), batch_size):
        last: Cursor = (page[-1]["updated_at"], page[-1]["entity_id"])
        copier.store(page, items, watermark=min(last, cap), touch=True)
        orders_read += len(page)
        if on_batch is not None:
            on_batch(len(page))
        if max_orders is not None and orders_read >= max_orders:
            break
    if orders_read == 0:
        copier.store([], [], touch=True)  # nothing changed: note the sync for ensure_fresh
    if not copier.rollups and copier.written:
        with db.portal.begin() as conn:
            revenue_rollup.rebuild_rollups(conn)
    return SyncResult(
        orders=orders_read,
        items=copier.written,
        new_bookings=copier.inserted,
        notified=copier.notified,
        seconds=round(time.perf_counter() - started, 3),
    )


@requires(ORDERS_WRITE)
def refresh_orders(
    viewer: Viewer, db: Databases, *, order_ids: Sequence[int], now: datetime | None = None
) -> int:
    """Copy these orders' items into the ledger now, from the shop's primary; rows written.

    For the portal's own writes (a partner's decision, staff tools): the primary already holds
    what the portal just wrote, the replica may not. Decisions stored in the portal are applied
    too. The watermark is not touched.
    """
    viewer.require_system(SYSTEM_ONLY)
    ids = sorted({int(order_id) for order_id in order_ids})
    if not ids:
        return 0
    state = _ensure_state(db)
    now = naive_utc(now) if now else now_utc()
    copier = _Copier(db, now, notify=state["watermark_at"] is not None)
    for chunk in sql.chunks(ids, REFRESH_CHUNK):
        with db.magento.connect() as conn:
            orders = list(
                conn.execute(
                    select(*_ORDER_COLUMNS).where(sql.int_in(o.c.entity_id, chunk))
                ).mappings()
            )
            items = _items(conn, [order["entity_id"] for order in orders])
            items = copier.partner_items(conn, items) if items else []
        if items:
            copier.store(orders, items)
    return copier.written


def ensure_fresh(
    viewer: Viewer,
    db: Databases,
    *,
    max_age_seconds: float = MAX_AGE_SECONDS,
    now: datetime | None = None,
) -> bool:
    """Sync now if the last sync is older than `max_age_seconds`; True if it synced.

    Any viewer may call it: it only makes the shared ledger fresher (the sync runs as SYSTEM and
    returns nothing to the caller). A page call copies at most `ENSURE_MAX_ORDERS` orders.
    """
    del viewer  # every viewer may freshen the ledger; it hands nothing back
    now = naive_utc(now) if now else now_utc()
    state = _state(db)
    if state is not None and (now - state["updated_at"]).total_seconds() < max_age_seconds:
        return False
    sync_ledger(SYSTEM, db, now=now, max_orders=ENSURE_MAX_ORDERS)
    return True


@requires(ORDERS_READ)
def pending_orders(viewer: Viewer, db: Databases, *, lookback_seconds: float = 0.0) -> int:
    """How many shop orders the next sync would read (the job's progress total)."""
    viewer.require_system(SYSTEM_ONLY)
    state = _state(db)
    cursor = _start_cursor(state, lookback_seconds) if state is not None else None
    with db.magento_read.connect() as conn:
        query = select(func.count()).select_from(o).where(_after(cursor))
        return int(conn.execute(query).scalar() or 0)
