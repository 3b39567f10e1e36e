"""The monthly revenue roll-ups stay equal to a direct aggregation over the booking ledger.

After the world's first sync, and after each kind of change a shop order goes through (a new
order across a Berlin month boundary, a cancellation, a partial refund, a full refund that
empties a month, a course date moved to another month, a partner's decision), the roll-up table
must hold exactly what summing the ledger gives, computed here independently (Python over the
ledger rows, Berlin months via zoneinfo). On SQLite and on MariaDB + PostgreSQL.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from core import periods
from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.bookings.ledger import refresh_orders, sync_ledger
from data.money.rollup import berlin_month, rebuild_rollups, refresh_rollups
from data.shop import schema as m
from tests.support.shop import Customer, Item, add_order

COUNTED = {p.BOOKING_NEW, p.BOOKING_CONFIRMED, p.BOOKING_COMPLETED}


def _expected(db: Databases) -> dict[tuple, tuple]:
    """(partner, basis, product (0 = all), month) -> (gross, refunded, tickets, items, orders)."""
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), Decimal(0), 0, 0, set()])
    with db.portal.connect() as conn:
        rows = conn.execute(select(p.bookings)).mappings().all()
    for row in rows:
        if row["status"] not in COUNTED:
            continue
        for basis, column in (("booked", "booked_at"), ("event", "event_at")):
            moment = row[column]
            if moment is None:
                continue
            month = moment.replace(tzinfo=UTC).astimezone(periods.BERLIN).date().replace(day=1)
            for product in (row["product_id"], 0):
                entry = sums[(row["partner_id"], basis, product, month)]
                entry[0] += Decimal(str(row["gross"]))
                entry[1] += Decimal(str(row["refunded"]))
                entry[2] += row["tickets"]
                entry[3] += 1
                entry[4].add(row["order_id"])
    return {k: (g.quantize(Decimal("0.0001")), r.quantize(Decimal("0.0001")), t, i, len(o))
            for k, (g, r, t, i, o) in sums.items()}  # fmt: skip


def _rollups(db: Databases) -> dict[tuple, tuple]:
    rm = p.revenue_monthly
    with db.portal.connect() as conn:
        rows = conn.execute(select(rm)).mappings().all()
    return {
        (r["partner_id"], r["basis"], r["product_id"], r["month"]): (
            Decimal(str(r["gross"])).quantize(Decimal("0.0001")),
            Decimal(str(r["refunded"])).quantize(Decimal("0.0001")),
            r["tickets"],
            r["items"],
            r["orders"],
        )
        for r in rows
    }


def _assert_in_step(db: Databases) -> dict[tuple, tuple]:
    expected = _expected(db)
    assert _rollups(db) == expected
    return expected


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime.combine(day, time(hour, minute), tzinfo=periods.BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _touch(db: Databases, order_id: int, **values: object) -> None:
    with db.magento.begin() as conn:
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == order_id)
            .values(updated_at=_now(), **values)
        )


def _item(db: Databases, item_id: int, **values: object) -> None:
    with db.magento.begin() as conn:
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == item_id)
            .values(**values)
        )


def _order(db: Databases, order_id: int, created: datetime, items: list[tuple]) -> None:
    """items: (item_id, product_id, date_id, qty, unit price); the shop stamps it now."""
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[Item(*item) for item in items],
            created_at=created,
            updated_at=_now(),
            customer=Customer("Kim", f"Kunde {order_id}", f"k{order_id}@example.org"),
        )


def _sync(db: Databases) -> None:
    # Re-read everything changed in the last day (the job's reconciliation does the same).
    sync_ledger(
        SYSTEM, db, notify=False, lookback_seconds=86_400, now=_now() + timedelta(seconds=10)
    )


def test_the_first_sync_fills_the_rollups(shop: Databases) -> None:
    expected = _assert_in_step(shop)
    month = periods.berlin_today().replace(day=1)
    # A's own row of this month: 2 × 89 € (1001) + 89 € (A's item of shared 1003), not B's.
    assert expected[(1, "booked", 0, month)] == (Decimal("267.0000"), Decimal(0), 3, 2, 2)
    # The cancelled order 1004 is in the ledger but not in the roll-ups.
    assert expected[(1, "booked", 101, month)][3] == 2


def test_a_first_fill_cut_short_is_completed_by_the_next_sync(shop: Databases) -> None:
    # A crash after the first copy's batches but before its closing rebuild leaves the
    # ledger filled and the roll-ups empty; the next sync, with one new order, fills them all.
    with shop.portal.begin() as conn:
        conn.execute(delete(p.revenue_monthly))
    _order(shop, 7001, _now(), [(70011, 101, None, 2, "45.50")])
    _sync(shop)
    expected = _assert_in_step(shop)
    month = periods.berlin_today().replace(day=1)
    assert expected[(1, "booked", 0, month)][0] >= Decimal("91.0000")


def test_changes_keep_the_rollups_in_step(shop: Databases) -> None:
    db = shop
    today = periods.berlin_today()
    month = today.replace(day=1)
    last_month = periods.previous_month(today).first_day
    # A new shared order at 00:30 Berlin on the 1st of this month (still the previous day in
    # UTC): it counts in this Berlin month.
    created = _utc(month, 0, 30)
    assert created.date() < month
    _order(db, 3001, created, [(6001, 102, 12, 2, "99.00"), (6002, 202, 22, 1, "59.00")])
    _sync(db)
    expected = _assert_in_step(db)
    assert expected[(1, "booked", 0, month)][0] == Decimal("465.0000")  # 267 + 198
    assert expected[(1, "booked", 0, month)][4] == 3  # orders 1001, 1003, 3001

    # 1001 cancelled: it leaves this month's revenue.
    _touch(db, 1001, state="canceled", status="canceled")
    _sync(db)
    expected = _assert_in_step(db)
    assert expected[(1, "booked", 0, month)][0] == Decimal("287.0000")  # 89 + 198

    # A partial refund of 40 € on A's item of the shared order.
    _touch(db, 1003)
    _item(db, 5003, amount_refunded=Decimal("40.00"))
    _sync(db)
    expected = _assert_in_step(db)
    assert expected[(1, "booked", 101, month)][:2] == (Decimal("89.0000"), Decimal("40.0000"))

    # 1002 (A's only booking last month) fully refunded: the month's rows disappear.
    _touch(db, 1002, state="closed", status="closed")
    _item(db, 5002, qty_refunded=1, amount_refunded=Decimal("99.00"))
    _sync(db)
    expected = _assert_in_step(db)
    assert (1, "booked", 0, last_month) not in expected

    # The course date of 3001's sushi item moved 40 days on (to date 13): its event month moves.
    _touch(db, 3001)
    _item(db, 6001, miomente_date_id=13)
    refresh_orders(SYSTEM, db, order_ids=[3001])
    expected = _assert_in_step(db)
    later = berlin_month(
        _utc(today + timedelta(days=40), 18)
    )  # date 13 starts today + 40 days, 18:00 Berlin
    assert expected[(1, "event", 102, later)][:1] == (Decimal("198.0000"),)

    # And a rebuild from scratch gives the very same table.
    before = _rollups(db)
    with db.portal.begin() as conn:
        rebuild_rollups(conn)
    assert _rollups(db) == before


def test_refresh_heals_a_damaged_key_and_rebuild_heals_everything(shop: Databases) -> None:
    db = shop
    month = periods.berlin_today().replace(day=1)
    rm = p.revenue_monthly
    with db.portal.begin() as conn:
        conn.execute(update(rm).where(rm.c.partner_id == 1).values(gross=0))
        conn.execute(delete(rm).where(rm.c.partner_id == 2))
        refresh_rollups(conn, [(1, "booked", month)])
    rows = _rollups(db)
    assert rows[(1, "booked", 0, month)][0] == Decimal("267.0000")
    with db.portal.begin() as conn:
        rebuild_rollups(conn)
    _assert_in_step(db)


def test_many_random_changes(shop: Databases) -> None:
    """Sixty orders over three months with random changes, synced in small batches."""
    db = shop
    rng = random.Random(5)
    today = periods.berlin_today()
    products = [(101, 11), (101, 13), (102, 12), (201, 21), (202, 22)]
    orders = {}
    for n in range(60):
        day = today - timedelta(days=rng.randint(0, 80))
        created = _utc(day, rng.choice([0, 1, 12, 23]), rng.choice([0, 30]))
        items = []
        for k in range(rng.choice([1, 1, 2])):
            product, date_id = rng.choice(products)
            items.append((7000 + 2 * n + k, product, date_id, rng.randint(1, 3), "49.50"))
        _order(db, 4000 + n, created, items)
        orders[4000 + n] = items
    sync_ledger(SYSTEM, db, notify=False, batch_size=7, lookback_seconds=86_400,
                now=_now() + timedelta(seconds=10))  # fmt: skip
    _assert_in_step(db)
    for order_id, items in orders.items():
        fate = rng.random()
        if fate < 0.2:
            _touch(db, order_id, state="canceled", status="canceled")
        elif fate < 0.35:
            _touch(db, order_id, status=m.STATUS_CONFIRMED)
            _item(db, items[0][0], qty_refunded=1, amount_refunded=Decimal("49.50"))
        elif fate < 0.5:
            _touch(db, order_id, state="complete", status="complete")
        elif fate < 0.6:
            _touch(db, order_id)
            _item(db, items[-1][0], miomente_date_id=rng.choice([11, 12, 13, 21, 22]))
    sync_ledger(SYSTEM, db, notify=False, batch_size=5, lookback_seconds=86_400,
                now=_now() + timedelta(seconds=10))  # fmt: skip
    _assert_in_step(db)


def test_berlin_months() -> None:
    assert berlin_month(datetime(2026, 1, 31, 23, 30)) == date(2026, 2, 1)  # 00:30 in Berlin
    assert berlin_month(datetime(2026, 3, 31, 21, 59)) == date(2026, 3, 1)  # 23:59 CEST
    assert berlin_month(datetime(2026, 3, 31, 22, 0)) == date(2026, 4, 1)
    assert berlin_month(None) is None


def test_an_unknown_basis_is_refused(portal_databases: Databases) -> None:
    with portal_databases.portal.begin() as conn, pytest.raises(ValueError):
        refresh_rollups(conn, [(1, "paid", date(2026, 1, 1))])
