"""Orchestration: `generate()` fills empty schemas; demo mode builds two SQLite files once.

`generate()` plans the world, loads the portal rows, then streams catalog, dates and orders
into the shop. `ensure_demo()` is demo mode's start-up: it builds the SQLite files once
(under a file lock, into temp files that are renamed into place) and reopens them afterwards;
`rebuild_demo()` always rebuilds them.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select

from core.db import Databases, make_engine, open_databases
from core.migrate import upgrade_portal
from core.periods import berlin_today
from core.settings import Settings
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.bookings.ledger import sync_ledger
from data.demo.load import L_DATES, LANES, Layout, Loader, Rows, loader_for
from data.demo.marketing import add_demo_marketing
from data.demo.messages import queue_demo_messages
from data.demo.minimums import add_demo_minimums
from data.demo.news import add_demo_news
from data.demo.orders import OrderMaker
from data.demo.payouts import create_demo_payouts
from data.demo.plan import World, catalog_rows, plan_world, portal_rows
from data.demo.requests import create_demo_requests
from data.demo.review_requests import add_demo_review_requests
from data.demo.reviews import add_demo_review_answers
from data.demo.search_queries import add_demo_search_queries
from data.demo.sms import add_demo_sms
from data.demo.team import add_demo_team
from data.demo.waitlist import add_demo_waitlist
from data.shop import schema as m

DEFAULT_ORDERS = 10_000
DEFAULT_SEED = 42
# Bump when the generated content changes shape: existing demo files are then rebuilt.
DEMO_FORMAT = 8
MARKER_NAME = "demo.json"
MAGENTO_FILE, PORTAL_FILE = "magento.sqlite", "portal.sqlite"
ORDER_CHUNK = 10_000
DATE_CHUNK = 20_000


@dataclass(frozen=True)
class DemoSummary:
    partners: int
    courses: int
    dates: int
    orders: int
    items: int
    reviews: int
    seconds: float
    # (table, rows, seconds spent loading it) for benchmarks; loading overlaps generation.
    tables: tuple[tuple[str, int, float], ...] = ()

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.partners:,} partners, {self.courses:,} courses, {self.dates:,} dates, "
            f"{self.orders:,} orders, {self.items:,} items, {self.reviews:,} reviews "
            f"in {self.seconds:.1f} s ({self.orders_per_second:,.0f} orders/s)"
        )


# =============================================================================================
# generate(): empty schemas in, demo data out
# =============================================================================================


def _noon_utc(today: date) -> datetime:
    """'Now' for the generated data: noon of the demo's today (naive UTC, like the shop)."""
    return datetime.combine(today, clock_time(11, 0))


class NotEmptyError(RuntimeError):
    """generate() writes into empty schemas only."""


def _check_empty(db: Databases) -> None:
    with db.portal.connect() as conn:
        if conn.execute(select(func.count()).select_from(p.partners)).scalar():
            raise NotEmptyError(
                "The portal database already has partners; demo data needs it empty."
            )
    with db.magento.connect() as conn:
        for table in (m.sales_order, m.catalog_product_entity):
            if conn.execute(select(func.count()).select_from(table)).scalar():
                raise NotEmptyError(f"The shop table {table.name} is not empty.")


def _feed(loader: Loader, batches: Iterator[tuple[Layout, Rows]]) -> Loader:
    try:
        for layout, rows in batches:
            loader.load(layout, rows)
            del rows  # not held while the next batch is made
    except BaseException:
        loader.abort()
        raise
    loader.finish()
    return loader


def _shop_batches(
    rng: random.Random, world: World, maker: OrderMaker
) -> Iterator[tuple[Layout, Rows]]:
    yield from catalog_rows(rng, world).items()
    for begin in range(0, len(world.dates), DATE_CHUNK):
        yield L_DATES, world.dates.rows(begin, begin + DATE_CHUNK)
    world.dates.clear()  # loaded; the orders book on each course's own arrays
    for chunk in maker.chunks(ORDER_CHUNK):
        # Popped, not iterated: each table's rows are freed once loaded, and no chunk is
        # still held while the next one is made.
        for layout in list(chunk):
            yield layout, chunk.pop(layout)


def generate(
    db: Databases, *, orders: int = DEFAULT_ORDERS, seed: int = DEFAULT_SEED, today: date
) -> DemoSummary:
    """Fill empty shop and portal schemas with demo data; same arguments, same rows."""
    if orders < 1:
        raise ValueError("orders must be at least 1")
    started = time.perf_counter()
    _check_empty(db)
    rng = random.Random(seed)
    world = plan_world(rng, orders, today)
    dates = len(world.dates)  # the columns are freed once loaded
    portal = _feed(loader_for(db.portal, lanes=1), iter(portal_rows(world, seed).items()))
    maker = OrderMaker(rng, world, orders)
    shop = _feed(loader_for(db.magento, lanes=LANES), _shop_batches(rng, world, maker))
    queue_demo_messages(db, now=_noon_utc(today))
    add_demo_waitlist(db, now=_noon_utc(today), seed=seed)
    add_demo_news(db, now=_noon_utc(today))
    add_demo_search_queries(db, now=_noon_utc(today), seed=seed)
    add_demo_minimums(db, now=_noon_utc(today))  # one date per partner asks "durchführen?"
    add_demo_marketing(db, now=_noon_utc(today), seed=seed)  # images, pages, quality scores
    add_demo_review_answers(db, now=_noon_utc(today))  # answered, pending and rejected
    rows = {**portal.stats.rows, **shop.stats.rows}
    seconds = {**portal.stats.seconds, **shop.stats.seconds}
    return DemoSummary(
        partners=len(world.partners),
        courses=len(world.courses),
        dates=dates,
        orders=rows.get(m.sales_order.name, 0),
        items=maker.items_total,
        reviews=maker.reviews_total,
        seconds=time.perf_counter() - started,
        tables=tuple((name, count, round(seconds[name], 3)) for name, count in rows.items()),
    )


