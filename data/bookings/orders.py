"""One order in detail: `get_order` and the result types it returns.

`get_order` reads the order live from the shop by primary key. A partner sees only its own
items of an order that several partners share, only their amounts, and only its own part of
the timeline; an order without an item of the viewer's is `None`, exactly like an id that
does not exist.

Also the reading helpers the decision flow (`data.bookings.decisions`) shares: amounts (`money`,
`qty`), the item query (`item_query`), status labels (`status_labels`) and the stored
decisions of items (`item_decisions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Row, RowMapping, Text, cast, select

from core import i18n
from core.db import Databases
from core.money import ZERO, to_decimal, to_money
from data.access import scope
from data.access.permissions import ORDERS_READ, requires
from data.access.viewer import Viewer
from data.bookings.ledger import partner_status
from data.portal_schema import (
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    BOOKING_REJECTED,
    DECISION_CONFIRMED,
    booking_decisions,
    courses,
    outbox,
    partners,
    users,
)
from data.shop import writes as shop_writes
from data.shop.schema import (
    STATUS_CONFIRMED,
    STATUS_PENDING_PARTNER,
    STATUS_REJECTED,
    miomente_course_date,
    sales_order,
    sales_order_address,
    sales_order_item,
    sales_order_payment,
    sales_order_status,
    sales_order_status_history,
    sales_order_status_state,
)

PARTNER_STATUSES = (STATUS_PENDING_PARTNER, STATUS_CONFIRMED, STATUS_REJECTED)
# sales_order.entity_id is INT UNSIGNED: a larger id (a typed or forged link) names no order,
# and passed on it would overflow the driver (SQLite) instead of reading as "not found".
MAX_ORDER_ID = 2**32 - 1

# (start or part of the method code, group): the first match wins; the group names the label.
_PAYMENT_GROUPS = (
    ("paypal", "paypal"),
    ("klarna", "klarna"),
    ("sofort", "sofort"),
    ("giropay", "giropay"),
    ("sepa", "debit"),
    ("debit", "debit"),
    ("banktransfer", "transfer"),
    ("transfer", "transfer"),
    ("prepayment", "transfer"),
    ("cashondelivery", "cod"),
    ("checkmo", "checkmo"),
    ("purchaseorder", "invoice"),
    ("invoice", "invoice"),
    ("free", "free"),
    ("voucher", "free"),
    ("giftcard", "free"),
    ("stripe", "card"),
    ("braintree", "card"),
    ("adyen", "card"),
    ("cc", "card"),
    ("creditcard", "card"),
    ("card", "card"),
)
PAYMENT_PAID, PAYMENT_OPEN = "paid", "open"
PAYMENT_REFUNDED, PAYMENT_PARTIALLY_REFUNDED = "refunded", "partially_refunded"


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    decision: str  # DECISION_CONFIRMED | DECISION_REJECTED
    reason: str | None
    alternatives: tuple[int, ...]
    decided_by: int
    decided_by_name: str | None
    decided_at: datetime


@dataclass(frozen=True)
class OrderItem:
    item_id: int
    product_id: int
    partner_id: int | None
    sku: str | None
    course: str | None
    date_id: int | None
    event_at: datetime | None  # UTC
    tickets: int
    price: Decimal
    row_total_incl_tax: Decimal
    refunded: Decimal
    status: str  # BOOKING_*
    decision: Decision | None


@dataclass(frozen=True)
class Customer:
    name: str
    email: str | None
    phone: str | None
    address: tuple[str, ...]  # billing address lines

    def lines(self) -> tuple[str, ...]:
        """Name, address, email and phone, for a contact card (empty parts left out)."""
        return tuple(p for p in (self.name, *self.address, self.email, self.phone) if p)


@dataclass(frozen=True)
class Payment:
    method: str | None
    method_label: str  # in get_order's locale; `orders.payment_method_<group>`
    state: str  # paid | open | refunded | partially_refunded
    state_label: str  # in get_order's locale; `orders.payment_<state>`


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime  # UTC
    kind: str  # "status" | "decision" | "message"
    text: str
    label: str = ""  # short heading: status label, decision, message template


@dataclass(frozen=True)
class OrderDetail:
    order_id: int
    increment_id: str
    created_at: datetime  # UTC
    state: str | None
    status: str | None
    status_label: str
    currency: str
    items: tuple[OrderItem, ...]  # the viewer's items only
    total_for_viewer: Decimal  # sum of the viewer's items (row totals incl. tax)
    grand_total: Decimal | None  # the whole order's: only for staff who see all partners
    customer: Customer
    payment: Payment
    timeline: tuple[TimelineEvent, ...]  # oldest first


# --- small helpers -------------------------------------------------------------------------


def _payment_group(method: str | None) -> str:
    """paypal_express -> paypal, braintree_cc -> card: a code's start or one of its parts."""
    code = (method or "").lower()
    parts = set(re.split(r"[_\-.]", code))
    for needle, group in _PAYMENT_GROUPS:
        if code.startswith(needle) or needle in parts:
            return group
    return "other"


