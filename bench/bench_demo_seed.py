"""Seed a large demo shop on the local MariaDB + PostgreSQL and print how fast it went.

Usage (from the project root):

    .venv/bin/python -m bench.bench_demo_seed [--orders 1000000] [--seed 42]
        [--today YYYY-MM-DD] [--keep] [--mysql-url URL] [--postgres-url URL]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports), builds the
schemas, runs `data.demo.generate` and prints orders/s, rows/s per table, total seconds and
peak RSS. The databases are dropped at the end unless --keep (then their URLs are printed,
e.g. for the query benchmarks).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data.demo import DemoSummary, berlin_today, generate
from data.shop.schema import create_shop_schema

MYSQL_URL = os.environ.get("MIOMENTE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get(
    "MIOMENTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(admin_url: str, *, keep: bool) -> Iterator[str]:
    """A new, uniquely named database on the server; dropped afterwards unless `keep`."""
    name = f"mio_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(admin_url)
    postgres = url.get_backend_name() == "postgresql"
    admin = create_engine(
        url, poolclass=NullPool, isolation_level="AUTOCOMMIT" if postgres else None
    )
    # `name` is generated above from hex digits only, so interpolating it is safe.
    create = (
        f'CREATE DATABASE "{name}"'
        if postgres
        else f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    )
    drop = (
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' if postgres else f"DROP DATABASE `{name}`"
    )
    with admin.connect() as conn:
        conn.execute(text(create))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as conn:
                conn.execute(text(drop))
        admin.dispose()


def report(summary: DemoSummary, *, schema_seconds: float) -> None:
    print(f"schema: {schema_seconds:.1f} s")
    print(f"{'table':<32} {'rows':>11} {'load s':>8} {'rows/s':>10}")
    for name, rows, seconds in summary.tables:
        rate = f"{rows / seconds:,.0f}" if seconds > 0 else "-"
        print(f"{name:<32} {rows:>11,} {seconds:>8.1f} {rate:>10}")
    total_rows = sum(rows for _n, rows, _s in summary.tables)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"total: {summary.orders:,} orders, {total_rows:,} rows in {summary.seconds:.1f} s = "
        f"{summary.orders_per_second:,.0f} orders/s, {total_rows / summary.seconds:,.0f} rows/s"
    )
    # Tables load in a background thread while the next chunk is generated, so the per-table
    # seconds add up to about the total; the Python CPU shows how much generation costs.
    print(
        f"python cpu: {usage.ru_utime + usage.ru_stime:.1f} s, "
        f"peak RSS: {usage.ru_maxrss / 1024:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--mysql-url", default=MYSQL_URL, help="admin URL of the MariaDB server")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="admin URL of PostgreSQL")
    args = parser.parse_args()
    with (
        scratch_database(args.mysql_url, keep=args.keep) as shop_url,
        scratch_database(args.postgres_url, keep=args.keep) as portal_url,
    ):
        seed_and_report(
            shop_url,
            portal_url,
            orders=args.orders,
            seed=args.seed,
            today=args.today or berlin_today(),
        )
        if args.keep:
            print(f"kept: --magento-url {shop_url} --portal-url {portal_url}")


def seed_and_report(shop_url: str, portal_url: str, *, orders: int, seed: int, today: date) -> None:
    """Create both schemas, generate the demo data and print the figures (also for bench_orders)."""
    shop = make_engine(shop_url, pool=False)
    db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url, pool=False))
    try:
        started = time.perf_counter()
        create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        schema_seconds = time.perf_counter() - started
        summary = generate(db, orders=orders, seed=seed, today=today)
    finally:
        db.dispose()
    report(summary, schema_seconds=schema_seconds)


if __name__ == "__main__":
    main()
