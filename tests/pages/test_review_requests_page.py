"""Bewertungen → Anfragen through AppTest: the partner saves its review-request settings and
sees its requests and response rate per course, none of partner B's; staff not viewing as a
partner are told to choose one for the settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Databases
from data.access.viewer import Viewer
from data.reviews import requests as rq
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.review_requests import add_review_requests
from tests.support.worlds import B, build_world

PAGE = "angebot/bewertungen.py"


def _requests_view(at):
    """Bewertungen opens on its figures; the requests are the view "Anfragen"."""
    views = at.segmented_control(key="reviews_view")
    views.set_value(next(o for o in views.options if o in ("Anfragen", "Requests"))).run()
    return at


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        add_review_requests(db)
        yield db


def test_the_partner_saves_settings_and_sees_its_requests(world: Databases) -> None:
    at = _requests_view(open_page(PAGE, user_id=ALPHA))
    text = assert_clean(at)
    assert "Rücklaufquote je Kurs" in text and at.toggle(key="rr_on").value is True
    rates, sent = at.dataframe[0].value, at.dataframe[1].value
    assert rates.iloc[0].tolist() == ["Alpha Pasta-Werkstatt", "100,0\xa0%", "1", "1"]
    assert sent["Bestellung"].tolist() == ["000001001"] and sent["Status"].tolist() == ["Bewertet"]
    assert B.course_names[0] not in text
    at.number_input(key="rr_delay").set_value(2)
    at.radio(key="rr_reminders").set_value(2)
    at.radio(key="rr_basis").set_value("consent")
    next(b for b in at.button if b.label == "Einstellungen speichern").click().run()
    assert "Einstellungen für Bewertungsanfragen gespeichert." in assert_clean(at)
    alpha = Viewer(user_id=ALPHA, role="partner", partner_id=1)
    saved = rq.request_settings_of(alpha, world)
    assert (saved.delay_days, saved.reminders, saved.basis) == (2, 2, "consent")


def test_staff_choose_a_partner_for_the_settings(world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    at.switch_page(f"pages/{PAGE}")
    text = assert_clean(_requests_view(at.run()))
    assert "Ansicht als Partner" in text
    assert len(at.dataframe[1].value) == 2  # both partners' requests
