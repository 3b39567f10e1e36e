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

from core import periods
from core.db import Databases
from core.money import ZERO
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
    seats_sold,
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


@requires(DATES_READ)
def week_dates(viewer: Viewer, db: Databases, *, today: date | None = None) -> pd.DataFrame:
    """This week's (Mon–Sun, Berlin) course dates with seats sold and total."""
    week = periods.week_of(today or periods.berlin_today())
    ids = scope.product_ids(viewer, db)
    names = product_names().subquery()
    d = miomente_course_date
    query = (
        select(
            d.c.date_id,
            d.c.product_id,
            names.c.name.label("course"),
            d.c.starts_at,
            d.c.seats_total,
            seats_sold(d.c.date_id).label("seats_sold"),
        )
        .select_from(d)
        .outerjoin(names, names.c.entity_id == d.c.product_id)
        .where(
            d.c.starts_at >= week.start,
            d.c.starts_at < week.end,
            d.c.status == DATE_ACTIVE,
            scope.product_filter(d.c.product_id, ids),
        )
        .order_by(d.c.starts_at, d.c.date_id)
    )
    with db.magento_read.connect() as conn:
        rows = conn.execute(query).mappings().all()
    owners = scope.product_partner_map(viewer, db)
    return pd.DataFrame(
        [
            {**r, "seats_sold": tickets(r["seats_sold"]), "partner_id": owners.get(r["product_id"])}
            for r in rows
        ],
        columns=[
            "date_id",
            "product_id",
            "course",
            "starts_at",
            "seats_total",
            "seats_sold",
            "partner_id",
        ],
    )


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
def partner_table(viewer: Viewer, db: Databases, *, today: date | None = None) -> pd.DataFrame:
    """Staff's table of partners in scope: courses, open confirmations, revenue, rating."""
    today = today or periods.berlin_today()
    owners = scope.product_partner_map(viewer, db)
    ids = None if viewer.sees_all else list(owners)
    votes = (
        select(
            review.c.entity_pk_value.label("product_id"),
            func.sum(rating_option_vote.c.value).label("stars"),
            func.count(rating_option_vote.c.vote_id).label("votes"),
        )
        .select_from(
            review.join(rating_option_vote, rating_option_vote.c.review_id == review.c.review_id)
        )
        .where(
            review.c.status_id == REVIEW_APPROVED,
            scope.product_filter(review.c.entity_pk_value, ids),
        )
        .group_by(review.c.entity_pk_value)
    )
    with db.magento_read.connect() as conn:
        ratings = conn.execute(votes).all()
    sales = revenue.by_partner(viewer, db, span=revenue.MonthSpan.month(today), limit=None)
    with db.portal.connect() as conn:
        partner_rows = conn.execute(
            select(
                partners.c.partner_id,
                partners.c.name,
                partners.c.city,
                func.count(courses.c.course_id).label("courses"),
            )
            .select_from(partners.outerjoin(courses, courses.c.partner_id == partners.c.partner_id))
            .where(scope.partner_filter(partners.c.partner_id, viewer))
            .group_by(partners.c.partner_id, partners.c.name, partners.c.city)
            .order_by(partners.c.name)
        ).all()
        waiting: dict[int, int] = dict(
            conn.execute(
                select(bookings.c.partner_id, func.count())
                .where(
                    bookings.c.status == BOOKING_NEW,
                    scope.partner_filter(bookings.c.partner_id, viewer),
                )
                .group_by(bookings.c.partner_id)
            ).all()
        )
    table = {
        p.partner_id: {
            "partner_id": p.partner_id,
            "name": p.name,
            "city": p.city,
            "courses": int(p.courses),
            "pending": int(waiting.get(p.partner_id, 0)),
            "revenue_month": ZERO,
            "_stars": 0,
            "_votes": 0,
        }
        for p in partner_rows
    }
    for partner_id, amount in zip(sales["partner_id"], sales["revenue"], strict=True):
        row = table.get(int(partner_id))
        if row is not None:
            row["revenue_month"] = amount
    for product_id, stars, count in ratings:
        row = table.get(owners.get(product_id))
        if row is not None:
            row["_stars"] += int(stars)
            row["_votes"] += int(count)
    records = []
    for row in table.values():
        stars, count = row.pop("_stars"), row.pop("_votes")
        row["rating"] = (
            (Decimal(stars) / count).quantize(Decimal("0.1"), ROUND_HALF_UP) if count else None
        )
        records.append(row)
    return pd.DataFrame(
        records,
        columns=["partner_id", "name", "city", "courses", "pending", "revenue_month", "rating"],
    )
