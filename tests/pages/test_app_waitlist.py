"""Warteliste through the real script runner (AppTest): the course cards with seats, possible
revenue and who waits, the phone sign-up with its German refusals, the settings, the quick
action into the Termine form, and the customer's link off the list without a login."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import links
from core.db import Databases
from core.i18n import catalog
from data.access.viewer import Viewer
from data.demand import waitlist as wl
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.worlds import B, build_world

PAGE = "angebot/warteliste.py"
PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        wl.add_entry(
            PARTNER_A, db, product_id=101, customer_name="Gruppe Groß", email="gross@example.org",
            seats=10, consent=True,
        )  # fmt: skip
        yield db


def _page(user_id: int = ALPHA, locale: str = "de") -> AppTest:
    at = open_page(PAGE, user_id=user_id, locale=locale)
    assert_clean(at)
    return at


@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_card_says_how_many_seats_wait_and_what_they_would_bring(
    world: Databases, locale: str
) -> None:
    at = _page(locale=locale)
    text = assert_clean(at)
    assert at.title[0].value == catalog(locale)["nav.waitlist"]
    # The world's couple (2) and the group (10) on "Alpha Pasta-Werkstatt" at 89 €.
    if locale == "de":
        assert "12 Plätze warten** — 1.068,00\xa0€ möglicher Umsatz" in at.markdown[0].value
    assert "Alpha Pasta-Werkstatt" in text
    assert "Wanda Warte" in text and "Gruppe Groß" in text
    assert B.partner_name not in text and B.customer_email not in text
    assert "Zora Beta" not in text


def test_staff_sees_every_partners_waiting_customers(world: Databases) -> None:
    text = assert_clean(_page(STAFF))
    assert "Zora Beta" in text and "Wanda Warte" in text


def test_a_phone_sign_up_is_stored_and_bad_input_is_refused_in_german(world: Databases) -> None:
    at = _page()
    form_inputs = {w.label: w for w in at.text_input}
    form_inputs["Name"].input("Frau Anruf")
    form_inputs["E-Mail"].input("kein-at-zeichen")
    at.checkbox[0].check()
    at.button(key="FormSubmitter:wl_0_form-Auf die Warteliste setzen").click().run()
    assert_clean(at)
    assert any("keine gültige E-Mail-Adresse" in str(e.value) for e in at.error)
    assert wl.waiting_people(PARTNER_A, world) == 2

    at.text_input(key="wl_0_email").input("anruf@example.org")
    at.button(key="FormSubmitter:wl_0_form-Auf die Warteliste setzen").click().run()
    text = assert_clean(at)
    assert "Frau Anruf steht jetzt auf der Warteliste." in text
    assert wl.waiting_people(PARTNER_A, world) == 3
    assert "Frau Anruf" in text  # in the list of the course's people


def test_settings_are_saved(world: Databases) -> None:
    at = _page()
    at.radio(key="wl_mode").set_value("queue")
    at.number_input(key="wl_hours").set_value(12)
    at.button(key="FormSubmitter:wl_settings-Einstellungen speichern").click().run()
    assert "Einstellungen der Warteliste gespeichert." in assert_clean(at)
    saved = wl.waitlist_settings(PARTNER_A, world)
    assert (saved.mode, saved.wait_hours, saved.expiry_months) == ("queue", 12, 6)


def test_new_date_opens_the_termine_form_with_the_course_chosen(world: Databases) -> None:
    at = _page()
    at.button(key="wl_new_101").click().run()
    assert_clean(at)
    chosen = at.selectbox(key="nd_dialog_course")
    assert chosen.value == 101


def test_the_customers_link_takes_them_off_without_a_login(world: Databases) -> None:
    entry = wl.list_entries(PARTNER_A, world)["entry_id"].iloc[-1]
    url = links.waitlist_unsubscribe_url(wl.unsubscribe_token(int(entry)))
    at = new_app()
    at.query_params = {links.WAITLIST_UNSUBSCRIBE_PARAM: url.split("=", 1)[1]}
    at.run()
    text = assert_clean(at)
    assert "nicht mehr auf der Warteliste für „Alpha Pasta-Werkstatt“" in text
    assert wl.waiting_people(PARTNER_A, world) == 1
    forged = new_app()
    forged.query_params = {links.WAITLIST_UNSUBSCRIBE_PARAM: f"{entry}.falsch"}
    forged.run()
    assert "Dieser Link ist ungültig" in assert_clean(forged)
