"""One order in detail (`data.bookings.orders.get_order`), on SQLite and on MariaDB + PostgreSQL.

The world of tests/support/worlds.py: partner A (Kochschule Alpha) and partner B (Weinschule Beta)
share order 1003; 1001 is A's alone, 2001 and 2002 (complete) B's, 1004 is cancelled.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from core.db import Databases
from data import portal_schema as p
from data.bookings import orders
from data.bookings.decisions import decide
from data.shop import schema as m
from data.shop import writes as shop_writes
from tests.support.orders import ALPHA, BETA, STAFF
from tests.support.worlds import B

# --- get_order -----------------------------------------------------------------------------


def test_a_partner_sees_only_its_own_items_and_total_of_a_shared_order(world: Databases) -> None:
    alpha = orders.get_order(ALPHA, world, order_id=1003)
    assert alpha is not None
    assert [i.item_id for i in alpha.items] == [5003]
    assert alpha.total_for_viewer == Decimal("89.00")
    assert alpha.grand_total is None
    assert alpha.items[0].course == "Alpha Pasta-Werkstatt"
    assert alpha.items[0].tickets == 1 and alpha.items[0].date_id == 11
    assert alpha.items[0].status == p.BOOKING_NEW and alpha.items[0].decision is None
    text = repr(alpha)
    assert str(B.amount) not in text and "777" not in text
    for name in (B.partner_name, *B.course_names):
        assert name not in text

    beta = orders.get_order(BETA, world, order_id=1003)
    assert beta is not None
    assert [i.item_id for i in beta.items] == [5004]
    assert beta.total_for_viewer == B.amount
    assert "Alpha" not in repr(beta)

    staff = orders.get_order(STAFF, world, order_id=1003)
    assert staff is not None
    assert [i.item_id for i in staff.items] == [5003, 5004]
    assert staff.grand_total == Decimal("89.00") + B.amount
    assert [i.partner_id for i in staff.items] == [1, 2]
    assert orders.get_order(STAFF.view_as(1), world, order_id=1003) == alpha


def test_an_order_of_another_partner_looks_like_no_order_at_all(world: Databases) -> None:
    assert orders.get_order(ALPHA, world, order_id=2001) is None
    assert orders.get_order(ALPHA, world, order_id=2002) is None
    assert orders.get_order(BETA, world, order_id=1001) is None
    assert orders.get_order(ALPHA, world, order_id=999_999) is None
    assert orders.get_order(STAFF, world, order_id=2001) is not None


def test_order_detail_shows_customer_payment_and_status(world: Databases) -> None:
    detail = orders.get_order(ALPHA, world, order_id=1001)
    assert detail is not None
    assert detail.increment_id == "000001001"
    assert (detail.state, detail.status) == ("processing", m.STATUS_PENDING_PARTNER)
    assert detail.status_label == "Wartet auf Partnerbestätigung"
    assert detail.customer.name == "Anna Adler"
    assert detail.customer.email == "anna.adler@example.org"
    assert detail.customer.phone == "+49 40 123456"
    assert detail.customer.address == ("Musterweg 1", "20095 Hamburg")
    assert detail.customer.lines()[0] == "Anna Adler"
    assert detail.payment.method == "paypal_express"
    assert (detail.payment.method_label, detail.payment.state_label) == ("PayPal", "bezahlt")
    assert detail.total_for_viewer == Decimal("178.00")
    assert detail.items[0].price == Decimal("89.00")
    cancelled = orders.get_order(ALPHA, world, order_id=1004)
    assert cancelled is not None and cancelled.items[0].status == p.BOOKING_CANCELLED


@pytest.mark.parametrize(
    ("method", "paid", "order_refunded", "item_refunded", "label", "state"),
    [
        ("paypal_express", "178", "0", "0", "PayPal", "bezahlt"),
        ("stripe_payments", None, None, None, "Kreditkarte", "offen"),
        ("banktransfer", "0", None, None, "Überweisung", "offen"),
        ("braintree_cc", "178", "89", "89", "Kreditkarte", "teilweise erstattet"),
        ("paypal_express", "178", "178", "178", "PayPal", "erstattet"),
        ("exotic_pay", "178", None, None, "exotic_pay", "bezahlt"),
    ],
)
def test_payment_labels_come_from_method_and_amounts(
    shop: Databases,
    method: str,
    paid: str | None,
    order_refunded: str | None,
    item_refunded: str | None,
    label: str,
    state: str,
) -> None:
    money = lambda v: None if v is None else Decimal(v)  # noqa: E731
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == 1001)
            .values(total_paid=money(paid), total_refunded=money(order_refunded))
        )
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == 5001)
            .values(amount_refunded=money(item_refunded))
        )
        conn.execute(
            update(m.sales_order_payment)
            .where(m.sales_order_payment.c.parent_id == 1001)
            .values(method=method)
        )
    for viewer in (ALPHA, STAFF):
        detail = orders.get_order(viewer, shop, order_id=1001)
        assert detail is not None
        assert (detail.payment.method_label, detail.payment.state_label) == (label, state)


def test_another_partners_refund_does_not_change_a_partners_payment_state(
    shop: Databases,
) -> None:
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == 1003)
            .values(total_refunded=B.amount)
        )
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == 5004)
            .values(amount_refunded=B.amount, qty_refunded=1)
        )
    alpha = orders.get_order(ALPHA, shop, order_id=1003)
    beta = orders.get_order(BETA, shop, order_id=1003)
    staff = orders.get_order(STAFF, shop, order_id=1003)
    assert alpha is not None and beta is not None and staff is not None
    assert alpha.payment.state == orders.PAYMENT_PAID
    assert beta.payment.state == orders.PAYMENT_REFUNDED
    assert staff.payment.state == orders.PAYMENT_PARTIALLY_REFUNDED


def test_timeline_merges_shop_history_decisions_and_messages_in_order(shop: Databases) -> None:
    # Paid and decided just after the order was placed (on the 1st of a month that may be
    # only minutes ago): the timeline's order holds at any hour.
    with shop.magento.begin() as conn:
        placed = conn.execute(
            select(m.sales_order.c.created_at).where(m.sales_order.c.entity_id == 1001)
        ).scalar_one()
        conn.execute(
            insert(m.sales_order_status_history).values(
                parent_id=1001,
                status=m.STATUS_PENDING_PARTNER,
                comment="Zahlung per PayPal erhalten.",
                is_customer_notified=0,
                created_at=placed + timedelta(minutes=1),
                entity_name="order",
            )
        )
    decided_at = placed + timedelta(minutes=2)
    decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=decided_at)

    detail = orders.get_order(ALPHA, shop, order_id=1001)
    assert detail is not None
    kinds = [(e.kind, e.at) for e in detail.timeline]
    assert [e.at for e in detail.timeline] == sorted(e.at for e in detail.timeline)
    assert [k for k, _at in kinds] == ["status", "status", "decision", "message"]
    first, paid, decision, message = detail.timeline
    assert first.text == "Bestellung eingegangen"
    assert paid.text == "Zahlung per PayPal erhalten."
    assert decision.at == decided_at and "Kochschule Alpha" in decision.text
    assert "Alpha Team" in decision.text and decision.label == "Bestätigt"
    assert message.at == decided_at
    assert message.text == "E-Mail „Buchungsbestätigung“: Wartend"
    english = orders.get_order(ALPHA, shop, order_id=1001, locale="en")
    assert english is not None
    assert english.timeline[-1].text == "Email “Booking confirmation”: Pending"
    # The partner sees its decision, not the shop rows the portal wrote; staff see both.
    assert all(not e.text.startswith(shop_writes.PORTAL_COMMENT_PREFIX) for e in detail.timeline)
    staff = orders.get_order(STAFF, shop, order_id=1001)
    assert staff is not None
    portal_rows = [e for e in staff.timeline if e.kind == "status" and "Partnerportal" in e.text]
    assert len(portal_rows) == 1 and portal_rows[0].label == "Vom Partner bestätigt"
    assert detail.items[0].decision is not None
    assert detail.items[0].decision.decided_by_name == "Alpha Team"
