"""The demo's Mindestteilnehmerzahl: both demo partners have dates with a minimum, and each
has one date below it in the check window whose question waits on Termine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from core.db import Databases
from data import demo
from data import portal_schema as p
from data.access.viewer import Viewer
from data.dates import course_dates as cd
from data.dates import minimums as mn
from tests.conftest import fresh_databases

TODAY = date(2026, 11, 25)
NOON = datetime.combine(TODAY, time(11, 0))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path_factory.mktemp("demo-minimums")) as db:
        demo.generate(db, orders=400, seed=42, today=TODAY)
        yield db


def _partner(db: Databases, username: str) -> Viewer:
    with db.portal.connect() as conn:
        user = conn.execute(select(p.users).where(p.users.c.username == username)).one()
    return Viewer(user_id=user.user_id, role="partner", partner_id=user.partner_id)


@pytest.mark.parametrize("username", ["kochschule", "weinschule"])
def test_each_demo_partner_is_asked_about_one_date(demo_db: Databases, username: str) -> None:
    viewer = _partner(demo_db, username)
    [question] = mn.open_questions(viewer, demo_db, now=NOON)
    assert question.seats_sold < question.minimum
    dates = cd.list_dates(viewer, demo_db, start=NOON)
    minimums = mn.date_minimums(viewer, demo_db, date_ids=dates["date_id"].tolist())
    assert sum(1 for info in minimums.values() if info.minimum > 0) >= 3
