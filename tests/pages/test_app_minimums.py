"""Mindestteilnehmerzahl on Termine through the real script runner (AppTest): the field of the
edit form with its German refusals (nothing stored), the list's "2 / 6 Mindestteilnehmer", the
question with its two buttons, and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import recurrence as rec
from core.clock import now_utc
from core.db import Databases
from data.access.viewer import SYSTEM, Viewer
from data.dates import course_dates as cd
from data.dates import minimums as mn
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, app_environment, assert_clean, open_page
from tests.support.waitlist import sell
from tests.support.worlds import build_world

PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
BETA = 20  # partner B's user in tests/support/worlds.py
QUESTION = "Mindestteilnehmerzahl nicht erreicht — durchführen oder absagen?"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    """The two-partner world plus A's date two days ahead: 2 of at least 6 booked, asked."""
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        start = rec.to_local(now_utc().replace(second=0, microsecond=0) + timedelta(days=2))
        saved = cd.create_date(
            PARTNER_A, db, product_id=101, starts_at=start, ends_at=start + timedelta(hours=3),
            seats=10, price="89", minimum=6,
        )  # fmt: skip
        sell(db, saved.date_id, 2, product_id=101, email="gast@example.org", at=now_utc())
        assert mn.check_minimums(SYSTEM, db).asked == 1
        yield db


def _asked(db: Databases) -> int:
    return mn.open_questions(PARTNER_A, db)[0].date_id


def _page(user_id: int = ALPHA) -> AppTest:
    at = open_page("angebot/termine.py", user_id=user_id)
    assert_clean(at)
    return at


def _status(db: Databases, date_id: int) -> str:
    from sqlalchemy import select

    d = m.miomente_course_date
    with db.magento.connect() as conn:
        return str(conn.execute(select(d.c.status).where(d.c.date_id == date_id)).scalar())


def test_the_question_shows_and_holding_the_date_confirms_it(world: Databases) -> None:
    at = _page()
    text = assert_clean(at)
    assert QUESTION in text and "2 von mindestens 6 Teilnehmern" in text
    assert "2 / 6 Mindestteilnehmer" in text  # the list column
    date_id = _asked(world)
    at.button(key=f"min_hold_{date_id}").click().run()
    text = assert_clean(at)
    assert "Der Termin findet statt. 1 Buchung wurde bestätigt." in text
    assert QUESTION not in text
    assert _status(world, date_id) == m.DATE_ACTIVE
    assert mn.date_minimums(PARTNER_A, world, date_ids=[date_id])[date_id].state == "go"


def test_cancelling_from_the_question_cancels_the_date(world: Databases) -> None:
    at = _page()
    date_id = _asked(world)
    at.button(key=f"min_cancel_{date_id}").click().run()
    text = assert_clean(at)
    assert "Der Termin ist abgesagt. 1 Gast wird benachrichtigt" in text
    assert QUESTION not in text
    assert _status(world, date_id) == m.DATE_CANCELLED


def test_another_partner_sees_no_question(world: Databases) -> None:
    text = assert_clean(_page(BETA))
    assert QUESTION not in text


@pytest.mark.parametrize(
    ("typed", "says"),
    [(13, "darf nicht größer sein als die Zahl der Plätze (12)"), (-1, "ganze Zahl ab 0"),
     (10**9, "ganze Zahl ab 0")],
)  # fmt: skip
def test_a_bad_minimum_in_the_edit_form_is_refused_in_german(
    world: Databases, typed: int, says: str
) -> None:
    at = _page()
    at.selectbox(key="edit_pick").select(13)
    at.run()
    at.number_input(key="edit_minimum_13").set_value(typed)
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    assert_clean(at)
    assert any(says in str(e.value) for e in at.error)
    assert mn.date_minimums(PARTNER_A, world, date_ids=[13])[13].minimum == 0


def test_a_minimum_is_saved_and_shown_in_the_list(world: Databases) -> None:
    at = _page()
    at.selectbox(key="edit_pick").select(13)
    at.run()
    at.number_input(key="edit_minimum_13").set_value(4)
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    assert_clean(at)
    assert mn.date_minimums(PARTNER_A, world, date_ids=[13])[13].minimum == 4
    at.date_input(key="list_range").set_value(
        (rec.local_day(now_utc()), rec.local_day(now_utc()) + timedelta(days=60))
    ).run()
    assert "0 / 4 Mindestteilnehmer" in assert_clean(at)


def test_the_settings_refuse_a_deadline_after_the_date_and_save_good_ones(
    world: Databases,
) -> None:
    at = _page()
    at.number_input(key="min_days").set_value(1)
    at.number_input(key="min_hours").set_value(30)
    next(b for b in at.button if b.form_id == "minimum_settings").click().run()
    assert any("endet erst nach dem Termin" in str(e.value) for e in at.error)
    assert mn.get_settings(PARTNER_A, world) == mn.MinimumSettings(3, 24)
    at.number_input(key="min_days").set_value(5)
    at.number_input(key="min_hours").set_value(12)
    next(b for b in at.button if b.form_id == "minimum_settings").click().run()
    assert "Prüfung 5 Tage vorher, Antwortfrist 12 Stunden" in assert_clean(at)
    assert mn.get_settings(PARTNER_A, world) == mn.MinimumSettings(5, 12)
