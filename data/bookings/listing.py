"""Bestellungen: the viewer's booked items, listed, filtered and exported from the booking ledger.

Everything here reads `miomente_bookings` in the portal database (one row per booked order
item, filled from Magento by `data/bookings/ledger.py`), never the shop's tables: a partner's list
is an index range on (partner_id, booked_at | event_at, item_id). The scope is part of every
statement: a partner sees `partner_id = its id`, staff viewing as a partner see that partner,
staff who see all may narrow to some partners.

- `list_bookings` is the paged list: one count, then one page query. The page number is
  clamped to 1..pages *before* the page is read, so no page number, however large, reaches
  the database as an OFFSET beyond the end; pages in the back half are read backwards from
  the end, so the last page costs what the first does.
- `export_csv` / `export_xlsx` write the whole filtered set in the list's order, read in
  keyset chunks (sort key + item_id, never OFFSET) inside one snapshot, so 50,000 rows stream
  with bounded memory.
- `parse_params` / `to_params` turn the page's query string into filters and back, so a view
  is bookmarkable; bad values become `InvalidInput`s for the page to show, never exceptions.

Timestamps in the returned frame are naive UTC as stored; exports show Europe/Berlin.
Rows without a course date (event_at NULL) count as later than every date.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import BinaryIO

import pandas as pd
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Row,
    Select,
    UnaryExpression,
    bindparam,
    func,
    select,
    tuple_,
)

from core import i18n, periods
from core.clock import naive_utc
from core.csv_safe import number_formatter, write_csv
from core.db import Databases
from core.money import ZERO, to_money
from core.table_export import write_xlsx
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import ORDERS_READ, requires
from data.access.viewer import Viewer
from data.portal_schema import BOOKING_STATUSES, bookings

# Ordered for the page's select box; membership tests work as on a set.
SORTS = ("booked_desc", "booked_asc", "event_asc", "event_desc")
DEFAULT_SORT = "booked_desc"
PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_SEARCH = 100  # characters of free text
MAX_VALUES = 100  # ids or statuses in one filter
MAX_ID = 2**31 - 1  # the ledger's Integer columns
MAX_PAGE = 2**31 - 1  # parse_params refuses more; list_bookings clamps any number
# Dates outside these bounds cannot be booked and would overflow the UTC conversion.
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
# Staff who see every partner count up to this many rows: an exact count over the whole ledger
# is a full scan (about 0.5 s at a million orders). Past it the list says "more than" and the
# deepest page is the cap's; narrower filters reach older bookings.
STAFF_COUNT_CAP = 10_000
XLSX_WIDTHS = (14, 17, 26, 30, 36, 17, 8, 12, 30)

LIST_COLUMNS = [
    "item_id",
    "order_id",
    "increment_id",
    "booked_at",
    "customer_name",
    "customer_email",
    "course",
    "product_id",
    "event_at",
    "tickets",
    "gross",
    "refunded",
    "status",
    "partner_id",
]
# Export columns: locale keys of the headers, in file order.
EXPORT_HEADERS = (
    "bookings.col_order",
    "bookings.col_booked",
    "bookings.col_customer",
    "bookings.col_email",
    "bookings.col_course",
    "bookings.col_event",
    "bookings.col_tickets",
    "bookings.col_amount",
    "bookings.col_status",
)

# Query-string keys (German, as the page's URL shows them).
P_BOOKED_FROM, P_BOOKED_TO = "gebucht_von", "gebucht_bis"
P_EVENT_FROM, P_EVENT_TO = "termin_von", "termin_bis"
P_COURSE, P_STATUS, P_TEXT, P_PARTNER = "kurs", "status", "suche", "partner"
P_SORT, P_PAGE, P_PAGE_SIZE = "sortierung", "seite", "pro_seite"


def _status_rank(status: str) -> tuple[int, str]:
    known = status in BOOKING_STATUSES
    return (BOOKING_STATUSES.index(status) if known else len(BOOKING_STATUSES), status)


@dataclass(frozen=True)
class BookingFilter:
    """What the list shows. Dates are inclusive Berlin days; empty tuples mean "all".

    Values are stored canonically (ids sorted and unique, statuses in BOOKING_STATUSES order,
    text NFC with single spaces), so equal views compare equal and bookmark alike.
    `partner_ids` narrows staff who see all partners; for anyone else it is ignored.
    """

    booked_from: date | None = None
    booked_to: date | None = None
    event_from: date | None = None
    event_to: date | None = None
    product_ids: tuple[int, ...] = ()
    statuses: tuple[str, ...] = ()
    text: str = ""
    partner_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        canonical = {
            "product_ids": tuple(sorted({int(i) for i in self.product_ids})),
            "partner_ids": tuple(sorted({int(i) for i in self.partner_ids})),
            "statuses": tuple(sorted(set(self.statuses), key=_status_rank)),
            "text": " ".join(unicodedata.normalize("NFC", self.text or "").split()),
        }
        for name, value in canonical.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class BookingPage:
    rows: pd.DataFrame  # LIST_COLUMNS; booked_at/event_at naive UTC; gross/refunded Decimal
    total: int
    page: int  # 1..pages
    page_size: int
    pages: int  # >= 1, also for an empty result
    # True when total is a lower bound: staff's all-partner lists count at most STAFF_COUNT_CAP.
    more: bool = False


@dataclass(frozen=True)
class ParsedParams:
    filters: BookingFilter
    sort: str = DEFAULT_SORT
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    errors: list[InvalidInput] = field(default_factory=list)


# --- SQL building blocks -----------------------------------------------------------------------


def _search_terms(text: str) -> list[str]:
    """The lowercased words of a free-text search; each must occur in a row's search_text.

    Lowercased in Python (the ledger stores search_text the same way), so "JÜRGEN" finds
    "Jürgen" on every backend, whatever the database's own lower() does with umlauts.
    """
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    if len(text) > MAX_SEARCH:
        raise InvalidInput("validation.search_too_long", n=MAX_SEARCH)
    return list(dict.fromkeys(text.lower().split()))


def _day(value: date) -> date:
    return min(max(value, EARLIEST), LATEST)


def _start(value: date) -> datetime:
    """Berlin midnight starting `value`, as naive UTC."""
    day = _day(value)
    return periods.days(day, day).start


def _end(value: date) -> datetime:
    """Berlin midnight after `value`, as naive UTC (exclusive bound)."""
    day = _day(value)
    return periods.days(day, day).end


def _scope(viewer: Viewer, filters: BookingFilter) -> ColumnElement[bool]:
    if viewer.sees_all and filters.partner_ids:
        return bookings.c.partner_id.in_(filters.partner_ids)
    # A partner, or staff viewing as one: that partner only; partner_ids cannot widen it.
    return scope.partner_filter(bookings.c.partner_id, viewer)


def _where(
    viewer: Viewer, filters: BookingFilter, *, with_statuses: bool = True
) -> list[ColumnElement[bool]]:
    c = bookings.c
    where = [_scope(viewer, filters)]
    if filters.booked_from is not None:
        where.append(c.booked_at >= _start(filters.booked_from))
    if filters.booked_to is not None:
        where.append(c.booked_at < _end(filters.booked_to))
    if filters.event_from is not None:
        where.append(c.event_at >= _start(filters.event_from))
    if filters.event_to is not None:
        where.append(c.event_at < _end(filters.event_to))
    if filters.product_ids:
        where.append(c.product_id.in_(filters.product_ids))
    if with_statuses and filters.statuses:
        where.append(c.status.in_(filters.statuses))
    # autoescape: %, _ and the escape character itself match literally.
    where.extend(
        c.search_text.contains(term, autoescape=True) for term in _search_terms(filters.text)
    )
    return where


def _check_sort(sort: str) -> tuple[Column, bool]:
    """The sort's column and whether it runs descending."""
    if sort not in SORTS:
        raise InvalidInput("validation.sort", value=str(sort)[:40])
    column = bookings.c.event_at if sort.startswith("event") else bookings.c.booked_at
    return column, sort.endswith("_desc")