# =============================================================================================
# Demo mode: two SQLite files, built once
# =============================================================================================


def _demo_paths(demo_dir: Path) -> tuple[Path, Path, Path]:
    return demo_dir / MAGENTO_FILE, demo_dir / PORTAL_FILE, demo_dir / MARKER_NAME


def _is_complete(demo_dir: Path) -> bool:
    magento, portal, marker = _demo_paths(demo_dir)
    if not (magento.is_file() and portal.is_file() and marker.is_file()):
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("format") == DEMO_FORMAT


@contextmanager
def _demo_lock(demo_dir: Path) -> Iterator[None]:
    """One builder at a time, across threads (Streamlit sessions) and processes."""
    demo_dir.mkdir(parents=True, exist_ok=True)
    with open(demo_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _build_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}", pool=False)

    # SQLite only, and only for the temp files of a build: a crash just means a rebuild, so
    # journaling and fsync would buy nothing. The app reopens the files in WAL mode.
    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()

    return engine


def _build_demo(demo_dir: Path, *, orders: int, seed: int, today: date) -> DemoSummary:
    """Build both files next to their final place, then rename them in; call under the lock."""
    magento, portal, marker = _demo_paths(demo_dir)
    marker.unlink(missing_ok=True)
    tmp_magento = demo_dir / f".{MAGENTO_FILE}.building"
    tmp_portal = demo_dir / f".{PORTAL_FILE}.building"
    for path in (tmp_magento, tmp_portal):
        _remove_sqlite(path)
    db = Databases(
        magento=(shop := _build_engine(tmp_magento)),
        magento_read=shop,
        portal=_build_engine(tmp_portal),
    )
    try:
        m.create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        summary = generate(db, orders=orders, seed=seed, today=today)
        # Pages open on a filled booking ledger; the history announces nothing to partners.
        sync_ledger(SYSTEM, db, notify=False)
        create_demo_payouts(db, today=today)  # past months settled, credit notes issued
        create_demo_requests(db, today=today)  # open, answered and expired Terminanfragen
        add_demo_sms(db, now=_noon_utc(today))  # the Kochschule's SMS reminders (needs the ledger)
        add_demo_review_requests(db, now=_noon_utc(today))  # sent requests (needs the ledger)
        add_demo_team(db, now=_noon_utc(today))  # the Kochschule's team of three
    except BaseException:
        db.dispose()
        for path in (tmp_magento, tmp_portal):
            _remove_sqlite(path)
        raise
    db.dispose()
    for tmp, final in ((tmp_magento, magento), (tmp_portal, portal)):
        _remove_sqlite(final)  # a stale -wal next to a new file would corrupt it
        os.replace(tmp, final)
    info = {
        "format": DEMO_FORMAT,
        "orders": orders,
        "seed": seed,
        "today": today.isoformat(),
        "summary": summary.line(),
    }
    tmp_marker = demo_dir / f".{MARKER_NAME}.tmp"
    tmp_marker.write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp_marker, marker)  # written last: its presence means "complete"
    return summary


def _open_demo(demo_dir: Path) -> Databases:
    magento, portal, _marker = _demo_paths(demo_dir)
    return open_databases(magento_url=f"sqlite:///{magento}", portal_url=f"sqlite:///{portal}")


def ensure_demo(settings: Settings) -> Databases:
    """Open the demo databases, building them first if they are missing or incomplete."""
    demo_dir = Path(settings.demo_dir)
    with _demo_lock(demo_dir):
        if not _is_complete(demo_dir):
            _build_demo(demo_dir, orders=DEFAULT_ORDERS, seed=DEFAULT_SEED, today=berlin_today())
        else:
            # Code may have gained a migration or a shop table since the files were built.
            db = _open_demo(demo_dir)
            try:
                m.create_shop_schema(db.magento)
                upgrade_portal(db.portal)
            finally:
                db.dispose()
    return _open_demo(demo_dir)


def rebuild_demo(
    demo_dir: Path,
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
) -> DemoSummary:
    """Delete and rebuild the demo files (the CLI without URLs)."""
    with _demo_lock(demo_dir):
        return _build_demo(demo_dir, orders=orders, seed=seed, today=today or berlin_today())
