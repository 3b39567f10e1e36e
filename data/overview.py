"""Figures for the Übersicht: what needs attention now and how business is going.

All queries are scoped to the viewer's products in SQL and read the shop's replica.
Revenue is the gross of the viewer's own order items (row_total_incl_tax less refunds) by
booking date; cancelled orders never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from sqlalchemy import func, select

from core import periods, sql
from core.db import Databases
from core.money import ZERO
from core.paging import Page, bounds
from data.access import scope
from data.access.permissions import DATES_READ, MONEY_READ, ORDERS_READ, REVIEWS_READ, requires
from data.access.viewer import Viewer
from data.money import revenue
from data.portal_schema import BOOKING_NEW, bookings, courses, partners
from data.shop.catalog import product_names
from data.shop.schema import (
    DATE_ACTIVE,
    REVIEW_APPROVED,
    miomente_course_date,
    rating_option_vote,
    review,
    seats_sold_among,
    seats_sold_per_date,
    tickets,
)


@requires(ORDERS_READ)
def pending_confirmations(viewer: Viewer, db: Databases) -> int:
    """The viewer's bookings still waiting for the partner's decision (from the ledger).

    Counted per booked item, not per order: in an order shared by two partners each one
    decides its own items, and the shop's order status says nothing about one partner's half.
    """
    query = (
        select(func.count())
        .select_from(bookings)
        .where(
            bookings.c.status == BOOKING_NEW, scope.partner_filter(bookings.c.partner_id, viewer)
        )
    )
    with db.portal.connect() as conn:
        return int(conn.execute(query).scalar_one())


PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
WEEK_COLUMNS = [
    "date_id",
    "product_id",
    "course",
    "starts_at",
    "seats_total",
    "seats_sold",
    "partner_id",
    "partner",
]
PARTNER_COLUMNS = ["partner_id", "name", "city", "courses", "pending", "revenue_month", "rating"]


def _bounds(total: int, page: int, page_size: int) -> tuple[int, int, int]:
    return bounds(total, page, page_size, sizes=PAGE_SIZES)  # PAGE_SIZES as set now (tests)


def _week_where(viewer: Viewer, db: Databases, today: date | None) -> list:
    week = periods.week_of(today or periods.berlin_today())
    d = miomente_course_date
    return [
        d.c.starts_at >= week.start,
        d.c.starts_at < week.end,
        d.c.status == DATE_ACTIVE,
        scope.product_filter(d.c.product_id, scope.product_ids(viewer, db)),
    ]


@dataclass(frozen=True)
class WeekTotals:
    dates: int
    seats_sold: int
    seats_total: int


@requires(DATES_READ)
def week_totals(viewer: Viewer, db: Databases, *, today: date | None = None) -> WeekTotals:
    """This week's (Mon–Sun, Berlin) dates, their seats and the seats sold: SQL aggregates,
    not a row per date."""
    d = miomente_course_date
    where = _week_where(viewer, db, today)
    counts = select(func.count(), func.coalesce(func.sum(d.c.seats_total), 0)).where(*where)
    with db.magento_read.connect() as conn:
        dates, total = conn.execute(counts.select_from(d)).one()
        sold = conn.execute(seats_sold_among(select(d.c.date_id).where(*where))).scalar_one()
    return WeekTotals(int(dates), tickets(sold), int(total))


@requires(DATES_READ)
def week_page(
    viewer: Viewer,
    db: Databases,
    *,
    today: date | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page:
    """One page of this week's dates (by start) with seats sold and total, course and partner.

    Seats sold and partner names are read for the page's dates only (one grouped query each).
    """
    names = product_names().subquery()
    d = miomente_course_date
    where = _week_where(viewer, db, today)
    with db.magento_read.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(d).where(*where)).scalar_one())
        page, pages, offset = _bounds(total, page, page_size)
        rows = (
            conn.execute(
                select(
                    d.c.date_id,
                    d.c.product_id,
                    names.c.name.label("course"),
                    d.c.starts_at,
                    d.c.seats_total,
                )
                .select_from(d)
                .outerjoin(names, names.c.entity_id == d.c.product_id)
                .where(*where)
                .order_by(d.c.starts_at, d.c.date_id)
                .limit(page_size)
                .offset(offset)
            )
            .mappings()
            .all()
        )
        ids = [r["date_id"] for r in rows]
        sold = dict(conn.execute(seats_sold_per_date(ids)).all()) if ids else {}
    owners = _owners(viewer, db, {r["product_id"] for r in rows})
    records = [
        {
            **r,
            "seats_sold": tickets(sold.get(r["date_id"], 0)),
            "partner_id": owners.get(r["product_id"], (None, None))[0],
            "partner": owners.get(r["product_id"], (None, None))[1],
        }
        for r in rows
    ]
    return Page(pd.DataFrame(records, columns=WEEK_COLUMNS), total, page, page_size, pages)


def _owners(viewer: Viewer, db: Databases, product_ids: set[int]) -> dict[int, tuple[int, str]]:
    """product id -> (partner id, partner name) for a page's products in the viewer's scope."""
    if not product_ids:
        return {}
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(courses.c.product_id, partners.c.partner_id, partners.c.name)
            .select_from(courses.join(partners, partners.c.partner_id == courses.c.partner_id))
            .where(
                sql.int_in(courses.c.product_id, product_ids),
                scope.partner_filter(courses.c.partner_id, viewer),
            )
        ).all()
    return {int(p): (int(pid), name) for p, pid, name in rows}


@dataclass(frozen=True)
class RevenueComparison:
    this_month: Decimal
    last_month: Decimal  # up to the same day as this month (like for like)
    last_until: date | None = None  # that day; None for a whole month

    @property
    def change(self) -> Decimal | None:
        """Relative change against last month (0.1 = +10 %); None without a base."""
        if self.last_month == 0:
            return None
        return (self.this_month - self.last_month) / self.last_month


@requires(MONEY_READ)
def revenue_this_month(
    viewer: Viewer, db: Databases, *, today: date | None = None
) -> RevenueComparison:
    """Revenue booked this calendar month up to today, against the previous month up to the
    same day (1.–4. December against 1.–4. November).

    The same figures as Buchhaltung's dashboard (data/money/revenue.py, from the monthly roll-ups),
    so the two screens never disagree and neither reads the shop's order tables.
    """
    today = today or periods.berlin_today()
    figures = revenue.summary(viewer, db, span=revenue.MonthSpan.month(today), today=today)
    return RevenueComparison(
        this_month=figures.current.revenue,
        last_month=figures.previous.revenue,
        last_until=figures.previous_until,
    )


@dataclass(frozen=True)
class RatingSummary:
    average: Decimal | None  # 1.0–5.0, one decimal
    reviews: int


@requires(REVIEWS_READ)
def average_rating(viewer: Viewer, db: Databases) -> RatingSummary:
    """Mean star rating over the approved reviews of the viewer's courses."""
    ids = scope.product_ids(viewer, db)
    query = (
        select(func.avg(rating_option_vote.c.value), func.count(func.distinct(review.c.review_id)))
        .select_from(
            review.join(rating_option_vote, rating_option_vote.c.review_id == review.c.review_id)
        )
        .where(
            review.c.status_id == REVIEW_APPROVED,
            scope.product_filter(review.c.entity_pk_value, ids),
        )
    )
    with db.magento_read.connect() as conn:
        avg, count = conn.execute(query).one()
    if not count:
        return RatingSummary(None, 0)
    return RatingSummary(Decimal(str(avg)).quantize(Decimal("0.1"), ROUND_HALF_UP), int(count))


