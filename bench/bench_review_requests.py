"""Benchmark: the review-request task over N bookings whose course ended in the window.

Usage (from the project root):

    .venv/bin/python -m bench.bench_review_requests [--ended 100000] [--partners 500] [--keep]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports; dropped at the
end unless --keep): N booked items of M partners, each its own order and customer (nine in
ten with a legal basis on the order, one in ten without), on 3,000 course dates that ended the
day before the run, plus 1,000 objections. Then one run of `queue_due_requests` — the task's
code path — timed with the outbox rows it wrote, the peak of Python allocations during the run
(tracemalloc) and the process's peak RSS, and a second run that must write nothing.
Goal: <= 60 s, memory flat (the task reads page by page).
"""

from __future__ import annotations

import argparse
import resource
import tracemalloc
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
from data.reviews.requests import email_hash, queue_due_requests
from data.shop import schema as m
from data.shop.schema import create_shop_schema

NOW = datetime(2026, 12, 11, 16, 0)  # 17:00 Berlin
ENDS = datetime(2026, 12, 10, 15, 0)  # the courses ended yesterday at 16:00 Berlin
DATES = 3000
BATCH = 5000


def _basis(i: int) -> str | None:
    return None if i % 10 == 0 else ("consent" if i % 2 else "notice")


def _shop(db: Databases, ended: int) -> None:
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.miomente_course_date),
            [{"date_id": d, "product_id": 10_000 + d % 2000, "starts_at": ENDS - timedelta(hours=3),
              "ends_at": ENDS, "seats_total": 50, "price": Decimal("50"), "created_at": NOW,
              "updated_at": NOW} for d in range(1, DATES + 1)],
        )  # fmt: skip
        for start in range(1, ended + 1, BATCH):
            conn.execute(
                insert(m.sales_order),
                [{"entity_id": i, "increment_id": f"{i:09d}", "state": "complete",
                  "status": "complete", "store_id": 1, "customer_email": f"k{i}@example.org",
                  "grand_total": Decimal("50"), "created_at": NOW, "updated_at": NOW,
                  "miomente_review_basis": _basis(i)}
                 for i in range(start, min(start + BATCH, ended + 1))],
            )  # fmt: skip


def _portal(db: Databases, ended: int, partners: int) -> None:
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(partners))
        for start in range(1, ended + 1, BATCH):
            conn.execute(
                insert(p.bookings),
                [{"item_id": i, "order_id": i, "increment_id": f"{i:09d}",
                  "partner_id": 1 + i % partners, "product_id": 10_000 + (1 + i % DATES) % 2000,
                  "course": "Pasta frisch gemacht – Tagliatelle, Ravioli und Gnocchi",
                  "date_id": 1 + i % DATES, "event_at": ENDS - timedelta(hours=3),
                  "booked_at": NOW - timedelta(days=20), "customer_name": f"Kim Kunde {i}",
                  "customer_email": f"k{i}@example.org", "tickets": 1, "gross": Decimal("50"),
                  "status": "completed", "shop_updated_at": NOW, "synced_at": NOW}
                 for i in range(start, min(start + BATCH, ended + 1))],
            )  # fmt: skip
        conn.execute(
            insert(p.review_objections),
            [{"email_hash": email_hash(f"k{n}@example.org"), "created_at": NOW}
             for n in range(7, ended + 1, max(1, ended // 1000))],
        )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ended", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--trace", action="store_true", help="tracemalloc's peak (slower)")
    args = parser.parse_args()
    with (
        scratch_database(MYSQL_URL, keep=args.keep) as shop_url,
        scratch_database(POSTGRES_URL, keep=args.keep) as portal_url,
    ):
        shop = make_engine(shop_url)
        db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
        create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        _shop(db, args.ended)
        _portal(db, args.ended, args.partners)
        if args.trace:
            tracemalloc.start()
        started = perf_counter()
        run = queue_due_requests(SYSTEM, db, now=NOW)
        seconds = perf_counter() - started
        _current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = f"{traced_peak / 2**20:.0f} MB" if args.trace else "not traced (--trace)"
        with db.portal.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(p.outbox)).scalar() or 0
        started = perf_counter()
        again = queue_due_requests(SYSTEM, db, now=NOW + timedelta(hours=1))
        rerun = perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{args.ended:,} ended bookings of {args.partners} partners: {rows:,} outbox rows in "
            f"{seconds:.1f} s ({run.requested:,} requested, {run.no_basis:,} without a legal "
            f"basis, {run.objected:,} objected; goal <= 60 s); second run requested "
            f"{again.requested} in {rerun:.1f} s; Python allocations peak "
            f"{traced} (tracemalloc, slows the run), peak RSS {peak:.0f} MB"
        )
        db.dispose()


if __name__ == "__main__":
    main()
