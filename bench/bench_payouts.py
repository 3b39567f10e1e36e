"""Benchmark: `compute-payouts` for one month of 2,000 partners (goal: ≤ 60 s).

    .venv/bin/python -m bench.bench_payouts                       # 2,000 partners × 50 items
    .venv/bin/python -m bench.bench_payouts --partners 500 --items 20

Seeds partners, courses and booking-ledger rows (one per booked item, course dates spread
over October 2026) directly into a fresh, migrated PostgreSQL portal database; the shop side
is an empty SQLite file, so every item's VAT rate lookup by item id runs (and finds the
default). Then it times, through the same function the job calls: the first computation
(builds every payout), the rerun (finds nothing changed, writes nothing) and a rerun after
1 % of the items were refunded (recomputes those drafts). Figures are printed, never asserted.

PostgreSQL comes from MIOMENTE_TEST_POSTGRES_URL (default postgres@127.0.0.1:5432); the
database is created with a unique name and dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, update

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from core.db import Databases, make_engine  # noqa: E402 - after the path setup
from core.migrate import upgrade_portal  # noqa: E402
from data.access.viewer import SYSTEM  # noqa: E402
from data.money import payouts  # noqa: E402
from data.portal_schema import bookings, courses, partners  # noqa: E402
from data.shop.schema import create_shop_schema  # noqa: E402

PERIOD = date(2026, 10, 1)
CHUNK = 10_000


def seed_month(
    db: Databases,
    *,
    partners_count: int,
    items_per_partner: int,
    period: date = PERIOD,
    first_partner_id: int = 1,
    seed: int = 7,
) -> int:
    """Partners with one course each and `items_per_partner` ledger rows with events in the
    month of `period`; returns the number of ledger rows. Ids are deterministic."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, 3, 0)
    partner_rows, course_rows, rows = [], [], []
    item_id = first_partner_id * 1_000_000
    for pid in range(first_partner_id, first_partner_id + partners_count):
        partner_rows.append(
            dict(
                partner_id=pid,
                slug=f"bench-{pid}",
                name=f"Kursanbieter {pid}",
                kind="Kochschule",
                legal_name=f"Kursanbieter {pid} GmbH",
                street="Hauptstraße 1",
                postcode="10115",
                city="Berlin",
                email=f"partner{pid}@example.org",
                commission_rate=Decimal(rng.choice(["20.00", "22.50", "25.00"])),
                small_business=rng.random() < 0.1,
                iban="DE02120300000000202051",
                bic="BYLADEM1001",
                account_holder=f"Kursanbieter {pid} GmbH",
            )
        )
        product_id = 500_000 + pid
        course_rows.append(
            dict(course_id=product_id, partner_id=pid, product_id=product_id, sku=f"B-{pid}")
        )
        for _ in range(items_per_partner):
            item_id += 1
            tickets = rng.randint(1, 4)
            price = Decimal(rng.choice(["49.00", "69.00", "89.00", "119.00"]))
            event = datetime.combine(period, datetime.min.time()) + timedelta(
                days=rng.randint(1, 27), hours=rng.randint(8, 18)
            )
            rows.append(
                dict(
                    item_id=item_id,
                    order_id=item_id,
                    increment_id=f"{item_id:09d}",
                    partner_id=pid,
                    product_id=product_id,
                    sku=f"B-{pid}",
                    course=f"Kurs {pid}",
                    event_at=event,
                    booked_at=event - timedelta(days=20),
                    tickets=tickets,
                    gross=price * tickets,
                    refunded=Decimal(0),
                    status=rng.choice(["completed"] * 8 + ["confirmed", "cancelled"]),
                    shop_updated_at=now,
                    synced_at=now,
                )
            )
    with db.portal.begin() as conn:
        for table, values in ((partners, partner_rows), (courses, course_rows)):
            for begin in range(0, len(values), CHUNK):
                conn.execute(insert(table), values[begin : begin + CHUNK])
        for begin in range(0, len(rows), CHUNK):
            conn.execute(insert(bookings), rows[begin : begin + CHUNK])
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--items", type=int, default=50, help="ledger rows per partner")
    args = parser.parse_args()
    from tests.conftest import POSTGRES_URL, server_database

    with (
        tempfile.TemporaryDirectory() as tmp,
        server_database(POSTGRES_URL, kind="PostgreSQL") as portal_url,
    ):
        shop = make_engine(f"sqlite:///{Path(tmp) / 'shop.sqlite'}")
        db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
        try:
            create_shop_schema(shop)
            upgrade_portal(db.portal)
            started = time.perf_counter()
            count = seed_month(db, partners_count=args.partners, items_per_partner=args.items)
            print(
                f"seeded {args.partners:,} partners, {count:,} ledger rows "
                f"in {time.perf_counter() - started:.1f} s"
            )
            for label in ("first computation", "rerun, nothing changed"):
                result = payouts.compute_payouts(SYSTEM, db, period=PERIOD)
                print(
                    f"{label}: {result.seconds:.2f} s — {result.partners:,} payouts, "
                    f"{result.lines:,} lines, created {result.created:,}, "
                    f"updated {result.updated:,}, unchanged {result.unchanged:,}"
                )
            refunded = list(range(1_000_001, 1_000_001 + count, 100))
            with db.portal.begin() as conn:
                conn.execute(
                    update(bookings)
                    .where(bookings.c.item_id.in_(refunded))
                    .values(status="refunded", refunded=bookings.c.gross)
                )
            result = payouts.compute_payouts(SYSTEM, db, period=PERIOD)
            print(
                f"rerun after refunds of 1 % of items: {result.seconds:.2f} s — "
                f"updated {result.updated:,}, unchanged {result.unchanged:,}"
            )
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS {peak:.0f} MB")
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
