"""The demo's review requests: both demo partners have sent requests (some reminded, some
answered with a review of the course), each with the order's legal basis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
from sqlalchemy import select

from core.db import Databases
from data import demo
from data import portal_schema as p
from data.access.viewer import SYSTEM, Viewer
from data.bookings.ledger import sync_ledger
from data.demo.review_requests import add_demo_review_requests
from data.reviews import requests as rq
from data.shop import schema as m
from tests.conftest import fresh_databases

TODAY = date(2026, 11, 25)
NOON = datetime.combine(TODAY, time(11, 0))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path_factory.mktemp("demo-review-requests")) as db:
        demo.generate(db, orders=1500, seed=42, today=TODAY)
        sync_ledger(SYSTEM, db, notify=False)
        add_demo_review_requests(db, now=NOON)
        yield db


def _partner(db: Databases, username: str) -> Viewer:
    with db.portal.connect() as conn:
        user = conn.execute(select(p.users).where(p.users.c.username == username)).one()
    return Viewer(user_id=user.user_id, role="partner", partner_id=user.partner_id)


@pytest.mark.parametrize("username", ["kochschule", "weinschule"])
def test_each_demo_partner_has_sent_requests(demo_db: Databases, username: str) -> None:
    viewer = _partner(demo_db, username)
    sent = rq.sent_requests(viewer, demo_db)
    assert len(sent) > 0
    assert set(sent["basis"]) <= {"consent", "notice"}
    assert (sent["reminders_sent"] > 0).any() or (sent["status"] == "reviewed").any()
    assert (rq.response_rates(viewer, demo_db)["requests"] > 0).all()


def test_answered_requests_point_at_reviews_of_their_course(demo_db: Databases) -> None:
    with demo_db.portal.connect() as conn:
        linked = dict(
            conn.execute(
                select(p.review_requests.c.review_id, p.review_requests.c.product_id).where(
                    p.review_requests.c.review_id.is_not(None)
                )
            ).all()
        )
    assert linked
    with demo_db.magento.connect() as conn:
        products = dict(
            conn.execute(
                select(m.review.c.review_id, m.review.c.entity_pk_value).where(
                    m.review.c.review_id.in_(sorted(linked))
                )
            ).all()
        )
    assert products == linked
    assert rq.queue_due_requests(SYSTEM, demo_db, now=NOON).requested >= 0  # the task runs on it
