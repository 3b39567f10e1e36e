"""Table layouts, value formatting and the loaders that write rows into the databases.

A layout names a table's columns and how each value is written. `loader_for()` picks the
loader: the portable Core loader (executemany in one transaction, used for SQLite), or for
MariaDB/PostgreSQL a pipelined loader whose threads feed the server through the clearly
marked dialect-specific bulk part (LOAD DATA / COPY of TSV text).
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, Index, Table, create_engine, insert
from sqlalchemy.pool import NullPool

from data import portal_schema as p
from data.demo.clock import to_datetime, ts_text
from data.shop import schema as m

# =============================================================================================
# Table layouts. One letter per column tells the loaders how to write the value:
#   i  int or plain text, never NULL        n  int or plain text, may be NULL
#   e  text that may need escaping / NULL   m  money in cents          M  money or NULL
#   t  epoch seconds (naive UTC)            b  bool                    d  Decimal
# =============================================================================================


@dataclass(frozen=True, eq=False)  # hashed by identity: a dict key in the hot loop
class Layout:
    table: Table
    columns: tuple[str, ...]
    kinds: str

    def __post_init__(self) -> None:
        assert len(self.columns) == len(self.kinds), self.table.name
        assert all(c in self.table.c for c in self.columns), self.table.name


def _layout(table: Table, spec: str) -> Layout:
    pairs = [item.split(":") for item in spec.split()]
    return Layout(table, tuple(c for c, _k in pairs), "".join(k for _c, k in pairs))


# fmt: off
L_PARTNERS = _layout(p.partners, (
    "partner_id:i slug:i name:i kind:i legal_name:i street:i postcode:i city:i country_id:i "
    "email:i phone:n tax_number:n vat_id:n commission_rate:d small_business:b active:b "
    "created_at:t updated_at:t"
))
L_USERS = _layout(p.users, (
    "user_id:i username:i display_name:i email:i password_hash:i role:i partner_id:n locale:i "
    "failed_attempts:i active:b created_at:t"
))
L_COURSES = _layout(p.courses, "course_id:i partner_id:i product_id:i sku:i created_at:t")
L_PRODUCTS = _layout(m.catalog_product_entity,
                     "entity_id:i attribute_set_id:i type_id:i sku:i created_at:t updated_at:t")
_EAV = "value_id:i attribute_id:i store_id:i entity_id:i value:{}"
L_VARCHAR = _layout(m.catalog_product_entity_varchar, _EAV.format("e"))
L_TEXT = _layout(m.catalog_product_entity_text, _EAV.format("e"))
L_DECIMAL = _layout(m.catalog_product_entity_decimal, _EAV.format("m"))
L_INT = _layout(m.catalog_product_entity_int, _EAV.format("i"))
L_DATES = _layout(m.miomente_course_date, (
    "date_id:i product_id:i starts_at:t ends_at:t seats_total:i price:m status:i series_id:n "
    "created_at:t updated_at:t"
))
L_ORDERS = _layout(m.sales_order, (
    "entity_id:i increment_id:i state:i status:i store_id:i customer_id:n customer_email:i "
    "customer_firstname:i customer_lastname:i customer_is_guest:i grand_total:m subtotal:m "
    "tax_amount:m discount_amount:m total_paid:M total_refunded:M total_qty_ordered:i "
    "order_currency_code:i created_at:t updated_at:t"
))
L_ITEMS = _layout(m.sales_order_item, (
    "item_id:i order_id:i parent_item_id:n product_id:i sku:i name:i product_type:i "
    "qty_ordered:i qty_canceled:i qty_refunded:i price:m row_total:m row_total_incl_tax:m "
    "tax_amount:m tax_percent:i discount_amount:m amount_refunded:m product_options:e "
    "created_at:t updated_at:t miomente_date_id:i"
))
L_HISTORY = _layout(m.sales_order_status_history, (
    "entity_id:i parent_id:i is_customer_notified:i is_visible_on_front:i comment:e status:i "
    "created_at:t entity_name:i"
))
L_PAYMENTS = _layout(m.sales_order_payment, (
    "entity_id:i parent_id:i method:i amount_ordered:m amount_paid:M amount_refunded:M"
))
L_ADDRESSES = _layout(m.sales_order_address, (
    "entity_id:i parent_id:i address_type:i firstname:i lastname:i company:n street:i city:i "
    "postcode:i country_id:i email:i telephone:n"
))
L_REVIEWS = _layout(m.review, "review_id:i created_at:t entity_id:i entity_pk_value:i status_id:i")
L_REVIEW_DETAILS = _layout(m.review_detail, (
    "detail_id:i review_id:i store_id:i title:e detail:e nickname:i customer_id:n"
))
L_VOTES = _layout(m.rating_option_vote, (
    "vote_id:i option_id:i remote_ip:i remote_ip_long:i customer_id:n entity_pk_value:i "
    "rating_id:i review_id:i percent:i value:i"
))
# fmt: on
ORDER_LAYOUTS = (
    L_ORDERS,
    L_ITEMS,
    L_HISTORY,
    L_PAYMENTS,
    L_ADDRESSES,
    L_REVIEWS,
    L_REVIEW_DETAILS,
    L_VOTES,
)

Rows = list[tuple[Any, ...]]


# =============================================================================================
# Loading: value conversion, the portable Core loader, and the dialect-specific bulk loaders
# =============================================================================================


@cache  # prices repeat endlessly
def _money_text(cents: int) -> str:
    if cents < 0:
        return "-" + _money_text(-cents)
    return f"{cents // 100}.{cents % 100:02d}"


def _escape(value: str | None) -> str:
    if value is None:
        return "\\N"
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


def _null_text(value: object) -> str:
    return "\\N" if value is None else str(value)


def _money_or_null(cents: int | None) -> str:
    return "\\N" if cents is None else _money_text(cents)


_TSV_PARTS = {
    "i": "{r[%d]}",
    "n": "{_n(r[%d])}",
    "e": "{_e(r[%d])}",
    "m": "{_m(r[%d])}",
    "M": "{_M(r[%d])}",
    "t": "{_t(r[%d])}",
    "b": "{_b[r[%d]]}",
    "d": "{r[%d]}",
}


@cache
def _tsv_formatter(kinds: str) -> Callable[[tuple[Any, ...]], str]:
    """One compiled f-string per layout: about three times faster than a loop per field."""
    body = "\t".join(_TSV_PARTS[k] % n for n, k in enumerate(kinds))
    source = f'lambda r: f"{body}\\n"'.replace("\t", "\\t")
    helpers = {
        "_n": _null_text,
        "_e": _escape,
        "_m": _money_text,
        "_M": _money_or_null,
        "_t": ts_text,
        "_b": {True: "1", False: "0"},
    }
    return eval(source, helpers)  # source is built only from the constant parts above


def _tsv(layout: Layout, rows: Rows) -> str:
    """PostgreSQL COPY text format, which is also MySQL's LOAD DATA default format."""
    return "".join(map(_tsv_formatter(layout.kinds), rows))


