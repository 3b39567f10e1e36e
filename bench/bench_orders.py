"""Benchmark: the Bestellungen data layer (booking ledger + order detail) at a marketplace's size.

Usage (from the project root):

    .venv/bin/python -m bench.bench_orders [--orders 1000000] [--runs 30] [--warmup 5]
        [--shop-url URL --portal-url URL] [--keep] [--app-runs 10]

Without URLs it seeds a shop on MariaDB and a portal on PostgreSQL (bench_demo_seed's helpers,
`data.demo.generate`) with N orders; with --shop-url/--portal-url it reuses databases that
`bench_demo_seed --keep` left behind. Then it runs the initial `sync_ledger` (timed), VACUUMs
(ANALYZE) the ledger as autovacuum would after such a load (so counts can read the index
only) and measures, for the biggest partner ("kochschule") and for staff (all partners):

- first page (50 rows) filtered: status new+confirmed, booked in the last 12 months, booked_desc
- page 200 unfiltered
- the count alone (the unfiltered view's count statement)
- order detail (get_order)
- CSV export of ~5,000 rows (plus tracemalloc peak in a separate run)

each as p50/p95 over --runs after --warmup, next to its FLOOR: the very statements the data
layer issued (captured with a `before_cursor_execute` listener) run directly on a DBAPI
cursor, fetched completely. ratio = data layer p50 / floor p50. Then the plans (PostgreSQL
`EXPLAIN (ANALYZE, BUFFERS)` for ledger statements, MariaDB `EXPLAIN` for the detail's shop
statements) with the index each statement uses, and a whole Bestellungen rerun with AppTest.

Goals: data layer <= 1.3x floor; first page <= 50 ms; whole Bestellungen rerun <= 1 s;
export peak memory < 200 MB. The machine has 2 shared cores: figures carry noise.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, event, func, select, text

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL, scratch_database, seed_and_report
from core import i18n, periods
from core.db import Databases, make_engine
from data.access.viewer import SYSTEM, Viewer
from data.bookings import listing as bk
from data.bookings.ledger import sync_ledger
from data.bookings.orders import get_order
from data.demo import berlin_today
from data.portal_schema import (
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    ROLE_PARTNER,
    ROLE_STAFF,
    partners,
    users,
)
from data.portal_schema import bookings as ledger

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARTNER_SLUG = "kochschule"
EXPORT_ROWS = 5000
GOAL_RATIO, GOAL_FIRST_PAGE_MS, GOAL_RERUN_MS, GOAL_EXPORT_MB = 1.3, 50.0, 1000.0, 200.0


# --- capturing and replaying statements --------------------------------------------------------


@dataclass
class Captured:
    engine: Engine
    statement: str
    parameters: object


@dataclass
class Recorder:
    """Records every statement the given engines send to their cursors while `active`."""

    engines: list[Engine]
    active: bool = False
    statements: list[Captured] = field(default_factory=list)

    def __post_init__(self) -> None:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._listener(engine))

    def _listener(self, engine: Engine) -> Callable:
        def before(_conn, _cursor, statement, parameters, _context, executemany) -> None:
            if self.active and not executemany:
                self.statements.append(Captured(engine, statement, parameters))

        return before

    @contextmanager
    def capture(self) -> Iterator[list[Captured]]:
        self.statements = []
        self.active = True
        try:
            yield self.statements
        finally:
            self.active = False


class Floor:
    """The captured statements replayed on raw DBAPI connections (one per engine, kept open)."""

    def __init__(self, engines: list[Engine]) -> None:
        self.raw = {id(e): e.raw_connection() for e in engines}

    def run(self, statements: list[Captured]) -> int:
        rows = 0
        used = set()
        for s in statements:
            conn = self.raw[id(s.engine)]
            used.add(id(s.engine))
            cursor = conn.cursor()
            cursor.execute(s.statement, s.parameters or None)
            rows += len(cursor.fetchall())
            cursor.close()
        for key in used:
            self.raw[key].rollback()  # as the pool does when a connection is returned
        return rows

    def close(self) -> None:
        for conn in self.raw.values():
            conn.close()


def timings(fn: Callable[[], object], *, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_people(db: Databases) -> tuple[int, int, int]:
    """(partner id, its first user, a staff user) of the measured partner PARTNER_SLUG."""
    with db.portal.connect() as conn:
        partner_id = conn.execute(
            select(partners.c.partner_id).where(partners.c.slug == PARTNER_SLUG)
        ).scalar_one()
        user_id = conn.execute(
            select(users.c.user_id)
            .where(users.c.partner_id == partner_id, users.c.role == ROLE_PARTNER)
            .order_by(users.c.user_id)
            .limit(1)
        ).scalar_one()
        staff_user = conn.execute(
            select(users.c.user_id).where(users.c.role == ROLE_STAFF).limit(1)
        ).scalar_one()
    return partner_id, user_id, staff_user


# --- the cases ---------------------------------------------------------------------------------


@dataclass
class Case:
    who: str
    name: str
    call: Callable[[], object]
    goal_ms: float | None = None
    statements: list[Captured] = field(default_factory=list)
    layer: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    note: str = ""


def export_since(db: Databases, viewer: Viewer) -> tuple[bk.BookingFilter, str]:
    """A booked_from day so that about EXPORT_ROWS rows match (all rows if fewer)."""
    where = bk._where(viewer, bk.BookingFilter())
    with db.portal.connect() as conn:
        total = conn.execute(select(func.count()).select_from(ledger).where(*where)).scalar_one()
        if total <= EXPORT_ROWS:
            return bk.BookingFilter(), f"all {total:,} rows"
        # The day of the EXPORT_ROWS-th newest booking, plus one: just under EXPORT_ROWS rows,
        # unless that leaves too few; then that day itself.
        nth = conn.execute(
            select(ledger.c.booked_at)
            .where(*where)
            .order_by(ledger.c.booked_at.desc())
            .offset(EXPORT_ROWS - 1)
            .limit(1)
        ).scalar_one()
    day = i18n.to_berlin(nth).date()
    return bk.BookingFilter(booked_from=day), f"booked from {day}"


def ledger_cases(db: Databases, viewer: Viewer, who: str, order_id: int) -> list[Case]:
    today = periods.berlin_today()
    filtered = bk.BookingFilter(
        booked_from=today - timedelta(days=365),
        booked_to=today,
        statuses=(BOOKING_NEW, BOOKING_CONFIRMED),
    )
    export_filter, export_note = export_since(db, viewer)
    count_query = (
        select(func.count()).select_from(ledger).where(*bk._where(viewer, bk.BookingFilter()))
    )

    def count() -> int:
        with db.portal.connect() as conn:
            return int(conn.execute(count_query).scalar_one())

    def export() -> int:
        return bk.export_csv(viewer, db, out=io.BytesIO(), filters=export_filter)

    return [
        Case(
            who,
            "first page, filtered",
            lambda: bk.list_bookings(viewer, db, filters=filtered, sort="booked_desc"),
            GOAL_FIRST_PAGE_MS,
        ),
        Case(who, "page 200, unfiltered", lambda: bk.list_bookings(viewer, db, page=200)),
        Case(who, "count, unfiltered", count),
        Case(who, "order detail", lambda: get_order(viewer, db, order_id=order_id)),
        Case(who, "export CSV", export, note=export_note),
    ]


def explain(case: Case, floor: Floor, db: Databases) -> list[str]:
    """Plan lines of each statement of the case and the indexes they name."""
    lines = []
    for s in case.statements:
        conn = floor.raw[id(s.engine)]
        cursor = conn.cursor()
        head = " ".join(s.statement.split())[:150]
        if s.engine is db.portal:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + s.statement, s.parameters or None)
            plan = [r[0] for r in cursor.fetchall()]
            found = re.findall(
                r"(Index Only Scan|Index Scan|Bitmap Index Scan)"
                r"(?: Backward)? (?:using|on) (\w+)",
                "\n".join(plan),
            )
            seq = re.findall(r"Seq Scan on (\w+)", "\n".join(plan))
            uses = [f"{kind}: {name}" for kind, name in found] + [f"Seq Scan {t}" for t in seq]
            lines.append(f"  [pg] {head}")
            lines.append(f"       uses: {', '.join(dict.fromkeys(uses)) or '-'}")
            lines += [f"       | {row}" for row in plan]
        else:
            cursor.execute("EXPLAIN " + s.statement, s.parameters or None)
            names = [d[0] for d in cursor.description]
            rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
            lines.append(f"  [mariadb] {head}")
            for r in rows:
                lines.append(
                    f"       table={r.get('table')} type={r.get('type')} key={r.get('key')} "
                    f"rows={r.get('rows')} extra={r.get('Extra')}"
                )
        cursor.close()
        conn.rollback()
    return lines


# --- AppTest rerun -----------------------------------------------------------------------------


def app_rerun(shop_url: str, portal_url: str, user_id: int, runs: int) -> tuple[list[float], str]:
    from streamlit.testing.v1 import AppTest

    tmp = tempfile.mkdtemp(prefix="mio_bench_app_")
    os.environ.update(
        MIOMENTE_MAGENTO_URL=shop_url,
        MIOMENTE_PORTAL_URL=portal_url,
        MIOMENTE_COOKIE_KEY="b" * 40,
        MIOMENTE_DEMO_DIR=tmp,
    )
    at = AppTest.from_file(str(PROJECT_ROOT / "Home.py"), default_timeout=120)
    at.session_state["auth_user_id"] = user_id
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.run()
    problem = "; ".join([e.message for e in at.exception] + [str(e.value) for e in at.error])[:300]
    times = timings(at.run, runs=runs, warmup=2)
    title = at.title[0].value if at.title else "?"
    return times, f"title {title!r}, {len(at.dataframe)} dataframe(s)" + (
        f", EXCEPTION: {problem}" if problem else ""
    )


# --- main --------------------------------------------------------------------------------------


@contextmanager
def databases(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    if args.shop_url and args.portal_url:
        yield args.shop_url, args.portal_url
        return
    with (
        scratch_database(args.mysql_url, keep=args.keep) as shop_url,
        scratch_database(args.postgres_url, keep=args.keep) as portal_url,
    ):
        seed_and_report(
            shop_url, portal_url, orders=args.orders, seed=args.seed, today=berlin_today()
        )
        yield shop_url, portal_url
        if args.keep:
            print(f"kept: --shop-url {shop_url} --portal-url {portal_url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--app-runs", type=int, default=10)
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


def run(args: argparse.Namespace, shop_url: str, portal_url: str, stack: ExitStack) -> None:
    shop = make_engine(shop_url)  # pooled, as the app's engines are
    db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
    stack.callback(db.dispose)

    started = time.perf_counter()
    result = sync_ledger(SYSTEM, db, notify=False)
    print(
        f"initial sync_ledger: {time.perf_counter() - started:.1f} s "
        f"({result.orders:,} orders, {result.items:,} items)"
    )
    with db.portal.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        started = time.perf_counter()
        # Our own table's name, not input. Autovacuum does the same soon after a bulk load.
        conn.execute(text(f"VACUUM (ANALYZE) {ledger.name}"))  # our own table's name, not input
        print(f"VACUUM (ANALYZE) {ledger.name}: {time.perf_counter() - started:.1f} s")
    with db.magento.connect() as conn:
        shop_orders = conn.execute(text("SELECT COUNT(*) FROM sales_order")).scalar_one()
        buffer_pool = conn.execute(text("SELECT @@innodb_buffer_pool_size")).scalar_one()
    print(f"shop: {shop_orders:,} orders; MariaDB buffer pool {int(buffer_pool) / 2**20:,.0f} MB")

    partner_id, user_id, staff_user = bench_people(db)
    with db.portal.connect() as conn:
        partner_order = conn.execute(
            select(ledger.c.order_id)
            .where(ledger.c.partner_id == partner_id)
            .order_by(ledger.c.booked_at.desc())
            .limit(1)
        ).scalar_one()
        # Staff: an order with several items (several partners where possible), mid-history.
        staff_order = (
            conn.execute(
                select(ledger.c.order_id)
                .group_by(ledger.c.order_id)
                .having(func.count(func.distinct(ledger.c.partner_id)) > 1)
                .order_by(ledger.c.order_id)
                .limit(1)
            ).scalar_one_or_none()
            or partner_order
        )
        ledger_rows = conn.execute(select(func.count()).select_from(ledger)).scalar_one()
    partner = Viewer(user_id=user_id, role=ROLE_PARTNER, partner_id=partner_id)
    staff = Viewer(user_id=staff_user, role=ROLE_STAFF)
    partner_total = bk.list_bookings(partner, db).total
    print(
        f"ledger: {ledger_rows:,} rows; partner {PARTNER_SLUG!r} (id {partner_id}, user "
        f"{user_id}): {partner_total:,} bookings; detail orders: partner {partner_order}, "
        f"staff {staff_order}"
    )

    recorder = Recorder([db.magento, db.portal])
    floor = Floor([db.magento, db.portal])
    stack.callback(floor.close)
    cases = ledger_cases(db, partner, "partner", partner_order)
    cases += ledger_cases(db, staff, "staff", staff_order)
    for case in cases:
        case.call()  # warm the pool and the caches once before capturing
        with recorder.capture() as captured:
            case.call()
        case.statements = list(captured)
        case.layer = timings(case.call, runs=args.runs, warmup=args.warmup)
        case.floor = timings(
            lambda c=case: floor.run(c.statements), runs=args.runs, warmup=args.warmup
        )
        print(
            f"  measured {case.who:<8} {case.name:<24} p50 {p(case.layer, 0.5):8.1f} ms, "
            f"floor {p(case.floor, 0.5):8.1f} ms",
            flush=True,
        )

    # Export memory: a separate run under tracemalloc (it slows Python down, so not timed).
    peaks = {}
    for case in cases:
        if case.name == "export CSV":
            tracemalloc.start()
            rows = case.call()
            peaks[case.who] = (tracemalloc.get_traced_memory()[1] / 2**20, rows)
            tracemalloc.stop()

    print()
    print(f"runs={args.runs} warmup={args.warmup}; times in ms; ratio = data layer p50 / floor p50")
    header = (
        f"{'viewer':<8} {'query':<24} {'stmts':>5} {'layer p50':>9} {'p95':>8} "
        f"{'floor p50':>9} {'p95':>8} {'ratio':>6}  goal"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        lp50, fp50 = p(case.layer, 0.5), p(case.floor, 0.5)
        ratio = lp50 / fp50 if fp50 else float("nan")
        goals = [f"ratio<={GOAL_RATIO} {'ok' if ratio <= GOAL_RATIO else 'MISS'}"]
        if case.goal_ms is not None:
            goals.append(f"<={case.goal_ms:.0f} ms {'ok' if lp50 <= case.goal_ms else 'MISS'}")
        extra = f" ({case.note})" if case.note else ""
        print(
            f"{case.who:<8} {case.name:<24} {len(case.statements):>5} {lp50:>9.1f} "
            f"{p(case.layer, 0.95):>8.1f} {fp50:>9.1f} {p(case.floor, 0.95):>8.1f} "
            f"{ratio:>6.2f}  {'; '.join(goals)}{extra}"
        )
    for who, (peak, rows) in peaks.items():
        verdict = "ok" if peak < GOAL_EXPORT_MB else "MISS"
        print(
            f"export peak (tracemalloc) {who}: {peak:,.1f} MB for {rows:,} rows "
            f"(goal < {GOAL_EXPORT_MB:.0f} MB: {verdict})"
        )

    print("\nEXPLAIN (statements as the data layer issued them)")
    for case in cases:
        print(f"\n== {case.who}: {case.name}")
        for line in explain(case, floor, db):
            print(line)

    if args.app_runs > 0:
        times, note = app_rerun(shop_url, portal_url, user_id, args.app_runs)
        verdict = "ok" if p(times, 0.5) <= GOAL_RERUN_MS else "MISS"
        print(
            f"\nBestellungen rerun (AppTest, partner {PARTNER_SLUG}): p50 {p(times, 0.5):.0f} ms, "
            f"p95 {p(times, 0.95):.0f} ms, min {min(times):.0f} ms over {len(times)} runs "
            f"(goal <= {GOAL_RERUN_MS:.0f} ms: {verdict}); {note}"
        )
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
