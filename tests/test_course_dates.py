"""Future course dates, scoped: what a partner may offer instead of a rejected booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Databases
from data.course_dates import future_dates
from data.viewer import Viewer

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


def test_future_dates_of_own_course_with_seats_sold(world: Databases) -> None:
    dates = future_dates(ALPHA, world, product_id=101)
    assert 13 in dates["date_id"].tolist()
    assert (dates["starts_at"] > datetime.now(UTC).replace(tzinfo=None)).all()
    later = future_dates(
        ALPHA,
        world,
        product_id=101,
        now=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30),
    )
    # Date 11 (this week): order 1001 (2) + 1003 (1) sold; cancelled order 1004 does not count.
    assert later.set_index("date_id").loc[11, "seats_sold"] == 3


def test_another_partners_course_shows_nothing(world: Databases) -> None:
    assert future_dates(ALPHA, world, product_id=201).empty
    assert not future_dates(STAFF, world, product_id=201).empty
