"""One order in detail and the partner's decision, on SQLite and on MariaDB + PostgreSQL.

The world of tests/worlds.py: partner A (Kochschule Alpha) and partner B (Weinschule Beta)
share order 1003; 1001 is A's alone, 2001 and 2002 (complete) B's, 1004 is cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from core.db import Databases
from core.validation import InvalidInput
from data import magento_schema as m
from data import orders, shop_writes
from data import portal_schema as p
from data.viewer import ScopeError, Viewer
from messaging.render import TEMPLATES, render
from tests.conftest import fresh_databases
from tests.worlds import B, build_world

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
REASON = "Die Kursleitung ist an diesem Abend leider erkrankt."


# Reference rows create_shop_schema writes once; every other shop row belongs to a test.
_SHOP_REFERENCE = {"sales_order_status", "sales_order_status_state", "eav_attribute", "rating",
                   "rating_option"}  # fmt: skip


@pytest.fixture
def shop(module_databases: Databases) -> Databases:
    """The two-partner world, rebuilt for each test that writes (the schemas are built once)."""
    db = module_databases
    with db.portal.begin() as conn:
        for table in reversed(p.metadata.sorted_tables):
            conn.execute(delete(table))
    with db.magento.begin() as conn:
        for table in reversed(m.metadata.sorted_tables):
            if table.name not in _SHOP_REFERENCE:
                conn.execute(delete(table))
    build_world(db)
    return db


# --- helpers -------------------------------------------------------------------------------


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def _order(db: Databases, order_id: int):
    with db.magento.connect() as conn:
        return conn.execute(
            select(m.sales_order.c.state, m.sales_order.c.status).where(
                m.sales_order.c.entity_id == order_id
            )
        ).first()


def _history(db: Databases, order_id: int) -> list:
    h = m.sales_order_status_history
    with db.magento.connect() as conn:
        return conn.execute(
            select(h.c.comment, h.c.status, h.c.is_customer_notified, h.c.entity_name)
            .where(h.c.parent_id == order_id)
            .order_by(h.c.entity_id)
        ).all()


def _messages(db: Databases, *where) -> list:
    with db.portal.connect() as conn:
        return conn.execute(select(p.outbox).where(*where).order_by(p.outbox.c.message_id)).all()


def _decision_messages(db: Databases) -> list:
    return _messages(db, p.outbox.c.dedupe_key.like("decision:%"))


def _snapshot(db: Databases) -> tuple[int, int, int, int, list]:
    """Everything a decision writes: decisions, audit rows, outbox, history, order statuses."""
    with db.magento.connect() as conn:
        statuses = conn.execute(
            select(
                m.sales_order.c.entity_id, m.sales_order.c.status, m.sales_order.c.updated_at
            ).order_by(m.sales_order.c.entity_id)
        ).all()
    return (
        _count(db.portal, p.booking_decisions),
        _count(db.portal, p.audit_log),
        _count(db.portal, p.outbox),
        _count(db.magento, m.sales_order_status_history),
        [tuple(r) for r in statuses],
    )


def _add_dates(db: Databases) -> None:
    """Extra dates: 14, 15 future of A's pasta course (101); 16 future of A's sushi (102);
    17 past and 18 cancelled of the pasta course; 19 a third future pasta date."""
    rows = [
        (14, 101, NOW + timedelta(days=10), m.DATE_ACTIVE),
        (15, 101, NOW + timedelta(days=3), m.DATE_ACTIVE),
        (16, 102, NOW + timedelta(days=5), m.DATE_ACTIVE),
        (17, 101, NOW - timedelta(days=2), m.DATE_ACTIVE),
        (18, 101, NOW + timedelta(days=12), m.DATE_CANCELLED),
        (19, 101, NOW + timedelta(days=20), m.DATE_ACTIVE),
    ]
    with db.magento.begin() as conn:
        for date_id, product_id, starts, status in rows:
            conn.execute(
                insert(m.miomente_course_date).values(
                    date_id=date_id,
                    product_id=product_id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                    seats_total=10,
                    price=Decimal("89.00"),
                    status=status,
                )
            )


def _add_order(
    db: Databases,
    order_id: int,
    items: list[tuple[int, int, int]],
    *,
    status: str = m.STATUS_PENDING_PARTNER,
    state: str = "processing",
) -> None:
    """An order with items (item_id, product_id, date_id), one ticket of 50 € each."""
    total = Decimal(50) * len(items)
    created = NOW - timedelta(days=1)
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.sales_order).values(
                entity_id=order_id,
                increment_id=f"{order_id:09d}",
                state=state,
                status=status,
                customer_email=f"kunde{order_id}@example.org",
                customer_firstname="Kim",
                customer_lastname=f"Kunde{order_id}",
                grand_total=total,
                total_paid=total,
                created_at=created,
                updated_at=created,
            )
        )
        for item_id, product_id, date_id in items:
            conn.execute(
                insert(m.sales_order_item).values(
                    item_id=item_id,
                    order_id=order_id,
                    product_id=product_id,
                    name=f"Kurs {product_id}",
                    qty_ordered=1,
                    price=50,
                    row_total=50,
                    row_total_incl_tax=50,
                    miomente_date_id=date_id,
                    created_at=created,
                    updated_at=created,
                )
            )


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
    with shop.magento.begin() as conn:
        conn.execute(
            insert(m.sales_order_status_history).values(
                parent_id=1001,
                status=m.STATUS_PENDING_PARTNER,
                comment="Zahlung per PayPal erhalten.",
                is_customer_notified=0,
                created_at=NOW - timedelta(hours=2),
                entity_name="order",
            )
        )
    decided_at = NOW - timedelta(hours=1)
    orders.decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=decided_at)

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


# --- decide: the common paths ----------------------------------------------------------------


def test_confirming_a_single_partner_order_confirms_it_in_the_shop(shop: Databases) -> None:
    before = len(_history(shop, 1001))
    result = orders.decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result == orders.DecisionResult(decided=[5001], refused=[], orders_changed=[1001])

    assert tuple(_order(shop, 1001)) == ("processing", m.STATUS_CONFIRMED)
    history = _history(shop, 1001)
    assert len(history) == before + 1
    comment, status, notified, entity = history[-1]
    assert comment.startswith("Partnerportal: Kochschule Alpha hat 1 Buchung bestätigt")
    assert "Alle Partner haben entschieden" in comment
    assert (status, notified, entity) == (m.STATUS_CONFIRMED, 1, "order")

    [message] = _decision_messages(shop)
    assert message.template == "booking_confirmed" and message.partner_id == 1
    assert message.recipient == "anna.adler@example.org" and message.locale == "de"
    assert message.dedupe_key == "decision:5001"
    assert set(TEMPLATES["booking_confirmed"].required) <= set(message.payload)
    assert message.payload["order_number"] == "000001001"
    assert message.payload["tickets"] == 2
    assert message.payload["place"] == "Kochschule Alpha, Hafenstraße 1, 20457 Hamburg"
    rendered = render("booking_confirmed", locale="de", payload=message.payload)
    assert "Alpha Pasta-Werkstatt" in rendered.text

    with shop.portal.connect() as conn:
        decision = conn.execute(select(p.booking_decisions)).one()
        audit = conn.execute(
            select(p.audit_log).where(p.audit_log.c.action == "booking_confirmed")
        ).one()
        ledger = conn.execute(
            select(p.bookings.c.status, p.bookings.c.order_status).where(
                p.bookings.c.item_id == 5001
            )
        ).one()
    assert (decision.item_id, decision.order_id, decision.partner_id) == (5001, 1001, 1)
    assert (decision.decision, decision.decided_by, decision.decided_at) == ("confirmed", 10, NOW)
    assert (audit.user_id, audit.partner_id, audit.entity_id) == (10, 1, "5001")
    assert tuple(ledger) == (p.BOOKING_CONFIRMED, m.STATUS_CONFIRMED)

    detail = orders.get_order(ALPHA, shop, order_id=1001)
    assert detail is not None and detail.items[0].status == p.BOOKING_CONFIRMED


def test_a_shared_order_is_confirmed_when_both_partners_confirmed(shop: Databases) -> None:
    result = orders.decide(ALPHA, shop, item_ids=[5003], decision="confirmed", now=NOW)
    assert result.decided == [5003] and result.orders_changed == [1003]
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_PENDING_PARTNER)
    comment = _history(shop, 1003)[-1].comment
    assert comment.startswith("Partnerportal: Kochschule Alpha hat 1 Buchung bestätigt")
    assert "Alle Partner" not in comment

    # Each partner sees its own part; B learns nothing of A's decision.
    alpha = orders.get_order(ALPHA, shop, order_id=1003)
    beta = orders.get_order(BETA, shop, order_id=1003)
    assert alpha is not None and beta is not None
    assert alpha.status == m.STATUS_CONFIRMED and alpha.status_label == "Vom Partner bestätigt"
    assert beta.status == m.STATUS_PENDING_PARTNER
    assert "Alpha" not in repr(beta)
    assert [e.kind for e in beta.timeline] == ["status"]

    result = orders.decide(BETA, shop, item_ids=[5004], decision="confirmed", now=NOW)
    assert result.decided == [5004] and result.orders_changed == [1003]
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_CONFIRMED)
    assert "Alle Partner haben entschieden" in _history(shop, 1003)[-1].comment
    assert [(r.partner_id, r.template) for r in _decision_messages(shop)] == [
        (1, "booking_confirmed"),
        (2, "booking_confirmed"),
    ]
    with shop.portal.connect() as conn:
        ledger = dict(
            conn.execute(
                select(p.bookings.c.item_id, p.bookings.c.order_status).where(
                    p.bookings.c.order_id == 1003
                )
            ).all()
        )
    assert ledger == {5003: m.STATUS_CONFIRMED, 5004: m.STATUS_CONFIRMED}


def test_reject_with_reason_and_alternatives_tells_the_customer(shop: Databases) -> None:
    _add_dates(shop)
    result = orders.decide(
        ALPHA,
        shop,
        item_ids=[5001],
        decision="rejected",
        reason=f"  {REASON}  ",
        alternatives=[14, 15, 14],
        now=NOW,
    )
    assert result.decided == [5001]
    assert tuple(_order(shop, 1001)) == ("canceled", m.STATUS_REJECTED)
    comment = _history(shop, 1001)[-1].comment
    assert f"Begründung: „{REASON}“" in comment and "Alternativtermine" in comment
    assert "erstatten" in comment

    [message] = _decision_messages(shop)
    assert message.template == "booking_rejected"
    payload = message.payload
    assert set(TEMPLATES["booking_rejected"].required) <= set(payload)
    assert payload["reason"] == REASON
    assert payload["refund_amount"] == "178.00"
    # Soonest first, each with the date's page.
    assert [(a["date_id"], a["url"]) for a in payload["alternatives"]] == [
        (15, "https://www.miomente.de/kurs/101?termin=15"),
        (14, "https://www.miomente.de/kurs/101?termin=14"),
    ]
    assert payload["alternatives"][0]["starts_at"] == (NOW + timedelta(days=3)).isoformat()
    rendered = render("booking_rejected", locale="de", payload=payload)
    assert "termin=15" in rendered.html and REASON in rendered.text

    with shop.portal.connect() as conn:
        decision = conn.execute(select(p.booking_decisions)).one()
    assert (decision.decision, decision.reason, decision.alternatives) == (
        "rejected",
        REASON,
        [15, 14],
    )
    detail = orders.get_order(ALPHA, shop, order_id=1001)
    assert detail is not None
    assert detail.items[0].status == p.BOOKING_REJECTED
    assert detail.items[0].decision is not None
    assert detail.items[0].decision.alternatives == (15, 14)
    assert REASON in detail.timeline[-2].text


def test_a_mixed_shared_order_goes_ahead_and_all_rejected_cancels_it(shop: Databases) -> None:
    orders.decide(ALPHA, shop, item_ids=[5003], decision="confirmed", now=NOW)
    orders.decide(BETA, shop, item_ids=[5004], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_CONFIRMED)
    assert "Teilweise abgelehnt" in _history(shop, 1003)[-1].comment
    beta = orders.get_order(BETA, shop, order_id=1003)
    assert beta is not None
    assert (beta.status, beta.state) == (m.STATUS_REJECTED, "canceled")
    assert beta.items[0].status == p.BOOKING_REJECTED

    _add_order(shop, 3001, [(7001, 101, 13), (7002, 201, 21)])
    orders.decide(ALPHA, shop, item_ids=[7001], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 3001)) == ("processing", m.STATUS_PENDING_PARTNER)
    orders.decide(BETA, shop, item_ids=[7002], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 3001)) == ("canceled", m.STATUS_REJECTED)


def test_bulk_confirm_across_two_orders(shop: Databases) -> None:
    result = orders.decide(ALPHA, shop, item_ids=[5003, 5001, 5003], decision="confirmed", now=NOW)
    assert sorted(result.decided) == [5001, 5003] and result.refused == []
    assert result.orders_changed == [1001, 1003]
    assert _order(shop, 1001).status == m.STATUS_CONFIRMED
    assert _order(shop, 1003).status == m.STATUS_PENDING_PARTNER
    assert sorted(r.dedupe_key for r in _decision_messages(shop)) == [
        "decision:5001",
        "decision:5003",
    ]


def test_two_items_of_one_order_are_one_shop_write(shop: Databases) -> None:
    _add_order(shop, 3002, [(7011, 101, 13), (7012, 102, 12)])
    before = len(_history(shop, 3002))
    result = orders.decide(ALPHA, shop, item_ids=[7011, 7012], decision="confirmed", now=NOW)
    assert result.decided == [7011, 7012] and result.orders_changed == [3002]
    history = _history(shop, 3002)
    assert len(history) == before + 1
    assert "hat 2 Buchungen bestätigt" in history[-1].comment
    assert _order(shop, 3002).status == m.STATUS_CONFIRMED


def test_staff_decide_as_a_partner_but_not_for_all(shop: Databases) -> None:
    with pytest.raises(ScopeError):
        orders.decide(STAFF, shop, item_ids=[5001], decision="confirmed", now=NOW)
    result = orders.decide(STAFF.view_as(1), shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result.decided == [5001]
    with shop.portal.connect() as conn:
        assert conn.execute(select(p.booking_decisions.c.decided_by)).scalar() == 30


# --- decide: refusals and invalid input --------------------------------------------------------


def test_unknown_and_other_partners_items_are_not_found(shop: Databases) -> None:
    before = _snapshot(shop)
    result = orders.decide(
        ALPHA, shop, item_ids=[5004, 5101, 999_999], decision="confirmed", now=NOW
    )
    assert result.decided == [] and result.orders_changed == []
    assert result.refused == [
        (5004, "orders.not_found"),
        (5101, "orders.not_found"),
        (999_999, "orders.not_found"),
    ]
    assert _snapshot(shop) == before


@pytest.mark.parametrize(
    ("reason", "alternatives", "key"),
    [
        (None, [], "orders.reason_required"),
        ("   ", [], "orders.reason_required"),
        ("x" * 501, [], "orders.reason_too_long"),
        (REASON, [14, 15, 19, 13], "orders.too_many_alternatives"),
        (REASON, [16], "orders.alternative_invalid"),  # another course
        (REASON, [17], "orders.alternative_invalid"),  # in the past
        (REASON, [18], "orders.alternative_invalid"),  # cancelled
        (REASON, [21], "orders.alternative_invalid"),  # partner B's course
        (REASON, [999], "orders.alternative_invalid"),  # does not exist
        (REASON, [11], "orders.alternative_invalid"),  # the rejected date itself
        (REASON, [14, 17], "orders.alternative_invalid"),  # one bad spoils all
    ],
)
def test_invalid_rejections_write_nothing(
    shop: Databases, reason: str | None, alternatives: list[int], key: str
) -> None:
    _add_dates(shop)
    before = _snapshot(shop)
    with pytest.raises(InvalidInput) as caught:
        orders.decide(
            ALPHA,
            shop,
            item_ids=[5001],
            decision="rejected",
            reason=reason,
            alternatives=alternatives,
            now=NOW,
        )
    assert caught.value.key == key
    assert _snapshot(shop) == before


def test_a_reason_of_500_characters_and_three_alternatives_are_fine(shop: Databases) -> None:
    _add_dates(shop)
    result = orders.decide(
        ALPHA,
        shop,
        item_ids=[5001],
        decision="rejected",
        reason="x" * 500,
        alternatives=[19, 14, 15],
        now=NOW,
    )
    assert result.decided == [5001]
    [message] = _decision_messages(shop)
    assert [a["date_id"] for a in message.payload["alternatives"]] == [15, 14, 19]


def test_unknown_decision_is_invalid(shop: Databases) -> None:
    with pytest.raises(InvalidInput) as caught:
        orders.decide(ALPHA, shop, item_ids=[5001], decision="maybe", now=NOW)
    assert caught.value.key == "orders.unknown_decision"


def test_cancelled_complete_and_refunded_orders_are_refused(shop: Databases) -> None:
    _add_order(shop, 3003, [(7021, 101, 13)])
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == 7021)
            .values(qty_refunded=1, amount_refunded=50)
        )
    before = _snapshot(shop)
    alpha = orders.decide(ALPHA, shop, item_ids=[5005, 7021], decision="confirmed", now=NOW)
    assert alpha.refused == [(5005, "orders.refused_state"), (7021, "orders.refused_state")]
    beta = orders.decide(BETA, shop, item_ids=[5102], decision="rejected", reason=REASON, now=NOW)
    assert beta.refused == [(5102, "orders.refused_state")] and beta.decided == []
    assert _snapshot(shop) == before


def test_deciding_twice_gives_one_decision_and_one_email(shop: Databases) -> None:
    first = orders.decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    after_first = _snapshot(shop)
    second = orders.decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    third = orders.decide(ALPHA, shop, item_ids=[5001], decision="rejected", reason=REASON)
    assert first.decided == [5001]
    assert second == orders.DecisionResult(refused=[(5001, "orders.already_decided")])
    assert third.refused == [(5001, "orders.already_decided")]
    assert _snapshot(shop) == after_first
    assert len(_decision_messages(shop)) == 1


def test_a_state_change_before_the_lock_rolls_the_portal_back(
    shop: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shop cancelled the order between the first check and the lock."""
    real = shop_writes.lock_order

    def cancelled_meanwhile(conn, *, order_id):
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == order_id)
            .values(state="canceled", status="canceled")
        )
        return real(conn, order_id=order_id)

    monkeypatch.setattr(shop_writes, "lock_order", cancelled_meanwhile)
    before = _snapshot(shop)
    result = orders.decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result == orders.DecisionResult(refused=[(5001, "orders.refused_state")])
    assert _snapshot(shop) == before  # the shop's own change was rolled back with ours


