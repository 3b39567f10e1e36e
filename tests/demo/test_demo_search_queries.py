"""The demo's search log: German searches for the demo's kinds and cities, so the Marketing
views (keyword ideas, price position) show something for the demo partners at first start."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from core.db import Databases
from data import demo
from data import portal_schema as p
from data.access.viewer import Viewer
from data.marketing.keywords import find_courses, keyword_ideas
from data.marketing.prices import price_position
from data.shop import schema as m
from tests.conftest import fresh_databases

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path_factory.mktemp("demo-search")) as db:
        # The first start's size: other schools of the same kind exist, not only the partner's own.
        demo.generate(db, orders=demo.DEFAULT_ORDERS, seed=42, today=TODAY)
        yield db


def _partner(db: Databases, username: str) -> Viewer:
    with db.portal.connect() as conn:
        user = conn.execute(select(p.users).where(p.users.c.username == username)).one()
    return Viewer(user_id=user.user_id, role="partner", partner_id=user.partner_id)


def test_the_search_log_holds_german_searches_with_cities(demo_db: Databases) -> None:
    q = m.search_query
    with demo_db.magento.connect() as conn:
        texts = set(conn.execute(select(q.c.query_text)).scalars())
        total = conn.execute(select(func.count()).select_from(q)).scalar()
        found_nothing = conn.execute(select(func.count()).where(q.c.num_results == 0)).scalar()
    assert total and total > 500
    assert {"kochkurs", "weinprobe", "töpferkurs"} <= texts
    assert any(t.endswith(" hamburg") for t in texts) and 0 < (found_nothing or 0) < total


@pytest.mark.parametrize("username", ["kochschule", "weinschule"])
def test_demo_partners_get_keyword_ideas_and_a_price_position(
    demo_db: Databases, username: str
) -> None:
    viewer = _partner(demo_db, username)
    product_id = int(find_courses(viewer, demo_db)["product_id"].iloc[0])
    ideas = keyword_ideas(viewer, demo_db, product_id=product_id)
    assert ideas.searches and ideas.terms and ideas.similar >= 3
    pos = price_position(viewer, demo_db, product_id=product_id, now=datetime(2026, 11, 25, 11))
    assert pos.points and pos.result.fill_rate is not None and pos.seats > 0