@requires(MONEY_READ)
def partner_page(
    viewer: Viewer,
    db: Databases,
    *,
    today: date | None = None,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page:
    """Staff's table of partners in scope (by name), a page at a time: courses, open
    confirmations, revenue this month and rating, each read for the page's partners only."""
    today = today or periods.berlin_today()
    in_scope = scope.partner_filter(partners.c.partner_id, viewer)
    with db.portal.connect() as conn:
        total = int(
            conn.execute(select(func.count()).select_from(partners).where(in_scope)).scalar_one()
        )
        page, pages, offset = _bounds(total, page, page_size)
        partner_rows = conn.execute(
            select(
                partners.c.partner_id,
                partners.c.name,
                partners.c.city,
                func.count(courses.c.course_id).label("courses"),
            )
            .select_from(partners.outerjoin(courses, courses.c.partner_id == partners.c.partner_id))
            .where(in_scope)
            .group_by(partners.c.partner_id, partners.c.name, partners.c.city)
            .order_by(partners.c.name, partners.c.partner_id)
            .limit(page_size)
            .offset(offset)
        ).all()
        ids = [int(p.partner_id) for p in partner_rows]
        waiting: dict[int, int] = dict(
            conn.execute(
                select(bookings.c.partner_id, func.count())
                .where(bookings.c.status == BOOKING_NEW, sql.int_in(bookings.c.partner_id, ids))
                .group_by(bookings.c.partner_id)
            ).all()
        )
        owners: dict[int, int] = dict(
            conn.execute(
                select(courses.c.product_id, courses.c.partner_id).where(
                    sql.int_in(courses.c.partner_id, ids)
                )
            ).all()
        )
    ratings = _ratings(db, list(owners))
    sales = revenue.by_partner(viewer, db, span=revenue.MonthSpan.month(today), limit=None)
    amounts = dict(zip(sales["partner_id"], sales["revenue"], strict=True))
    stars: dict[int, list[int]] = {}
    for product_id, total_stars, count in ratings:
        votes = stars.setdefault(owners[product_id], [0, 0])
        votes[0] += int(total_stars)
        votes[1] += int(count)
    records = []
    for p in partner_rows:
        summed, count = stars.get(p.partner_id, (0, 0))
        records.append(
            {
                "partner_id": p.partner_id,
                "name": p.name,
                "city": p.city,
                "courses": int(p.courses),
                "pending": int(waiting.get(p.partner_id, 0)),
                "revenue_month": amounts.get(p.partner_id, ZERO),
                "rating": (Decimal(summed) / count).quantize(Decimal("0.1"), ROUND_HALF_UP)
                if count
                else None,
            }
        )
    return Page(pd.DataFrame(records, columns=PARTNER_COLUMNS), total, page, page_size, pages)


def _ratings(db: Databases, product_ids: list[int]) -> list:
    """(product id, summed stars, votes) of the approved reviews of `product_ids`."""
    if not product_ids:
        return []
    query = (
        select(
            review.c.entity_pk_value,
            func.sum(rating_option_vote.c.value),
            func.count(rating_option_vote.c.vote_id),
        )
        .select_from(
            review.join(rating_option_vote, rating_option_vote.c.review_id == review.c.review_id)
        )
        .where(
            review.c.status_id == REVIEW_APPROVED,
            sql.int_in(review.c.entity_pk_value, product_ids),
        )
        .group_by(review.c.entity_pk_value)
    )
    with db.magento_read.connect() as conn:
        return list(conn.execute(query).all())