@pytest.mark.parametrize(
    ("decision", "reason", "status", "state"),
    [
        ("confirmed", None, m.STATUS_CONFIRMED, "processing"),
        ("rejected", REASON, m.STATUS_REJECTED, "canceled"),
    ],
)
def test_a_rerun_after_the_portal_commit_failed_converges(
    shop: Databases,
    monkeypatch: pytest.MonkeyPatch,
    decision: str,
    reason: str | None,
    status: str,
    state: str,
) -> None:
    """The window: the shop committed, then the portal's commit failed."""
    real = shop_writes.shop_transaction

    @contextmanager
    def crash_after_shop_commit(engine) -> Iterator:
        with real(engine) as conn:
            yield conn
        raise ConnectionError("portal connection lost")

    monkeypatch.setattr(shop_writes, "shop_transaction", crash_after_shop_commit)
    history_before = len(_history(shop, 1001))
    with pytest.raises(ConnectionError):
        orders.decide(ALPHA, shop, item_ids=[5001], decision=decision, reason=reason, now=NOW)
    assert tuple(_order(shop, 1001)) == (state, status)
    assert _count(shop.portal, p.booking_decisions) == 0
    assert _decision_messages(shop) == []

    monkeypatch.setattr(shop_writes, "shop_transaction", real)
    result = orders.decide(ALPHA, shop, item_ids=[5001], decision=decision, reason=reason, now=NOW)
    assert result.decided == [5001]
    assert tuple(_order(shop, 1001)) == (state, status)
    assert len(_history(shop, 1001)) == history_before + 2
    assert _count(shop.portal, p.booking_decisions) == 1
    assert len(_decision_messages(shop)) == 1


