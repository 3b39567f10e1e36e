"""Integrationen through AppTest: a partner's embed code and switch, staff's traffic table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.db import Databases
from data.access.viewer import Viewer
from data.integrations.widget_keys import widget_key, widget_partner
from data.integrations.widget_traffic import count_widget_event
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.worlds import B

PAGE = "konto/integrationen.py"


@pytest.fixture
def app_world(shop: Databases, tmp_path: Path) -> Iterator[Databases]:
    with app_environment(shop, tmp_path):
        yield shop


def test_a_partner_copies_its_embed_code(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    text = assert_clean(at)
    key = widget_key(Viewer(user_id=ALPHA, role="partner", partner_id=1), app_world).public_key
    code = at.code[0].value
    assert f'data-miomente-partner="{key}"' in code
    assert '<script src="' in code and '/v1/widget.js" async></script>' in code
    assert 'data-lang="de"' in code and 'data-view="list"' in code
    assert '<noscript><a href="https://www.miomente.de">' in code
    assert "Einbettungscode" in text
    # Its own courses to choose from, none of B's.
    options = at.multiselect(key="widget_course").options
    assert "Alpha Pasta-Werkstatt" in options and not set(B.course_names) & set(options)
    at.multiselect(key="widget_course").select(101).run()
    at.radio(key="widget_view").set_value("calendar").run()
    code = at.code[0].value
    assert 'data-course="101"' in code and 'data-view="calendar"' in code
    assert 'href="https://www.miomente.de/kurs/101"' in code
    assert_clean(at)


def test_a_partner_switches_its_widget_off(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    key = widget_key(Viewer(user_id=ALPHA, role="partner", partner_id=1), app_world).public_key
    at.toggle(key="widget_enabled").set_value(False).run()
    assert_clean(at)
    assert widget_partner(app_world, key=key) is None
    assert at.warning


def test_staff_see_every_partners_traffic(app_world: Databases) -> None:
    count_widget_event(Viewer.widget(1), app_world, event="view")
    count_widget_event(Viewer.widget(2), app_world, event="click")
    at = open_page(PAGE, user_id=STAFF)
    text = assert_clean(at)
    table = at.dataframe[0].value
    assert set(table["Partner"]) == {"Kochschule Alpha", B.partner_name}
    assert "Ansicht als" in text
    partner = open_page(PAGE, user_id=ALPHA)
    assert B.partner_name not in assert_clean(partner)


def test_english(app_world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA, locale="en")
    assert "Embed code" in assert_clean(at)
