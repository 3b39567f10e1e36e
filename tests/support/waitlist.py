"""Waitlist fixtures on top of the two-partner world: a course of A's of its own (103, no dates
of the world), dates at fixed moments, sold seats, and the clock the tests use."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import insert

from core.db import Databases
from data import portal_schema as p
from data.shop import schema as m
from tests.support.shop import Customer, Item, add_order

NOW = datetime(2026, 11, 25, 12, 0)
COURSE = 103  # partner A's "Alpha Brot backen", 89 €
PRICE = Decimal("89.00")
B_COURSE = 201  # partner B's course in the world
_ORDERS = count(7001)


def add_course(db: Databases, *, product_id: int = COURSE, partner_id: int = 1) -> None:
    with db.portal.begin() as conn:
        conn.execute(
            insert(p.courses).values(
                course_id=product_id,
                partner_id=partner_id,
                product_id=product_id,
                sku=f"WL-{product_id}",
            )
        )
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.catalog_product_entity).values(entity_id=product_id, sku=f"WL-{product_id}")
        )
        for table, attribute, value in (
            (m.catalog_product_entity_varchar, "name", f"Alpha Brot backen {product_id}"),
            (m.catalog_product_entity_decimal, "price", PRICE),
            (m.catalog_product_entity_int, "status", m.PRODUCT_ENABLED),
        ):
            conn.execute(
                insert(table).values(
                    attribute_id=m.PRODUCT_ATTRIBUTES[attribute][0],
                    store_id=0,
                    entity_id=product_id,
                    value=value,
                )
            )


def add_date(
    db: Databases,
    date_id: int,
    *,
    product_id: int = COURSE,
    days: float = 10,
    seats: int = 8,
    created_at: datetime | None = None,
    status: str = m.DATE_ACTIVE,
    base: datetime = NOW,
) -> None:
    starts = base + timedelta(days=days)
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.miomente_course_date).values(
                date_id=date_id,
                product_id=product_id,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                seats_total=seats,
                price=PRICE,
                status=status,
                created_at=created_at or NOW,
                updated_at=created_at or NOW,
            )
        )


def sell(
    db: Databases,
    date_id: int,
    qty: int,
    *,
    product_id: int = COURSE,
    email: str = "kaeufer@example.org",
    at: datetime = NOW,
) -> int:
    order_id = next(_ORDERS)
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[Item(order_id * 10, product_id, date_id, qty, PRICE)],
            created_at=at,
            customer=Customer("Kai", "Käufer", email),
        )
    return order_id