# --- shop_writes ----------------------------------------------------------------------------


def test_shop_writes_check_the_state_and_accept_a_repeat(shop: Databases) -> None:
    with shop_writes.shop_transaction(shop.magento) as conn:
        with pytest.raises(shop_writes.ShopStateError) as caught:
            shop_writes.change_order_status(
                conn,
                order_id=1004,
                allowed_states=("processing",),
                new_status=m.STATUS_CONFIRMED,
                comment="x",
                notified=False,
                now=NOW,
            )
        assert (caught.value.key, caught.value.params) == (
            "orders.refused_state",
            {"state": "canceled"},
        )
        change = shop_writes.change_order_status(
            conn,
            order_id=1002,  # already confirmed
            allowed_states=(),
            new_status=m.STATUS_CONFIRMED,
            comment="noch einmal",
            notified=False,
            now=NOW,
        )
        assert not change.changed and change.history_id is not None
        note = shop_writes.add_order_comment(conn, order_id=1001, comment="Notiz", now=NOW)
        assert (note.state, note.status) == ("processing", m.STATUS_PENDING_PARTNER)
        with pytest.raises(shop_writes.ShopStateError):
            shop_writes.lock_order(conn, order_id=424_242)
    with shop.magento.connect() as conn:
        updated = conn.execute(
            select(m.sales_order.c.updated_at).where(m.sales_order.c.entity_id == 1001)
        ).scalar()
    assert updated == NOW
    assert _history(shop, 1001)[-1].comment == "Notiz"


