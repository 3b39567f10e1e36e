"""Benchmark: the revenue dashboard's monthly figures at a marketplace's size.

Usage (from the project root):

    .venv/bin/python -m bench.bench_revenue [--orders 1000000] [--runs 30] [--warmup 5]
        [--shop-url URL --portal-url URL] [--keep]

Seeds a shop on MariaDB and a portal on PostgreSQL with N orders (bench_orders' seeding, i.e.
bench_demo_seed's `seed_and_report`), runs the initial `sync_ledger` (timed; it maintains the
monthly roll-ups as it goes), times a full `rebuild_rollups` and one incremental
`refresh_orders` of an order, then measures `data.money.revenue.monthly` over 24 months for the
biggest partner ("kochschule") and for all partners (staff), plus the other dashboard calls.

Each figure is p50/p95 over --runs after --warmup, next to two floors:
- statement floor: the very statements the data layer issued, replayed on a raw DBAPI cursor;
- ledger floor: the plain SQL answer without roll-ups, revenue by Berlin month straight from
  the booking ledger (`miomente_bookings`, its partner/booked_at index), i.e. what the
  dashboard would cost without `miomente_revenue_monthly`.
Goals: partner <= 100 ms, all partners <= 500 ms. Then the PostgreSQL plans with the index each
statement uses. The machine has 2 shared cores: figures carry noise.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack

from sqlalchemy import Engine, func, select, text

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL
from bench.bench_orders import (
    PARTNER_SLUG,
    Captured,
    Case,
    Floor,
    Recorder,
    bench_people,
    databases,
    explain,
    p,
    timings,
)
from core.db import Databases, make_engine
from data.access.viewer import SYSTEM, Viewer
from data.bookings.ledger import refresh_orders, sync_ledger
from data.money import revenue
from data.money.revenue import MonthSpan
from data.money.rollup import COUNTED_STATUSES, rebuild_rollups
from data.portal_schema import (
    ROLE_PARTNER,
    ROLE_STAFF,
    bookings,
    revenue_monthly,
)

GOAL_PARTNER_MS, GOAL_ALL_MS = 100.0, 500.0


def ledger_floor_sql(partner_id: int | None, span: MonthSpan) -> tuple[str, dict[str, object]]:
    """Revenue by Berlin month straight from the ledger (PostgreSQL), the no-roll-up answer.

    Values are bind parameters (psycopg's %(name)s); the only interpolated part is the
    ledger's own table name from the schema module.
    """
    params: dict[str, object] = {
        "statuses": list(COUNTED_STATUSES),
        "start": f"{span.first} 00:00",
        "end": f"{revenue._add_months(span.last, 1)} 00:00",
    }
    where = ""
    if partner_id is not None:
        where, params["partner_id"] = "partner_id = %(partner_id)s AND ", int(partner_id)
    berlin = "(%({})s::timestamp AT TIME ZONE 'Europe/Berlin') AT TIME ZONE 'UTC'"
    month = "date_trunc('month', (booked_at AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/Berlin')"
    sums = "SUM(gross - refunded), SUM(tickets), COUNT(DISTINCT order_id)"
    filters = (
        f"{where}status = ANY(%(statuses)s) "
        f"AND booked_at >= {berlin.format('start')} AND booked_at < {berlin.format('end')}"
    )
    sql = f"SELECT {month} AS month, {sums} FROM {bookings.name} WHERE {filters} GROUP BY 1"  # noqa: S608
    return sql, params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--shop-url", help="reuse this shop database (MariaDB)")
    parser.add_argument("--portal-url", help="reuse this portal database (PostgreSQL)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    parser.add_argument("--mysql-url", default=MYSQL_URL, help="admin URL of the MariaDB server")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="admin URL of PostgreSQL")
    args = parser.parse_args()
    if bool(args.shop_url) != bool(args.portal_url):
        parser.error("give both --shop-url and --portal-url, or neither")
    with databases(args) as (shop_url, portal_url), ExitStack() as stack:
        run(args, shop_url, portal_url, stack)


def _analyze(engine: Engine, *tables: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in tables:
            conn.execute(text(f"ANALYZE {name}"))  # our own tables' names, not input


def run(args: argparse.Namespace, shop_url: str, portal_url: str, stack: ExitStack) -> None:
    shop = make_engine(shop_url)
    db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
    stack.callback(db.dispose)

    started = time.perf_counter()
    result = sync_ledger(SYSTEM, db, notify=False)
    print(
        f"initial sync_ledger with roll-ups: {time.perf_counter() - started:.1f} s "
        f"({result.orders:,} orders, {result.items:,} items)",
        flush=True,
    )
    _analyze(db.portal, bookings.name, revenue_monthly.name)
    with db.portal.connect() as conn:
        before = conn.execute(select(func.count()).select_from(revenue_monthly)).scalar_one()
    started = time.perf_counter()
    with db.portal.begin() as conn:
        rebuilt = rebuild_rollups(conn)
    print(
        f"rebuild_rollups: {time.perf_counter() - started:.1f} s, {rebuilt:,} rows "
        f"(incremental sync left {before:,})",
        flush=True,
    )
    _analyze(db.portal, revenue_monthly.name)

    partner_id, user_id, staff_user = bench_people(db)
    with db.portal.connect() as conn:
        newest_order = conn.execute(
            select(bookings.c.order_id)
            .where(bookings.c.partner_id == partner_id)
            .order_by(bookings.c.booked_at.desc())
            .limit(1)
        ).scalar_one()
        counts = conn.execute(
            select(
                func.count(func.distinct(bookings.c.partner_id)),
                func.count(),
            ).select_from(bookings)
        ).one()
        partner_items = conn.execute(
            select(func.count()).where(bookings.c.partner_id == partner_id)
        ).scalar_one()
    print(
        f"ledger: {counts[1]:,} rows of {counts[0]:,} partners; partner {PARTNER_SLUG!r} "
        f"(id {partner_id}): {partner_items:,} booked items; roll-up rows: {rebuilt:,}"
    )

    # One incremental write: what the roll-up refresh adds to a ledger write of one order.
    times = timings(lambda: refresh_orders(SYSTEM, db, order_ids=[newest_order]), runs=10, warmup=2)
    print(
        f"refresh_orders of one order (ledger upsert + roll-up refresh, one transaction): "
        f"p50 {p(times, 0.5):.1f} ms, p95 {p(times, 0.95):.1f} ms"
    )

    partner = Viewer(user_id=user_id, role=ROLE_PARTNER, partner_id=partner_id)
    staff = Viewer(user_id=staff_user, role=ROLE_STAFF)
    span = MonthSpan.last_months(24)
    month = MonthSpan.last_months(1)
    cases = []
    for who, viewer, goal in (("partner", partner, GOAL_PARTNER_MS), ("staff", staff, GOAL_ALL_MS)):
        cases += [
            Case(
                who, "monthly, 24 months", lambda v=viewer: revenue.monthly(v, db, span=span), goal
            ),
            Case(
                who, "summary (+prev, +year)", lambda v=viewer: revenue.summary(v, db, span=month)
            ),
            Case(who, "by_course, 24 months", lambda v=viewer: revenue.by_course(v, db, span=span)),
            Case(
                who, "by_partner, 24 months", lambda v=viewer: revenue.by_partner(v, db, span=span)
            ),
        ]
    ledger_floors = {
        "partner": ledger_floor_sql(partner_id, span),
        "staff": ledger_floor_sql(None, span),
    }
    recorder = Recorder([db.magento, db.portal])
    floor = Floor([db.magento, db.portal])
    stack.callback(floor.close)
    plain: dict[str, list[float]] = {}
    for who, (sql, params) in ledger_floors.items():
        statement = [Captured(db.portal, sql, params)]
        plain[who] = timings(
            lambda s=statement: floor.run(s), runs=max(5, args.runs // 3), warmup=2
        )
        print(f"  ledger floor {who:<8} p50 {p(plain[who], 0.5):8.1f} ms", flush=True)
    for case in cases:
        case.call()
        with recorder.capture() as captured:
            case.call()
        case.statements = list(captured)
        case.layer = timings(case.call, runs=args.runs, warmup=args.warmup)
        case.floor = timings(
            lambda c=case: floor.run(c.statements), runs=args.runs, warmup=args.warmup
        )
        print(
            f"  measured {case.who:<8} {case.name:<24} p50 {p(case.layer, 0.5):8.1f} ms",
            flush=True,
        )

    print()
    print(
        f"runs={args.runs} warmup={args.warmup}; ms; 'stmt floor' = the layer's own statements "
        "on a raw cursor; 'ledger floor' = revenue by month straight from the ledger"
    )
    header = (
        f"{'viewer':<8} {'query':<24} {'stmts':>5} {'p50':>8} {'p95':>8} {'stmt fl':>8} "
        f"{'ratio':>6} {'ledger fl':>9} {'ratio':>6}  goal"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        lp50, fp50 = p(case.layer, 0.5), p(case.floor, 0.5)
        ledger_p50 = p(plain[case.who], 0.5)
        goal = ""
        if case.goal_ms is not None:
            goal = f"<={case.goal_ms:.0f} ms {'ok' if lp50 <= case.goal_ms else 'MISS'}"
        print(
            f"{case.who:<8} {case.name:<24} {len(case.statements):>5} {lp50:>8.1f} "
            f"{p(case.layer, 0.95):>8.1f} {fp50:>8.1f} {lp50 / fp50:>6.2f} {ledger_p50:>9.1f} "
            f"{lp50 / ledger_p50:>6.3f}  {goal}"
        )

    print("\nEXPLAIN (statements as the data layer issued them)")
    for case in cases:
        if case.name.startswith("monthly"):
            print(f"\n== {case.who}: {case.name}")
            for line in explain(case, floor, db):
                print(line)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
