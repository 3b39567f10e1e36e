"""Nachfrage on the Übersicht through the real script (AppTest): a card per wanted course with
its seats and expected revenue, the suggestion's click opens "Neuer Termin" prefilled (AppTest
does not rerun a dialog's own buttons; saving the form is tests/dates' business);
staff see every partner's cards and can narrow them to one.

Page tests run on today's clock, so the requests are placed relative to today and the
expected suggestion is computed the way the page computes it (data/demand/_slots.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core import periods
from core.db import Databases
from data.access.viewer import Viewer
from data.demand import date_requests as dr
from data.demand import waitlist as wl
from data.demand._slots import next_weekday
from data.portal_schema import waitlist
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app
from tests.support.worlds import B, build_world

PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
PAGE = "pages/verkauf/uebersicht.py"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _ask(db: Databases, *, people: int, start: time, email: str, days: int = 20) -> None:
    dr.create_request(
        PARTNER_A, db, product_id=101, day=periods.berlin_today() + timedelta(days=days),
        start=start, name="Kundin", email=email, participants=people,
    )  # fmt: skip


def _overview(user_id: int) -> AppTest:
    at = new_app(user_id=user_id)
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


def test_a_card_shows_what_is_wanted_and_the_click_prefills_the_new_date(
    world: Databases,
) -> None:
    _ask(world, people=4, start=time(17, 30), email="a@example.org")
    _ask(world, people=1, start=time(10, 0), email="b@example.org")
    at = _overview(ALPHA)
    text = assert_clean(at)
    assert "Nachfrage" in text and "Alpha Pasta-Werkstatt" in text
    # The world's waiting couple (2) + 5 requested people, at 89 €.
    assert "**7 Plätze gefragt** — 623,00\xa0€ erwarteter Umsatz" in text
    assert "am häufigsten angefragt" in text
    assert B.partner_name not in text and not any(n in text for n in B.course_names)

    at.button(key="demand_new_101").click().run()
    assert_clean(at)
    wished = periods.berlin_today() + timedelta(days=20)
    expected = next_weekday(periods.berlin_today(), wished.weekday(), lead_days=7)
    assert at.selectbox(key="nd_dialog_course").value == 101
    assert at.date_input(key="nd_dialog_day").value == expected
    assert at.time_input(key="nd_dialog_start").value == time(17, 30)  # 4 people beat 1
    assert at.time_input(key="nd_dialog_end").value == time(20, 30)
    assert at.number_input(key="nd_dialog_seats").value == 10


def test_staff_see_every_partners_cards_and_can_narrow_them(world: Databases) -> None:
    at = _overview(STAFF)
    text = assert_clean(at)
    assert "Alpha Pasta-Werkstatt" in text and "Beta Rotweinseminar" in text
    assert "am häufigsten gebucht" in text  # no requests: the booked slot
    assert _cards(at) == {"demand_new_101", "demand_new_201"}
    at.selectbox(key="demand_partner").select(2).run()
    assert_clean(at)
    assert _cards(at) == {"demand_new_201"}


def _cards(at: AppTest) -> set[str]:
    return {str(b.key) for b in at.button if str(b.key).startswith("demand_new_")}


def test_nobody_waiting_says_so(world: Databases) -> None:
    with world.portal.begin() as conn:
        conn.execute(update(waitlist).values(expired_at=datetime(2026, 1, 1)))
    assert wl.waiting_people(PARTNER_A, world) == 0
    text = assert_clean(_overview(ALPHA))
    assert "Gerade wartet niemand auf weitere Termine." in text