# --- concurrency ----------------------------------------------------------------------------


def _race(*calls) -> list:
    """Run the calls at the same moment in threads; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def server_shop(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("server", tmp_path) as db:
        build_world(db)
        yield db


def test_two_clicks_at_once_decide_once_on_the_servers(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(5):
        order_id, item_id = 4000 + round_, 8000 + round_
        _add_order(db, order_id, [(item_id, 101, 13)])
        results = _race(
            lambda i=item_id: orders.decide(ALPHA, db, item_ids=[i], decision="confirmed"),
            lambda i=item_id: orders.decide(
                STAFF.view_as(1), db, item_ids=[i], decision="rejected", reason=REASON
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(len(r.decided) for r in results) == [0, 1], results
        loser = next(r for r in results if not r.decided)
        assert loser.refused == [(item_id, "orders.already_decided")]
        assert _count(db.portal, p.booking_decisions, p.booking_decisions.c.item_id == item_id) == 1
        assert len(_messages(db, p.outbox.c.dedupe_key == f"decision:{item_id}")) == 1
        assert len(_history(db, order_id)) == 1
        winner = next(r for r in results if r.decided)
        expected = m.STATUS_CONFIRMED if winner is results[0] else m.STATUS_REJECTED
        assert _order(db, order_id).status == expected


@pytest.fixture
def slow_portal_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between the shop's commit and the portal's, where races hide."""
    real = shop_writes.shop_transaction

    @contextmanager
    def slow(engine) -> Iterator:
        with real(engine) as conn:
            yield conn
        time.sleep(0.2)

    monkeypatch.setattr(shop_writes, "shop_transaction", slow)