def _order_by(sort: str, *, backwards: bool = False) -> list[UnaryExpression]:
    """Sort key then item_id, a stable total order. `backwards` mirrors it exactly.

    A missing course date (event_at NULL) counts as later than every date: last in
    event_asc, first in event_desc. That is PostgreSQL's own NULL order, so both directions
    read the (partner_id, event_at, item_id) index without a sort.
    """
    column, descending = _check_sort(sort)
    descending ^= backwards
    key = column.desc() if descending else column.asc()
    if column.nullable:
        key = key.nulls_first() if descending else key.nulls_last()
    return [key, bookings.c.item_id.desc() if descending else bookings.c.item_id.asc()]


@dataclass(frozen=True)
class _Segment:
    """A run of rows that one keyset condition walks: the dated rows by (key, item_id), or
    the undated rows by item_id alone."""

    where: ColumnElement[bool] | None
    key: Column | None  # None: the key is NULL throughout, item_id alone orders


def _segments(sort: str) -> list[_Segment]:
    """The export's keyset runs in `sort` order (see `_order_by` for where NULLs go)."""
    column, descending = _check_sort(sort)
    if not column.nullable:
        return [_Segment(None, column)]
    dated, undated = _Segment(column.is_not(None), column), _Segment(column.is_(None), None)
    return [undated, dated] if descending else [dated, undated]


