"""Integrationen → API-Schlüssel through AppTest: create (secret once), list, revoke; staff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Databases
from data.access.viewer import Viewer
from data.integrations.api_keys import create_key, key_viewer, list_keys
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.worlds import B

PAGE = "konto/integrationen.py"
ALPHA_VIEWER = Viewer(user_id=ALPHA, role="partner", partner_id=1)


@pytest.fixture
def app_world(shop: Databases, tmp_path: Path) -> Iterator[Databases]:
    with app_environment(shop, tmp_path):
        yield shop


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_partner_creates_a_key_and_sees_the_secret_once(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    assert "API-Schlüssel" in assert_clean(at)
    at.text_input(key="api_key_name").input("Warenwirtschaft <b>*fett*</b>")
    at.checkbox(key="api_scope_orders:read").check()
    at.radio(key="api_key_expiry").set_value("30d")
    _button(at, "Schlüssel erstellen").click().run()
    text = assert_clean(at)
    secret = at.code[-1].value
    use = key_viewer(app_world, secret=secret)
    assert use is not None and use.viewer.partner_id == 1
    assert "nur dieses eine Mal" in text
    assert "Warenwirtschaft <b>*fett*</b>" in text  # the name as typed, not as markup
    _button(at, "Ich habe den Schlüssel gespeichert").click().run()
    text = assert_clean(at)
    assert secret not in text and all(c.value != secret for c in at.code)
    table = at.dataframe[-1].value
    assert list(table["Name"]) == ["Warenwirtschaft <b>*fett*</b>"]
    assert table["Berechtigungen"][0] == "Bestellungen lesen"
    assert table["Zuletzt benutzt"][0] != "noch nie"  # the check above used it


def test_nothing_chosen_is_refused_in_german(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    at.text_input(key="api_key_name").input("Ohne Rechte")
    _button(at, "Schlüssel erstellen").click().run()
    assert "mindestens eine Berechtigung" in assert_clean(at)
    assert list_keys(ALPHA_VIEWER, app_world).empty


def test_revoking_asks_first(app_world: Databases) -> None:
    made = create_key(ALPHA_VIEWER, app_world, name="Alt", scopes=["dates:read"])
    at = open_page(PAGE, user_id=ALPHA)
    _button(at, "Widerrufen").click().run()
    assert "jetzt widerrufen" in assert_clean(at)
    assert key_viewer(app_world, secret=made.secret) is not None
    _button(at, "Ja, widerrufen").click().run()
    assert "ist widerrufen" in assert_clean(at)
    assert key_viewer(app_world, secret=made.secret) is None


def test_staff_see_and_revoke_every_partners_keys(app_world: Databases) -> None:
    create_key(ALPHA_VIEWER, app_world, name="Alpha-Sync", scopes=["orders:read"])
    beta = Viewer(user_id=20, role="partner", partner_id=2)
    made = create_key(beta, app_world, name="Beta-Sync", scopes=["orders:read"])
    at = open_page(PAGE, user_id=STAFF)
    text = assert_clean(at)
    assert "Sie sehen die Schlüssel aller Partner" in text
    table = at.dataframe[-1].value
    assert set(table["Partner"]) == {"Kochschule Alpha", B.partner_name}
    at.selectbox(key="api_key_revoke_choice").set_value(made.prefix).run()
    _button(at, "Widerrufen").click().run()
    _button(at, "Ja, widerrufen").click().run()
    assert_clean(at)
    assert key_viewer(app_world, secret=made.secret) is None
    partner = open_page(PAGE, user_id=ALPHA)
    assert "Beta-Sync" not in assert_clean(partner)


def test_english(app_world: Databases) -> None:
    create_key(ALPHA_VIEWER, app_world, name="Sync", scopes=["dates:write"])
    at = open_page(PAGE, user_id=ALPHA, locale="en")
    text = assert_clean(at)
    assert "API keys" in text and "Create key" in text
    table = at.dataframe[-1].value
    assert table["Permissions"][0] == "Read dates, Create, change, cancel dates"
