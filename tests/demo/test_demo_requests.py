"""Demo Terminanfragen: both demo partners open the page to open, answered and expired
requests (SQLite and MariaDB + PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import select

from core.db import Databases
from data import demo
from data import portal_schema as p
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.demo.requests import create_demo_requests
from tests.conftest import BACKENDS, fresh_databases

TODAY = date(2026, 11, 25)
NOON = datetime(2026, 11, 25, 11, 0)


@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    with fresh_databases(request.param, tmp_path_factory.mktemp("demo-requests")) as db:
        demo.generate(db, orders=300, seed=42, today=TODAY)
        assert create_demo_requests(db, today=TODAY) == 2  # one expired per demo partner
        yield db


def _demo_partners(db: Databases) -> list[Viewer]:
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(p.users.c.user_id, p.users.c.partner_id).where(
                p.users.c.username.in_(["kochschule", "weinschule"])
            )
        ).all()
    return [Viewer(user_id, "partner", partner_id) for user_id, partner_id in rows]


def test_both_demo_partners_have_requests_in_every_state(demo_db: Databases) -> None:
    viewers = _demo_partners(demo_db)
    assert len(viewers) == 2
    for viewer in viewers:
        listed = dr.list_requests(viewer, demo_db, now=NOON)
        assert set(listed["status"]) == {"pending", "accepted", "proposed", "rejected", "expired"}
        groups = dr.open_groups(viewer, demo_db, now=NOON)
        assert len(groups) == 2 and groups["requests"].max() == 2
        assert (groups["workdays_left"] > 0).all()
        accepted = listed[listed["status"] == "accepted"].iloc[0]
        assert accepted["created_date_id"] > 0


def test_the_demo_customers_were_told(demo_db: Databases) -> None:
    with demo_db.portal.connect() as conn:
        templates = sorted(
            t
            for (t,) in conn.execute(
                select(p.outbox.c.template).where(p.outbox.c.template.like("date_request%"))
            )
        )
    assert templates == sorted(
        ["date_request_accepted", "date_request_proposed", "date_request_rejected",
         "date_request_expired"] * 2
    )  # fmt: skip