def _after(segment: _Segment, descending: bool, last: Row) -> ColumnElement[bool]:
    """Rows after `last` within the segment: the keyset condition of the next chunk."""
    key = last._mapping[segment.key.name] if segment.key is not None else None
    return _after_values(segment, descending, key, last.item_id)


def _after_values(
    segment: _Segment, descending: bool, key: object, item_id: int
) -> ColumnElement[bool]:
    item = bookings.c.item_id
    if segment.key is None:
        return item < item_id if descending else item > item_id
    here = tuple_(
        bindparam(None, key, type_=segment.key.type),
        bindparam(None, item_id, type_=item.type),
    )
    mine = tuple_(segment.key, item)
    return mine < here if descending else mine > here


def _columns() -> Select:
    return select(*(bookings.c[name] for name in LIST_COLUMNS))


_MONEY_COLUMNS = {LIST_COLUMNS.index("gross"), LIST_COLUMNS.index("refunded")}


def _frame(rows: Sequence[Row]) -> pd.DataFrame:
    """Column-wise, as Python objects: pandas' per-row construction and type inference cost
    more than the indexed query itself on a 50-row page."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(LIST_COLUMNS)
    data = {
        name: [to_money(v) for v in values] if i in _MONEY_COLUMNS else list(values)
        for i, (name, values) in enumerate(zip(LIST_COLUMNS, columns, strict=True))
    }
    return pd.DataFrame(data, columns=LIST_COLUMNS, dtype=object)


# --- list and counts ---------------------------------------------------------------------------


@requires(ORDERS_READ)
def list_bookings(
    viewer: Viewer,
    db: Databases,
    *,
    filters: BookingFilter = BookingFilter(),
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> BookingPage:
    """One page of the viewer's bookings; a page beyond the end is the last page."""
    _check_sort(sort)
    if page_size not in PAGE_SIZES:
        raise InvalidInput("validation.page_size", value=str(page_size)[:20], sizes=_sizes())
    where = _where(viewer, filters)
    cap = STAFF_COUNT_CAP if viewer.sees_all else None
    with db.portal.connect() as conn:
        total, more = _count(conn, where, cap=cap)
        pages = max(1, -(-total // page_size))
        page = min(max(1, int(page)), pages)
        if total == 0:
            return BookingPage(_frame([]), 0, page, page_size, pages)
        offset = (page - 1) * page_size
        size = min(page_size, total - offset)
        behind = total - offset - size  # rows after this page
        if behind < offset and not more:
            # Nearer the end: read the mirrored order from the end and turn the rows round.
            query = _columns().where(*where).order_by(*_order_by(sort, backwards=True))
            rows = conn.execute(query.limit(size).offset(behind)).all()[::-1]
        else:
            query = _columns().where(*where).order_by(*_order_by(sort))
            rows = conn.execute(query.limit(size).offset(offset)).all()
    return BookingPage(_frame(rows), total, page, page_size, pages, more=more)


def _count(
    conn: Connection, where: Sequence[ColumnElement[bool]], *, cap: int | None
) -> tuple[int, bool]:
    """(rows, whether there are more than `cap`); exact when cap is None."""
    if cap is None:
        query = select(func.count()).select_from(bookings).where(*where)
        return int(conn.execute(query).scalar_one()), False
    # Stops after cap + 1 index entries instead of scanning the whole ledger.
    limited = select(bookings.c.item_id).where(*where).limit(cap + 1).subquery()
    found = int(conn.execute(select(func.count()).select_from(limited)).scalar_one())
    return min(found, cap), found > cap


# --- keyset slices (the partner API's cursor) ---------------------------------------------------

MAX_SLICE = 200
CURSOR_INVALID = "partner_api.cursor_invalid"


@dataclass(frozen=True)
class BookingSlice:
    rows: pd.DataFrame  # LIST_COLUMNS, as in BookingPage
    next_cursor: str | None  # None: this was the last slice


def _cursor(sort: str, segment: int, key: datetime | None, item_id: int) -> str:
    stamp = key.isoformat() if key is not None else ""
    raw = f"{sort}|{segment}|{stamp}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, sort: str) -> tuple[int, datetime | None, int]:
    """(segment, key, item_id) of a cursor made by `_cursor` for the same sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        made_for, segment, stamp, item_id = raw.split("|")
        parsed = (int(segment), datetime.fromisoformat(stamp) if stamp else None, int(item_id))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(CURSOR_INVALID) from None
    if parsed[1] is not None and parsed[1].tzinfo is not None:  # we write naive UTC only
        raise InvalidInput(CURSOR_INVALID)
    if made_for != sort or not 0 <= parsed[0] < len(_segments(sort)):
        raise InvalidInput(CURSOR_INVALID)
    if not 0 < parsed[2] <= MAX_ID or (parsed[1] is None) != (
        _segments(sort)[parsed[0]].key is None
    ):
        raise InvalidInput(CURSOR_INVALID)
    return parsed


@requires(ORDERS_READ)
def bookings_after(
    viewer: Viewer,
    db: Databases,
    *,
    filters: BookingFilter = BookingFilter(),
    sort: str = DEFAULT_SORT,
    cursor: str | None = None,
    limit: int = DEFAULT_PAGE_SIZE,
) -> BookingSlice:
    """Up to `limit` of the viewer's bookings after `cursor` (None: from the start) in `sort`
    order, read by keyset (sort key + item_id, never OFFSET), so page 10,000 costs what page
    1 does and rows booked meanwhile neither repeat nor go missing."""
    _, descending = _check_sort(sort)
    limit = max(1, min(int(limit), MAX_SLICE))
    start, key, item_id = _read_cursor(cursor, sort) if cursor else (0, None, 0)
    where, order, segments = _where(viewer, filters), _order_by(sort), _segments(sort)
    found: list[tuple[int, Row]] = []
    with db.portal.connect() as conn:
        for index in range(start, len(segments)):
            segment = segments[index]
            query = _columns().where(*where)
            if segment.where is not None:
                query = query.where(segment.where)
            if cursor and index == start:
                query = query.where(_after_values(segment, descending, key, item_id))
            wanted = limit + 1 - len(found)
            found.extend((index, row) for row in conn.execute(query.order_by(*order).limit(wanted)))
            if len(found) > limit:
                break
    rows, more = found[:limit], len(found) > limit
    following = None
    if more:
        index, last = rows[-1]
        column = segments[index].key
        stamp = last._mapping[column.name] if column is not None else None
        following = _cursor(sort, index, stamp, int(last.item_id))
    return BookingSlice(_frame([row for _, row in rows]), following)


# --- exports -----------------------------------------------------------------------------------


@contextmanager
def _snapshot(db: Databases) -> Iterator[Connection]:
    """One read transaction for a whole export, so its chunks see one state of the ledger."""
    with db.portal.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _chunks(
    conn: Connection, viewer: Viewer, filters: BookingFilter, sort: str, chunk_size: int
) -> Iterator[Row]:
    """Every matching row in `sort` order, read `chunk_size` at a time by keyset (no OFFSET)."""
    _, descending = _check_sort(sort)
    where = _where(viewer, filters)
    order = _order_by(sort)
    chunk_size = max(1, int(chunk_size))
    for segment in _segments(sort):
        base = _columns().where(*where)
        if segment.where is not None:
            base = base.where(segment.where)
        last: Row | None = None
        while True:
            query = base if last is None else base.where(_after(segment, descending, last))
            rows = conn.execute(query.order_by(*order).limit(chunk_size)).all()
            yield from rows
            if len(rows) < chunk_size:
                break
            last = rows[-1]


def _amount(row: Row) -> Decimal:
    """What the booking is worth to the partner: gross less refunds, never below zero."""
    return max(to_money(row.gross) - to_money(row.refunded), ZERO)


@lru_cache(maxsize=4096)
def _berlin_offset(year: int, month: int, day: int, hour: int) -> timedelta:
    """Berlin's UTC offset in that UTC hour (clocks change on the full UTC hour)."""
    offset = i18n.to_berlin(datetime(year, month, day, hour)).utcoffset()
    return offset or timedelta(0)


def _moment_formatter(locale: str) -> Callable[[datetime | None], str]:
    # The pattern of i18n.moment ("24.11.2026 18:30" / "24/11/2026 18:30"), built by hand:
    # Babel or strftime per cell cost more than the query on a 50,000-row export.
    sep = "." if locale == "de" else "/"

    def moment(value: datetime | None) -> str:
        if value is None:
            return ""
        value = naive_utc(value)
        t = value + _berlin_offset(value.year, value.month, value.day, value.hour)
        return f"{t.day:02d}{sep}{t.month:02d}{sep}{t.year} {t.hour:02d}:{t.minute:02d}"

    return moment


def _labels(locale: str) -> tuple[list[str], dict[str, str]]:
    headers = [i18n.translate(key, locale) for key in EXPORT_HEADERS]
    statuses = {s: i18n.translate(f"bookings.status_{s}", locale) for s in BOOKING_STATUSES}
    return headers, statuses


@requires(ORDERS_READ)
def export_csv(
    viewer: Viewer,
    db: Databases,
    *,
    out: BinaryIO,
    filters: BookingFilter = BookingFilter(),
    sort: str = DEFAULT_SORT,
    chunk_size: int = 2000,
    locale: str = "de",
) -> int:
    """The filtered bookings as CSV for German Excel; returns the number of rows written.

    Semicolon, UTF-8 with BOM, Berlin times "24.11.2026 18:30", amounts "1.234,56" (gross
    less refunds, no currency sign), status labels from the locale; every text cell is
    neutralised against formula injection (core/csv_safe).
    """
    _check_sort(sort)
    _search_terms(filters.text)  # refuse before anything is written
    loc = i18n.normalize_locale(locale)
    headers, statuses = _labels(loc)
    moment = _moment_formatter(loc)

    def lines(conn: Connection) -> Iterator[tuple[object, ...]]:
        # Positional unpacking (LIST_COLUMNS order): named Row access per cell adds up.
        for (
            _item,
            _order,
            increment_id,
            booked_at,
            customer_name,
            customer_email,
            course,
            _product,
            event_at,
            tickets,
            gross,
            refunded,
            status,
            _partner,
        ) in _chunks(conn, viewer, filters, sort, chunk_size):
            yield (
                increment_id,
                moment(booked_at),
                customer_name or "",
                customer_email or "",
                course or "",
                moment(event_at),
                int(tickets or 0),
                max(to_money(gross) - to_money(refunded), ZERO),
                statuses.get(status, status),
            )

    with _snapshot(db) as conn:
        return write_csv(lines(conn), out, header=headers, number=number_formatter(loc))


@requires(ORDERS_READ)
def export_xlsx(
    viewer: Viewer,
    db: Databases,
    *,
    out: BinaryIO,
    filters: BookingFilter = BookingFilter(),
    sort: str = DEFAULT_SORT,
    chunk_size: int = 2000,
    locale: str = "de",
) -> int:
    """The filtered bookings as an Excel workbook; returns the number of rows written.

    Same columns as the CSV, but typed (core/table_export.write_xlsx): date cells in Berlin
    time, number cells with formats, formula-like text quoted. More rows than a sheet holds
    are refused (InvalidInput "validation.too_many_rows"), never cut off.
    """
    _check_sort(sort)
    _search_terms(filters.text)
    loc = i18n.normalize_locale(locale)
    headers, statuses = _labels(loc)

    def lines(conn: Connection) -> Iterator[tuple[object, ...]]:
        for row in _chunks(conn, viewer, filters, sort, chunk_size):
            yield (
                row.increment_id or "",
                _berlin_naive(row.booked_at),
                row.customer_name or "",
                row.customer_email or "",
                row.course or "",
                None if row.event_at is None else _berlin_naive(row.event_at),
                int(row.tickets or 0),
                _amount(row),
                statuses.get(row.status, row.status) or "",
            )

    with _snapshot(db) as conn:
        return write_xlsx(
            lines(conn),
            out,
            headers=headers,
            sheet=i18n.translate("bookings.sheet", loc),
            locale=loc,
            widths=XLSX_WIDTHS,
        )


def _berlin_naive(value: datetime) -> datetime:
    """Excel has no time zones: the cell holds the Berlin wall-clock time."""
    return i18n.to_berlin(value).replace(tzinfo=None)


# --- query string ------------------------------------------------------------------------------

_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_GERMAN_DAY = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_DIGITS = re.compile(r"[0-9]{1,12}")


def _raw_values(params: Mapping[str, str | list[str]], key: str) -> list[str]:
    """All values of a repeatable key: repeated keys and comma-separated lists alike."""
    raw = params.get(key)
    if raw is None:
        return []
    items = [raw] if isinstance(raw, str) else list(raw)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _raw_single(params: Mapping[str, str | list[str]], key: str) -> str:
    """The value of a single key (the last one if repeated), stripped."""
    raw = params.get(key)
    if raw is not None and not isinstance(raw, str):
        raw = list(raw)[-1] if list(raw) else None
    return "" if raw is None else str(raw).strip()


def _parse_day(raw: str) -> date:
    """2026-11-24 or 24.11.2026 -> date; anything else InvalidInput("validation.date")."""
    raw = raw.strip()
    if match := _ISO_DAY.fullmatch(raw):
        year, month, day = (int(g) for g in match.groups())
    elif match := _GERMAN_DAY.fullmatch(raw):
        day, month, year = (int(g) for g in match.groups())
    else:
        raise InvalidInput("validation.date", value=raw[:40])
    try:
        value = date(year, month, day)
    except ValueError:
        raise InvalidInput("validation.date", value=raw[:40]) from None
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput("validation.date", value=raw[:40])
    return value


def _parse_count(raw: str, *, key: str, low: int, high: int) -> int:
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise InvalidInput(key, value=raw[:40])
    return int(raw)


def _sizes() -> str:
    return ", ".join(str(s) for s in PAGE_SIZES)


# Predates the size gate; split once the error vocabulary (issue 10, point 5) has landed here.
def parse_params(  # noqa: C901, PLR0915
    params: Mapping[str, str | list[str]],
) -> ParsedParams:
    """Filters, sort and page from a query string (st.query_params or a dict of lists).

    Never raises: each bad value is reported in `errors` (an InvalidInput with a locale key)
    and its part falls back to the default: a bad date or a from-after-to range drops that
    range, bad ids or statuses are left out, a bad page is page 1.
    """
    errors: list[InvalidInput] = []

    def day(key: str) -> date | None:
        raw = _raw_single(params, key)
        if not raw:
            return None
        try:
            return _parse_day(raw)
        except InvalidInput as exc:
            errors.append(exc)
            return None

    def day_range(from_key: str, to_key: str) -> tuple[date | None, date | None]:
        first, last = day(from_key), day(to_key)
        if first is not None and last is not None and first > last:
            errors.append(
                InvalidInput(
                    "validation.date_range", first=first.isoformat(), last=last.isoformat()
                )
            )
            return None, None
        return first, last

    def ids(key: str, error: str) -> tuple[int, ...]:
        values = _raw_values(params, key)
        good = [int(v) for v in values if _DIGITS.fullmatch(v) and 0 < int(v) <= MAX_ID]
        bad = [v for v in values if not (_DIGITS.fullmatch(v) and 0 < int(v) <= MAX_ID)]
        if bad:
            errors.append(InvalidInput(error, value=bad[0][:40]))
        if len(set(good)) > MAX_VALUES:
            errors.append(InvalidInput("validation.too_many_values", n=MAX_VALUES))
            return ()
        return tuple(good)

    booked_from, booked_to = day_range(P_BOOKED_FROM, P_BOOKED_TO)
    event_from, event_to = day_range(P_EVENT_FROM, P_EVENT_TO)
    product_ids = ids(P_COURSE, "validation.course")
    partner_ids = ids(P_PARTNER, "validation.partner")

    statuses = [v.lower() for v in _raw_values(params, P_STATUS)]
    unknown = [s for s in statuses if s not in BOOKING_STATUSES]
    if unknown:
        errors.append(InvalidInput("validation.status", value=unknown[0][:40]))
    statuses = [s for s in statuses if s in BOOKING_STATUSES]

    text = _raw_single(params, P_TEXT)
    try:
        _search_terms(text)
    except InvalidInput as exc:
        errors.append(exc)
        text = ""

    sort = _raw_single(params, P_SORT) or DEFAULT_SORT
    if sort not in SORTS:
        errors.append(InvalidInput("validation.sort", value=sort[:40]))
        sort = DEFAULT_SORT

    page = 1
    if raw := _raw_single(params, P_PAGE):
        try:
            page = _parse_count(raw, key="validation.page", low=1, high=MAX_PAGE)
        except InvalidInput as exc:
            errors.append(exc)

    page_size = DEFAULT_PAGE_SIZE
    if raw := _raw_single(params, P_PAGE_SIZE):
        if raw in {str(s) for s in PAGE_SIZES}:
            page_size = int(raw)
        else:
            errors.append(InvalidInput("validation.page_size", value=raw[:20], sizes=_sizes()))

    filters = BookingFilter(
        booked_from=booked_from,
        booked_to=booked_to,
        event_from=event_from,
        event_to=event_to,
        product_ids=product_ids,
        statuses=tuple(statuses),
        text=text,
        partner_ids=partner_ids,
    )
    return ParsedParams(filters, sort, page, page_size, errors)


def to_params(
    filters: BookingFilter = BookingFilter(),
    sort: str = DEFAULT_SORT,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, str | list[str]]:
    """The query string of a view (defaults left out); parse_params reads it back."""
    params: dict[str, str | list[str]] = {}
    for key, value in (
        (P_BOOKED_FROM, filters.booked_from),
        (P_BOOKED_TO, filters.booked_to),
        (P_EVENT_FROM, filters.event_from),
        (P_EVENT_TO, filters.event_to),
    ):
        if value is not None:
            params[key] = value.isoformat()
    for key, values in (
        (P_COURSE, filters.product_ids),
        (P_STATUS, filters.statuses),
        (P_PARTNER, filters.partner_ids),
    ):
        if values:
            params[key] = ",".join(str(v) for v in values)
    if filters.text:
        params[P_TEXT] = filters.text
    if sort != DEFAULT_SORT:
        params[P_SORT] = sort
    if page != 1:
        params[P_PAGE] = str(page)
    if page_size != DEFAULT_PAGE_SIZE:
        params[P_PAGE_SIZE] = str(page_size)
    return params
