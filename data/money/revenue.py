"""Umsatz: the viewer's revenue by month, year, course and partner, with comparisons.

Everything here reads the monthly roll-ups `miomente_revenue_monthly` (data/money/rollup.py
keeps them exact on every write of the booking ledger), never the ledger or the shop: a
partner's 24 months are 24 rows of one index range, all partners' a few thousand rows.

Definitions (the dashboard's captions say the same):

- **Revenue** = the gross of the partner's own order items (`row_total_incl_tax`, what the
  customer pays incl. VAT, before the shop's discounts) less refunds, over the bookings with
  ledger status new, confirmed or completed. Rejected, cancelled and fully refunded bookings do
  not count; a partial refund lowers the revenue of the booking that stays. In an order shared
  by two partners each one's revenue holds only its own items.
- **Month**: the Berlin calendar month of the booking (basis "booked", the default: the sales
  view, like the Übersicht's "Umsatz diesen Monat") or of the course date (basis "event": the
  month a payout settles; bookings without a course date are left out there).
- **Tickets**: tickets still booked (cancelled and refunded tickets subtracted).
- **Orders**: distinct orders with a counted item of the partner. Across partners (staff) an
  order shared by two partners counts once for each. **Average order value** = revenue / orders.
- **Commission** = revenue x rate, summed per month and rounded half-up to the cent there. The
  rate is the partner's contractual `commission_rate` (miomente_partners), or a course's own
  rate (`miomente_commission_rates`, migration 0005) in force on the first day of the month:
  the roll-ups are monthly, so a course rate valid from the 15th applies here from the next
  month on, and with the "booked" basis by booking month although the payout applies it by
  event date. The dashboard's commission is an overview; the payout is the binding figure.
- **Periods** are whole Berlin months (`MonthSpan`: a month, a quarter, a year or any range of
  months). "Previous period" is the span of the same length right before, "same period last
  year" the span shifted by twelve months.
- **Like for like**: a span still running (today lies in it) counts up to today, and so do its
  comparisons, up to the same day: 1.–4. December against 1.–4. November and 1.–4. December
  of last year; a running year against the same part of last year. The finished months come
  from the roll-ups, the cut month from the ledger by day (`_days_totals`). A span of twelve
  months has no previous period other than last year's (`Summary.previous_is_year_ago`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Row, Select, func, select

from core import periods
from core.db import Databases
from core.money import ZERO, ratio, to_decimal, to_money, to_rate
from data.access import scope
from data.access.permissions import MONEY_READ, requires
from data.access.viewer import Viewer
from data.money.rollup import BASES, BASIS_BOOKED
from data.money.rules import revenue_amount_sql, revenue_filter
from data.portal_schema import (
    REVENUE_ALL_COURSES,
    bookings,
    commission_rates,
    partners,
    revenue_monthly,
)
from data.shop.catalog import product_names

DEFAULT_MONTHS = 24
TOP_PARTNERS = 10
rm = revenue_monthly

MONTH_COLUMNS = ["month", "revenue", "tickets", "orders", "items", "average_order", "commission"]
YEAR_COLUMNS = ["year", "revenue", "tickets", "orders", "items", "average_order", "commission"]
COURSE_COLUMNS = [
    "product_id",
    "course",
    "partner_id",
    "revenue",
    "tickets",
    "orders",
    "items",
    "share",
]
PARTNER_COLUMNS = [
    "partner_id",
    "name",
    "revenue",
    "tickets",
    "orders",
    "average_order",
    "commission_rate",
    "commission",
    "share",
]


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthSpan:
    """Whole Berlin months from `first` to `last` (both first days, inclusive)."""

    first: date
    last: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "first", self.first.replace(day=1))
        object.__setattr__(self, "last", self.last.replace(day=1))
        if self.last < self.first:
            raise ValueError("a span ends after it starts")

    @classmethod
    def month(cls, day: date) -> MonthSpan:
        return cls(day, day)

    @classmethod
    def quarter(cls, day: date) -> MonthSpan:
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return cls(first, _add_months(first, 2))

    @classmethod
    def year(cls, day: date) -> MonthSpan:
        return cls(date(day.year, 1, 1), date(day.year, 12, 1))

    @classmethod
    def last_months(cls, count: int, *, ending: date | None = None) -> MonthSpan:
        end = (ending or periods.berlin_today()).replace(day=1)
        return cls(_add_months(end, 1 - count), end)

    @property
    def length(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    def months(self) -> list[date]:
        return [_add_months(self.first, step) for step in range(self.length)]

    def previous(self) -> MonthSpan:
        """The span of the same length right before this one."""
        return MonthSpan(_add_months(self.first, -self.length), _add_months(self.first, -1))

    def year_earlier(self) -> MonthSpan:
        return MonthSpan(_add_months(self.first, -12), _add_months(self.last, -12))


@dataclass(frozen=True)
class Totals:
    revenue: Decimal
    tickets: int
    orders: int
    items: int
    commission: Decimal

    @property
    def average_order(self) -> Decimal | None:
        return to_money(self.revenue / self.orders) if self.orders else None


@dataclass(frozen=True)
class Change:
    absolute: Decimal
    relative: Decimal | None  # 0.1 = +10 %; None without a base to compare with


def change(current: Decimal | int | None, base: Decimal | int | None) -> Change | None:
    """Absolute and relative change of `current` against `base` (None if either is missing)."""
    if current is None or base is None:
        return None
    current, base = to_decimal(current), to_decimal(base)
    relative = ratio(current - base, abs(base))
    return Change(current - base, relative)


@dataclass(frozen=True)
class Summary:
    """The chosen span's totals next to the previous span's and the same span a year before.

    For a running span the three are counted up to the same day (`*_until`, else None)."""

    span: MonthSpan
    basis: str
    current: Totals
    previous: Totals
    year_ago: Totals
    current_until: date | None = None
    previous_until: date | None = None
    year_ago_until: date | None = None

    @property
    def previous_is_year_ago(self) -> bool:
        """Twelve months: the span right before is last year's, one comparison, not two."""
        return self.span.previous() == self.span.year_earlier()

    def vs_previous(self, field: str) -> Change | None:
        return change(getattr(self.current, field), getattr(self.previous, field))

    def vs_year_ago(self, field: str) -> Change | None:
        return change(getattr(self.current, field), getattr(self.year_ago, field))


