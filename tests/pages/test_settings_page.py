"""Einstellungen through AppTest on every portal backend: the notification form with partly
empty values saves, shows what it saved, and saves again (issue 11: "nan")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Databases
from core.i18n import catalog
from tests.support.app import ALPHA, app_environment, assert_clean, new_app


@pytest.fixture
def app_world(shop: Databases, tmp_path: Path) -> Iterator[Databases]:
    """The two-partner world, fresh per test, on sqlite and the server databases."""
    with app_environment(shop, tmp_path):
        yield shop


def _settings() -> AppTest:
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    return at.run()


def _save(at: AppTest) -> AppTest:
    words = catalog("de")
    next(b for b in at.button if b.label == words["notifications.save"]).click().run()
    assert_clean(at)
    return at


def test_one_phone_leaves_the_other_fields_empty_and_the_form_saves_again(
    app_world: Databases,
) -> None:
    saved = catalog("de")["notifications.saved"]
    at = _settings()
    at.checkbox(key="pref_new_booking_sms_enabled").check()
    at.text_input(key="pref_new_booking_phone").input("0151 23456789")
    at.text_input(key="pref_payout_emails").input("buchhaltung@alpha.example")
    assert [s.value for s in _save(at).success] == [saved]

    again = _settings()
    phones = {t.key: t.value for t in again.text_input if t.key.endswith("_phone")}
    assert phones.pop("pref_new_booking_phone") == "+4915123456789"
    assert phones and set(phones.values()) == {""}  # not "nan"
    # Saving the form as shown (nothing changed) works, and so does a second change.
    assert [s.value for s in _save(again).success] == [saved]
    again.text_input(key="pref_review_phone").input("0170 1234567")
    assert [s.value for s in _save(again).success] == [saved]
    assert not again.error
