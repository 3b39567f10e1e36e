"""The demo's waitlist: both demo partners have people waiting, some in groups, and the
Warteliste's figures (seats, possible revenue, conversion rate) have something to show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db import Databases
from data import demo
from data import portal_schema as p
from data.access.viewer import Viewer
from data.demand import waitlist as wl
from tests.conftest import fresh_databases

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path_factory.mktemp("demo-waitlist")) as db:
        demo.generate(db, orders=400, seed=42, today=TODAY)
        yield db


def _partner(db: Databases, username: str) -> Viewer:
    with db.portal.connect() as conn:
        user = conn.execute(select(p.users).where(p.users.c.username == username)).one()
    return Viewer(user_id=user.user_id, role="partner", partner_id=user.partner_id)


@pytest.mark.parametrize("username", ["kochschule", "weinschule"])
def test_both_demo_partners_have_waiting_customers_some_in_groups(
    demo_db: Databases, username: str
) -> None:
    viewer = _partner(demo_db, username)
    courses = wl.waiting_courses(viewer, demo_db)
    assert len(courses) >= 3
    assert all(r is not None and r > 0 for r in courses["possible_revenue"])
    people = wl.list_entries(viewer, demo_db)
    assert (people["seats"] >= 3).any() and (people["seats"] == 1).any()
    assert (people["date_id"] == 0).any()
    assert courses["people"].sum() == len(people)


def test_the_same_seed_gives_the_same_waitlist(demo_db: Databases, tmp_path: Path) -> None:
    with fresh_databases("sqlite", tmp_path) as again:
        demo.generate(again, orders=400, seed=42, today=TODAY)
        query = select(p.waitlist).order_by(p.waitlist.c.entry_id)
        with again.portal.connect() as a, demo_db.portal.connect() as b:
            assert [tuple(r) for r in a.execute(query)] == [tuple(r) for r in b.execute(query)]
