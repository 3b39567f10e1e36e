"""Search-as-you-type pickers (components/search_picker.py): staff find the partner to view
as, the Auszahlungen partner filter and the Termine course filter by typing, instead of a
select listing every partner or course."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components import dates_list
from core.db import Databases
from tests.conftest import fresh_databases
from tests.support.app import STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.worlds import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("pickers")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


def test_staff_search_the_partner_to_view_as(world: Databases) -> None:
    at = new_app(user_id=STAFF)
    at.run()
    assert at.selectbox(key="_view_as_choice").options == [
        "Alle Partner",
        "Kochschule Alpha",
        "Weinschule Beta",
    ]
    at.text_input(key="_view_as_choice_search").input("wein").run()
    assert at.selectbox(key="_view_as_choice").options == ["Alle Partner", "Weinschule Beta"]
    at.selectbox(key="_view_as_choice").select_index(1).run()
    text = assert_clean(at)
    assert "Sie sehen das Portal als Weinschule Beta." in text
    # Typing something else keeps the choice offered (and chosen).
    at.text_input(key="_view_as_choice_search").input("koch").run()
    assert at.selectbox(key="_view_as_choice").options == [
        "Alle Partner",
        "Weinschule Beta",
        "Kochschule Alpha",
    ]
    assert "Sie sehen das Portal als Weinschule Beta." in assert_clean(at)
    at.text_input(key="_view_as_choice_search").input("nichts dergleichen").run()
    assert "Nichts passt zu dieser Suche." in [c.value for c in at.caption]


def test_the_payouts_partner_filter_searches(world: Databases) -> None:
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    assert_clean(at)
    at.text_input(key="payouts_partner_search").input("alpha").run()
    assert at.selectbox(key="payouts_partner").options == ["Alle", "Kochschule Alpha"]


def test_many_courses_are_searched_not_listed(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dates_list, "PICKER_LIMIT", 2)  # staff see four courses
    at = open_page("angebot/termine.py", user_id=STAFF)
    assert_clean(at)
    assert len(at.selectbox(key="list_course").options) == 3  # "Alle Kurse" + the first two
    assert "Die ersten 2 Treffer – bitte genauer suchen." in [c.value for c in at.caption]
    at.text_input(key="list_course_search").input("sushi").run()
    assert at.selectbox(key="list_course").options == ["Alle Kurse", "Alpha Sushi für Einsteiger"]
    at.selectbox(key="list_course").select_index(1).run()
    text = assert_clean(at)
    assert at.selectbox(key="list_course").format_func(at.selectbox(key="list_course").value) == (
        "Alpha Sushi für Einsteiger"
    )
    assert "Alpha Pasta-Werkstatt" not in text  # the list shows the chosen course only
