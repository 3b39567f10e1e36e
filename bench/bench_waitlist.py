"""Benchmark: the Warteliste at a marketplace's size.

Usage (from the project root):

    .venv/bin/python -m bench.bench_waitlist [--entries 20000] [--courses 2000] [--keep]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports; dropped at the
end unless --keep): 10 partners with 200 courses each, two sold-out future dates per course
(real orders hold the seats), and N waiting entries over the courses (partner 1: 2,000 entries,
ten per course; the rest skewed, so some courses are much more wanted than others). Then:

1. a new date (20 seats) on each of the 50 most-waited courses, and one run of
   `data.demand.waitlist.notify_waiting` — the code path of the `notify-waitlist` job — timed
   with the outbox rows it wrote; a second run must write 0;
2. the Warteliste page's data for partner 1 (2,000 entries): `waiting_courses`,
   `waiting_dates` and `list_entries`, as components/waitlist_view.py calls them (best of 5).

Goals: outbox rows in <= 5 s; page data in <= 50 ms. The machine has 2 shared cores.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from decimal import Decimal
from time import perf_counter

from sqlalchemy import func, insert, select

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL, scratch_database
from bench.rows import partner_rows
from core.clock import now_utc
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.viewer import SYSTEM, Viewer
from data.demand import waitlist as wl
from data.shop import schema as m
from data.shop.schema import create_shop_schema

PARTNERS, NEW_DATES = 10, 50
PRICE = Decimal("89.00")


def _partners_and_courses(db: Databases, courses: int) -> list[tuple[int, int]]:
    per = courses // PARTNERS
    owned = [(1 + i // per, 10_000 + i) for i in range(courses)]
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(PARTNERS))
        conn.execute(
            insert(p.courses),
            [{"partner_id": pt, "product_id": pid, "sku": f"B-{pid}"} for pt, pid in owned],
        )
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.catalog_product_entity),
            [{"entity_id": pid, "sku": f"B-{pid}"} for _, pid in owned],
        )
        for table, attribute, value in (
            (m.catalog_product_entity_varchar, "name", None),
            (m.catalog_product_entity_decimal, "price", PRICE),
        ):
            conn.execute(
                insert(table),
                [
                    {"attribute_id": m.PRODUCT_ATTRIBUTES[attribute][0], "store_id": 0,
                     "entity_id": pid, "value": value or f"Kurs {pid}"}
                    for _, pid in owned
                ],
            )  # fmt: skip
    return owned


def _full_dates(db: Databases, owned: list[tuple[int, int]], now: datetime) -> None:
    dates, orders, items = [], [], []
    for n, (_pt, pid) in enumerate(owned):
        for k in (0, 1):
            date_id = 2 * n + k + 1
            starts = now + timedelta(days=10 + 7 * k + n % 7)
            dates.append(
                {"date_id": date_id, "product_id": pid, "starts_at": starts,
                 "ends_at": starts + timedelta(hours=3), "seats_total": 8, "price": PRICE,
                 "created_at": now - timedelta(days=90), "updated_at": now - timedelta(days=90)}
            )  # fmt: skip
            orders.append(
                {"entity_id": date_id, "increment_id": f"B{date_id:08d}", "state": "processing",
                 "status": "processing", "created_at": now - timedelta(days=30),
                 "updated_at": now - timedelta(days=30)}
            )  # fmt: skip
            items.append(
                {"item_id": date_id, "order_id": date_id, "product_id": pid, "qty_ordered": 8,
                 "miomente_date_id": date_id, "price": PRICE, "row_total": 8 * PRICE}
            )  # fmt: skip
    with db.magento.begin() as conn:
        conn.execute(insert(m.miomente_course_date), dates)
        conn.execute(insert(m.sales_order), orders)
        conn.execute(insert(m.sales_order_item), items)


def _entries(db: Databases, owned: list[tuple[int, int]], total: int, now: datetime) -> None:
    rng = random.Random(7)
    first = [pid for pt, pid in owned if pt == 1]
    others = [(pt, pid) for pt, pid in owned if pt != 1]
    weights = [1 / (1 + i) ** 0.8 for i in range(len(others))]
    targets = [(1, pid) for pid in first for _ in range(10)]
    targets += rng.choices(others, weights=weights, k=max(total - len(targets), 0))
    rows = []
    for n, (pt, pid) in enumerate(targets):
        since = now - timedelta(days=rng.randint(1, 150), minutes=n % 600)
        rows.append(
            {"partner_id": pt, "product_id": pid, "date_id": 0, "customer_name": f"Kundin {n}",
             "email": f"kundin{n}@example.org", "seats": rng.choice((1, 1, 2, 2, 3, 4)),
             "source": "shop", "consent_at": since, "created_at": since, "updated_at": since}
        )  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(insert(p.waitlist), rows)


def _most_waited(db: Databases, n: int) -> list[int]:
    w = p.waitlist
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(w.c.product_id)
            .group_by(w.c.product_id)
            .order_by(func.sum(w.c.seats).desc(), w.c.product_id)
            .limit(n)
        )
        return [r[0] for r in rows]


def _new_dates(db: Databases, product_ids: list[int], now: datetime) -> None:
    rows = []
    for n, pid in enumerate(product_ids):
        starts = now + timedelta(days=30 + n % 10)
        rows.append(
            {"date_id": 900_000 + n, "product_id": pid, "starts_at": starts,
             "ends_at": starts + timedelta(hours=3), "seats_total": 20, "price": PRICE,
             "created_at": now, "updated_at": now}
        )  # fmt: skip
    with db.magento.begin() as conn:
        conn.execute(insert(m.miomente_course_date), rows)


def _page_data(db: Databases) -> float:
    viewer = Viewer(user_id=1, role="partner", partner_id=1)
    best = float("inf")
    for _ in range(5):
        started = perf_counter()
        courses = wl.waiting_courses(viewer, db)
        wl.waiting_dates(viewer, db)
        people = wl.list_entries(viewer, db, limit=5000)
        best = min(best, perf_counter() - started)
    print(
        f"page data: {len(courses)} courses, {len(people)} people "
        f"in {best * 1000:.1f} ms (goal <= 50 ms)"
    )
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--courses", type=int, default=2_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    now = now_utc().replace(microsecond=0)
    with (
        scratch_database(MYSQL_URL, keep=args.keep) as shop_url,
        scratch_database(POSTGRES_URL, keep=args.keep) as portal_url,
    ):
        shop = make_engine(shop_url)
        db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
        try:
            create_shop_schema(db.magento)
            upgrade_portal(db.portal)
            started = perf_counter()
            owned = _partners_and_courses(db, args.courses)
            _full_dates(db, owned, now)
            _entries(db, owned, args.entries, now)
            print(
                f"seeded {args.entries:,} entries on {args.courses:,} courses "
                f"in {perf_counter() - started:.1f} s"
            )
            assert wl.notify_waiting(SYSTEM, db, now=now).mails == 0  # every date is full
            _new_dates(db, _most_waited(db, NEW_DATES), now)
            started = perf_counter()
            result = wl.notify_waiting(SYSTEM, db, now=now)
            seconds = perf_counter() - started
            print(
                f"new date on the {NEW_DATES} most-waited courses: {result.mails:,} outbox rows "
                f"({result.dates} dates) in {seconds:.2f} s (goal <= 5 s)"
            )
            started = perf_counter()
            again = wl.notify_waiting(SYSTEM, db, now=now)
            print(f"second run: {again.mails} rows in {perf_counter() - started:.2f} s (must be 0)")
            _page_data(db)
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
