"""One order in detail, and the partner's decision on booked items (confirm or reject).

`get_order` reads the order live from the shop by primary key. A partner sees only its own
items of an order that several partners share, only their amounts, and only its own part of
the timeline; an order without an item of the viewer's is `None`, exactly like an id that
does not exist.

`decide` records a partner's decision on one or many booked items and tells the shop and the
customer. There is no transaction spanning the portal and the shop, so the order of
operations carries the guarantees, per order:

1. A portal transaction begins and inserts one `miomente_booking_decisions` row per item. Its
   primary key (item_id) admits exactly one decision per item: a second click, a second tab
   or a racing colleague hits the unique violation (PostgreSQL makes it wait for the first
   transaction) and is answered "orders.already_decided". The same transaction writes the
   audit rows and queues the customer's email (dedupe key `decision:<item_id>`).
2. A shop transaction locks the `sales_order` row (FOR UPDATE; BEGIN IMMEDIATE on SQLite),
   checks the order's state again and writes through `data.shop_writes`: the new status once
   every partner item of the order is decided, else a history comment. If the order's state
   no longer allows a decision, nothing is written anywhere: the portal transaction rolls
   back with the decisions and the email. The shop transaction commits.
3. The portal transaction commits.

Then, for orders that still had undecided items in step 2, a short locked re-check
("converge") sets the status once all decisions are committed: two partners (or two tabs
deciding different items) at the same moment each see only their own uncommitted decision in
step 2, and the later of the two converge steps sees both. Finally the booking ledger is
refreshed (`data.ledger.refresh_orders`).

The remaining window: the shop committed (2) and the portal commit (3) failed (connection
lost, process killed). The shop then has a comment, perhaps the new status, but the portal
has no decision and no email. The item still shows as undecided, and deciding again
converges: an order that already has the status the decision leads to is accepted (also a
rejected order, whose state is then `canceled`), the status stays, the shop gets one more
comment, and the portal records the decision and queues the email once. A process that dies
after (3) but before the converge leaves a fully decided order on its pending status until
the next decision on that order runs the check again.

Mixed orders: when every partner item is decided and some are confirmed and some rejected,
the order gets `miomente_confirmed` (state processing): it goes ahead for the confirmed items,
and the history comment of each rejection asks customer service to refund that item. Only
when all items are rejected does the order get `miomente_rejected` (state canceled). Items
that are fully cancelled or refunded in the shop need no decision. The status changes only
from state `processing` (paid and waiting for the partners); in other allowed states (new,
pending_payment, holded, payment_review) a decision adds a comment and the shop's own
process moves the order on.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Connection, Row, Text, cast, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import i18n
from core.db import Databases
from core.validation import InvalidInput
from data import scope, shop_writes
from data.ledger import partner_status, refresh_orders
from data.magento_schema import (
    DATE_ACTIVE,
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
from data.portal_schema import (
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    BOOKING_REJECTED,
    CHANNEL_EMAIL,
    DECISION_CONFIRMED,
    DECISION_REJECTED,
    audit_log,
    booking_decisions,
    courses,
    outbox,
    partners,
    users,
)
from data.viewer import SYSTEM, ScopeError, Viewer
from messaging.render import MAX_ALTERNATIVES, TEMPLATES

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
MAX_REASON_LENGTH = 500
MAX_ITEMS = 500
# A decision is refused when the order is in one of these states (or the item is void).
CLOSED_STATES = ("canceled", "closed", "complete")
# The decision statuses change only from this state: paid and waiting for the partners.
STATUS_CHANGE_STATES = ("processing",)
PARTNER_STATUSES = (STATUS_PENDING_PARTNER, STATUS_CONFIRMED, STATUS_REJECTED)
# Miomente's store views and their language; a store not listed gets German.
STORE_LOCALES: Mapping[int, str] = {0: "de", 1: "de"}
COURSE_DATE_URL = "https://www.miomente.de/kurs/{product_id}?termin={date_id}"

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
    method_label: str  # German; `orders.payment_method_<group>` in the locale files
    state: str  # paid | open | refunded | partially_refunded
    state_label: str  # German; `orders.payment_<state>` in the locale files


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


@dataclass(frozen=True)
class DecisionResult:
    decided: list[int] = field(default_factory=list)
    # (item id, locale key): orders.not_found | orders.refused_state | orders.already_decided
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Orders this call wrote to in the shop (a history comment, and the status once every
    # partner of the order has decided).
    orders_changed: list[int] = field(default_factory=list)


# --- small helpers -------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _qty(value: object) -> Decimal:
    return Decimal(str(value or 0))


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment else None


def _de(key: str, **params: object) -> str:
    return i18n.translate(key, "de", **params)


def _item_void(row: Row | Mapping) -> bool:
    """Fully cancelled or fully refunded in the shop: nothing left to decide."""
    ordered = _qty(row["qty_ordered"])
    if ordered > 0 and (
        _qty(row["qty_canceled"]) >= ordered or _qty(row["qty_refunded"]) >= ordered
    ):
        return True
    total = _money(row["row_total_incl_tax"])
    return total > 0 and _money(row["amount_refunded"]) >= total


def _count_phrase(n: int) -> str:
    return f"{n} Buchung" if n == 1 else f"{n} Buchungen"


def _payment_group(method: str | None) -> str:
    """paypal_express -> paypal, braintree_cc -> card: a code's start or one of its parts."""
    code = (method or "").lower()
    parts = set(re.split(r"[_\-.]", code))
    for needle, group in _PAYMENT_GROUPS:
        if code.startswith(needle) or needle in parts:
            return group
    return "other"