@pytest.mark.usefixtures("slow_portal_commit")
def test_two_partners_deciding_a_shared_order_at_once_confirm_it(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(3):
        order_id = 4100 + round_
        a_item, b_item = 8100 + 2 * round_, 8101 + 2 * round_
        _add_order(db, order_id, [(a_item, 101, 13), (b_item, 201, 21)])
        results = _race(
            lambda i=a_item: orders.decide(ALPHA, db, item_ids=[i], decision="confirmed"),
            lambda i=b_item: orders.decide(BETA, db, item_ids=[i], decision="confirmed"),
        )
        assert [r.decided for r in results] == [[a_item], [b_item]], results
        assert tuple(_order(db, order_id)) == ("processing", m.STATUS_CONFIRMED)
        assert len(_history(db, order_id)) in (2, 3)  # two comments, maybe one converge row


@pytest.mark.usefixtures("slow_portal_commit")
def test_two_tabs_deciding_two_items_of_one_order_at_once(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(3):
        order_id = 4200 + round_
        first, second = 8200 + 2 * round_, 8201 + 2 * round_
        _add_order(db, order_id, [(first, 101, 13), (second, 102, 12)])
        results = _race(
            lambda i=first: orders.decide(ALPHA, db, item_ids=[i], decision="rejected",
                                          reason=REASON),
            lambda i=second: orders.decide(ALPHA, db, item_ids=[i], decision="rejected",
                                           reason=REASON),
        )  # fmt: skip
        assert [r.decided for r in results] == [[first], [second]], results
        assert tuple(_order(db, order_id)) == ("canceled", m.STATUS_REJECTED)


def test_two_clicks_at_once_decide_once_on_sqlite(tmp_path: Path) -> None:
    with fresh_databases("sqlite", tmp_path) as db:
        build_world(db)
        results = _race(
            lambda: orders.decide(ALPHA, db, item_ids=[5001], decision="confirmed"),
            lambda: orders.decide(ALPHA, db, item_ids=[5001], decision="confirmed"),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(len(r.decided) for r in results) == [0, 1]
        assert len(_decision_messages(db)) == 1
        assert len(_history(db, 1001)) == 2