# --- building blocks ---------------------------------------------------------------------------


def _span(span: MonthSpan | None) -> MonthSpan:
    return span or MonthSpan.last_months(DEFAULT_MONTHS)


def _basis(basis: str) -> str:
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}")
    return basis


def _scoped(viewer: Viewer, basis: str, first: date, last: date, *, courses: bool) -> list:
    return [
        scope.partner_filter(rm.c.partner_id, viewer),
        rm.c.basis == _basis(basis),
        (rm.c.product_id != REVENUE_ALL_COURSES)
        if courses
        else (rm.c.product_id == REVENUE_ALL_COURSES),
        rm.c.month >= first,
        rm.c.month <= last,
    ]


def _commission() -> object:
    """Revenue x rate (percent) of the partner row it is summed over (joined with partners)."""
    return (rm.c.gross - rm.c.refunded) * partners.c.commission_rate


def _sums(group: list) -> Select:
    return (
        select(
            *group,
            func.sum(rm.c.gross - rm.c.refunded).label("revenue"),
            func.sum(rm.c.tickets).label("tickets"),
            func.sum(rm.c.orders).label("orders"),
            func.sum(rm.c["items"]).label("items"),
            func.sum(_commission()).label("commission"),
        )
        .select_from(rm.join(partners, partners.c.partner_id == rm.c.partner_id))
        .group_by(*group)
    )


def _totals(row: Row | None, override: Decimal = ZERO) -> Totals:
    """A summed row as Totals; `override` is the per-course rates' difference (percent units)."""
    if row is None:
        return Totals(ZERO, 0, 0, 0, ZERO)
    raw = to_decimal(row.commission) + override
    return Totals(
        revenue=to_money(row.revenue),
        tickets=int(row.tickets or 0),
        orders=int(row.orders or 0),
        items=int(row.items or 0),
        commission=to_money(raw / 100),
    )