# Rows formatted and written at a time: the text of a whole chunk (up to ~20 MB while it is
# joined and encoded) would add to the peak memory of a big seed.
_TSV_SLICE = 5_000


def _write_tsv(path: Path, layout: Layout, rows: Rows) -> None:
    """`_tsv` into a file, a slice of rows at a time."""
    line = _tsv_formatter(layout.kinds)
    with path.open("w", encoding="utf-8", newline="") as out:
        for begin in range(0, len(rows), _TSV_SLICE):
            out.write("".join(map(line, rows[begin : begin + _TSV_SLICE])))


def _python_values(layout: Layout, rows: Rows) -> list[dict[str, Any]]:
    def money(c: int | None) -> Decimal | None:
        return None if c is None else Decimal(c).scaleb(-2)

    def ts(s: int | None) -> datetime | None:
        return None if s is None else to_datetime(s)

    convert = [{"m": money, "M": money, "t": ts}.get(k) for k in layout.kinds]
    cols = layout.columns
    out = []
    for row in rows:
        values = [f(v) if f else v for f, v in zip(convert, row, strict=True)]
        out.append(dict(zip(cols, values, strict=True)))
    return out


class _Stats:
    """Rows and loading seconds per table (each table is loaded by one thread only)."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    def add(self, name: str, rows: int, seconds: float) -> None:
        self.rows[name] = self.rows.get(name, 0) + rows
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds


class Loader(Protocol):
    stats: _Stats

    def load(self, layout: Layout, rows: Rows) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class _CoreLoader:
    """Portable: Core insert executemany, everything in one transaction (used for SQLite)."""

    BATCH = 5_000

    def __init__(self, engine: Engine) -> None:
        self.stats = _Stats()
        self._conn = engine.connect()
        self._trans = self._conn.begin()

    def load(self, layout: Layout, rows: Rows) -> None:
        started = time.perf_counter()
        for begin in range(0, len(rows), self.BATCH):
            batch = _python_values(layout, rows[begin : begin + self.BATCH])
            self._conn.execute(insert(layout.table), batch)
        self.stats.add(layout.table.name, len(rows), time.perf_counter() - started)

    def finish(self) -> None:
        self._trans.commit()
        self._conn.close()

    def abort(self) -> None:
        self._trans.rollback()
        self._conn.close()


class _Bulk(Protocol):
    """A server bulk path: `prepare` runs in the generating thread, `write` in a loader thread."""

    def prepare(self, layout: Layout, rows: Rows) -> Any: ...
    def write(self, layout: Layout, payload: Any) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


# ---------------------------------------------------------------------------------------------
# DIALECT-SPECIFIC BULK LOADING. The only non-portable SQL of this module: LOAD DATA for
# MySQL/MariaDB, COPY for PostgreSQL, plus PostgreSQL's sequence reset after explicit ids.
# Table and column names come from the SQLAlchemy metadata and are quoted by the dialect.
# ---------------------------------------------------------------------------------------------


class _MysqlBulk:
    """LOAD DATA LOCAL INFILE per table and chunk.

    Secondary indexes of an empty table are dropped before its first load and rebuilt once
    at the end: InnoDB then builds each index sorted instead of updating it row by row. At a
    million orders (indexes larger than the default 128 MB buffer pool) that cut the load from
    285 s to 199 s on a 2-core machine. Indexes that back a foreign key stay. `finish` and
    `abort` both restore the schema's indexes.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = create_engine(
            engine.url, poolclass=NullPool, connect_args={"local_infile": True}
        )
        self._raw = self._engine.raw_connection()
        self._dir = Path(tempfile.mkdtemp(prefix="miomente-demo-"))
        self._files = 0
        self._quote = engine.dialect.identifier_preparer.quote
        self._seen: set[str] = set()
        self._deferred: dict[str, list[Index]] = {}
        # Ids are generated unique and parents load before children.
        self._run("SET unique_checks = 0, foreign_key_checks = 0")

    def _run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(self._raw.cursor()) as cur:
            cur.execute(statement, params)
            return list(cur.fetchall())

    def _defer_indexes(self, table: Table) -> None:
        self._seen.add(table.name)
        name = self._quote(table.name)
        if self._run(f"SELECT 1 FROM {name} LIMIT 1"):  # noqa: S608 - quoted metadata name
            return
        fk_columns = [[c.parent.name for c in fk.elements] for fk in table.foreign_key_constraints]
        deferred = [
            ix
            for ix in table.indexes
            if not ix.unique
            and not any([c.name for c in ix.columns][: len(fk)] == fk for fk in fk_columns)
        ]
        if deferred:
            drops = ", ".join(f"DROP INDEX {self._quote(str(ix.name))}" for ix in deferred)
            self._run(f"ALTER TABLE {name} {drops}")
            self._deferred[table.name] = deferred

    def _restore_indexes(self) -> None:
        while self._deferred:
            table, indexes = self._deferred.popitem()
            adds = ", ".join(
                f"ADD INDEX {self._quote(str(ix.name))} "
                f"({', '.join(self._quote(c.name) for c in ix.columns)})"
                for ix in indexes
            )
            self._run(f"ALTER TABLE {self._quote(table)} {adds}")

    def prepare(self, layout: Layout, rows: Rows) -> Path:
        self._files += 1
        path = self._dir / f"{layout.table.name}-{self._files}.tsv"
        _write_tsv(path, layout, rows)
        return path

    def write(self, layout: Layout, payload: Path) -> None:
        if layout.table.name not in self._seen:
            self._defer_indexes(layout.table)
        columns = ", ".join(self._quote(c) for c in layout.columns)
        statement = (
            f"LOAD DATA LOCAL INFILE %s INTO TABLE {self._quote(layout.table.name)} "
            f"CHARACTER SET utf8mb4 ({columns})"
        )
        self._run(statement, (str(payload),))
        payload.unlink()
        # LOCAL turns data errors into warnings; a demo with truncated values is a bug.
        if warnings := self._run("SHOW WARNINGS LIMIT 3"):
            raise RuntimeError(f"LOAD DATA into {layout.table.name}: {warnings}")
        self._raw.commit()

    def finish(self) -> None:
        try:
            self._restore_indexes()
        finally:
            self._raw.close()
            self._engine.dispose()
            shutil.rmtree(self._dir, ignore_errors=True)

    def abort(self) -> None:
        self._raw.rollback()
        self.finish()


