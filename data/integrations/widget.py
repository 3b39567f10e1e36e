"""What the public booking widget shows: a partner's upcoming dates, and their version.

`widget_dates` lists the viewer's active dates that have not started (soonest first), of
some courses or all, optionally of one Berlin month, with free seats, price and the shop's booking
link. `widget_version` is a cheap fingerprint of everything those dates depend on (the
partner's future dates, the orders booked on them, its booking ledger and courses): the public
service derives its ETag from it, so a new or changed date, a booking, a cancellation or a new
price changes the ETag without any invalidation hook. `widget_answer` is what the public
widget shows (its courses and dates) in one call with fewer round trips.

Both take the viewer first like every data function: the public service passes the partner's
read-only widget viewer (`Viewer.widget`), the portal's preview the partner itself. Another
partner's course id is refused like an unknown one (`ScopeError("widget.course_unknown")`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from core import links
from core.clock import now_utc
from core.db import Databases
from core.money import to_money
from core.recurrence import to_utc
from core.sql import int_in
from data.access import scope
from data.access.permissions import DATES_READ, requires
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import bookings, courses, partners
from data.shop.catalog import product_names
from data.shop.schema import (
    DATE_ACTIVE,
    holds_seats,
    miomente_course_date,
    net_tickets,
    sales_order,
    sales_order_item,
)

MAX_DATES = 500
COURSE_UNKNOWN = "widget.course_unknown"


@dataclass(frozen=True)
class WidgetDate:
    date_id: int
    product_id: int
    course: str
    starts_at: datetime  # naive UTC
    ends_at: datetime
    seats_total: int
    seats_free: int
    price: Decimal
    booking_url: str


@dataclass(frozen=True)
class WidgetCourse:
    product_id: int
    name: str


def _narrowed(ids: list[int] | None, product_ids: Sequence[int] | None) -> list[int] | None:
    """The viewer's product ids `ids` narrowed to `product_ids` (None or empty: all of
    them); refused when one of them is not the viewer's."""
    if not product_ids:
        return ids
    wanted = sorted({int(pid) for pid in product_ids})
    foreign = [pid for pid in wanted if ids is not None and pid not in ids]
    if foreign:
        raise ScopeError(COURSE_UNKNOWN, course=foreign[0])
    return wanted


def _products(viewer: Viewer, db: Databases, product_ids: Sequence[int] | None) -> list[int] | None:
    """The viewer's product ids narrowed to `product_ids` (see `_narrowed`)."""
    return _narrowed(scope.product_ids(viewer, db), product_ids)


def _month_range(month: date) -> tuple[datetime, datetime]:
    """The Berlin month holding `month` as naive UTC [start, end)."""
    first = month.replace(day=1)
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return (
        to_utc(datetime.combine(first, datetime.min.time())),
        to_utc(datetime.combine(following, datetime.min.time())),
    )


def _sold(db: Databases, date_ids: list[int]) -> dict[int, int]:
    if not date_ids:
        return {}
    item, order = sales_order_item, sales_order
    query = (
        select(item.c.miomente_date_id, func.coalesce(func.sum(net_tickets(item)), 0))
        .select_from(item.join(order, order.c.entity_id == item.c.order_id))
        .where(int_in(item.c.miomente_date_id, date_ids), holds_seats(order, item))
        .group_by(item.c.miomente_date_id)
    )
    with db.magento_read.connect() as conn:
        return {int(d): max(int(float(n or 0)), 0) for d, n in conn.execute(query)}


def _names(db: Databases, product_ids: set[int]) -> dict[int, str]:
    if not product_ids:
        return {}
    names = product_names().subquery()
    query = select(names.c.entity_id, names.c.name).where(int_in(names.c.entity_id, product_ids))
    with db.magento_read.connect() as conn:
        return {int(pid): name or "" for pid, name in conn.execute(query)}


def _date_rows(
    db: Databases,
    ids: list[int] | None,
    *,
    month: date | None,
    limit: int,
    now: datetime,
    names: dict[int, str] | None,
) -> list[WidgetDate]:
    """The dates of the products `ids` (already scoped; None: all); the course names from
    `names` when given (the viewer's courses), else from their own query."""
    d = miomente_course_date
    # Only the columns shown (the driver's row parsing is the cost at 500 dates).
    query = (
        select(d.c.date_id, d.c.product_id, d.c.starts_at, d.c.ends_at, d.c.seats_total, d.c.price)
        .where(d.c.status == DATE_ACTIVE, d.c.starts_at > now)
        .order_by(d.c.starts_at, d.c.date_id)
        .limit(max(1, min(int(limit), MAX_DATES)))
    )
    if ids is not None:
        query = query.where(int_in(d.c.product_id, ids))
    if month is not None:
        start, end = _month_range(month)
        query = query.where(d.c.starts_at >= start, d.c.starts_at < end)
    with db.magento_read.connect() as conn:
        rows = conn.execute(query).all()
    sold = _sold(db, [r[0] for r in rows])
    if names is None:
        names = _names(db, {int(r[1]) for r in rows})
    # Plain tuples unpacked, not row mappings: this loop runs for every date of every answer.
    dates = []
    for date_id, product_id, starts_at, ends_at, seats_total, price in rows:
        seats = int(seats_total)
        dates.append(
            WidgetDate(
                date_id=date_id,
                product_id=product_id,
                course=names.get(int(product_id)) or "",
                starts_at=starts_at,
                ends_at=ends_at,
                seats_total=seats,
                seats_free=max(seats - sold.get(date_id, 0), 0),
                price=to_money(price),
                booking_url=links.shop_date_url(product_id, date_id),
            )
        )
    return dates


