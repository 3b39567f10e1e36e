"""Nachfrage: which courses are wanted beyond their dates, and an extra date to offer.

A course's demand is the seats its waitlist's active entries wait for plus the participants of
its open date requests for the next `HORIZON_DAYS`. `course_demand` lists the viewer's courses
with demand, most wanted first, a page at a time (staff see every partner's, or one chosen
partner's), each with a suggested extra date: the most requested weekday and time of day
(data/demand/_slots.py) from the requests' wishes, else from the course's booked dates, on
the first such day a week or more ahead; and the revenue its seats would bring at the course's
price.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select

from core import periods
from core.clock import now_utc
from core.db import Databases
from core.money import to_money
from core.recurrence import to_local
from core.sql import int_in
from data.access import scope
from data.access.permissions import WAITLIST_READ, requires
from data.access.viewer import Viewer
from data.demand._notices import active, course_facts
from data.demand._slots import Wish, most_wanted, next_weekday
from data.portal_schema import (
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    REQUEST_PENDING,
    bookings,
    date_requests,
    waitlist,
)

HORIZON_DAYS = 90
LEAD_DAYS = 7  # a suggested date is at least a week ahead: time to sell it
PAGE_LIMIT = 50
COUNTED = (BOOKING_NEW, BOOKING_CONFIRMED, BOOKING_COMPLETED)
FROM_REQUESTS, FROM_BOOKINGS = "requests", "bookings"
COLUMNS = [
    "product_id",
    "partner_id",
    "course",
    "waiting_people",
    "waiting_seats",
    "requests",
    "requested_people",
    "demand",
    "price",
    "expected_revenue",
    "suggested_day",
    "suggested_time",
    "suggested_from",
]


@dataclass(frozen=True)
class DemandPage:
    courses: pd.DataFrame  # COLUMNS, most demand first
    total: int  # courses with demand in the viewer's scope (all pages)


@dataclass
class _Course:
    product_id: int
    partner_id: int
    waiting_people: int = 0
    waiting_seats: int = 0
    requests: int = 0
    requested_people: int = 0
    wishes: list[Wish] = field(default_factory=list)

    @property
    def demand(self) -> int:
        return self.waiting_seats + self.requested_people


def _waiting(viewer: Viewer, db: Databases, partner_id: int | None) -> dict[int, _Course]:
    w = waitlist
    query = (
        select(w.c.product_id, w.c.partner_id, func.count(), func.sum(w.c.seats))
        .where(scope.partner_filter(w.c.partner_id, viewer), active())
        .group_by(w.c.product_id, w.c.partner_id)
    )
    if partner_id is not None:
        query = query.where(w.c.partner_id == int(partner_id))
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return {
        int(pid): _Course(int(pid), int(partner), int(people), int(seats or 0))
        for pid, partner, people, seats in rows
    }


def _add_requests(
    viewer: Viewer,
    db: Databases,
    found: dict[int, _Course],
    *,
    partner_id: int | None,
    today: date,
) -> None:
    """Open requests for a day in the horizon, into `found` (each one's wish kept)."""
    r = date_requests
    query = select(
        r.c.product_id, r.c.partner_id, r.c.requested_day, r.c.requested_time, r.c.participants
    ).where(
        scope.partner_filter(r.c.partner_id, viewer),
        r.c.status == REQUEST_PENDING,
        r.c.requested_day > today,
        r.c.requested_day <= today + timedelta(days=HORIZON_DAYS),
    )
    if partner_id is not None:
        query = query.where(r.c.partner_id == int(partner_id))
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    for pid, partner, day, start, people in rows:
        course = found.setdefault(int(pid), _Course(int(pid), int(partner)))
        course.requests += 1
        course.requested_people += int(people)
        course.wishes.append((day, start, int(people)))


def _booked_wishes(viewer: Viewer, db: Databases, courses: list[_Course]) -> dict[int, list[Wish]]:
    """Per course, its booked dates as wishes (Berlin day and time, tickets)."""
    if not courses:
        return {}
    b = bookings
    query = (
        select(b.c.product_id, b.c.event_at, func.sum(b.c.tickets))
        .where(
            scope.partner_filter(b.c.partner_id, viewer),
            # The courses' owners too: the ledger is indexed by partner, not by product (for
            # staff this reads ten partners' rows instead of all 1.36 M).
            int_in(b.c.partner_id, {c.partner_id for c in courses}),
            int_in(b.c.product_id, [c.product_id for c in courses]),
            b.c.status.in_(COUNTED),
            b.c.event_at.is_not(None),
        )
        .group_by(b.c.product_id, b.c.event_at)
    )
    out: dict[int, list[Wish]] = defaultdict(list)
    with db.portal.connect() as conn:
        for pid, event_at, tickets in conn.execute(query):
            local = to_local(event_at)
            out[int(pid)].append((local.date(), local.time(), int(tickets)))
    return out


def _suggestion(course: _Course, booked: list[Wish], today: date) -> dict[str, object]:
    source, slot = FROM_REQUESTS, most_wanted(course.wishes)
    if slot is None:
        source, slot = FROM_BOOKINGS, most_wanted(booked)
    if slot is None:
        return {"suggested_day": None, "suggested_time": None, "suggested_from": None}
    weekday, start = slot
    return {
        "suggested_day": next_weekday(today, weekday, lead_days=LEAD_DAYS),
        "suggested_time": start,
        "suggested_from": source,
    }


def _row(course: _Course, facts: dict, booked: list[Wish], today: date) -> dict[str, object]:
    name, price = facts.get(course.product_id, (None, None))
    return {
        "product_id": course.product_id,
        "partner_id": course.partner_id,
        "course": name or f"#{course.product_id}",
        "waiting_people": course.waiting_people,
        "waiting_seats": course.waiting_seats,
        "requests": course.requests,
        "requested_people": course.requested_people,
        "demand": course.demand,
        "price": None if price is None else to_money(price),
        "expected_revenue": None if price is None else to_money(price * course.demand),
        **_suggestion(course, booked, today),
    }


@requires(WAITLIST_READ)
def course_demand(
    viewer: Viewer,
    db: Databases,
    *,
    partner_id: int | None = None,
    limit: int = 10,
    offset: int = 0,
    now: datetime | None = None,
) -> DemandPage:
    """The viewer's courses with demand (waiting seats + requested participants in the next
    90 days), most first, `limit` from `offset`; `partner_id` narrows staff's view to one
    partner (a partner only ever sees its own). Each with a suggested extra date and the
    revenue the demanded seats would bring at the course's price."""
    today = periods.berlin_today(now or now_utc())
    found = _waiting(viewer, db, partner_id)
    _add_requests(viewer, db, found, partner_id=partner_id, today=today)
    ranked = sorted(
        (c for c in found.values() if c.demand > 0), key=lambda c: (-c.demand, c.product_id)
    )
    start = max(int(offset), 0)
    shown = ranked[start : start + max(1, min(int(limit), PAGE_LIMIT))]
    ids = [c.product_id for c in shown]
    facts = course_facts(db, ids)
    booked = _booked_wishes(viewer, db, [c for c in shown if not c.wishes])
    rows = [_row(c, facts, booked.get(c.product_id, []), today) for c in shown]
    return DemandPage(courses=pd.DataFrame(rows, columns=COLUMNS), total=len(ranked))
