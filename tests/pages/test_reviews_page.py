"""Bewertungen and Moderation through the real script runner (AppTest), in German and English:
the partner answers (with the live hints), staff approve or reject on Moderation, the partner
sees the rejection's reason and revises; the overview's figures; a review link opens it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Databases
from data.access.viewer import Viewer
from data.reviews import responses
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.reviews import add_review
from tests.support.worlds import build_world

PAGE = "angebot/bewertungen.py"
MODERATION = "verwaltung/moderation.py"
PARTNER = Viewer(user_id=ALPHA, role="partner", partner_id=1)
STAFF_VIEWER = Viewer(user_id=STAFF, role="staff")
HOSTILE = "Super! ![x](https://tracker.example/p.gif) [Gewinn](https://evil.example) :smile:"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        add_review(db, 41, 101, 2, created_at=datetime(2026, 11, 2, 9), detail=HOSTILE,
                   nickname="Anna S.")  # fmt: skip
        yield db


def _list(at: AppTest) -> AppTest:
    views = at.segmented_control(key="reviews_view")
    label = next(o for o in views.options if o in ("Bewertungen", "Reviews"))
    views.set_value(label).run()
    return at


def _answer_box(at: AppTest, review_id: int):
    return at.text_area(key=f"reviews_answer_{review_id}")


@pytest.mark.parametrize("locale", ["de", "en"])
def test_answer_moderation_approved(world: Databases, locale: str) -> None:
    at = _list(open_page(PAGE, user_id=ALPHA, locale=locale))
    text = assert_clean(at)
    assert "tracker.example" not in "".join(
        str(m.value) for m in at.markdown if "![" in str(m.value)
    )
    _answer_box(at, 41).input("Danke! Mehr auf www.alpha.example.de").run()
    hints = " ".join(str(w.value) for w in at.warning)
    assert ("Link" if locale == "de" else "link") in hints
    _answer_box(at, 41).input("Danke für Ihren Besuch!").run()
    assert not at.warning
    at.button(key="reviews_answer_41_send").click().run()
    text = assert_clean(at)
    assert ("zur Freigabe" if locale == "de" else "submitted for approval") in text
    answer = responses.answer_for_review(PARTNER, world, review_id=41)
    assert answer is not None and answer.status == "pending"

    staff = open_page(MODERATION, user_id=STAFF, locale=locale)
    text = assert_clean(staff)
    assert "Danke für Ihren Besuch!" in " ".join(str(x.value) for x in staff.text)
    staff.button(key=f"moderation_{answer.response_id}_approve").click().run()
    text = assert_clean(staff)
    assert ("Freigegeben" if locale == "de" else "Approved") in text
    assert responses.approved_answers(STAFF_VIEWER, world, review_ids=[41]) == {
        41: "Danke für Ihren Besuch!"
    }
    assert ("Keine Antworten" if locale == "de" else "No answers") in text


def test_reject_with_reason_then_the_partner_revises(world: Databases) -> None:
    answer = responses.save_answer(PARTNER, world, review_id=41, body="Danke, Anna Schäfer!")
    staff = open_page(MODERATION, user_id=STAFF)
    key = f"moderation_{answer.response_id}"
    staff.selectbox(key=f"{key}_reason").set_value("Personenbezogene Daten des Gastes")
    staff.text_area(key=f"{key}_note").input("Bitte ohne Nachnamen.")
    staff.button(key=f"FormSubmitter:{key}_reject-Ablehnen").click().run()
    assert "Abgelehnt" in assert_clean(staff)

    at = _list(open_page(PAGE, user_id=ALPHA))
    text = assert_clean(at)
    assert "Personenbezogene Daten des Gastes" in text and "Bitte ohne Nachnamen." in text
    _answer_box(at, 41).input("Danke für Ihren Besuch!").run()
    at.button(key="reviews_answer_41_send").click().run()
    assert_clean(at)
    revised = responses.answer_for_review(PARTNER, world, review_id=41)
    assert revised is not None and revised.status == "pending"


def test_overview_figures(world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    text = assert_clean(at)
    labels = {m.label: m.value for m in at.metric}
    assert labels["Freigegebene Bewertungen"] == "3"  # reviews 1, 2 and 41
    assert "Kochschule" in text  # the marketplace comparison names the category


def test_staff_see_all_and_cannot_answer(world: Databases) -> None:
    at = _list(open_page(PAGE, user_id=STAFF))
    text = assert_clean(at)
    assert "Gast 3" in text and "Gast 1" in text  # both partners' reviews
    assert not [b for b in at.button if str(b.key or "").endswith("_send")]


def test_a_review_link_opens_the_review(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page(f"pages/{PAGE}")
    at.query_params = {"bewertung": "41"}
    at.run()
    assert_clean(at)  # also: the opened review is on the list's first page, keys differ
    assert any("41" in str(h.value) for h in at.subheader)
    assert at.text_area(key="reviews_opened_41") is not None
    assert at.text_area(key="reviews_answer_41") is not None  # and in the list below
    other = new_app(user_id=20)
    other.run()
    other.switch_page(f"pages/{PAGE}")
    other.query_params = {"bewertung": "41"}
    other.run()
    assert_clean(other)
    assert not any("41" in str(h.value) for h in other.subheader)
    assert any("nicht" in str(w.value) for w in other.warning)