@requires(DATES_READ)
def widget_dates(
    viewer: Viewer,
    db: Databases,
    *,
    product_ids: Sequence[int] | None = None,
    month: date | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> list[WidgetDate]:
    """The viewer's bookable dates ahead (active, not started), soonest first."""
    ids = _products(viewer, db, product_ids)
    if ids == []:
        return []
    return _date_rows(db, ids, month=month, limit=limit, now=now or now_utc(), names=None)


@dataclass(frozen=True)
class WidgetAnswer:
    courses: list[WidgetCourse]  # all the viewer's courses by name (`widget_courses`)
    dates: list[WidgetDate]  # `widget_dates` with the same arguments


@requires(DATES_READ)
def widget_answer(
    viewer: Viewer,
    db: Databases,
    *,
    product_ids: Sequence[int] | None = None,
    month: date | None = None,
    limit: int = 100,
    now: datetime | None = None,
) -> WidgetAnswer:
    """`widget_courses` and `widget_dates` together, as the public widget shows them, in
    fewer round trips: the viewer's product ids are read once, and the dates' course names
    come from the course list instead of a query of their own."""
    owned = scope.product_ids(viewer, db)
    ids = _narrowed(owned, product_ids)
    course_list = _course_list(db, owned)
    if ids == []:
        return WidgetAnswer(course_list, [])
    # Staff (all partners) may see dates of products that are nobody's course: those names
    # come from their own query, as in `widget_dates`.
    names = {c.product_id: c.name for c in course_list} if owned is not None else None
    dates = _date_rows(db, ids, month=month, limit=limit, now=now or now_utc(), names=names)
    return WidgetAnswer(course_list, dates)


def _course_list(db: Databases, ids: list[int] | None) -> list[WidgetCourse]:
    """The courses `ids` (already scoped; None: every partner's) by name."""
    if ids == []:
        return []
    names = product_names().subquery()
    query = select(names.c.entity_id, names.c.name).order_by(names.c.name, names.c.entity_id)
    if ids is not None:
        query = query.where(int_in(names.c.entity_id, ids))
    else:
        owned = select(courses.c.product_id)
        with db.portal.connect() as conn:
            query = query.where(int_in(names.c.entity_id, conn.execute(owned).scalars()))
    with db.magento_read.connect() as conn:
        return [WidgetCourse(int(pid), name or "") for pid, name in conn.execute(query)]


@requires(DATES_READ)
def widget_courses(viewer: Viewer, db: Databases) -> list[WidgetCourse]:
    """The viewer's courses by name: the widget's course choice and the preview's."""
    return _course_list(db, scope.product_ids(viewer, db))


@requires(DATES_READ)
def widget_partner_name(viewer: Viewer, db: Databases) -> str:
    """The name of the partner whose widget this is ("" for staff seeing all)."""
    if viewer.partner_id is None:
        return ""
    with db.portal.connect() as conn:
        name = conn.execute(
            select(partners.c.name).where(partners.c.partner_id == viewer.partner_id)
        ).scalar()
    return name or ""


def _shop_fingerprint(db: Databases, ids: list[int] | None, now: datetime) -> tuple[object, ...]:
    """Counts, sums and newest changes of the future dates and of the items booked on them:
    two aggregate queries on indexed columns, the date ids never leave the database."""
    d, item, order = miomente_course_date, sales_order_item, sales_order
    ahead = [d.c.starts_at > now]
    if ids is not None:
        ahead.append(int_in(d.c.product_id, ids))
    dates_query = select(
        func.count(),
        func.max(d.c.updated_at),
        func.sum(d.c.seats_total),
        func.sum(d.c.price),
        func.max(d.c.date_id),
    ).where(*ahead)
    items_query = (
        select(func.count(), func.max(order.c.updated_at), func.max(item.c.updated_at))
        .select_from(item.join(order, order.c.entity_id == item.c.order_id))
        .where(item.c.miomente_date_id.in_(select(d.c.date_id).where(*ahead)))
    )
    with db.magento_read.connect() as conn:
        dates_row = tuple(conn.execute(dates_query).one())
        items_row = tuple(conn.execute(items_query).one()) if dates_row[0] else ()
    return dates_row + items_row


@requires(DATES_READ)
def widget_version(
    viewer: Viewer,
    db: Databases,
    *,
    product_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> str:
    """A short fingerprint that changes whenever `widget_dates` may answer differently."""
    ids = _products(viewer, db, product_ids)
    now = now or now_utc()
    ledger = select(func.count(), func.max(bookings.c.synced_at)).where(
        scope.partner_filter(bookings.c.partner_id, viewer), bookings.c.event_at > now
    )
    with db.portal.connect() as conn:
        ledger_row = tuple(conn.execute(ledger).one())
    parts = (ids, _shop_fingerprint(db, ids, now) if ids != [] else (), ledger_row)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]
