"""Benchmark: the SMS reminder task with 50,000 reminders due at once.

Usage (from the project root):

    .venv/bin/python -m bench.bench_sms [--due 50000] [--partners 500] [--keep]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports; dropped at the
end unless --keep): N booked items of M partners (all with the 24-hour reminder on) whose
course starts 20 hours after the run, each in its own order with a billing address (four in
five a German mobile number, the rest a landline), plus 1,000 objections. Then one run of
`queue_due_reminders` — the task's code path — timed with the outbox rows it wrote, peak RSS,
and a second run that must write nothing. Goal: the outbox rows in <= 30 s.
"""

from __future__ import annotations

import argparse
import resource
from datetime import datetime, timedelta
from decimal import Decimal
from time import perf_counter

from sqlalchemy import func, insert, select

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL, scratch_database
from bench.rows import partner_rows
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.comms.sms_reminders import queue_due_reminders
from data.shop import schema as m
from data.shop.schema import create_shop_schema

NOW = datetime(2026, 12, 9, 10, 0)  # 11:00 Berlin
STARTS = NOW + timedelta(hours=20)


def _phone(n: int) -> str:
    return f"+49 40 {1000000 + n}" if n % 5 == 0 else f"+49 151 {20000000 + n}"


def _partners(db: Databases, n: int) -> None:
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(n))
        conn.execute(
            insert(p.sms_settings),
            [{"partner_id": i, "remind_24h": True, "remind_2h": False, "updated_at": NOW}
             for i in range(1, n + 1)],
        )  # fmt: skip


def _orders(db: Databases, due: int) -> None:
    with db.magento.begin() as conn:
        for start in range(1, due + 1, 5000):
            ids = range(start, min(start + 5000, due + 1))
            conn.execute(
                insert(m.sales_order),
                [{"entity_id": i, "increment_id": f"{i:09d}", "state": "processing",
                  "status": m.STATUS_CONFIRMED, "store_id": 1,
                  "customer_email": f"k{i}@example.org",
                  "grand_total": Decimal("50"), "created_at": NOW, "updated_at": NOW}
                 for i in ids],
            )  # fmt: skip
            conn.execute(
                insert(m.sales_order_address),
                [{"parent_id": i, "address_type": "billing", "firstname": "Kim",
                  "lastname": f"Kunde {i}", "telephone": _phone(i)} for i in ids],
            )  # fmt: skip


def _ledger(db: Databases, due: int, partners: int) -> None:
    with db.portal.begin() as conn:
        for start in range(1, due + 1, 5000):
            conn.execute(
                insert(p.bookings),
                [{"item_id": i, "order_id": i, "increment_id": f"{i:09d}",
                  "partner_id": 1 + i % partners, "product_id": 10_000 + i % 2000,
                  "course": "Pasta frisch gemacht – Tagliatelle, Ravioli und Gnocchi",
                  "date_id": i % 3000, "event_at": STARTS, "booked_at": NOW - timedelta(days=3),
                  "customer_name": f"Kim Kunde {i}", "tickets": 1, "gross": Decimal("50"),
                  "status": "confirmed", "shop_updated_at": NOW, "synced_at": NOW}
                 for i in range(start, min(start + 5000, due + 1))],
            )  # fmt: skip
        conn.execute(
            insert(p.sms_objections),
            [{"phone": f"+4915{120000000 + n}", "created_at": NOW} for n in range(1, 5001, 5)],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with (
        scratch_database(MYSQL_URL, keep=args.keep) as shop_url,
        scratch_database(POSTGRES_URL, keep=args.keep) as portal_url,
    ):
        shop = make_engine(shop_url)
        db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
        create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        _partners(db, args.partners)
        _orders(db, args.due)
        _ledger(db, args.due, args.partners)
        started = perf_counter()
        run = queue_due_reminders(SYSTEM, db, now=NOW)
        seconds = perf_counter() - started
        with db.portal.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(p.outbox)).scalar()
        again = queue_due_reminders(SYSTEM, db, now=NOW + timedelta(minutes=5))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{args.due:,} due reminders of {args.partners} partners: {rows:,} outbox rows in "
            f"{seconds:.1f} s ({run.queued:,} queued, {run.no_mobile:,} without a mobile, "
            f"{run.objected:,} objected; goal <= 30 s); second run queued {again.queued}; "
            f"peak RSS {peak:.0f} MB"
        )
        db.dispose()


if __name__ == "__main__":
    main()
