"""The Marketing views of components/marketing_more.py through AppTest: the course picker,
keyword ideas and the price position as a partner would see them, hostile course names and
search terms staying text, and the Ratgeber opened by its link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Databases
from tests.conftest import fresh_databases
from tests.support.app import ROOT, app_environment, assert_clean
from tests.support.market import PARTNER_USER, STAFF_USER, build_market

SCRIPT = str(ROOT / "tests" / "support" / "marketing_app.py")


def _view(view: str, *, user_id: int = PARTNER_USER, locale: str = "de", **params) -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    at.session_state["auth_user_id"] = user_id
    at.session_state["locale"] = locale
    at.session_state["view"] = view
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert_clean(at)
    return at


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_market(db)
        yield db


@pytest.fixture
def hostile_market(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_market(db, hostile=True)
        yield db


def test_keyword_ideas_for_the_picked_course(market: Databases) -> None:
    at = _view("keywords")
    picker = at.selectbox(key="mkt_kw_pick")
    assert list(picker.options) == [
        "Pasta-Kurs in Hamburg",
        "Sushi für Einsteiger",
    ]  # the partner's own courses only
    text = assert_clean(at)
    assert "Verglichen mit 4 ähnlichen Kursen derselben Art in Hamburg." in text
    searches = at.dataframe[0].value
    assert searches["Suchbegriff"].tolist() == ["ravioli", "gnocchi ravioli", "tapas"]
    assert searches["Suchanfragen"].tolist() == [100, 60, 40]
    assert at.dataframe[1].value["Begriff"].tolist() == ["Ravioli", "Sauce"]


def test_typing_narrows_the_picker(market: Databases) -> None:
    at = _view("keywords")
    at.text_input(key="mkt_kw_q").input("sushi").run()
    assert_clean(at)
    picker = at.selectbox(key="mkt_kw_pick")
    assert list(picker.options) == ["Sushi für Einsteiger"]
    at.text_input(key="mkt_kw_q").input("Ravioli").run()  # another school's course
    text = assert_clean(at)
    assert "Kein Kurs passt zu dieser Suche." in text and not at.dataframe


def test_price_position_with_fill_rates_and_advice(market: Databases) -> None:
    at = _view("price_position")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Ihr Preis pro Person"] == "95,00\xa0€"
    assert metrics["Ihre Auslastung"] == "45,0\xa0%"
    assert metrics["Mittlerer Preis ähnlicher Kurse"] == "89,00\xa0€"
    text = assert_clean(at)
    assert "**Günstigere Kurse:** 2, Auslastung 85,0\xa0% · **Teurere Kurse:** 2" in text
    assert "Günstigere ähnliche Kurse sind zu 85,0\xa0% ausgelastet, Ihrer zu 45,0\xa0%" in text
    assert "Eine Empfehlung, keine Änderung" in text
    # Other schools' names never appear, not even in the chart.
    chart = at.get("plotly_chart")[0].proto.spec
    assert "Kochwerk" not in text + chart and "Ravioli und Gnocchi" not in text + chart
    assert "Andere Anbieter" in chart and "Dieser Kurs" in chart


def test_english(market: Databases) -> None:
    at = _view("price_position", locale="en")
    assert {m.label for m in at.metric} >= {"Your price per person", "Your fill rate"}
    assert "Cheaper similar courses are 85.0% full, yours 45.0%" in assert_clean(at)


def test_hostile_course_names_and_search_terms_stay_text(hostile_market: Databases) -> None:
    at = _view("keywords")
    searches = at.dataframe[0].value
    # The customer's search is shown, as typed, in a table cell (never Markdown or HTML).
    assert any("<img src=x onerror=alert(1)>" in q for q in searches["Suchbegriff"])
    for element in (*at.markdown, *at.caption, *at.info, *at.subheader):
        assert "<img" not in element.value and "](https://evil" not in element.value
    assert all(not m.proto.allow_html for m in at.markdown)
    at = _view("price_position")
    for element in (*at.markdown, *at.caption, *at.info):
        assert "<img" not in element.value and "evil.example" not in element.value
    assert all(not m.proto.allow_html for m in at.markdown)


def test_staff_pick_from_every_partners_courses(market: Databases) -> None:
    at = _view("keywords", user_id=STAFF_USER)
    at.text_input(key="mkt_kw_q").input("pasta").run()
    assert_clean(at)
    picker = at.selectbox(key="mkt_kw_pick")
    assert len(picker.options) == 3