def _override_deltas(
    conn: Connection, viewer: Viewer, basis: str, first: date, last: date
) -> dict[tuple[int, date], Decimal]:
    """(partner, month) -> revenue x (course rate - contract rate) over the courses with a
    per-course rate (miomente_commission_rates) in force on the month's first day.

    Overrides are few, so this reads only those courses' roll-up rows; the contract rate is
    already in the partner rows' commission (`_sums`).
    """
    cr = commission_rates
    found = conn.execute(
        select(cr.c.product_id, cr.c.valid_from, cr.c.rate).where(
            scope.partner_filter(cr.c.partner_id, viewer), cr.c.valid_from <= last
        )
    ).all()
    if not found:
        return {}
    rates: dict[int, list[tuple[date, Decimal]]] = {}
    for product_id, valid_from, rate in found:
        rates.setdefault(int(product_id), []).append((_as_date(valid_from), to_decimal(rate)))
    query = (
        select(
            rm.c.partner_id,
            rm.c.product_id,
            rm.c.month,
            (rm.c.gross - rm.c.refunded).label("revenue"),
            partners.c.commission_rate,
        )
        .select_from(rm.join(partners, partners.c.partner_id == rm.c.partner_id))
        .where(
            *_scoped(viewer, basis, first, last, courses=True),
            rm.c.product_id.in_(sorted(rates)),
        )
    )
    deltas: dict[tuple[int, date], Decimal] = {}
    for partner_id, product_id, month, amount, contract in conn.execute(query):
        month = _as_date(month)
        valid = [rate for since, rate in sorted(rates[int(product_id)]) if since <= month]
        if valid:
            key = (int(partner_id), month)
            extra = to_decimal(amount) * (valid[-1] - to_decimal(contract))
            deltas[key] = deltas.get(key, ZERO) + extra
    return deltas


def _by_month(viewer: Viewer, db: Databases, basis: str, first: date, last: date) -> dict:
    query = _sums([rm.c.month]).where(*_scoped(viewer, basis, first, last, courses=False))
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
        deltas = _override_deltas(conn, viewer, basis, first, last)
    extra: dict[date, Decimal] = {}
    for (_partner, month), delta in deltas.items():
        extra[month] = extra.get(month, ZERO) + delta
    return {_as_date(row.month): _totals(row, extra.get(_as_date(row.month), ZERO)) for row in rows}


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _sum_totals(values: Iterable[Totals]) -> Totals:
    total = Totals(ZERO, 0, 0, 0, ZERO)
    for t in values:
        total = Totals(
            total.revenue + t.revenue,
            total.tickets + t.tickets,
            total.orders + t.orders,
            total.items + t.items,
            total.commission + t.commission,
        )
    return total


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=columns)


# --- the public functions ----------------------------------------------------------------------


@requires(MONEY_READ)
def monthly(
    viewer: Viewer, db: Databases, *, span: MonthSpan | None = None, basis: str = BASIS_BOOKED
) -> pd.DataFrame:
    """One row per month of the span (months without bookings as zeros), oldest first.

    Columns: month (first day), revenue, commission (Decimal), tickets, orders, items (int),
    average_order (Decimal or None).
    """
    span = _span(span)
    found = _by_month(viewer, db, basis, span.first, span.last)
    records = []
    for month in span.months():
        t = found.get(month) or _totals(None)
        records.append({"month": month, **_record(t)})
    return _frame(records, MONTH_COLUMNS)


def _record(t: Totals) -> dict[str, object]:
    return {
        "revenue": t.revenue,
        "tickets": t.tickets,
        "orders": t.orders,
        "items": t.items,
        "average_order": t.average_order,
        "commission": t.commission,
    }


@requires(MONEY_READ)
def yearly(
    viewer: Viewer,
    db: Databases,
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    basis: str = BASIS_BOOKED,
) -> pd.DataFrame:
    """One row per calendar year (default: the last three up to this one), oldest first."""
    this_year = periods.berlin_today().year
    last_year = last_year or this_year
    first_year = first_year or last_year - 2
    found = _by_month(viewer, db, basis, date(first_year, 1, 1), date(last_year, 12, 1))
    records = []
    for year in range(first_year, last_year + 1):
        t = _sum_totals(v for month, v in found.items() if month.year == year)
        records.append({"year": year, **_record(t)})
    return _frame(records, YEAR_COLUMNS)