# --- reading -------------------------------------------------------------------------------

_item, _order, _date = sales_order_item, sales_order, miomente_course_date


def item_query():
    return (
        select(
            _item.c.item_id,
            _item.c.order_id,
            _item.c.product_id,
            _item.c.sku,
            _item.c.name,
            _item.c.qty_ordered,
            _item.c.qty_canceled,
            _item.c.qty_refunded,
            _item.c.price,
            _item.c.row_total_incl_tax,
            _item.c.amount_refunded,
            _item.c.miomente_date_id.label("date_id"),
            _date.c.starts_at,
            _date.c.ends_at,
            _order.c.increment_id,
            _order.c.state,
            _order.c.status,
            _order.c.store_id,
            _order.c.customer_email,
            _order.c.customer_firstname,
            _order.c.customer_lastname,
            _order.c.total_paid,
            _order.c.grand_total,
        )
        .select_from(
            _item.join(_order, _order.c.entity_id == _item.c.order_id).outerjoin(
                _date, _date.c.date_id == _item.c.miomente_date_id
            )
        )
        .where(_item.c.parent_item_id.is_(None))
    )


def status_labels(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(sales_order_status.c.status, sales_order_status.c.label)).all())


def _status_catalog(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    """(status -> label, status -> state) in one round trip."""
    s, st = sales_order_status, sales_order_status_state
    rows = conn.execute(
        select(s.c.status, s.c.label, st.c.state)
        .select_from(s.outerjoin(st, st.c.status == s.c.status))
        .order_by(st.c.is_default)
    ).all()
    labels = {r.status: r.label for r in rows}
    # The default row (is_default 1, sorted last) wins.
    states = {r.status: r.state for r in rows if r.state is not None}
    return labels, states


def item_decisions(conn: Connection, item_ids: Iterable[int]) -> dict[int, Decision]:
    ids = sorted(set(item_ids))
    if not ids:
        return {}
    d = booking_decisions
    rows = conn.execute(
        select(
            d.c.item_id,
            d.c.decision,
            d.c.reason,
            d.c.alternatives,
            d.c.decided_by,
            users.c.display_name,
            d.c.decided_at,
        )
        .select_from(d.outerjoin(users, users.c.user_id == d.c.decided_by))
        .where(d.c.item_id.in_(ids))
    ).all()
    return {
        r.item_id: Decision(
            decision=r.decision,
            reason=r.reason,
            alternatives=tuple(int(a) for a in (r.alternatives or ())),
            decided_by=r.decided_by,
            decided_by_name=r.display_name,
            decided_at=r.decided_at,
        )
        for r in rows
    }


def _derived_status(magento_status: str | None, statuses: Sequence[str]) -> str | None:
    """The order status a scoped viewer sees: its own part of a partner-decision status.

    Whether the other partners of a shared order have decided is theirs to know, so the
    portal's three decision statuses are computed from the viewer's own items.
    """
    if magento_status not in PARTNER_STATUSES:
        return magento_status
    if BOOKING_NEW in statuses:
        return STATUS_PENDING_PARTNER
    if BOOKING_CONFIRMED in statuses or BOOKING_COMPLETED in statuses:
        return STATUS_CONFIRMED
    if BOOKING_REJECTED in statuses:
        return STATUS_REJECTED
    return magento_status


def _payment(
    viewer: Viewer, order: Row, payment: Row | None, items: Sequence[OrderItem], locale: str
) -> Payment:
    method = payment.method if payment is not None else None
    grand = to_money(order.grand_total)
    paid = to_money(order.total_paid) >= grand
    if viewer.sees_all:
        total, refunded = grand, to_money(order.total_refunded)
    else:  # the viewer's items only: another partner's refund is not this partner's
        total = sum((i.row_total_incl_tax for i in items), ZERO)
        refunded = sum((i.refunded for i in items), ZERO)
    if refunded > 0 and refunded >= total:
        state = PAYMENT_REFUNDED
    elif refunded > 0:
        state = PAYMENT_PARTIALLY_REFUNDED
    elif paid:
        state = PAYMENT_PAID
    else:
        state = PAYMENT_OPEN
    group = _payment_group(method)
    method_label = i18n.translate(f"orders.payment_method_{group}", locale) if method else "–"
    if group == "other" and method:
        method_label = method
    return Payment(
        method=method,
        method_label=method_label,
        state=state,
        state_label=i18n.translate(f"orders.payment_{state}", locale),
    )


def _customer(order: Row, address: Row | None) -> Customer:
    first = order.customer_firstname or (address.firstname if address is not None else None)
    last = order.customer_lastname or (address.lastname if address is not None else None)
    name = " ".join(part for part in (first, last) if part) or "–"
    lines: list[str] = []
    phone = None
    if address is not None:
        phone = address.telephone
        if address.company:
            lines.append(address.company)
        lines.extend(line.strip() for line in (address.street or "").splitlines() if line.strip())
        place = " ".join(part for part in (address.postcode, address.city) if part)
        if place:
            lines.append(place)
        if address.country_id and address.country_id != "DE":
            lines.append(address.country_id)
    email = order.customer_email or (address.email if address is not None else None)
    return Customer(name=name, email=email, phone=phone, address=tuple(lines))


def _messages(
    conn: Connection,
    viewer: Viewer,
    *,
    increment_id: str,
    since: datetime,
    partner_ids: Sequence[int],
) -> list[Row]:
    """Outbox rows about this order in the viewer's scope (payload order_number matches)."""
    scope_filter: ColumnElement[bool]
    if viewer.sees_all:
        scope_filter = outbox.c.partner_id.in_(sorted(set(partner_ids)))
    else:
        scope_filter = scope.partner_filter(outbox.c.partner_id, viewer)
    rows = conn.execute(
        select(
            outbox.c.message_id,
            outbox.c.template,
            outbox.c.channel,
            outbox.c.status,
            outbox.c.payload,
            outbox.c.created_at,
        )
        .where(
            scope_filter,
            # The index (partner_id, created_at) narrows; the text match prefilters the JSON.
            outbox.c.created_at >= since,
            cast(outbox.c.payload, Text).contains(increment_id, autoescape=True),
        )
        .order_by(outbox.c.created_at, outbox.c.message_id)
    ).all()
    return [
        r
        for r in rows
        if isinstance(r.payload, dict) and str(r.payload.get("order_number")) == increment_id
    ]


@dataclass(frozen=True)
class _ShopOrder:
    """What the shop holds on an order: the order, the viewer's items, the status catalogue,
    the status history, the payment and the (billing) address."""

    order: Row
    rows: Sequence[RowMapping]
    labels: dict[str, str]
    states: dict[str, str]
    history: Sequence[Row]
    payment: Row | None
    address: Row | None


def _read_shop_order(conn: Connection, order_id: int, ids: list[int] | None) -> _ShopOrder | None:
    order = conn.execute(select(_order).where(_order.c.entity_id == int(order_id))).first()
    if order is None:
        return None
    rows = (
        conn.execute(
            item_query()
            .where(
                _item.c.order_id == order.entity_id,
                scope.product_filter(_item.c.product_id, ids),
            )
            .order_by(_item.c.item_id)
        )
        .mappings()
        .all()
    )
    if ids is not None and not rows:
        return None
    labels, states = _status_catalog(conn)
    history = conn.execute(
        select(sales_order_status_history)
        .where(sales_order_status_history.c.parent_id == order.entity_id)
        .order_by(sales_order_status_history.c.created_at, sales_order_status_history.c.entity_id)
    ).all()
    payment = conn.execute(
        select(sales_order_payment)
        .where(sales_order_payment.c.parent_id == order.entity_id)
        .order_by(sales_order_payment.c.entity_id)
        .limit(1)
    ).first()
    address = conn.execute(
        select(sales_order_address)
        .where(sales_order_address.c.parent_id == order.entity_id)
        .order_by(
            (sales_order_address.c.address_type == "billing").desc(),
            sales_order_address.c.entity_id,
        )
        .limit(1)
    ).first()
    return _ShopOrder(order, rows, labels, states, history, payment, address)


@dataclass(frozen=True)
class _PortalFacts:
    """What the portal knows of the order: owners of its courses, decisions, messages."""

    owners: dict[int, int]  # product -> partner
    partner_names: dict[int, str]
    decisions: dict[int, Decision]
    messages: list[Row]


def _read_portal_facts(pconn: Connection, viewer: Viewer, shop: _ShopOrder) -> _PortalFacts:
    products = sorted({r["product_id"] for r in shop.rows if r["product_id"] is not None})
    owned = pconn.execute(
        select(courses.c.product_id, courses.c.partner_id, partners.c.name)
        .select_from(courses.join(partners, partners.c.partner_id == courses.c.partner_id))
        .where(courses.c.product_id.in_(products))
    ).all()
    partner_names = {r.partner_id: r.name for r in owned}
    return _PortalFacts(
        owners={r.product_id: r.partner_id for r in owned},
        partner_names=partner_names,
        decisions=item_decisions(pconn, (r["item_id"] for r in shop.rows)),
        messages=_messages(
            pconn,
            viewer,
            increment_id=shop.order.increment_id,
            since=shop.order.created_at,
            partner_ids=sorted(partner_names),
        ),
    )


def _order_items(rows: Sequence[RowMapping], facts: _PortalFacts) -> tuple[OrderItem, ...]:
    decisions = facts.decisions
    return tuple(
        OrderItem(
            item_id=r["item_id"],
            product_id=r["product_id"],
            partner_id=facts.owners.get(r["product_id"]),
            sku=r["sku"],
            course=r["name"],
            date_id=r["date_id"],
            event_at=r["starts_at"],
            tickets=int(to_decimal(r["qty_ordered"])),
            price=to_money(r["price"]),
            row_total_incl_tax=to_money(r["row_total_incl_tax"]),
            refunded=to_money(r["amount_refunded"]),
            status=partner_status(
                order_state=r["state"],
                order_status=r["status"],
                qty_ordered=r["qty_ordered"],
                qty_canceled=r["qty_canceled"],
                qty_refunded=r["qty_refunded"],
                decision=getattr(decisions.get(r["item_id"]), "decision", None),
            ),
            decision=decisions.get(r["item_id"]),
        )
        for r in rows
    )


def _status_events(viewer: Viewer, shop: _ShopOrder, locale: str) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for h in shop.history:
        comment = (h.comment or "").strip()
        if not viewer.sees_all and comment.startswith(shop_writes.PORTAL_COMMENT_PREFIX):
            # The portal's own rows may name other partners; a scoped viewer sees its own
            # decisions below instead.
            continue
        label = i18n.order_status(h.status, locale, shop_label=shop.labels.get(h.status or ""))
        events.append(
            TimelineEvent(at=h.created_at, kind="status", text=comment or label, label=label)
        )
    return events


def _decision_events(
    items: Sequence[OrderItem], partner_names: Mapping[int, str], locale: str
) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for item in items:
        d = item.decision
        if d is None:
            continue
        key = "confirmed" if d.decision == DECISION_CONFIRMED else "rejected"
        text = i18n.translate(
            f"orders.timeline_{key}",
            locale,
            partner=partner_names.get(item.partner_id or 0, ""),
            course=item.course or "",
            tickets=item.tickets,
            who=d.decided_by_name or str(d.decided_by),
        )
        if d.reason:
            text += " " + i18n.translate("orders.timeline_reason", locale, reason=d.reason)
        events.append(
            TimelineEvent(
                at=d.decided_at,
                kind="decision",
                text=text,
                label=i18n.translate(f"orders.decision_{key}", locale),
            )
        )
    return events


def _message_events(messages: Sequence[Row], locale: str) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for msg in messages:
        template = i18n.translate(f"orders.template_{msg.template}", locale)
        if template == f"orders.template_{msg.template}":
            template = msg.template
        events.append(
            TimelineEvent(
                at=msg.created_at,
                kind="message",
                text=i18n.translate(
                    "orders.timeline_message",
                    locale,
                    template=template,
                    channel=i18n.translate(f"orders.channel_{msg.channel}", locale),
                    status=i18n.translate(f"outbox.status_{msg.status}", locale),
                ),
                label=template,
            )
        )
    return events


_KIND_ORDER = {"status": 0, "decision": 1, "message": 2}


def _timeline(
    viewer: Viewer,
    shop: _ShopOrder,
    facts: _PortalFacts,
    items: Sequence[OrderItem],
    locale: str,
) -> tuple[TimelineEvent, ...]:
    timeline = [
        *_status_events(viewer, shop, locale),
        *_decision_events(items, facts.partner_names, locale),
        *_message_events(facts.messages, locale),
    ]
    timeline.sort(key=lambda e: (e.at, _KIND_ORDER[e.kind]))
    return tuple(timeline)


def _viewer_status(
    viewer: Viewer, shop: _ShopOrder, items: Sequence[OrderItem]
) -> tuple[str | None, str | None]:
    """(status, state) as the viewer sees them: a scoped viewer sees its own part."""
    order = shop.order
    status, state = order.status, order.state
    if not viewer.sees_all:
        derived = _derived_status(order.status, [i.status for i in items])
        if derived != order.status and derived is not None:
            status, state = derived, shop.states.get(derived, order.state)
    return status, state


@requires(ORDERS_READ)
def get_order(
    viewer: Viewer, db: Databases, *, order_id: int, locale: str = "de"
) -> OrderDetail | None:
    """The order with the viewer's items, customer, payment and timeline; None if not theirs.

    Texts the portal makes (decisions, messages, payment labels in the timeline) come in
    `locale`; the shop's comments are shown as written.
    """
    locale = i18n.normalize_locale(locale)
    if not 0 < order_id <= MAX_ORDER_ID:
        return None
    ids = scope.product_ids(viewer, db)
    with db.magento_read.connect() as conn:
        shop = _read_shop_order(conn, order_id, ids)
    if shop is None:
        return None
    with db.portal.connect() as pconn:
        facts = _read_portal_facts(pconn, viewer, shop)
    items = _order_items(shop.rows, facts)
    status, state = _viewer_status(viewer, shop, items)
    order = shop.order
    return OrderDetail(
        order_id=order.entity_id,
        increment_id=order.increment_id,
        created_at=order.created_at,
        state=state,
        status=status,
        status_label=i18n.order_status(status, locale, shop_label=shop.labels.get(status or "")),
        currency=order.order_currency_code or "EUR",
        items=items,
        total_for_viewer=to_money(sum((i.row_total_incl_tax for i in items), ZERO)),
        grand_total=to_money(order.grand_total) if viewer.sees_all else None,
        customer=_customer(order, shop.address),
        payment=_payment(viewer, order, shop.payment, items, locale),
        timeline=_timeline(viewer, shop, facts, items, locale),
    )
