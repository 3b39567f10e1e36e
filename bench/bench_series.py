"""Benchmark: generate the dates of 10,000 weekly series for one year into MariaDB.

Usage (from the project root):

    .venv/bin/python -m bench.bench_series [--series 10000] [--days 365] [--keep]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports; dropped at
the end unless --keep), one partner with 500 courses and N weekly series (each on one weekday,
18:00 Berlin, from tomorrow for `--days` days), then times `data.dates.series.generate_series` — the
code path of the daily job — with a horizon covering the whole year. Prints dates/s, the
time per phase (portal reads, expansion, shop reads, inserts, watermarks) and the peak RSS;
then a second run (must create 0) and a third one with every watermark lost, as after a run
that died before recording them (re-reads all 500,000 dates: must create 0 too).

Goal: >= 20,000 dates/s. The machine has 2 shared cores: figures carry noise.
"""

from __future__ import annotations

import argparse
import resource
import tracemalloc
from datetime import datetime, time, timedelta
from decimal import Decimal
from time import perf_counter

from sqlalchemy import func, insert, select, update

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL, scratch_database
from core import recurrence as rec
from core.clock import now_utc
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.dates import series as series_module
from data.dates.series import generate_series
from data.shop import writes as shop_writes
from data.shop.schema import create_shop_schema, miomente_course_date

COURSES = 500
GOAL = 20_000


def seed_patterns(db: Databases, *, series: int, days: int, now: datetime) -> None:
    """One partner, COURSES courses, `series` weekly patterns (rows written in bulk)."""
    first = rec.local_day(now) + timedelta(days=1)
    with db.portal.begin() as conn:
        conn.execute(
            insert(p.partners).values(
                partner_id=1, slug="bench", name="Bench-Kochschule", kind="Kochschule",
                legal_name="Bench GmbH", street="Weg 1", postcode="10115", city="Berlin",
                email="bench@example.org",
            )
        )  # fmt: skip
        conn.execute(
            insert(p.courses),
            [
                {"partner_id": 1, "product_id": 10_000 + i, "sku": f"BENCH-{i}"}
                for i in range(COURSES)
            ],
        )
        rows = []
        for i in range(series):
            pattern = rec.Pattern(
                kind=rec.WEEKLY,
                starts_on=first,
                start_time=time(18, 0),
                duration_minutes=180,
                weekdays=(rec.WEEKDAYS[i % 7],),
                ends_on=first + timedelta(days=days - 1),
            )
            rows.append(
                {
                    "partner_id": 1,
                    "product_id": 10_000 + i % COURSES,
                    "kind": rec.WEEKLY,
                    "interval": 1,
                    "weekdays": pattern.weekdays[0],
                    "rrule": rec.rule_text(pattern),
                    "starts_on": pattern.starts_on,
                    "start_time": pattern.start_time,
                    "duration_minutes": 180,
                    "seats": 12,
                    "price": Decimal("79.00"),
                    "ends_on": pattern.ends_on,
                    "status": p.SERIES_ACTIVE,
                    "created_by": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        conn.execute(insert(p.recurring_patterns), rows)


PHASES = (
    ("portal reads", series_module, "_due_batch"),
    ("expansion", series_module, "_plan"),
    ("shop reads", series_module, "_covered_days"),
    ("inserts", shop_writes, "insert_course_dates"),
    ("watermarks", series_module, "_mark_generated"),
)


def time_phases() -> dict[str, float]:
    """Wrap the generator's steps (module attributes, looked up at each call) with timers."""
    spent = dict.fromkeys((name for name, _m, _f in PHASES), 0.0)
    for name, module, attr in PHASES:
        inner = getattr(module, attr)

        def timed(*args, _inner=inner, _name=name, **kwargs):
            started = perf_counter()
            try:
                return _inner(*args, **kwargs)
            finally:
                spent[_name] += perf_counter() - started

        setattr(module, attr, timed)
    return spent


def count_dates(db: Databases) -> int:
    with db.magento.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(miomente_course_date)).scalar())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--trace", action="store_true", help="tracemalloc peak (slower)")
    args = parser.parse_args()
    now = now_utc()
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
            seed_patterns(db, series=args.series, days=args.days, now=now)
            print(f"seeded {args.series:,} series in {perf_counter() - started:.1f} s")
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if args.trace:
                tracemalloc.start()
            spent = time_phases()
            started = perf_counter()
            result = generate_series(SYSTEM, db, now=now, horizon_days=args.days + 1)
            seconds = perf_counter() - started
            traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.trace else None
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            stored = count_dates(db)
            rate = result.created / seconds
            print(
                f"generate-series: {result.series:,} series, {result.created:,} dates "
                f"({stored:,} stored) in {seconds:.1f} s = {rate:,.0f} dates/s "
                f"(goal >= {GOAL:,}: {'met' if rate >= GOAL else 'MISSED'})"
            )
            print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in spent.items()))
            print(f"peak RSS {rss:.0f} MB (before generating {rss_before:.0f} MB)")
            if traced is not None:
                print(f"tracemalloc peak during generation {traced:.0f} MB")
            started = perf_counter()
            again = generate_series(SYSTEM, db, now=now, horizon_days=args.days + 1)
            print(
                f"second run: {again.created} dates created, {again.series} series looked at, "
                f"{perf_counter() - started:.1f} s"
            )
            with db.portal.begin() as conn:
                conn.execute(update(p.recurring_patterns).values(generated_until=None))
            started = perf_counter()
            lost = generate_series(SYSTEM, db, now=now, horizon_days=args.days + 1)
            print(
                f"watermarks lost: {lost.created} dates created, {lost.series:,} series re-read, "
                f"{perf_counter() - started:.1f} s ({count_dates(db):,} stored)"
            )
            if args.keep:
                print(f"shop:   {shop_url}\nportal: {portal_url}")
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
