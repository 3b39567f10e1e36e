"""The partner's decision on booked items (confirm or reject): `decide`.

`decide` records a partner's decision on one or many booked items and tells the shop and the
customer. There is no transaction spanning the portal and the shop, so the order of
operations carries the guarantees, per order:

1. A portal transaction begins and inserts one `miomente_booking_decisions` row per item. Its
   primary key (item_id) admits exactly one decision per item: a second click, a second tab
   or a racing colleague hits the unique violation (PostgreSQL makes it wait for the first
   transaction) and is answered "orders.already_decided". The same transaction writes the
   audit rows and queues the customer's email (dedupe key `decision:<item_id>`).
2. A shop transaction locks the `sales_order` row (FOR UPDATE; BEGIN IMMEDIATE on SQLite),
   checks the order's state again and writes through `data.shop.writes`: the new status once
   every partner item of the order is decided, else a history comment. If the order's state
   no longer allows a decision, nothing is written anywhere: the portal transaction rolls
   back with the decisions and the email. The shop transaction commits.
3. The portal transaction commits.

Then, for orders that still had undecided items in step 2, a short locked re-check
("converge") sets the status once all decisions are committed: two partners (or two tabs
deciding different items) at the same moment each see only their own uncommitted decision in
step 2, and the later of the two converge steps sees both. Finally the booking ledger is
refreshed (`data.bookings.ledger.refresh_orders`).

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
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import i18n, links
from core.clock import now_utc
from core.db import Databases
from core.money import to_decimal, to_money
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import ORDERS_WRITE, requires
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings.ledger import refresh_orders
from data.bookings.orders import item_decisions, item_query, status_labels
from data.integrations import webhooks
from data.ops import audit
from data.portal_schema import (
    CHANNEL_EMAIL,
    DECISION_CONFIRMED,
    DECISION_REJECTED,
    booking_decisions,
    courses,
    outbox,
    partners,
)
from data.shop import writes as shop_writes
from data.shop.schema import (
    DATE_ACTIVE,
    STATUS_CONFIRMED,
    STATUS_REJECTED,
    miomente_course_date,
    sales_order_item,
    store_locale,
)
from messaging.render import MAX_ALTERNATIVES, TEMPLATES

log = logging.getLogger(__name__)

MAX_REASON_LENGTH = 500
MAX_ITEMS = 500
# A decision is refused when the order is in one of these states (or the item is void).
CLOSED_STATES = ("canceled", "closed", "complete")
# The decision statuses change only from this state: paid and waiting for the partners.
STATUS_CHANGE_STATES = ("processing",)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionResult:
    decided: list[int] = field(default_factory=list)
    # (item id, locale key): orders.not_found | orders.refused_state | orders.already_decided
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Orders this call wrote to in the shop (a history comment, and the status once every
    # partner of the order has decided).
    orders_changed: list[int] = field(default_factory=list)


# --- small helpers -------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() if moment else None


def _item_void(row: Mapping) -> bool:
    """Fully cancelled or fully refunded in the shop: nothing left to decide."""
    ordered = to_decimal(row["qty_ordered"])
    if ordered > 0 and (
        to_decimal(row["qty_canceled"]) >= ordered or to_decimal(row["qty_refunded"]) >= ordered
    ):
        return True
    total = to_money(row["row_total_incl_tax"])
    return total > 0 and to_money(row["amount_refunded"]) >= total


def _count_phrase(n: int) -> str:
    return f"{n} Buchung" if n == 1 else f"{n} Buchungen"


_item, _date = sales_order_item, miomente_course_date


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
    label = status_labels(mconn).get(outcome.target or "", outcome.target or "")
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
        f"{_tickets_de(int(to_decimal(i['qty_ordered'])))}, Position {i['item_id']}"
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
        if any(to_money(i["total_paid"]) > 0 for i in items):
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
        "tickets": int(to_decimal(item["qty_ordered"])),
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
                "url": links.shop_date_url(a["product_id"], a["date_id"]),
            }
            for a in alternatives
        ]
        if to_money(item["total_paid"]) > 0:
            due = to_money(item["row_total_incl_tax"]) - to_money(item["amount_refunded"])
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
    from data.comms.outbox import queue_message

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
        locale=store_locale(item["store_id"]),
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
                audit.record_many(
                    pconn,
                    viewer,
                    [
                        audit.Entry(
                            action=f"booking_{decision}",
                            entity="order_item",
                            entity_id=i["item_id"],
                            partner_id=partner.partner_id,
                            details={
                                "order_id": order_id,
                                "increment_id": i["increment_id"],
                                "alternatives": _alternative_ids(offered, i),
                            },
                            note=reason,
                        )
                        for i in pending
                    ],
                    now=now,
                )
                for i in pending:
                    alternatives = offered.get(i["product_id"], [])
                    _queue_email(pconn, i, decision, reason, alternatives, partner, now)
                webhooks.emit_decisions(
                    pconn, pending, decision=decision, partner_id=partner.partner_id, now=now
                )
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
                taken = set(item_decisions(conn, (i["item_id"] for i in pending)))
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


# Predates the size gate; split once the error vocabulary (issue 10, point 5) has landed here.
@requires(ORDERS_WRITE)
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
        raise ScopeError("access.choose_partner")
    reason, alternative_ids = _validate(decision, reason, alternatives)
    wanted = list(dict.fromkeys(int(i) for i in item_ids))
    if len(wanted) > MAX_ITEMS:
        raise InvalidInput("orders.too_many_items", n=MAX_ITEMS)
    now = now or now_utc()
    result = DecisionResult()
    if not wanted:
        return result
    found = _scoped_items(viewer, db, wanted)
    offered = (
        _check_alternatives(db, alternative_ids, list(found.values()), now)
        if decision == DECISION_REJECTED
        else {}
    )
    with db.portal.connect() as pconn:
        already = item_decisions(pconn, found)
        partner = pconn.execute(
            select(partners).where(partners.c.partner_id == viewer.partner_id)
        ).first()
    if partner is None:
        raise ScopeError("access.unknown_partner")
    by_order = _decidable_by_order(wanted, found, already, decision, result)
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


def _scoped_items(viewer: Viewer, db: Databases, wanted: list[int]) -> dict[int, Mapping]:
    """The wanted items of the viewer's courses, as the shop's primary has them now."""
    ids = scope.product_ids(viewer, db) or []
    with db.magento.connect() as conn:  # the primary: decisions act on the current state
        return {
            r["item_id"]: r
            for r in conn.execute(
                item_query().where(
                    _item.c.item_id.in_(wanted), scope.product_filter(_item.c.product_id, ids)
                )
            ).mappings()
        }


def _decidable_by_order(
    wanted: list[int],
    found: Mapping[int, Mapping],
    already: Mapping[int, object],
    decision: str,
    result: DecisionResult,
) -> dict[int, list[Mapping]]:
    """The items that can be decided, grouped by order; the others go to `result.refused`."""
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
    return by_order


def _tickets_de(n: int) -> str:
    return i18n.translate("orders.tickets", "de", n=n)


def _refresh_ledger(db: Databases, order_ids: list[int], now: datetime) -> None:
    """Copy the changed orders into the booking ledger at once (the sync would catch up)."""
    try:
        refresh_orders(SYSTEM, db, order_ids=sorted(order_ids), now=now)
    except Exception:  # the decision stands; the incremental sync catches up
        log.exception("ledger refresh failed for orders %s", order_ids)
