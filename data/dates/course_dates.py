"""Course dates (miomente_course_date): the partner's list and calendar, single-date editing.

Reading: `list_dates` (a range of days, with seats sold and the waitlist count),
`get_date`, `date_bookings` (who booked a date), `overlapping` (the same course at the same
time), `refunds_due` (cancelled dates whose bookings still wait for their money: staff's list).

Writing, through `data.shop.writes` (the one module that writes to the shop):
`create_date`, `update_date`, `cancel_date`. Every write first checks that the date's course
is the viewer's (in SQL: the viewer's product ids); another partner's date is answered like a
missing one, `ScopeError("dates.not_found")`, and nothing changes.

Cancelling a date that has bookings needs `confirm=True` (without it the result only lists
the bookings). There is no transaction spanning portal and shop, so the order carries the
guarantees (as in data.bookings.decisions): a portal transaction queues one `date_cancelled` email
per booked item (dedupe key `date_cancelled:<date>:<item>`) and the audit row; inside it a shop
transaction locks the date, sets it cancelled and adds a history comment to each affected
order ("refund due", for customer service); the shop commits, then the portal. If the portal
commit is lost after the shop's, the date is cancelled without mails: cancelling it again is
accepted (the date stays cancelled) and queues the mails once; a mail is never queued twice.

A changed start time refreshes the booking ledger's `event_at` of the orders booked on it
(`data.bookings.ledger.refresh_orders`) and tells the booked customers: `notify_moved` queues one
`date_moved` email per booked item (dedupe key: date, item, old and new start and the
row's updated_at before the move: every move tells them, a retry of the same one does not) in
the portal transaction that wraps the shop's, as for a cancel. If the portal commit is lost
after the shop's, the date is moved without mails (saving the same time again is no move and
queues nothing). A date of a series whose start moves is recorded as a "move" exception of
its series (see data/dates/series.py), so the series never generates its day again.

Times: arguments are Berlin wall-clock (naive) or aware datetimes; stored naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, func, insert, select, update

from core import sql
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.minimum_rule import check_minimum
from core.money import to_decimal
from core.paging import DEFAULT_PAGE_SIZE, PAGE_SIZES, Page, bounds
from core.recurrence import MAX_DURATION_MINUTES, local_day, to_utc
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import DATES_READ, DATES_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.dates import _minimum_store as minimum_store
from data.dates._date_changes import (
    ENTITY,
    NOT_FOUND,
    CancelResult,
    amount_due,
    booked_items,
    cancel_dates,
    check_values,
    customer_name,
    notify_moved,
    order_ids_on,
    refresh_ledger,
    require_product,
    tickets_left,
)
from data.integrations import webhooks
from data.ops import audit, submissions
from data.portal_schema import (
    recurring_exceptions,
)
from data.shop import writes as shop_writes
from data.shop.catalog import product_names
from data.shop.schema import (
    DATE_ACTIVE,
    DATE_CANCELLED,
    miomente_course_date,
    seats_sold,
    seats_sold_per_date,
)

# The most dates one list or calendar reads (read at call time: tests lower it). A longer
# range is cut there and says so: the frame's `attrs["more"]` is True (see `truncated`).
LIST_LIMIT = 5000
LIST_COLUMNS = [
    "date_id",
    "product_id",
    "course",
    "starts_at",
    "ends_at",
    "seats_total",
    "seats_sold",
    "waitlist",
    "price",
    "status",
    "series_id",
]
BOOKING_COLUMNS = [
    "item_id",
    "order_id",
    "increment_id",
    "date_id",
    "customer_name",
    "customer_email",
    "tickets",
    "amount",
]
REFUND_COLUMNS = [
    "date_id",
    "product_id",
    "course",
    "starts_at",
    "order_id",
    "increment_id",
    "customer_name",
    "tickets",
    "amount_due",
    "cancelled_at",
]

COLUMNS = ["date_id", "product_id", "starts_at", "ends_at", "seats_total", "seats_sold"]

# The refusal of a form sent twice (the pages compare against it to say "schon gespeichert").
DUPLICATE = submissions.DUPLICATE


@requires(DATES_READ)
def future_dates(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    limit: int = 20,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The next active dates of one of the viewer's courses, with seats sold (soonest first)."""
    ids = scope.product_ids(viewer, db)
    if ids is not None and product_id not in ids:
        return pd.DataFrame(columns=COLUMNS)
    now = now or now_utc()
    d = miomente_course_date
    sold = seats_sold(d.c.date_id)
    query = (
        select(
            d.c.date_id,
            d.c.product_id,
            d.c.starts_at,
            d.c.ends_at,
            d.c.seats_total,
            sold.label("seats_sold"),
        )
        .where(d.c.product_id == product_id, d.c.status == DATE_ACTIVE, d.c.starts_at > now)
        .order_by(d.c.starts_at, d.c.date_id)
        .limit(max(1, min(int(limit), 200)))
    )
    with db.magento_read.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["seats_sold"] = int(float(row["seats_sold"] or 0))
    return pd.DataFrame(rows, columns=COLUMNS)


# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseDate:
    date_id: int
    product_id: int
    course: str | None
    starts_at: datetime  # naive UTC
    ends_at: datetime
    seats_total: int
    seats_sold: int
    waitlist: int
    price: Decimal
    status: str
    series_id: int | None


@dataclass(frozen=True)
class DateSaved:
    date_id: int
    overlaps: list[int] = field(default_factory=list)  # other dates of the course at that time
    orders_refreshed: int = 0
    messages: int = 0  # date_moved emails queued now (one per booked item; a repeat queues none)


# --- helpers -------------------------------------------------------------------------------------


def _int(value: Decimal | float | str | None) -> int:
    return int(float(value or 0))


def _waitlist_counts(date_ids: Sequence[int]) -> dict[int, int]:
    """WAITLIST HOOK: people waiting per date. There is no waitlist table yet (the Warteliste
    issue adds it and fills this in, scoped like the rest); until then every date shows 0."""
    del date_ids
    return {}


def _check_times(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    """Start in the future, end after start, at most a day long (naive UTC arguments)."""
    if ends_at <= starts_at:
        raise InvalidInput("dates.end_before_start")
    if ends_at - starts_at > timedelta(minutes=MAX_DURATION_MINUTES):
        raise InvalidInput("dates.duration_invalid")
    if starts_at <= now:
        raise InvalidInput("dates.in_past")


def _owned_products(viewer: Viewer, db: Databases) -> list[int] | None:
    return scope.product_ids(viewer, db)


def _dates_query(ids: list[int] | None):
    d = miomente_course_date
    names = product_names().subquery()
    return (
        select(
            d.c.date_id,
            d.c.product_id,
            names.c.name.label("course"),
            d.c.starts_at,
            d.c.ends_at,
            d.c.seats_total,
            d.c.price,
            d.c.status,
            d.c.series_id,
        )
        .select_from(d.outerjoin(names, names.c.entity_id == d.c.product_id))
        .where(scope.product_filter(d.c.product_id, ids))
    )


def _sold_of(conn: Connection, date_ids: Sequence[int]) -> dict[int, int]:
    """Tickets sold per date: one grouped query per chunk of ids (the shop's sold-seats rule,
    data.shop.schema), not a subquery per row."""
    sold: dict[int, int] = {}
    for chunk in sql.chunks(list(date_ids), 5000):
        for date_id, count in conn.execute(seats_sold_per_date(chunk)):
            sold[int(date_id)] = _int(count)
    return sold


def _frame(conn: Connection, rows: Sequence[Mapping]) -> pd.DataFrame:
    ids = [r["date_id"] for r in rows]
    waiting = _waitlist_counts(ids)
    sold = _sold_of(conn, ids) if ids else {}
    out = []
    for r in rows:
        row = dict(r)
        row["seats_sold"] = sold.get(row["date_id"], 0)
        row["price"] = to_decimal(row["price"])
        row["waitlist"] = waiting.get(row["date_id"], 0)
        out.append(row)
    return pd.DataFrame(out, columns=LIST_COLUMNS)


# --- reading -------------------------------------------------------------------------------------


def _filters(
    *,
    start: datetime | None,
    end: datetime | None,
    product_id: int | None,
    series_id: int | None,
    include_cancelled: bool,
) -> list:
    d = miomente_course_date
    where = []
    if start is not None:
        where.append(d.c.starts_at >= naive_utc(start))
    if end is not None:
        where.append(d.c.starts_at < naive_utc(end))
    if product_id is not None:
        where.append(d.c.product_id == int(product_id))
    if series_id is not None:
        where.append(d.c.series_id == int(series_id))
    if not include_cancelled:
        where.append(d.c.status == DATE_ACTIVE)
    return where


@requires(DATES_READ)
def list_dates(
    viewer: Viewer,
    db: Databases,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    product_id: int | None = None,
    series_id: int | None = None,
    include_cancelled: bool = True,
    limit: int | None = None,
) -> pd.DataFrame:
    """The viewer's dates starting in [start, end) (naive UTC), soonest first, with seats sold,
    waitlist count (0 until the waitlist exists) and price; at most `limit` (and never more
    than LIST_LIMIT) rows, and `truncated(frame)` tells whether more dates were left out."""
    d = miomente_course_date
    where = _filters(
        start=start,
        end=end,
        product_id=product_id,
        series_id=series_id,
        include_cancelled=include_cancelled,
    )
    cap = LIST_LIMIT if limit is None else max(1, min(int(limit), LIST_LIMIT))
    query = (
        _dates_query(_owned_products(viewer, db))
        .where(*where)
        .order_by(d.c.starts_at, d.c.date_id)
        .limit(cap + 1)
    )
    with db.magento_read.connect() as conn:
        rows = list(conn.execute(query).mappings())
        frame = _frame(conn, rows[:cap])
    frame.attrs["more"] = len(rows) > cap
    return frame


@requires(DATES_READ)
def page_dates(
    viewer: Viewer,
    db: Databases,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    product_id: int | None = None,
    include_cancelled: bool = True,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page:
    """One page of `list_dates`' dates (same filters, same order) and their number from a SQL
    count: Termine's list reads and formats what is on screen, however many dates the range
    holds (staff see every partner's). A page beyond the end is the last one."""
    d = miomente_course_date
    ids = _owned_products(viewer, db)
    where = _filters(
        start=start,
        end=end,
        product_id=product_id,
        series_id=None,
        include_cancelled=include_cancelled,
    )
    counted = select(func.count()).select_from(d).where(*where)
    with db.magento_read.connect() as conn:
        total = int(
            conn.execute(counted.where(scope.product_filter(d.c.product_id, ids))).scalar_one()
        )
        page, pages, offset = bounds(total, page, page_size, sizes=PAGE_SIZES)
        query = (
            _dates_query(ids)
            .where(*where)
            .order_by(d.c.starts_at, d.c.date_id)
            .limit(page_size)
            .offset(offset)
        )
        frame = _frame(conn, list(conn.execute(query).mappings()))
    return Page(frame, total, page, page_size, pages)


@requires(DATES_READ)
def dates_per_day(
    viewer: Viewer, db: Databases, *, start: datetime, end: datetime
) -> dict[date, int]:
    """Active dates per Berlin day starting in [start, end) (naive UTC): the staff calendar of
    every partner, whatever their number (reads one column, no names or seats)."""
    d = miomente_course_date
    # Grouped by start time in SQL (courses start on the hour or half hour: a month of 49,000
    # dates is about 1,500 start times), the Berlin day is taken per start time here, which
    # needs no time-zone function of the database.
    query = (
        select(d.c.starts_at, func.count())
        .where(
            scope.product_filter(d.c.product_id, _owned_products(viewer, db)),
            d.c.starts_at >= naive_utc(start),
            d.c.starts_at < naive_utc(end),
            d.c.status == DATE_ACTIVE,
        )
        .group_by(d.c.starts_at)
    )
    counts: dict[date, int] = {}
    with db.magento_read.connect() as conn:
        for starts_at, count in conn.execute(query):
            day = local_day(starts_at)
            counts[day] = counts.get(day, 0) + int(count)
    return counts


def truncated(frame: pd.DataFrame) -> bool:
    """Whether `list_dates` left dates out of `frame` (the range held more than its cap)."""
    return bool(frame.attrs.get("more", False))


@requires(DATES_READ)
def get_date(viewer: Viewer, db: Databases, *, date_id: int) -> CourseDate:
    """One of the viewer's dates; ScopeError("dates.not_found") for a missing or foreign one."""
    d = miomente_course_date
    query = _dates_query(_owned_products(viewer, db)).where(d.c.date_id == int(date_id))
    with db.magento.connect() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            raise ScopeError(NOT_FOUND)
        frame = _frame(conn, [row])
    record = frame.iloc[0].to_dict()
    return CourseDate(
        date_id=int(record["date_id"]),
        product_id=int(record["product_id"]),
        course=record["course"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        seats_total=int(record["seats_total"]),
        seats_sold=int(record["seats_sold"]),
        waitlist=int(record["waitlist"]),
        price=to_decimal(record["price"]),
        status=str(record["status"]),
        series_id=int(row["series_id"]) if row["series_id"] is not None else None,
    )


@requires(DATES_READ)
def date_bookings(viewer: Viewer, db: Databases, *, date_id: int) -> pd.DataFrame:
    """Who booked one of the viewer's dates (items in orders that count, tickets left)."""
    ids = _owned_products(viewer, db)
    d = miomente_course_date
    with db.magento_read.connect() as conn:
        owned = conn.execute(
            select(d.c.date_id).where(
                d.c.date_id == int(date_id), scope.product_filter(d.c.product_id, ids)
            )
        ).first()
        rows = booked_items(conn, [int(date_id)]) if owned else []
    return pd.DataFrame(
        [
            {
                "item_id": r["item_id"],
                "order_id": r["order_id"],
                "increment_id": r["increment_id"],
                "date_id": r["date_id"],
                "customer_name": customer_name(r),
                "customer_email": r["customer_email"],
                "tickets": tickets_left(r),
                "amount": amount_due(r),
            }
            for r in rows
        ],
        columns=BOOKING_COLUMNS,
    )


@requires(DATES_READ)
def overlapping(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    ranges: Sequence[tuple[datetime, datetime]],
    exclude: Iterable[int] = (),
) -> list[int]:
    """Active dates of the viewer's course that overlap any of `ranges` (naive UTC)."""
    ids = _owned_products(viewer, db)
    if not ranges or (ids is not None and int(product_id) not in ids):
        return []
    d = miomente_course_date
    spans = sorted((naive_utc(a), naive_utc(b)) for a, b in ranges)
    skip = {int(i) for i in exclude}
    query = (
        select(d.c.date_id, d.c.starts_at, d.c.ends_at)
        .where(
            d.c.product_id == int(product_id),
            d.c.status == DATE_ACTIVE,
            d.c.starts_at < max(b for _a, b in spans),
            d.c.ends_at > spans[0][0],
            scope.product_filter(d.c.product_id, ids),
        )
        .order_by(d.c.starts_at)
    )
    with db.magento_read.connect() as conn:
        existing = [r for r in conn.execute(query) if r.date_id not in skip]
    found: list[int] = []
    # Both lists are sorted by start: one sweep.
    for row in existing:
        if any(a < row.ends_at and b > row.starts_at for a, b in spans):
            found.append(int(row.date_id))
    return found


@requires(DATES_READ)
def refunds_due(viewer: Viewer, db: Databases, *, limit: int = 1000) -> pd.DataFrame:
    """Cancelled dates whose bookings still wait for (part of) their money, newest first."""
    ids = _owned_products(viewer, db)
    d = miomente_course_date
    with db.magento_read.connect() as conn:
        cancelled = [
            r[0]
            for r in conn.execute(
                select(d.c.date_id)
                .where(d.c.status == DATE_CANCELLED, scope.product_filter(d.c.product_id, ids))
                .order_by(d.c.updated_at.desc(), d.c.date_id.desc())
                .limit(max(1, min(int(limit), 5000)))
            )
        ]
        rows = booked_items(conn, cancelled)
        names: dict[int, str] = {}
        if rows:
            sub = product_names().subquery()
            found = conn.execute(
                select(sub.c.entity_id, sub.c.name).where(
                    sub.c.entity_id.in_(sorted({r["product_id"] for r in rows}))
                )
            )
            names = {entity_id: name for entity_id, name in found}
    out = [
        {
            "date_id": r["date_id"],
            "product_id": r["product_id"],
            "course": names.get(r["product_id"]) or r["name"],
            "starts_at": r["starts_at"],
            "order_id": r["order_id"],
            "increment_id": r["increment_id"],
            "customer_name": customer_name(r),
            "tickets": tickets_left(r),
            "amount_due": amount_due(r),
            "cancelled_at": r["date_updated_at"],
        }
        for r in rows
        if amount_due(r) > 0
    ]
    out.sort(key=lambda r: (r["cancelled_at"], r["date_id"], r["order_id"]), reverse=True)
    return pd.DataFrame(out, columns=REFUND_COLUMNS)


# --- writing -------------------------------------------------------------------------------------


@requires(DATES_WRITE)
def create_date(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    starts_at: datetime,
    ends_at: datetime,
    seats: int,
    price: Decimal | str | float,
    now: datetime | None = None,
    token: str | None = None,
    minimum: object = None,
) -> DateSaved:
    """A single date of one of the viewer's courses (Berlin wall-clock or aware times).

    Overlapping active dates of the same course are allowed but reported (`overlaps`), so the
    page can warn. `token` is the rendered form's idempotency token (data/ops/submissions.py): a
    second save of the same form is refused and creates nothing. `minimum`: the date's
    Mindestteilnehmerzahl (empty or 0: none; at most the seats), see data/dates/minimums.py."""
    now = naive_utc(now) if now else now_utc()
    partner_id = require_product(viewer, db, product_id)
    seats_value, price_value = check_values(seats=seats, price=price)
    minimum_value = check_minimum(minimum, seats=seats_value)
    start_utc, end_utc = to_utc(starts_at), to_utc(ends_at)
    _check_times(start_utc, end_utc, now=now)
    overlaps = overlapping(viewer, db, product_id=product_id, ranges=[(start_utc, end_utc)])
    submissions.claim(db, token, kind="date", user_id=viewer.user_id, now=now)
    try:
        with shop_writes.shop_transaction(db.magento) as conn:
            date_id = shop_writes.insert_course_date(
                conn,
                product_id=int(product_id),
                starts_at=start_utc,
                ends_at=end_utc,
                seats_total=seats_value,
                price=price_value,
                status=DATE_ACTIVE,
                series_id=None,
                created_at=now,
                updated_at=now,
            )
    except Exception:
        submissions.release(db, token)  # nothing was created: the form may be sent again
        raise
    with db.portal.begin() as pconn:
        if minimum_value:
            minimum_store.store(
                pconn, date_id=date_id, partner_id=partner_id, product_id=int(product_id),
                minimum=minimum_value, user_id=viewer.user_id, now=now,
            )  # fmt: skip
        audit.record(
            pconn,
            viewer,
            action="date_created",
            entity=ENTITY,
            entity_id=date_id,
            partner_id=partner_id,
            details={"product_id": int(product_id), "minimum": minimum_value},
            now=now,
        )
        webhooks.emit_dates(
            pconn, "date.created", [{"date_id": date_id, "product_id": int(product_id),
            "starts_at": start_utc, "ends_at": end_utc, "seats_total": seats_value,
            "price": price_value, "status": DATE_ACTIVE}], partner_id=partner_id, now=now,
        )  # fmt: skip
    return DateSaved(date_id=date_id, overlaps=overlaps)


def _record_move(
    pconn: Connection,
    *,
    series_id: int,
    date_id: int,
    old_start: datetime,
    new_start: datetime,
    user_id: int,
    now: datetime,
) -> None:
    """Inside the caller's portal transaction: the date of a series moved to `new_start`
    (naive UTC). The occurrence keeps the day it had in the rule (an earlier move's day)."""
    e = recurring_exceptions
    existing = pconn.execute(
        select(e.c.exception_id).where(e.c.series_id == series_id, e.c.date_id == date_id)
    ).first()
    if existing is not None:
        pconn.execute(update(e).where(e.c.exception_id == existing[0]).values(moved_to=new_start))
        return
    pconn.execute(
        insert(e).values(
            series_id=series_id,
            occurs_on=local_day(old_start),
            action="move",
            moved_to=new_start,
            date_id=date_id,
            created_by=user_id,
            created_at=now,
        )
    )


def _change(
    date_id: int,
    *,
    times: tuple[datetime, datetime] | None,
    seats: int | None,
    price: Decimal | None,
    minimum: int | None,
) -> dict[str, object]:
    """What an edit changes ("minimum" is the portal's, the rest the shop's)."""
    change: dict[str, object] = {"date_id": date_id}
    if times is not None:
        change.update(starts_at=times[0], ends_at=times[1])
    values = {"seats_total": seats, "price": price, "minimum": minimum}
    change.update({k: v for k, v in values.items() if v is not None})
    return change


@requires(DATES_WRITE)
def update_date(
    viewer: Viewer,
    db: Databases,
    *,
    date_id: int,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    seats: int | None = None,
    price: Decimal | str | float | None = None,
    now: datetime | None = None,
    minimum: object = None,
) -> DateSaved:
    """Change one future, active date of the viewer's. A new start keeps the duration unless
    `ends_at` is given; the orders booked on it get their event time refreshed in the ledger,
    and a new start queues a `date_moved` email to each booked customer (`messages`).
    `minimum` (None: unchanged; empty or 0: none) is checked against the seats it will have."""
    now = naive_utc(now) if now else now_utc()
    current = get_date(viewer, db, date_id=date_id)
    partner_id = require_product(viewer, db, current.product_id)
    if current.status != DATE_ACTIVE or current.starts_at <= now:
        raise InvalidInput("dates.not_editable")
    seats_value, price_value = check_values(seats=seats, price=price)
    if seats_value is not None and seats_value < current.seats_sold:
        raise InvalidInput("dates.seats_below_sold", sold=current.seats_sold)
    new_minimum = (
        None
        if minimum is None
        else check_minimum(minimum, seats=seats_value or current.seats_total)
    )
    new_start = to_utc(starts_at) if starts_at is not None else current.starts_at
    if ends_at is not None:
        new_end = to_utc(ends_at)
    else:
        new_end = new_start + (current.ends_at - current.starts_at)
    moved = (new_start, new_end) != (current.starts_at, current.ends_at)
    if moved:
        _check_times(new_start, new_end, now=now)
    change = _change(
        int(date_id), times=(new_start, new_end) if moved else None, seats=seats_value,
        price=price_value, minimum=new_minimum,
    )  # fmt: skip
    overlaps = (
        overlapping(
            viewer,
            db,
            product_id=current.product_id,
            ranges=[(new_start, new_end)],
            exclude=[date_id],
        )
        if moved
        else []
    )
    order_ids: list[int] = []
    messages = 0
    with db.portal.begin() as pconn:
        if moved and current.series_id is not None:
            _record_move(
                pconn,
                series_id=current.series_id,
                date_id=int(date_id),
                old_start=current.starts_at,
                new_start=new_start,
                user_id=viewer.user_id,
                now=now,
            )
        if new_minimum is not None:
            minimum_store.store(
                pconn, date_id=int(date_id), partner_id=partner_id,
                product_id=current.product_id, minimum=new_minimum, user_id=viewer.user_id,
                now=now,
            )  # fmt: skip
        audit.record(
            pconn,
            viewer,
            action="date_changed",
            entity=ENTITY,
            entity_id=date_id,
            partner_id=partner_id,
            details={k: str(v) for k, v in change.items() if k != "date_id"},
            now=now,
        )
        webhooks.emit_dates(
            pconn, "date.changed", [{**asdict(current), **change}], partner_id=partner_id, now=now
        )
        with shop_writes.shop_transaction(db.magento) as conn:
            locked = shop_writes.lock_course_dates(conn, date_ids=[int(date_id)])
            if not locked or locked[0]["status"] != DATE_ACTIVE:
                raise InvalidInput("dates.not_editable")
            shop_changes = {k: v for k, v in change.items() if k != "minimum"}
            if len(shop_changes) > 1:
                shop_writes.update_course_dates(conn, changes=[shop_changes], now=now)
            if moved:
                order_ids = order_ids_on(conn, [int(date_id)])
            if new_start != locked[0]["starts_at"]:
                messages = notify_moved(
                    pconn,
                    conn,
                    date_id=int(date_id),
                    old_starts_at=locked[0]["starts_at"],
                    new_starts_at=new_start,
                    new_ends_at=new_end,
                    partner_id=partner_id,
                    revision=locked[0]["updated_at"],
                )
    refreshed = refresh_ledger(db, order_ids, now)
    return DateSaved(
        date_id=int(date_id), overlaps=overlaps, orders_refreshed=refreshed, messages=messages
    )


@requires(DATES_WRITE)
def cancel_date(
    viewer: Viewer,
    db: Databases,
    *,
    date_id: int,
    confirm: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> CancelResult:
    """Cancel one of the viewer's future dates; with bookings only when `confirm` is set
    (`dry_run`: only say what a cancel would touch).

    A past date is left alone: the result's `date_ids` is empty."""
    now = naive_utc(now) if now else now_utc()
    current = get_date(viewer, db, date_id=date_id)
    # A past date is not cancelled (the result lists no date); the page says so.
    partner_id = require_product(viewer, db, current.product_id)
    return cancel_dates(
        viewer, db, partner_id=partner_id, date_ids=[int(date_id)], confirm=confirm,
        reason=reason, now=now, dry_run=dry_run,
    )  # fmt: skip