def _locale_of_store(store_id: int | None) -> str:
    return STORE_LOCALES.get(int(store_id or 0), "de")


# --- reading -------------------------------------------------------------------------------

_item, _order, _date = sales_order_item, sales_order, miomente_course_date


def _item_query():
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


def _status_labels(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(sales_order_status.c.status, sales_order_status.c.label)).all())


def _status_states(conn: Connection) -> dict[str, str]:
    rows = conn.execute(
        select(sales_order_status_state.c.status, sales_order_status_state.c.state).order_by(
            sales_order_status_state.c.is_default
        )
    ).all()
    return dict(rows)  # the default row (is_default 1, sorted last) wins


def _decisions(conn: Connection, item_ids: Iterable[int]) -> dict[int, Decision]:
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
    viewer: Viewer, order: Row, payment: Row | None, items: Sequence[OrderItem]
) -> Payment:
    method = payment.method if payment is not None else None
    grand = _money(order.grand_total)
    paid = _money(order.total_paid) >= grand
    if viewer.sees_all:
        total, refunded = grand, _money(order.total_refunded)
    else:  # the viewer's items only: another partner's refund is not this partner's
        total = sum((i.row_total_incl_tax for i in items), Decimal(0))
        refunded = sum((i.refunded for i in items), Decimal(0))
    if refunded > 0 and refunded >= total:
        state = PAYMENT_REFUNDED
    elif refunded > 0:
        state = PAYMENT_PARTIALLY_REFUNDED
    elif paid:
        state = PAYMENT_PAID
    else:
        state = PAYMENT_OPEN
    group = _payment_group(method)
    method_label = _de(f"orders.payment_method_{group}") if method else "–"
    if group == "other" and method:
        method_label = method
    return Payment(
        method=method,
        method_label=method_label,
        state=state,
        state_label=_de(f"orders.payment_{state}"),
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


def get_order(
    viewer: Viewer, db: Databases, *, order_id: int, locale: str = "de"
) -> OrderDetail | None:
    """The order with the viewer's items, customer, payment and timeline; None if not theirs.

    Texts the portal makes (decisions, messages, payment labels in the timeline) come in
    `locale`; the shop's comments are shown as written.
    """
    locale = i18n.normalize_locale(locale)
    ids = scope.product_ids(viewer, db)
    with db.magento_read.connect() as conn:
        order = conn.execute(select(_order).where(_order.c.entity_id == int(order_id))).first()
        if order is None:
            return None
        rows = (
            conn.execute(
                _item_query()
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
        labels = _status_labels(conn)
        states = _status_states(conn)
        history = conn.execute(
            select(sales_order_status_history)
            .where(sales_order_status_history.c.parent_id == order.entity_id)
            .order_by(
                sales_order_status_history.c.created_at, sales_order_status_history.c.entity_id
            )
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

    products = sorted({r["product_id"] for r in rows if r["product_id"] is not None})
    with db.portal.connect() as pconn:
        owners = dict(
            pconn.execute(
                select(courses.c.product_id, courses.c.partner_id).where(
                    courses.c.product_id.in_(products)
                )
            ).all()
        )
        decisions = _decisions(pconn, (r["item_id"] for r in rows))
        partner_ids = sorted({owners[p] for p in products if p in owners})
        partner_names = dict(
            pconn.execute(
                select(partners.c.partner_id, partners.c.name).where(
                    partners.c.partner_id.in_(partner_ids)
                )
            ).all()
        )
        messages = _messages(
            pconn,
            viewer,
            increment_id=order.increment_id,
            since=order.created_at,
            partner_ids=partner_ids,
        )

    items = tuple(
        OrderItem(
            item_id=r["item_id"],
            product_id=r["product_id"],
            partner_id=owners.get(r["product_id"]),
            sku=r["sku"],
            course=r["name"],
            date_id=r["date_id"],
            event_at=r["starts_at"],
            tickets=int(_qty(r["qty_ordered"])),
            price=_money(r["price"]),
            row_total_incl_tax=_money(r["row_total_incl_tax"]),
            refunded=_money(r["amount_refunded"]),
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
    status, state = order.status, order.state
    if not viewer.sees_all:
        derived = _derived_status(order.status, [i.status for i in items])
        if derived != order.status and derived is not None:
            status, state = derived, states.get(derived, order.state)

    timeline: list[TimelineEvent] = []
    for h in history:
        comment = (h.comment or "").strip()
        if not viewer.sees_all and comment.startswith(shop_writes.PORTAL_COMMENT_PREFIX):
            # The portal's own rows may name other partners; a scoped viewer sees its own
            # decisions below instead.
            continue
        label = labels.get(h.status or "", h.status or "")
        timeline.append(
            TimelineEvent(at=h.created_at, kind="status", text=comment or label, label=label)
        )
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
        timeline.append(
            TimelineEvent(
                at=d.decided_at,
                kind="decision",
                text=text,
                label=i18n.translate(f"orders.decision_{key}", locale),
            )
        )
    for msg in messages:
        template = i18n.translate(f"orders.template_{msg.template}", locale)
        if template == f"orders.template_{msg.template}":
            template = msg.template
        timeline.append(
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
    order_of_kind = {"status": 0, "decision": 1, "message": 2}
    timeline.sort(key=lambda e: (e.at, order_of_kind[e.kind]))

    return OrderDetail(
        order_id=order.entity_id,
        increment_id=order.increment_id,
        created_at=order.created_at,
        state=state,
        status=status,
        status_label=labels.get(status or "", status or ""),
        currency=order.order_currency_code or "EUR",
        items=items,
        total_for_viewer=sum((i.row_total_incl_tax for i in items), Decimal(0)).quantize(CENT),
        grand_total=_money(order.grand_total) if viewer.sees_all else None,
        customer=_customer(order, address),
        payment=_payment(viewer, order, payment, items),
        timeline=tuple(timeline),
    )


# --- deciding ------------------------------------------------------------------------------


class _LostRace(Exception):
    """Another transaction stored a decision for one of these items first."""


@dataclass(frozen=True)
class _Outcome:
    target: str | None  # the status the order should get; None while items are undecided
    mixed: bool  # all decided, some confirmed and some rejected
    # Undecided items remain: a decision racing this one (another partner, another tab) may
    # commit after this transaction looked, so the caller re-checks once it committed.
    undecided: bool


def _validate(
    decision: str, reason: str | None, alternatives: Sequence[int]
) -> tuple[str | None, list[int]]:
    if decision not in (DECISION_CONFIRMED, DECISION_REJECTED):
        raise InvalidInput("orders.unknown_decision", decision=str(decision)[:20])
    if decision == DECISION_CONFIRMED:
        return None, []
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("orders.reason_required")
    if len(text) > MAX_REASON_LENGTH:
        raise InvalidInput("orders.reason_too_long", n=MAX_REASON_LENGTH)
    try:
        alts = list(dict.fromkeys(int(a) for a in alternatives))
    except (TypeError, ValueError):
        raise InvalidInput("orders.alternative_invalid", date_id="?") from None
    if len(alts) > MAX_ALTERNATIVES * MAX_ITEMS:
        raise InvalidInput("orders.too_many_alternatives", n=MAX_ALTERNATIVES)
    return text, alts


def _check_alternatives(
    db: Databases, alternatives: list[int], items: Sequence[Mapping], now: datetime
) -> dict[int, list[Mapping]]:
    """The offered dates by product: each an active future date of a rejected item's course.

    One call may reject items of several courses (a page offers dates per item); each item's
    email lists the dates of its own course, at most `MAX_ALTERNATIVES` per course.
    """
    if not alternatives or not items:
        return {}  # no item of the viewer's: every one is refused as not found
    with db.magento.connect() as conn:
        found = {
            r["date_id"]: r
            for r in conn.execute(
                select(_date.c.date_id, _date.c.product_id, _date.c.starts_at, _date.c.ends_at)
                .where(_date.c.date_id.in_(alternatives))
                .where(_date.c.status == DATE_ACTIVE, _date.c.starts_at > now)
            ).mappings()
        }
    products = {i["product_id"] for i in items}
    booked = {i["date_id"] for i in items}
    by_product: dict[int, list[Mapping]] = defaultdict(list)
    for date_id in alternatives:
        row = found.get(date_id)
        if row is None or row["product_id"] not in products or date_id in booked:
            raise InvalidInput("orders.alternative_invalid", date_id=date_id)
        by_product[row["product_id"]].append(row)
    if any(len(rows) > MAX_ALTERNATIVES for rows in by_product.values()):
        raise InvalidInput("orders.too_many_alternatives", n=MAX_ALTERNATIVES)
    return {
        product_id: sorted(rows, key=lambda r: (r["starts_at"], r["date_id"]))
        for product_id, rows in by_product.items()
    }


def _outcome(mconn: Connection, pconn: Connection, order_id: int) -> _Outcome:
    """Have all partner items of the order been decided (as `pconn` sees the decisions)?"""
    rows = (
        mconn.execute(
            select(
                _item.c.item_id,
                _item.c.product_id,
                _item.c.qty_ordered,
                _item.c.qty_canceled,
                _item.c.qty_refunded,
                _item.c.row_total_incl_tax,
                _item.c.amount_refunded,
            ).where(_item.c.order_id == order_id, _item.c.parent_item_id.is_(None))
        )
        .mappings()
        .all()
    )
    live = [r for r in rows if not _item_void(r)]
    products = sorted({r["product_id"] for r in live if r["product_id"] is not None})
    owners = dict(
        pconn.execute(
            select(courses.c.product_id, courses.c.partner_id).where(
                courses.c.product_id.in_(products)
            )
        ).all()
    )
    need = [r for r in live if r["product_id"] in owners]
    decided = dict(
        pconn.execute(
            select(booking_decisions.c.item_id, booking_decisions.c.decision).where(
                booking_decisions.c.item_id.in_([r["item_id"] for r in need])
            )
        ).all()
    )
    undecided = any(r["item_id"] not in decided for r in need)
    if not need or undecided:
        return _Outcome(target=None, mixed=False, undecided=undecided)
    kinds = set(decided.values())
    if kinds == {DECISION_REJECTED}:
        return _Outcome(target=STATUS_REJECTED, mixed=False, undecided=False)
    return _Outcome(target=STATUS_CONFIRMED, mixed=len(kinds) > 1, undecided=False)


def _status_suffix(mconn: Connection, outcome: _Outcome) -> str:
    label = _status_labels(mconn).get(outcome.target or "", outcome.target or "")
    text = f" Alle Partner haben entschieden: Status „{label}“."
    if outcome.mixed:
        text += " Teilweise abgelehnt: die abgelehnten Positionen bitte erstatten."
    return text


def _comment(
    partner_name: str,
    decision: str,
    items: Sequence[Mapping],
    reason: str | None,
    offered: Mapping[int, list[Mapping]],
) -> str:
    """The shop's history comment for one partner's decision (German, for the shop admin)."""
    verb = "bestätigt" if decision == DECISION_CONFIRMED else "abgelehnt"
    lines = "; ".join(
        f"{i['name']} am {i18n.moment(i['starts_at'], 'de')}, "
        f"{int(_qty(i['qty_ordered']))} Ticket(s), Position {i['item_id']}"
        for i in items
    )
    text = (
        f"{shop_writes.PORTAL_COMMENT_PREFIX}{partner_name} hat {_count_phrase(len(items))} "
        f"{verb}: {lines}."
    )
    if decision == DECISION_REJECTED:
        text += f" Begründung: „{reason}“."
        dates = sorted({a["starts_at"] for i in items for a in offered.get(i["product_id"], [])})
        if dates:
            text += " Angebotene Alternativtermine: "
            text += ", ".join(i18n.moment(at, "de") for at in dates) + "."
        if any(_money(i["total_paid"]) > 0 for i in items):
            text += " Bitte die abgelehnten Positionen erstatten."
    return text


def _email(
    item: Mapping,
    decision: str,
    reason: str | None,
    alternatives: Sequence[Mapping],
    partner: Row,
) -> tuple[str, dict[str, object]]:
    customer = " ".join(
        p for p in (item["customer_firstname"], item["customer_lastname"]) if p
    ).strip()
    payload: dict[str, object] = {
        "customer_name": customer or None,
        "order_number": item["increment_id"],
        "course": item["name"],
        "starts_at": _iso(item["starts_at"]),
        "ends_at": _iso(item["ends_at"]),
        "tickets": int(_qty(item["qty_ordered"])),
        "partner_name": partner.name,
    }
    if decision == DECISION_CONFIRMED:
        template = "booking_confirmed"
        payload["place"] = f"{partner.name}, {partner.street}, {partner.postcode} {partner.city}"
    else:
        template = "booking_rejected"
        payload["reason"] = reason
        payload["alternatives"] = [
            {
                "date_id": a["date_id"],
                "starts_at": _iso(a["starts_at"]),
                "ends_at": _iso(a["ends_at"]),
                "url": COURSE_DATE_URL.format(product_id=a["product_id"], date_id=a["date_id"]),
            }
            for a in alternatives
        ]
        if _money(item["total_paid"]) > 0:
            due = _money(item["row_total_incl_tax"]) - _money(item["amount_refunded"])
            if due > 0:
                payload["refund_amount"] = str(due)
    return template, payload


def _queue_email(
    pconn: Connection,
    item: Mapping,
    decision: str,
    reason: str | None,
    alternatives: Sequence[Mapping],
    partner: Row,
    now: datetime,
) -> None:
    from data.outbox import queue_message

    template, payload = _email(item, decision, reason, alternatives, partner)
    missing = [k for k in TEMPLATES[template].required if payload.get(k) is None]
    recipient = (item["customer_email"] or "").strip()
    if missing or not recipient:
        log.warning(
            "no %s email for item %s: missing %s", template, item["item_id"], missing or "email"
        )
        return
    key = f"decision:{item['item_id']}"
    queued = queue_message(
        pconn,
        channel=CHANNEL_EMAIL,
        template=template,
        recipient=recipient,
        recipient_name=str(payload["customer_name"]),
        locale=_locale_of_store(item["store_id"]),
        payload={k: v for k, v in payload.items() if v is not None},
        dedupe_key=key,
        partner_id=partner.partner_id,
        send_after=now,
    )
    if queued:
        # The message is dated by the decision's clock (queue_message takes no `now`), so the
        # order's timeline shows the decision and its email at the same moment.
        pconn.execute(
            update(outbox).where(outbox.c.dedupe_key == key).values(created_at=now, updated_at=now)
        )


def _alternative_ids(offered: Mapping[int, list[Mapping]], item: Mapping) -> list[int]:
    return [a["date_id"] for a in offered.get(item["product_id"], [])]


def _decide_order(
    viewer: Viewer,
    db: Databases,
    *,
    order_id: int,
    items: list[Mapping],
    decision: str,
    reason: str | None,
    offered: Mapping[int, list[Mapping]],
    partner: Row,
    now: datetime,
) -> tuple[list[int], list[tuple[int, str]], bool, bool]:
    """Steps 1–3 for one order: (decided, refused, shop written, converge needed)."""
    refused: list[tuple[int, str]] = []
    pending = list(items)
    while pending:
        try:
            with db.portal.begin() as pconn:
                try:
                    pconn.execute(
                        insert(booking_decisions),
                        [
                            {
                                "item_id": i["item_id"],
                                "order_id": order_id,
                                "partner_id": partner.partner_id,
                                "decision": decision,
                                "reason": reason,
                                "alternatives": _alternative_ids(offered, i) or None,
                                "decided_by": viewer.user_id,
                                "decided_at": now,
                            }
                            for i in pending
                        ],
                    )
                except IntegrityError as exc:
                    raise _LostRace from exc
                pconn.execute(
                    insert(audit_log),
                    [
                        {
                            "at": now,
                            "user_id": viewer.user_id,
                            "partner_id": partner.partner_id,
                            "action": f"booking_{decision}",
                            "entity": "order_item",
                            "entity_id": str(i["item_id"]),
                            "details": {
                                "order_id": order_id,
                                "increment_id": i["increment_id"],
                                "alternatives": _alternative_ids(offered, i),
                            },
                            "note": reason,
                        }
                        for i in pending
                    ],
                )
                for i in pending:
                    alternatives = offered.get(i["product_id"], [])
                    _queue_email(pconn, i, decision, reason, alternatives, partner, now)
                with shop_writes.shop_transaction(db.magento) as mconn:
                    current = shop_writes.lock_order(mconn, order_id=order_id)
                    if _refused_by_state(current.state, current.status, decision):
                        raise shop_writes.ShopStateError(
                            "orders.refused_state", state=current.state or ""
                        )
                    outcome = _outcome(mconn, pconn, order_id)
                    comment = _comment(partner.name, decision, pending, reason, offered)
                    if outcome.target and (
                        current.state in STATUS_CHANGE_STATES or current.status == outcome.target
                    ):
                        shop_writes.change_order_status(
                            mconn,
                            order_id=order_id,
                            allowed_states=STATUS_CHANGE_STATES,
                            new_status=outcome.target,
                            comment=comment + _status_suffix(mconn, outcome),
                            notified=True,
                            now=now,
                        )
                    else:
                        shop_writes.add_order_comment(
                            mconn, order_id=order_id, comment=comment, now=now, notified=True
                        )
                # (2) the shop has committed; leaving the outer block commits the portal (3).
            return [i["item_id"] for i in pending], refused, True, outcome.undecided
        except _LostRace:
            with db.portal.connect() as conn:
                taken = set(_decisions(conn, (i["item_id"] for i in pending)))
            if not taken:
                raise  # not a lost race after all: an integrity problem to look at
            refused += [
                (i["item_id"], "orders.already_decided") for i in pending if i["item_id"] in taken
            ]
            pending = [i for i in pending if i["item_id"] not in taken]
        except shop_writes.ShopStateError as exc:
            refused += [(i["item_id"], exc.key) for i in pending]
            return [], refused, False, False
    return [], refused, False, False


def _refused_by_state(state: str | None, status: str | None, decision: str) -> bool:
    if state not in CLOSED_STATES:
        return False
    # A rejection re-run after a crash between the shop's and the portal's commit.
    return not (decision == DECISION_REJECTED and status == STATUS_REJECTED)


def _converge(db: Databases, *, order_id: int, now: datetime) -> bool:
    """Set the status of an order whose partners all decided; True if it changed."""
    with db.portal.connect() as pconn, shop_writes.shop_transaction(db.magento) as mconn:
        current = shop_writes.lock_order(mconn, order_id=order_id)
        if current.state not in STATUS_CHANGE_STATES:
            return False
        outcome = _outcome(mconn, pconn, order_id)
        if outcome.target is None or current.status == outcome.target:
            return False
        shop_writes.change_order_status(
            mconn,
            order_id=order_id,
            allowed_states=STATUS_CHANGE_STATES,
            new_status=outcome.target,
            comment=shop_writes.PORTAL_COMMENT_PREFIX + _status_suffix(mconn, outcome).strip(),
            notified=False,
            now=now,
        )
        return True


def decide(
    viewer: Viewer,
    db: Databases,
    *,
    item_ids: Sequence[int],
    decision: str,
    reason: str | None = None,
    alternatives: Sequence[int] = (),
    now: datetime | None = None,
) -> DecisionResult:
    """Confirm or reject booked items of the viewer's partner (one or many, across orders).

    Invalid input (no or too long reason, more than three or unsuitable alternative dates)
    raises `InvalidInput` and writes nothing. Items that cannot be decided come back in
    `refused` with a locale key; the others are decided, each exactly once. See the module
    docstring for the order of operations across the two databases.
    """
    if viewer.sees_all:
        raise ScopeError("a decision belongs to one partner; choose a partner first")
    reason, alternative_ids = _validate(decision, reason, alternatives)
    wanted = list(dict.fromkeys(int(i) for i in item_ids))
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput("orders.too_many_items", n=MAX_ITEMS)
    now = now or _utcnow()
    result = DecisionResult()
    if not wanted:
        return result

    ids = scope.product_ids(viewer, db) or []
    with db.magento.connect() as conn:  # the primary: decisions act on the current state
        found = {
            r["item_id"]: r
            for r in conn.execute(
                _item_query().where(
                    _item.c.item_id.in_(wanted), scope.product_filter(_item.c.product_id, ids)
                )
            ).mappings()
        }
    offered = (
        _check_alternatives(db, alternative_ids, list(found.values()), now)
        if decision == DECISION_REJECTED
        else {}
    )
    with db.portal.connect() as pconn:
        already = _decisions(pconn, found)
        partner = pconn.execute(
            select(partners).where(partners.c.partner_id == viewer.partner_id)
        ).first()
    if partner is None:
        raise ScopeError("unknown partner")

    by_order: dict[int, list[Mapping]] = defaultdict(list)
    for item_id in wanted:
        row = found.get(item_id)
        if row is None:
            result.refused.append((item_id, "orders.not_found"))
        elif item_id in already:
            result.refused.append((item_id, "orders.already_decided"))
        elif _item_void(row) or _refused_by_state(row["state"], row["status"], decision):
            result.refused.append((item_id, "orders.refused_state"))
        else:
            by_order[row["order_id"]].append(row)

    to_converge: list[int] = []
    for order_id in sorted(by_order):
        decided, refused, written, converge = _decide_order(
            viewer,
            db,
            order_id=order_id,
            items=by_order[order_id],
            decision=decision,
            reason=reason,
            offered=offered,
            partner=partner,
            now=now,
        )
        result.decided.extend(decided)
        result.refused.extend(refused)
        if written:
            result.orders_changed.append(order_id)
        if converge:
            to_converge.append(order_id)
    for order_id in to_converge:
        _converge(db, order_id=order_id, now=now)
    if result.orders_changed:
        _refresh_ledger(db, result.orders_changed, now)
    return result


def _refresh_ledger(db: Databases, order_ids: list[int], now: datetime) -> None:
    """Copy the changed orders into the booking ledger at once (the sync would catch up)."""
    try:
        refresh_orders(SYSTEM, db, order_ids=sorted(order_ids), now=now)
    except Exception:  # the decision stands; the incremental sync catches up
        log.exception("ledger refresh failed for orders %s", order_ids)
