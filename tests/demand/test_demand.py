"""Nachfrage: waiting seats + requested participants per course, most wanted first, with a
suggested extra date and its expected revenue. SQLite and MariaDB + PostgreSQL (`shop`: the
two-partner world, rebuilt per test); the clock is fixed at Wednesday 25.11.2026.

The world has one waiting couple on A's 101 (2 seats), a group of three on B's 201, and
booked dates (101: Wednesdays 18:00 Berlin; 201: Wednesday 19:00).
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from core.db import Databases
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.demand import demand
from data.demand._slots import most_wanted, next_weekday

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime(2026, 11, 25, 11, 0)  # Wednesday, 12:00 Berlin


def _ask(db: Databases, day: date, start: time, people: int, email: str, pid: int = 101) -> int:
    return dr.create_request(
        ALPHA, db, product_id=pid, day=day, start=start, name="Kundin", email=email,
        participants=people, now=NOW,
    ).request_id  # fmt: skip


def _by_course(page: demand.DemandPage) -> dict[int, dict]:
    return {int(r["product_id"]): r for r in page.courses.to_dict("records")}


def test_most_wanted_weekday_then_its_time() -> None:
    sat, fri = date(2026, 12, 12), date(2026, 12, 11)
    wishes = [(sat, time(14, 0), 2), (date(2026, 12, 19), time(18, 0), 3), (fri, time(18, 0), 4)]
    # Saturday has 5 people, Friday 4; on Saturdays 18:00 (3) beats 14:00 (2).
    assert most_wanted(wishes) == (5, time(18, 0))
    assert most_wanted([(fri, time(18, 0), 2), (sat, time(10, 0), 2)]) == (4, time(18, 0))
    assert most_wanted([]) is None
    assert next_weekday(date(2026, 11, 25), 5, lead_days=7) == date(2026, 12, 5)
    assert next_weekday(date(2026, 11, 25), 2, lead_days=7) == date(2026, 12, 2)


def test_requests_and_waiting_seats_make_the_demand(shop: Databases) -> None:
    _ask(shop, date(2026, 12, 12), time(14, 0), 2, "a@example.org")
    _ask(shop, date(2026, 12, 19), time(14, 0), 3, "b@example.org")
    _ask(shop, date(2026, 12, 11), time(18, 0), 4, "c@example.org")
    beyond = _ask(shop, date(2027, 3, 6), time(14, 0), 9, "d@example.org")  # > 90 days
    rejected = _ask(shop, date(2026, 12, 12), time(14, 0), 7, "e@example.org", pid=102)
    dr.reject_requests(ALPHA, shop, request_ids=[rejected], reason="Ausgebucht.", now=NOW)
    page = demand.course_demand(ALPHA, shop, now=NOW)
    assert page.total == 1 and beyond
    row = _by_course(page)[101]
    assert (row["waiting_seats"], row["requests"], row["requested_people"]) == (2, 3, 9)
    assert row["demand"] == 11
    assert row["expected_revenue"] == Decimal("979.00")  # 11 seats at 89 €
    # Saturdays are asked for most (5 people), at 14:00; a week ahead at least.
    assert (row["suggested_day"], row["suggested_time"]) == (date(2026, 12, 5), time(14, 0))
    assert row["suggested_from"] == "requests"


def test_without_requests_the_most_booked_slot_is_suggested(shop: Databases) -> None:
    row = _by_course(demand.course_demand(BETA, shop, now=NOW))[201]
    assert (row["demand"], row["requested_people"]) == (3, 0)
    assert row["suggested_from"] == "bookings"
    # Booked Wednesday 2.12. 19:00 Berlin: the next Wednesday a week ahead is that day.
    assert (row["suggested_day"], row["suggested_time"]) == (date(2026, 12, 2), time(19, 0))
    assert row["expected_revenue"] == Decimal("207.00")


def test_partners_see_their_own_staff_all_most_wanted_first_a_page_at_a_time(
    shop: Databases,
) -> None:
    assert list(_by_course(demand.course_demand(ALPHA, shop, now=NOW))) == [101]
    assert list(_by_course(demand.course_demand(BETA, shop, now=NOW))) == [201]
    everyone = demand.course_demand(STAFF, shop, now=NOW)
    assert everyone.courses["product_id"].tolist() == [201, 101]  # 3 seats before 2
    second = demand.course_demand(STAFF, shop, limit=1, offset=1, now=NOW)
    assert (second.total, second.courses["product_id"].tolist()) == (2, [101])
    only_a = demand.course_demand(STAFF, shop, partner_id=1, now=NOW)
    assert (only_a.total, only_a.courses["product_id"].tolist()) == (1, [101])
    # A partner naming another partner gets nothing of it.
    assert demand.course_demand(ALPHA, shop, partner_id=2, now=NOW).total == 0


@pytest.mark.parametrize("limit", [0, -5, 10_000])
def test_odd_page_sizes_are_bounded(shop: Databases, limit: int) -> None:
    page = demand.course_demand(STAFF, shop, limit=limit, offset=-3, now=NOW)
    assert 1 <= len(page.courses) <= demand.PAGE_LIMIT