def _days_totals(
    viewer: Viewer, db: Databases, basis: str, first_day: date, last_day: date
) -> Totals:
    """Totals of the counted ledger rows whose booking (or course) day lies in the days, with
    the commission rates in force on the first day of their month (as the roll-ups)."""
    column = bookings.c.booked_at if basis == BASIS_BOOKED else bookings.c.event_at
    bounds = periods.days(first_day, last_day)
    where = [
        scope.partner_filter(bookings.c.partner_id, viewer),
        revenue_filter(),
        column >= bounds.start,
        column < bounds.end,
    ]
    amount = revenue_amount_sql()
    per_course = (
        select(
            bookings.c.partner_id,
            bookings.c.product_id,
            func.sum(amount).label("revenue"),
            func.sum(bookings.c.tickets).label("tickets"),
            func.count().label("items"),
        )
        .where(*where)
        .group_by(bookings.c.partner_id, bookings.c.product_id)
    )
    # An order shared by two partners counts once for each (as the roll-ups count it): the
    # distinct (partner, order) pairs, in one statement however many partners staff see.
    pairs = select(bookings.c.partner_id, bookings.c.order_id).where(*where).distinct()
    orders = select(func.count()).select_from(pairs.subquery())
    with db.portal.connect() as conn:
        rows = conn.execute(per_course).all()
        order_count = int(conn.execute(orders).scalar() or 0)
        rates = _rates_on(conn, viewer, first_day.replace(day=1))
    raw = sum(
        (to_decimal(r.revenue) * _rate(rates, int(r.partner_id), int(r.product_id)) for r in rows),
        ZERO,
    )
    return Totals(
        revenue=to_money(sum((to_decimal(r.revenue) for r in rows), ZERO)),
        tickets=sum(int(r.tickets or 0) for r in rows),
        orders=order_count,
        items=sum(int(r.items or 0) for r in rows),
        commission=to_money(raw / 100),
    )


def _rates_on(conn: Connection, viewer: Viewer, month: date) -> dict[tuple[int, int], Decimal]:
    """(partner, product) -> the rate in force on `month`'s first day; (partner, 0) holds the
    contract rate for the courses without their own."""
    rates = {
        (int(pid), REVENUE_ALL_COURSES): to_decimal(rate)
        for pid, rate in conn.execute(
            select(partners.c.partner_id, partners.c.commission_rate).where(
                scope.partner_filter(partners.c.partner_id, viewer)
            )
        )
    }
    cr = commission_rates
    rows = conn.execute(
        select(cr.c.partner_id, cr.c.product_id, cr.c.rate)
        .where(scope.partner_filter(cr.c.partner_id, viewer), cr.c.valid_from <= month)
        .order_by(cr.c.valid_from)
    )
    for pid, product_id, rate in rows:
        rates[(int(pid), int(product_id))] = to_decimal(rate)  # the latest in force wins
    return rates


def _rate(rates: dict[tuple[int, int], Decimal], partner_id: int, product_id: int) -> Decimal:
    own = rates.get((partner_id, product_id))
    return own if own is not None else rates.get((partner_id, REVENUE_ALL_COURSES), ZERO)


@requires(MONEY_READ)
def summary(
    viewer: Viewer,
    db: Databases,
    *,
    span: MonthSpan | None = None,
    basis: str = BASIS_BOOKED,
    today: date | None = None,
) -> Summary:
    """Totals of the span, of the span before it and of the same span a year earlier; a
    running span and its comparisons up to the same day (module doc: like for like)."""
    span = _span(span)
    today = today or periods.berlin_today()
    previous, year_ago = span.previous(), span.year_earlier()
    first = min(previous.first, year_ago.first)
    found = _by_month(viewer, db, basis, first, span.last)

    def total(part: MonthSpan, until: date | None = None) -> Totals:
        if until is None:
            return _sum_totals(v for month, v in found.items() if part.first <= month <= part.last)
        whole = [v for month, v in found.items() if part.first <= month < until.replace(day=1)]
        cut = _days_totals(viewer, db, basis, until.replace(day=1), until)
        return _sum_totals([*whole, cut])

    if not span.first <= today <= periods.month_of(span.last).last_day:
        return Summary(span, basis, total(span), total(previous), total(year_ago))
    until_previous, until_year = (
        periods.shift_day(today, -span.length),
        periods.shift_day(today, -12),
    )
    return Summary(
        span,
        basis,
        total(span, today),
        total(previous, until_previous),
        total(year_ago, until_year),
        current_until=today,
        previous_until=until_previous,
        year_ago_until=until_year,
    )


