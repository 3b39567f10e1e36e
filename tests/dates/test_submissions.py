"""A form creates its record once (data/ops/submissions.py), on SQLite, MariaDB + PostgreSQL:
the same rendered form sent twice — one after the other, or two racing requests — creates one
series (or one date) and refuses the second; a new form creates another."""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from core import recurrence as rec
from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.dates import course_dates as cd
from data.dates import series as s
from data.shop import schema as m
from tests.support.orders import ALPHA

D = m.miomente_course_date
SUSHI = 102  # A's course without dates after this week in the world
NOW = datetime(2027, 4, 20, 8, 0)  # a Tuesday morning (UTC)


def _pattern() -> rec.Pattern:
    return rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2027, 4, 20),
        start_time=time(18, 0),
        duration_minutes=180,
        weekdays=("TU",),
        count=6,
    )


def _save_series(db: Databases, token: str | None) -> s.SeriesSaved:
    return s.create_series(
        ALPHA, db, product_id=SUSHI, pattern=_pattern(), seats=8, price="79.00", now=NOW,
        token=token,
    )  # fmt: skip


def _series_count(db: Databases) -> int:
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(p.recurring_patterns)).scalar())


def _sushi_dates(db: Databases) -> int:
    with db.magento.connect() as conn:
        query = select(func.count()).select_from(D).where(D.c.product_id == SUSHI)
        return int(conn.execute(query).scalar())


def test_the_same_series_form_sent_twice_creates_one_series(shop: Databases) -> None:
    token = secrets.token_urlsafe(24)
    first = _save_series(shop, token)
    assert first.created == 6
    dates_after_first = _sushi_dates(shop)
    with pytest.raises(InvalidInput) as refused:
        _save_series(shop, token)
    assert refused.value.key == cd.DUPLICATE
    assert _series_count(shop) == 1 and _sushi_dates(shop) == dates_after_first
    # A new form (a new token) is a new decision: it creates a second series.
    _save_series(shop, secrets.token_urlsafe(24))
    assert _series_count(shop) == 2


def test_two_racing_submits_of_one_form_create_one_series(shop: Databases) -> None:
    token = secrets.token_urlsafe(24)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def submit() -> None:
        start.wait()
        try:
            outcomes.append(_save_series(shop, token))
        except InvalidInput as exc:
            outcomes.append(exc.key)

    before = _sushi_dates(shop)
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(type, outcomes), key=str) == sorted([s.SeriesSaved, str], key=str)
    assert cd.DUPLICATE in outcomes
    assert _series_count(shop) == 1 and _sushi_dates(shop) == before + 6


def test_the_same_date_form_sent_twice_creates_one_date(shop: Databases) -> None:
    day = rec.local_day(NOW) + timedelta(days=10)
    token = secrets.token_urlsafe(24)
    fields = {
        "product_id": SUSHI,
        "starts_at": datetime.combine(day, time(18, 0)),
        "ends_at": datetime.combine(day, time(21, 0)),
        "seats": 10,
        "price": "89",
        "now": NOW,
        "token": token,
    }
    before = _sushi_dates(shop)
    cd.create_date(ALPHA, shop, **fields)
    with pytest.raises(InvalidInput) as refused:
        cd.create_date(ALPHA, shop, **fields)
    assert refused.value.key == cd.DUPLICATE
    assert _sushi_dates(shop) == before + 1


def test_a_refused_save_keeps_the_token_free_and_a_forged_token_saves_nothing(
    shop: Databases,
) -> None:
    token = secrets.token_urlsafe(24)
    with pytest.raises(InvalidInput) as refused:
        s.create_series(
            ALPHA, shop, product_id=SUSHI, pattern=_pattern(), seats=0, price="79.00", now=NOW,
            token=token,
        )  # fmt: skip
    assert refused.value.key != cd.DUPLICATE
    _save_series(shop, token)  # the corrected form, same rendering: saved
    with pytest.raises(InvalidInput):
        _save_series(shop, "x'; drop table --")
    assert _series_count(shop) == 1


def test_tokens_of_forms_older_than_a_week_are_cleared_by_the_next_save(shop: Databases) -> None:
    old, recent = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    _save_series(shop, old)
    week_later = NOW + timedelta(days=6)
    cd.create_date(
        ALPHA, shop, product_id=SUSHI, starts_at=datetime(2027, 6, 1, 16, 0),
        ends_at=datetime(2027, 6, 1, 19, 0), seats=10, price="89", now=week_later, token=recent,
    )  # fmt: skip
    assert _tokens(shop) == {old, recent}  # six days: the first form's token is still held
    cd.create_date(
        ALPHA, shop, product_id=SUSHI, starts_at=datetime(2027, 6, 2, 16, 0),
        ends_at=datetime(2027, 6, 2, 19, 0), seats=10, price="89",
        now=NOW + timedelta(days=8), token=secrets.token_urlsafe(24),
    )  # fmt: skip
    assert old not in _tokens(shop) and recent in _tokens(shop)


def _tokens(db: Databases) -> set[str]:
    with db.portal.connect() as conn:
        return set(conn.execute(select(p.submissions.c.token)).scalars())
