"""Changing course dates: what a single date (course_dates.py) and a series (series.py) both do.

The checks of seats and price and of the viewer's course, the items booked on dates, the
`date_moved` notice, cancelling dates (with its mails and shop comments) and the ledger
refresh after a change. Private to `data.dates`; the order of portal and shop transactions
is explained in course_dates.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import RowMapping

from core import i18n, links
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.money import ZERO, is_cents, to_decimal, to_money
from core.validation import InvalidInput, parse_amount
from data.access import scope
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings.ledger import refresh_orders
from data.comms.outbox import queue_many, queue_message
from data.integrations import webhooks
from data.ops import audit
from data.portal_schema import CHANNEL_EMAIL
from data.shop import writes as shop_writes
from data.shop.schema import (
    holds_seats,
    miomente_course_date,
    net_tickets,
    sales_order,
    sales_order_item,
    store_locale,
    tickets,
)

log = logging.getLogger("data.dates.course_dates")

NOT_FOUND = "dates.not_found"
ENTITY = "course_date"  # audit rows
CANCEL_TEMPLATE = "date_cancelled"
MOVE_TEMPLATE = "date_moved"
MAX_SEATS = 10_000
MAX_PRICE = Decimal("100000")


@dataclass(frozen=True)
class CancelResult:
    """What a cancel did, or, with `needs_confirmation`, what it would touch (nothing done)."""

    date_ids: list[int]  # the dates asked for (in scope, not past)
    cancelled: list[int] = field(default_factory=list)  # changed from active to cancelled now
    bookings: int = 0  # booked items on them
    tickets: int = 0
    refund_total: Decimal = ZERO
    messages: int = 0  # emails queued now (a repeat queues none)
    needs_confirmation: bool = False


def check_values(
    *, seats: object = None, price: object = None
) -> tuple[int | None, Decimal | None]:
    seats_value = price_value = None
    if seats is not None:
        try:
            # Whatever the form sent: int() takes what it can read, the except the rest.
            seats_value = int(seats)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise InvalidInput("dates.seats_invalid") from None
        if seats_value > MAX_SEATS:
            raise InvalidInput("dates.seats_too_many", n=MAX_SEATS)
        if seats_value <= 0:
            raise InvalidInput("dates.seats_invalid")
    if price is not None:
        price_value = _price(price)
    return seats_value, price_value


def _price(price: object) -> Decimal:
    """A price in euros and cents; a fraction of a cent is refused, not rounded (0,004 € was
    saved as 0,00 €)."""
    if isinstance(price, str):
        exact = parse_amount(price, key="dates.price_invalid")
    else:
        try:
            exact = to_decimal(price)
        except (InvalidOperation, TypeError, ValueError):
            raise InvalidInput("dates.price_invalid") from None
    if not exact.is_finite() or not ZERO <= exact <= MAX_PRICE:
        raise InvalidInput("dates.price_invalid")
    if not is_cents(exact):
        raise InvalidInput("dates.price_cents")
    return to_money(exact)


def require_product(viewer: Viewer, db: Databases, product_id: int) -> int:
    """The partner owning the product, if the viewer may plan it; else ScopeError."""
    owners = scope.product_partner_map(viewer, db)
    if int(product_id) not in owners:
        raise ScopeError(NOT_FOUND)
    return owners[int(product_id)]


def booked_items(conn: Connection, date_ids: Sequence[int]) -> list[RowMapping]:
    """Items booked on these dates in orders that still count, with tickets left."""
    if not date_ids:
        return []
    item, order, d = sales_order_item, sales_order, miomente_course_date
    query = (
        select(
            item.c.item_id,
            item.c.order_id,
            item.c.product_id,
            item.c.name,
            item.c.qty_ordered,
            item.c.qty_canceled,
            item.c.qty_refunded,
            net_tickets(item).label("net_tickets"),
            func.coalesce(item.c.row_total_incl_tax, item.c.row_total + item.c.tax_amount).label(
                "gross"
            ),
            item.c.amount_refunded,
            item.c.miomente_date_id.label("date_id"),
            order.c.increment_id,
            order.c.store_id,
            order.c.customer_email,
            order.c.customer_firstname,
            order.c.customer_lastname,
            order.c.total_paid,
            d.c.starts_at,
            d.c.ends_at,
            d.c.updated_at.label("date_updated_at"),
        )
        .select_from(
            item.join(order, order.c.entity_id == item.c.order_id).join(
                d, d.c.date_id == item.c.miomente_date_id
            )
        )
        .where(
            item.c.miomente_date_id.in_(sorted({int(i) for i in date_ids})),
            holds_seats(order, item),
        )
        .order_by(item.c.miomente_date_id, item.c.item_id)
    )
    return [r for r in conn.execute(query).mappings() if tickets_left(r) > 0]


def order_ids_on(conn: Connection, date_ids: Sequence[int]) -> list[int]:
    """Every order with an item on these dates (cancelled ones too: the ledger lists them)."""
    if not date_ids:
        return []
    item = sales_order_item
    query = (
        select(item.c.order_id)
        .where(item.c.miomente_date_id.in_(sorted({int(i) for i in date_ids})))
        .distinct()
    )
    return sorted(int(i) for i in conn.execute(query).scalars())


def tickets_left(row: Mapping) -> int:
    return tickets(row["net_tickets"])


def amount_due(row: Mapping) -> Decimal:
    return max(to_money(row["gross"]) - to_money(row["amount_refunded"]), ZERO)


def customer_name(row: Mapping) -> str:
    return " ".join(
        p for p in (row["customer_firstname"] or "", row["customer_lastname"] or "") if p
    ).strip()


def notify_moved(
    pconn: Connection,
    conn: Connection,
    *,
    date_id: int,
    old_starts_at: datetime,
    new_starts_at: datetime,
    new_ends_at: datetime | None = None,
    partner_id: int | None = None,
    revision: datetime | None = None,
) -> int:
    """Queue one `date_moved` email per item booked on `date_id`; how many were new.

    For callers that already checked the viewer may change the date (update_date, the series'
    moves): `pconn` is the caller's open portal transaction, `conn` its shop connection (the
    shop transaction that moves the date, so the bookings are read as they are now). Times
    are naive UTC. Items of void orders and items without tickets left (cancelled, refunded)
    get nothing; neither do orders without an email address. Dedupe key
    `date_moved:<date_id>:<item_id>:<old start>><new start>@<revision>`, where `revision` is
    the date row's updated_at before this change: every move tells the customers (also back
    to an earlier time), a retry of the same move queues nothing.
    """

    new_start = naive_utc(new_starts_at).replace(microsecond=0)
    old_start = naive_utc(old_starts_at).replace(microsecond=0)
    # The move (from, to) and the row's version: a retry repeats all three, a later move
    # (also back to an earlier time) differs in at least one.
    token = f"{old_start.isoformat()}>{new_start.isoformat()}@{(revision or new_start).isoformat()}"
    messages: list[dict[str, object]] = []
    for item in booked_items(conn, [int(date_id)]):
        recipient = (item["customer_email"] or "").strip()
        if not recipient:
            log.warning("no %s email for item %s: no address", MOVE_TEMPLATE, item["item_id"])
            continue
        payload: dict[str, object] = {
            "customer_name": customer_name(item) or recipient,
            "order_number": item["increment_id"],
            "course": item["name"] or "",
            "old_starts_at": old_start.isoformat(),
            "starts_at": new_start.isoformat(),
            "tickets": tickets_left(item),
        }
        if new_ends_at is not None:
            payload["ends_at"] = naive_utc(new_ends_at).replace(microsecond=0).isoformat()
        messages.append(
            {
                "channel": CHANNEL_EMAIL,
                "template": MOVE_TEMPLATE,
                "recipient": recipient,
                "recipient_name": str(payload["customer_name"]),
                "locale": store_locale(item["store_id"]),
                "payload": payload,
                "dedupe_key": f"{MOVE_TEMPLATE}:{int(date_id)}:{item['item_id']}:{token}",
                "partner_id": partner_id,
            }
        )
    return queue_many(pconn, messages)


def refresh_ledger(db: Databases, order_ids: Sequence[int], now: datetime) -> int:
    """The ledger's event_at (and status) of these orders, from the shop's primary."""
    if not order_ids:
        return 0

    refresh_orders(SYSTEM, db, order_ids=sorted(set(order_ids)), now=now)
    return len(set(order_ids))


def cancel_dates(
    viewer: Viewer,
    db: Databases,
    *,
    partner_id: int,
    date_ids: Sequence[int],
    confirm: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
    within: Callable[[Connection], None] | None = None,
    dry_run: bool = False,
) -> CancelResult:
    """Cancel several future dates of one partner's courses (a series' or a single one).

    Only dates of the viewer's courses that start after `now` are touched. Without `confirm`,
    dates with bookings are not cancelled: the result lists what would happen. `within` runs
    in the same portal transaction (a series marks itself cancelled there). With `dry_run`
    nothing happens either way: the result says what a cancel would touch (for the question).
    """
    now = naive_utc(now) if now else now_utc()
    if not viewer.sees_all and viewer.partner_id != partner_id:
        raise ScopeError(NOT_FOUND)
    ids = scope.product_ids(viewer, db)
    d = miomente_course_date
    reason = (reason or "").strip()[:1000] or None
    with db.magento.connect() as conn:
        rows = list(
            conn.execute(
                select(d.c.date_id, d.c.product_id, d.c.starts_at).where(
                    d.c.date_id.in_(sorted({int(i) for i in date_ids}) or [-1]),
                    d.c.starts_at > now,
                    scope.product_filter(d.c.product_id, ids),
                )
            ).mappings()
        )
        booked = booked_items(conn, [r["date_id"] for r in rows])
    target = sorted(int(r["date_id"]) for r in rows)
    summary = CancelResult(
        date_ids=target,
        bookings=len(booked),
        tickets=sum(tickets_left(b) for b in booked),
        refund_total=sum((amount_due(b) for b in booked), ZERO),
    )
    if dry_run or (booked and not confirm):
        return replace(summary, needs_confirmation=bool(booked))
    messages = 0
    cancelled: list[int] = []
    with db.portal.begin() as pconn:
        for item in booked:
            messages += _queue_cancel_mail(pconn, item, reason, partner_id)
        if target:
            audit.record(
                pconn,
                viewer,
                action="date_cancelled",
                entity=ENTITY,
                entity_id=",".join(str(i) for i in target)[:64],
                partner_id=partner_id,
                details={"date_ids": target, "bookings": len(booked), "reason": reason},
                now=now,
            )
            webhooks.emit_dates(
                pconn, "date.cancelled", [{"date_id": i, "status": "cancelled"} for i in target],
                partner_id=partner_id, now=now,
            )  # fmt: skip
        if within is not None:
            within(pconn)
        if target:
            with shop_writes.shop_transaction(db.magento) as conn:
                cancelled = shop_writes.cancel_course_dates(conn, date_ids=target, now=now)
                fresh = [b for b in booked if int(b["date_id"]) in set(cancelled)]
                for order_id, items in _by_order(fresh).items():
                    shop_writes.add_order_comment(
                        conn, order_id=order_id, comment=_refund_comment(items), now=now
                    )
    refresh_ledger(db, [b["order_id"] for b in booked], now)
    return replace(summary, cancelled=cancelled, messages=messages)


def _by_order(items: Sequence[Mapping]) -> dict[int, list[Mapping]]:
    out: dict[int, list[Mapping]] = {}
    for item in items:
        out.setdefault(int(item["order_id"]), []).append(item)
    return out


def _refund_comment(items: Sequence[Mapping]) -> str:
    parts = [
        i18n.translate(
            "dates.history_cancelled",
            "de",
            course=item["name"] or "",
            when=i18n.moment(item["starts_at"], "de"),
            tickets=tickets_left(item),
            amount=i18n.money(amount_due(item), "de"),
        )
        for item in items
    ]
    return shop_writes.PORTAL_COMMENT_PREFIX + " ".join(parts)


def _queue_cancel_mail(
    pconn: Connection, item: Mapping, reason: str | None, partner_id: int
) -> int:

    recipient = (item["customer_email"] or "").strip()
    if not recipient:
        log.warning("no date_cancelled email for item %s: no address", item["item_id"])
        return 0
    payload: dict[str, object] = {
        "customer_name": customer_name(item) or recipient,
        "order_number": item["increment_id"],
        "course": item["name"] or "",
        "starts_at": item["starts_at"].replace(microsecond=0).isoformat(),
        "refund_amount": str(amount_due(item)),
        "rebook_url": links.shop_course_url(item["product_id"]),
    }
    if reason:
        payload["reason"] = reason
    queued = queue_message(
        pconn,
        channel=CHANNEL_EMAIL,
        template=CANCEL_TEMPLATE,
        recipient=recipient,
        recipient_name=str(payload["customer_name"]),
        locale=store_locale(item["store_id"]),
        payload=payload,
        dedupe_key=f"date_cancelled:{item['date_id']}:{item['item_id']}",
        partner_id=partner_id,
    )
    return int(queued)