class _PostgresBulk:
    """COPY ... FROM STDIN in text format; resets each table's id sequence at the end."""

    def __init__(self, engine: Engine) -> None:
        self._raw = engine.raw_connection()
        self._quote = engine.dialect.identifier_preparer.quote
        self._tables: dict[str, str] = {}  # table -> its serial primary key
        self._max_ids: dict[str, int] = {}

    def prepare(self, layout: Layout, rows: Rows) -> str:
        pk = [c.name for c in layout.table.primary_key.columns]
        if len(pk) == 1 and pk[0] == layout.columns[0]:
            name = layout.table.name
            self._tables[name] = pk[0]
            self._max_ids[name] = max(self._max_ids.get(name, 1), max(r[0] for r in rows))
        return _tsv(layout, rows)

    def _driver(self) -> Any:
        """psycopg's own connection (COPY is not in the DBAPI)."""
        driver = self._raw.driver_connection
        if driver is None:
            raise RuntimeError("the raw connection is closed")
        return driver

    def write(self, layout: Layout, payload: str) -> None:
        table = self._quote(layout.table.name)
        columns = ", ".join(self._quote(c) for c in layout.columns)
        statement = f"COPY {table} ({columns}) FROM STDIN"
        with self._driver().cursor() as cur, cur.copy(statement) as copy:
            copy.write(payload)
        self._raw.commit()

    def finish(self) -> None:
        # Explicit ids leave the serial sequences at 1; the portal's own inserts need max+1.
        with self._driver().cursor() as cur:
            for name, pk in self._tables.items():
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), %s)",
                    (name, pk, self._max_ids[name]),
                )
        self._raw.commit()
        self._raw.close()

    def abort(self) -> None:
        self._raw.rollback()
        self._raw.close()