@requires(MONEY_READ)
def by_course(
    viewer: Viewer, db: Databases, *, span: MonthSpan | None = None, basis: str = BASIS_BOOKED
) -> pd.DataFrame:
    """Revenue per course over the span, biggest first; `share` of the span's revenue (0..1)."""
    span = _span(span)
    query = (
        select(
            rm.c.product_id,
            rm.c.partner_id,
            func.sum(rm.c.gross - rm.c.refunded).label("revenue"),
            func.sum(rm.c.tickets).label("tickets"),
            func.sum(rm.c.orders).label("orders"),
            func.sum(rm.c["items"]).label("items"),
        )
        .where(*_scoped(viewer, basis, span.first, span.last, courses=True))
        .group_by(rm.c.product_id, rm.c.partner_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return _frame([], COURSE_COLUMNS)
    ids = sorted({int(row.product_id) for row in rows})
    # Names from the shop (the roll-ups hold ids only); the ids are the scoped rows' own.
    names_sq = product_names().subquery()
    names_query = select(names_sq.c.entity_id, names_sq.c.name).where(
        scope.product_filter(names_sq.c.entity_id, ids)
    )
    with db.magento_read.connect() as conn:
        names = {int(entity_id): name for entity_id, name in conn.execute(names_query)}
    total = sum((to_money(row.revenue) for row in rows), ZERO)
    records: list[dict[str, Any]] = [
        {
            "product_id": int(row.product_id),
            "course": names.get(int(row.product_id)) or f"#{row.product_id}",
            "partner_id": int(row.partner_id),
            "revenue": to_money(row.revenue),
            "tickets": int(row.tickets or 0),
            "orders": int(row.orders or 0),
            "items": int(row.items or 0),
            "share": ratio(to_money(row.revenue), total),
        }
        for row in rows
    ]
    records.sort(key=lambda r: (-r["revenue"], r["course"], r["product_id"]))
    return _frame(records, COURSE_COLUMNS)


@requires(MONEY_READ)
def by_partner(
    viewer: Viewer,
    db: Databases,
    *,
    span: MonthSpan | None = None,
    basis: str = BASIS_BOOKED,
    limit: int | None = TOP_PARTNERS,
) -> pd.DataFrame:
    """Partners in scope by revenue over the span, biggest first (the top `limit`; None: all).

    Staff see every partner; a partner (or staff viewing as one) only its own row.
    """
    span = _span(span)
    query = _sums([rm.c.partner_id, partners.c.name, partners.c.commission_rate]).where(
        *_scoped(viewer, basis, span.first, span.last, courses=False)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
        deltas = _override_deltas(conn, viewer, basis, span.first, span.last)
    extra: dict[int, Decimal] = {}
    for (partner_id, _month), delta in deltas.items():
        extra[partner_id] = extra.get(partner_id, ZERO) + delta
    total = sum((to_money(row.revenue) for row in rows), ZERO)
    records = []
    for row in rows:
        t = _totals(row, extra.get(int(row.partner_id), ZERO))
        records.append(
            {
                "partner_id": int(row.partner_id),
                "name": row.name,
                "revenue": t.revenue,
                "tickets": t.tickets,
                "orders": t.orders,
                "average_order": t.average_order,
                "commission_rate": to_rate(row.commission_rate),
                "commission": t.commission,
                "share": ratio(t.revenue, total),
            }
        )
    records.sort(key=lambda r: (-r["revenue"], r["name"], r["partner_id"]))
    return _frame(records[:limit] if limit else records, PARTNER_COLUMNS)
