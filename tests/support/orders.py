"""Shared by the tests of get_order, decide and the date series (tests/bookings, tests/dates).

The viewers and the moment the tests use, and helpers that read what a decision wrote or add
orders and dates to the world of tests/support/worlds.py. The `shop` fixture is in
tests/conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from core.db import Databases
from data import portal_schema as p
from data.access.viewer import Viewer
from data.shop import schema as m
from tests.support.shop import Customer, Item, add_order

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
REASON = "Die Kursleitung ist an diesem Abend leider erkrankt."


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
    """An order placed yesterday with items (item_id, product_id, date_id), one 50 € ticket each."""
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[Item(item_id, product_id, date_id) for item_id, product_id, date_id in items],
            created_at=NOW - timedelta(days=1),
            status=status,
            state=state,
            customer=Customer("Kim", f"Kunde{order_id}", f"kunde{order_id}@example.org"),
        )