def _bulk_for(engine: Engine) -> Callable[[], _Bulk] | None:
    if engine.dialect.name == "mysql":
        return lambda: _MysqlBulk(engine)
    if engine.dialect.name == "postgresql":
        return lambda: _PostgresBulk(engine)
    return None


# --- end of the dialect-specific part ---------------------------------------------------------

# The big tables, split into two lanes of about equal loading time (measured at 1M orders).
# Each lane is a thread with its own connection, so the server loads two tables at once.
_LANE_OF = {
    m.sales_order_item.name: 1,
    m.sales_order_address.name: 1,
    m.review.name: 1,
    m.review_detail.name: 1,
    m.rating_option_vote.name: 1,
}
LANES = 2


class _Lane:
    def __init__(self, bulk: _Bulk, stats: _Stats) -> None:
        self.bulk, self.stats = bulk, stats
        self.queue: queue.Queue[tuple[Layout, Any, int] | None] = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="demo-loader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (job := self.queue.get()) is not None:
            if self.error is not None:
                continue  # drain, so the producer never blocks on a dead lane
            layout, payload, count = job
            started = time.perf_counter()
            try:
                self.bulk.write(layout, payload)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the producer's thread
                self.error = exc
            else:
                self.stats.add(layout.table.name, count, time.perf_counter() - started)


class _PipelinedLoader:
    """Formats in the caller's thread while loader threads feed the server."""

    def __init__(self, make_bulk: Callable[[], _Bulk], lanes: int) -> None:
        self.stats = _Stats()
        self._lanes: list[_Lane] = []
        try:
            for _n in range(lanes):
                self._lanes.append(_Lane(make_bulk(), self.stats))
        except BaseException:
            self._stop()
            for lane in self._lanes:
                lane.bulk.abort()
            raise

    def load(self, layout: Layout, rows: Rows) -> None:
        lane = self._lanes[_LANE_OF.get(layout.table.name, 0) % len(self._lanes)]
        if lane.error is not None:
            raise lane.error
        lane.queue.put((layout, lane.bulk.prepare(layout, rows), len(rows)))

    def _stop(self) -> BaseException | None:
        for lane in self._lanes:
            lane.queue.put(None)
        for lane in self._lanes:
            lane.thread.join()
        return next((lane.error for lane in self._lanes if lane.error is not None), None)

    def finish(self) -> None:
        if (error := self._stop()) is not None:
            for lane in self._lanes:
                lane.bulk.abort()
            raise error
        # Index rebuilds run in parallel too, one lane per thread.
        errors: list[BaseException] = []

        def finish(bulk: _Bulk) -> None:
            try:
                bulk.finish()
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                errors.append(exc)

        finishers = [threading.Thread(target=finish, args=(lane.bulk,)) for lane in self._lanes]
        for thread in finishers:
            thread.start()
        for thread in finishers:
            thread.join()
        if errors:
            raise errors[0]

    def abort(self) -> None:
        self._stop()
        for lane in self._lanes:
            lane.bulk.abort()


def loader_for(engine: Engine, *, lanes: int) -> Loader:
    make_bulk = _bulk_for(engine)
    if make_bulk is None:
        # SQLite allows one writer; threads would only add switching.
        return _CoreLoader(engine)
    return _PipelinedLoader(make_bulk, lanes)
