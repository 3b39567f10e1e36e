"""Nothing is cut off silently: where a list or calendar stops at its cap, the page says so and
how to narrow it, and the staff booking list's last page is the cap's (caps lowered here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from core import periods
from core.db import Databases
from data import overview
from data.access.viewer import Viewer
from data.bookings import listing
from data.dates import course_dates as cd
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    STAFF,
    app_environment,
    assert_clean,
    open_dates_tab,
    open_page,
)
from tests.support.worlds import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("limits")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


STAFF_VIEWER = Viewer(user_id=30, role="staff")


def test_a_capped_date_list_says_it_left_dates_out(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not cd.truncated(cd.list_dates(STAFF_VIEWER, world))  # five dates, cap 5,000
    monkeypatch.setattr(cd, "LIST_LIMIT", 2)
    capped = cd.list_dates(STAFF_VIEWER, world)
    assert len(capped) == 2 and cd.truncated(capped)
    exact = cd.list_dates(STAFF_VIEWER, world, limit=5)
    assert len(exact) == 2 and cd.truncated(exact)  # a limit above the cap is the cap


def test_the_termine_list_pages_and_the_calendar_says_when_it_is_cut(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cd, "LIST_LIMIT", 1)  # partner A: two dates this week, one later
    monkeypatch.setattr(cd, "PAGE_SIZES", (1, 50))
    monkeypatch.setattr(cd, "DEFAULT_PAGE_SIZE", 1)
    at = open_page("angebot/termine.py", user_id=ALPHA)
    monday = periods.berlin_today() - timedelta(days=periods.berlin_today().weekday())
    at.date_input(key="list_range").set_value((monday, monday + timedelta(days=60))).run()
    assert_clean(at)
    captions = [c.value for c in at.caption]
    assert any(c.startswith("1 von 3 Terminen im Zeitraum auf dieser Seite") for c in captions)
    first = at.dataframe[0].value.iloc[0, 0]
    assert len(at.dataframe[0].value) == 1
    next(b for b in at.button if b.key == "dates_list_next").click().run()
    assert_clean(at)
    assert len(at.dataframe[0].value) == 1 and at.dataframe[0].value.iloc[0, 0] != first
    assert "Seite 2 von 3" in [c.value for c in at.caption]
    assert_clean(open_dates_tab(at, "calendar"))
    warnings = [w.value for w in at.warning]
    assert any(
        w.startswith("Mehr als 1 Termine in diesem Zeitraum – der Kalender") for w in warnings
    )


def test_the_staff_booking_count_says_more_than_and_pages_to_the_cap(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "STAFF_COUNT_CAP", 2)
    result = listing.list_bookings(STAFF_VIEWER, world, page=99, page_size=25)
    assert (result.total, result.more, result.pages, result.page) == (2, True, 1, 1)
    at = open_page("verkauf/bestellungen.py", user_id=STAFF)
    captions = [c.value for c in assert_clean(at) and at.caption]
    assert (
        "Mehr als 2 Buchungen · Seite 1 von 1 – bitte Zeitraum oder Partner eingrenzen, "
        "um ältere zu sehen." in captions
    )


def test_the_staff_calendar_counts_per_day_and_lists_a_day_on_request(world: Databases) -> None:
    at = open_dates_tab(open_page("angebot/termine.py", user_id=STAFF), "calendar")
    calendar = next(m.value for m in at.markdown if "mio-cal" in m.value)
    assert "Termine</div>" in calendar or "Termin</div>" in calendar
    assert "Alpha Pasta-Werkstatt" not in calendar  # no names: counts only
    days = at.selectbox(key="cal_staff_day").options
    assert days
    chosen = next(d for d in days if "2 Termine" in d)  # Wednesday: one date of each partner
    at.selectbox(key="cal_staff_day").set_value(chosen).run()
    shown = assert_clean(at)
    assert "Alpha Pasta-Werkstatt" in shown


def test_an_incomplete_ical_file_is_refused_not_cut(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cd, "LIST_LIMIT", 1)
    at = open_page("angebot/termine.py", user_id=ALPHA)
    at.button(key="ical").click().run()
    assert_clean(at)
    assert [e.value for e in at.error] == [
        "Mehr als 1 Termine im Zeitraum der Kalender-Datei – sie wäre unvollständig und wird "
        "nicht erstellt. Bitte als ein Partner ansehen."
    ]
    assert not at.get("download_button")


def test_the_overview_pages_the_week_and_the_partners(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview, "PAGE_SIZES", (1, 50))  # four dates this week, two partners
    monkeypatch.setattr(overview, "DEFAULT_PAGE_SIZE", 1)
    at = open_page("verkauf/uebersicht.py", user_id=STAFF)
    assert_clean(at)
    captions = [c.value for c in at.caption]
    assert "1 von 4 Terminen dieser Woche auf dieser Seite – weiter mit „Weiter →“." in captions
    assert "1 von 2 Partnern auf dieser Seite – weiter mit „Weiter →“." in captions
    assert "Seite 1 von 4" in captions and "Seite 1 von 2" in captions
    assert [m.value for m in at.metric][3] == "4"  # the week's total, not the page's
    first = at.dataframe[0].value.iloc[0].to_dict()
    at.button(key="overview_week_next").click().run()
    assert_clean(at)
    assert "Seite 2 von 4" in [c.value for c in at.caption]
    assert len(at.dataframe[0].value) == 1 and at.dataframe[0].value.iloc[0].to_dict() != first
    at.button(key="overview_partners_next").click().run()
    names = list(at.dataframe[-1].value["Partner"])
    assert names == ["Weinschule Beta"] and "Seite 2 von 4" in [c.value for c in at.caption]
