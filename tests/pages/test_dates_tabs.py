"""Termine runs only its open tab: with the list open no calendar, series or refunds are read,
and the calendar, the series and the refunds read no list page (calls of the real data
functions counted, the database stays real)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core import periods
from core.db import Databases
from core.i18n import catalog
from data.dates import course_dates, minimums, series
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_dates_tab, open_page
from tests.support.calls import Calls
from tests.support.worlds import build_world

# Each tab's data functions: what it may read, and so what no other tab may.
LIST = ("course_dates.page_dates", "minimums.get_settings")
CALENDAR = ("course_dates.list_dates", "course_dates.dates_per_day")
SERIES = ("series.list_series", "series.get_series")
REFUNDS = ("course_dates.refunds_due",)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("dates_tabs")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with app_environment(db, tmp):
            yield db


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    st.cache_data.clear()  # count real reads
    counter = Calls()
    counter.wrap(monkeypatch, course_dates, "page_dates", "list_dates", "dates_per_day")
    counter.wrap(monkeypatch, course_dates, "refunds_due")
    counter.wrap(monkeypatch, series, "list_series", "get_series")
    counter.wrap(monkeypatch, minimums, "get_settings")
    return counter


def _read(calls: Calls, labels: tuple[str, ...]) -> int:
    return sum(calls[label] for label in labels)


def _calendar_shown(at: AppTest) -> bool:
    return any("mio-cal" in m.value for m in at.markdown)


@pytest.mark.parametrize("user_id", [ALPHA, STAFF], ids=["partner", "staff"])
def test_the_open_list_reads_no_calendar_series_or_refunds(
    world: Databases, calls: Calls, user_id: int
) -> None:
    at = open_page("angebot/termine.py", user_id=user_id)
    text = assert_clean(at)
    assert "Alpha Pasta-Werkstatt" in text and not _calendar_shown(at)
    assert calls["course_dates.page_dates"] > 0, calls
    at.toggle(key="list_cancelled").set_value(True).run()  # a click inside the list
    assert_clean(at)
    assert calls["course_dates.page_dates"] == 2, calls  # still the list, read again
    assert _read(calls, CALENDAR) == _read(calls, SERIES) == _read(calls, REFUNDS) == 0, calls


@pytest.mark.parametrize("user_id", [ALPHA, STAFF], ids=["partner", "staff"])
def test_each_other_tab_reads_its_own_data_and_no_list(
    world: Databases, calls: Calls, user_id: int
) -> None:
    at = open_page("angebot/termine.py", user_id=user_id)
    calls.clear()
    open_dates_tab(at, "calendar")
    assert_clean(at)
    assert _calendar_shown(at) and not at.dataframe  # the calendar, not the list's table
    own = "course_dates.dates_per_day" if user_id == STAFF else "course_dates.list_dates"
    assert calls[own] == 1, calls
    at.button_group(key="cal_view").set_value("week").run()  # a click inside the calendar
    assert_clean(at)
    assert _calendar_shown(at) and calls[own] == 2, calls
    assert _read(calls, LIST) == _read(calls, SERIES) == _read(calls, REFUNDS) == 0, calls

    calls.clear()
    open_dates_tab(at, "series")
    assert_clean(at)
    assert at.button(key="s_preview") and not _calendar_shown(at)
    assert calls["series.list_series"] == 1, calls
    assert _read(calls, LIST) == _read(calls, REFUNDS) == 0, calls
    assert calls["course_dates.dates_per_day"] == 0, calls

    calls.clear()
    open_dates_tab(at, "refunds")
    assert_clean(at)
    assert catalog("de")["dates.refunds_hint"] in [c.value for c in at.caption]
    assert "s_preview" not in {b.key for b in at.button}
    assert calls["course_dates.refunds_due"] == 1, calls
    assert _read(calls, LIST) == _read(calls, CALENDAR) == _read(calls, SERIES) == 0, calls


def test_a_closed_tab_keeps_its_choices_until_it_is_opened_again(world: Databases) -> None:
    """Streamlit forgets the value of a widget a run does not draw: the page keeps them."""
    at = open_page("angebot/termine.py", user_id=ALPHA)
    today = periods.berlin_today()
    chosen = (today - timedelta(days=7), today + timedelta(days=30))
    at.date_input(key="list_range").set_value(chosen)
    at.toggle(key="list_cancelled").set_value(True).run()
    open_dates_tab(at, "calendar")
    at.button_group(key="cal_view").set_value("week").run()
    open_dates_tab(at, "series")
    at.selectbox(key="s_course").select(102)
    at.number_input(key="s_seats").set_value(7).run()
    open_dates_tab(at, "refunds")
    open_dates_tab(at, "list")
    assert_clean(at)
    assert at.date_input(key="list_range").value == chosen
    assert at.toggle(key="list_cancelled").value is True
    open_dates_tab(at, "calendar")
    assert at.button_group(key="cal_view").value == "week"
    open_dates_tab(at, "series")
    assert_clean(at)
    assert at.selectbox(key="s_course").value == 102 and at.number_input(key="s_seats").value == 7
