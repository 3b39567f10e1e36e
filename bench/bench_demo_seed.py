"""Seed a large demo shop on the local MariaDB + PostgreSQL and print how fast it went.

Usage (from the project root):

    .venv/bin/python -m bench.bench_demo_seed [--orders 1000000] [--seed 42]
        [--today YYYY-MM-DD] [--payouts] [--keep] [--mysql-url URL] [--postgres-url URL]

Creates two uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports), builds the
schemas, runs `data.demo.generate` and prints orders/s, rows/s per table, total seconds and
peak RSS. With --payouts it then does what the demo build does after seeding: the initial
`sync_ledger` and `create_demo_payouts` (the last four months computed, the demo partners'
approved and paid), each timed with its own peak RSS (Linux: the high-water mark is reset
before each step). The databases are dropped at the end unless --keep (then their URLs are
printed, e.g. for the query benchmarks).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data.access.viewer import SYSTEM
from data.bookings.ledger import sync_ledger
from data.demo import DemoSummary, berlin_today, generate
from data.demo.payouts import create_demo_payouts
from data.portal_schema import payout_lines, payouts
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
    parser.add_argument(
        "--payouts", action="store_true", help="then sync the ledger and create the demo payouts"
    )
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
            with_payouts=args.payouts,
        )
        if args.keep:
            _analyze(shop_url, portal_url)
            print(f"kept: --magento-url {shop_url} --portal-url {portal_url}")


def _analyze(shop_url: str, portal_url: str) -> None:
    """Statistics for kept databases, as autovacuum and InnoDB's recalculation would gather
    them in time (a server may run without autovacuum): without them PostgreSQL plans the
    1.36M-row ledger as if it were empty and the page benchmarks measure bad plans."""
    started = time.perf_counter()
    portal = create_engine(portal_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    shop = create_engine(shop_url, poolclass=NullPool)
    try:
        with portal.connect() as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        with shop.connect() as conn:
            names = conn.execute(text("SHOW TABLES")).scalars().all()
            # Names read from the server's own catalogue, quoted: no input reaches the SQL.
            conn.execute(text("ANALYZE TABLE " + ", ".join(f"`{n}`" for n in names)))
    finally:
        portal.dispose()
        shop.dispose()
    seconds = time.perf_counter() - started
    print(f"statistics gathered (VACUUM ANALYZE, ANALYZE TABLE): {seconds:.1f} s")


def _reset_peak_rss() -> bool:
    """Reset the process's RSS high-water mark (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb(field: str = "VmHWM") -> float:
    """The RSS high-water mark since the last reset (VmHWM; VmRSS: the RSS now), else the
    process's peak since its start."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _payouts_and_report(db: Databases, *, today: date) -> None:
    """The demo build's steps after seeding: the ledger's first sync, then the demo payouts."""
    _reset_peak_rss()
    before = _peak_rss_mb("VmRSS")
    started = time.perf_counter()
    synced = sync_ledger(SYSTEM, db, notify=False)
    print(
        f"sync_ledger: {time.perf_counter() - started:.1f} s, {synced.items:,} items, "
        f"peak RSS {_peak_rss_mb():,.0f} MB (from {before:,.0f} MB)"
    )
    own_peak = _reset_peak_rss()
    before = _peak_rss_mb("VmRSS")
    started = time.perf_counter()
    issued = create_demo_payouts(db, today=today)
    seconds, peak = time.perf_counter() - started, _peak_rss_mb()
    made, lines, digest = _payouts_digest(db)
    print(
        f"create_demo_payouts: {seconds:.1f} s, {made:,} payouts, {lines:,} lines, "
        f"{issued} credit notes, peak RSS {peak:,.0f} MB (from {before:,.0f} MB)"
        + ("" if own_peak else ", whole process")
    )
    print(f"payouts digest: {digest}")


def _payouts_digest(db: Databases) -> tuple[int, int, str]:
    """(payouts, lines, a hash of what they say): the same seed must give the same digest."""
    digest = hashlib.sha256()
    payout_query = select(
        payouts.c.partner_id,
        payouts.c.period,
        payouts.c.status,
        payouts.c.lines,
        payouts.c.gross,
        payouts.c.commission_gross,
        payouts.c.carried,
        payouts.c.amount,
        payouts.c.expected_date,
    ).order_by(payouts.c.partner_id, payouts.c.period)
    line_query = (
        select(
            payouts.c.partner_id,
            payouts.c.period,
            payout_lines.c.item_id,
            payout_lines.c.kind,
            payout_lines.c.gross,
            payout_lines.c.vat_rate,
            payout_lines.c.commission_rate,
            payout_lines.c.commission_net,
        )
        .select_from(payout_lines.join(payouts))
        .order_by(payouts.c.partner_id, payouts.c.period, payout_lines.c.item_id)
    )
    counts = []
    with db.portal.connect() as conn:
        for query in (payout_query, line_query):
            rows = 0
            result = conn.execution_options(yield_per=10_000).execute(query)
            for row in result:
                digest.update(repr(tuple(row)).encode())
                rows += 1
            counts.append(rows)
    return counts[0], counts[1], digest.hexdigest()[:16]


def seed_and_report(
    shop_url: str,
    portal_url: str,
    *,
    orders: int,
    seed: int,
    today: date,
    with_payouts: bool = False,
) -> None:
    """Create both schemas, generate the demo data and print the figures (also for bench_orders).

    `with_payouts`: then sync the ledger and create the demo payouts, timed (module doc)."""
    shop = make_engine(shop_url, pool=False)
    db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url, pool=False))
    try:
        started = time.perf_counter()
        create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        schema_seconds = time.perf_counter() - started
        summary = generate(db, orders=orders, seed=seed, today=today)
        report(summary, schema_seconds=schema_seconds)
        if with_payouts:
            _payouts_and_report(db, today=today)
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
