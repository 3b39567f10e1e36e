"""German everywhere, no internals (issue 18), through AppTest: Streamlit's widgets get their
placeholders and date format in the session's language, order statuses and the timeline come
from the locale files, a series is described in words, prices show the decimal comma, and the
overlap warning names the dates that clash, once.

What only the browser shows (Streamlit's own frontend texts) is tests/pages/test_widgets_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core import periods
from core import recurrence as rec
from core.db import Databases
from core.i18n import catalog, translate
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    app_environment,
    as_shown,
    assert_clean,
    new_app,
    open_dates_tab,
    open_page,
)
from tests.support.worlds import build_world

LOCALES = pytest.mark.parametrize("locale", ["de", "en"])


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _order(locale: str, order_id: int) -> AppTest:
    at = new_app(user_id=ALPHA, locale=locale)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.query_params["bestellung"] = str(order_id)
    return at.run()


@LOCALES
def test_widgets_speak_the_sessions_language(world: Databases, locale: str) -> None:
    at = _order(locale, 1001)
    assert_clean(at)
    words = catalog(locale)
    assert at.multiselect(key="f_courses").proto.placeholder == words["widgets.choose_options"]
    booked = at.date_input(key="f_booked")
    assert booked.proto.format == {"de": "DD.MM.YYYY", "en": "DD/MM/YYYY"}[locale]
    english = {"Choose options", "Choose an option"}
    if locale == "de":
        assert at.multiselect(key="f_courses").proto.placeholder not in english


def _hold(world: Databases, order_id: int) -> None:
    """The shop puts the order on hold (Magento's label: "On Hold")."""
    with world.magento.begin() as conn:
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == order_id)
            .values(status="holded", state="holded")
        )
        conn.execute(
            update(m.sales_order_status_history)
            .where(m.sales_order_status_history.c.parent_id == order_id)
            .values(status="holded")
        )


@pytest.mark.parametrize(
    ("locale", "status", "comment"),
    [("de", "Angehalten", "Kommentar im Shop"), ("en", "On hold", "Shop comment")],
)
def test_order_status_and_timeline_come_from_the_locale_files(
    world: Databases, locale: str, status: str, comment: str
) -> None:
    _hold(world, 1004)
    at = _order(locale, 1004)
    text = assert_clean(at)
    caption = next(c.value for c in at.caption if status in c.value)
    assert "On Hold" not in caption
    timeline = [md.value for md in at.markdown if md.value.startswith("- ")]
    # The shop's row: its status in the portal's words, its comment marked as the shop's.
    assert any(f"**{status}** · {comment}: Bestellung eingegangen" in line for line in timeline)
    assert "On Hold" not in text
    # The payment method too (was: always German).
    other = catalog("en" if locale == "de" else "de")
    methods = {k: v for k, v in other.items() if k.startswith("orders.payment_method_")}
    mine = catalog(locale)
    foreign = [v for k, v in methods.items() if v != mine[k] and v in text]
    assert foreign == []
    assert any(mine[k] in text for k in methods)


@LOCALES
def test_the_partners_decision_in_the_timeline_is_in_the_sessions_language(
    world: Databases, locale: str
) -> None:
    at = _order(locale, 1001)
    at.button(key="confirm_1001").click().run()
    at = _order(locale, 1001)
    assert_clean(at)
    timeline = "\n".join(as_shown(md.value) for md in at.markdown if md.value.startswith("- "))
    line = translate(
        "orders.timeline_confirmed",
        locale,
        partner="Kochschule Alpha",
        course="Alpha Pasta-Werkstatt",
        tickets=2,
        who="Alpha Team",
    )
    assert line in timeline, timeline  # was: always German (get_order's default)


def _new_series(at: AppTest, *, weeks: int) -> None:
    start = periods.berlin_today() + timedelta(days=1)
    at.selectbox(key="s_course").select(102)
    at.selectbox(key="s_kind").select(rec.WEEKLY)
    at.run()
    at.multiselect(key="s_weekdays").set_value(["TU"])
    at.date_input(key="s_start").set_value(start)
    at.time_input(key="s_time").set_value(time(18, 0))
    at.radio(key="s_end").set_value("count")
    at.run()
    at.number_input(key="s_count").set_value(weeks)
    at.selectbox(key="s_holidays").select("HH")


def _series_tab(locale: str = "de") -> AppTest:
    """Termine → Serien, opened as a user clicks the tab (only the open tab runs)."""
    return open_dates_tab(open_page("angebot/termine.py", user_id=ALPHA, locale=locale), "series")


@LOCALES
def test_a_series_is_described_in_words_never_as_a_rule(world: Databases, locale: str) -> None:
    at = _series_tab(locale)
    _new_series(at, weeks=3)
    at.button(key="s_preview").click().run()
    text = assert_clean(at)
    words = {
        "de": "jeden Dienstag um 18:00 Uhr, 3 Termine, ohne Feiertage in Hamburg",
        "en": "every Tuesday at 18:00, 3 dates, not on public holidays in Hamburg",
    }[locale]
    assert words in text and "FREQ=" not in text
    at.button(key="s_save").click().run()
    text = assert_clean(at)
    assert words in text and "FREQ=" not in text
    chosen = at.selectbox(key="series_pick")
    assert all(words in label and "FREQ" not in label for label in chosen.options)


def test_price_fields_show_the_decimal_comma_and_refuse_what_is_no_amount(
    world: Databases,
) -> None:
    at = _series_tab()
    price = at.text_input(key="s_price")
    assert price.value == "89,00"  # the first course's price (Alpha Pasta), German
    english = _series_tab("en")
    assert english.text_input(key="s_price").value == "89.00"
    _new_series(at, weeks=2)
    at.text_input(key="s_price").set_value("neunzig").run()
    assert [e.value for e in at.error] == [
        translate("widgets.amount_invalid", "de", value="neunzig")
    ]
    assert not [b for b in at.button if b.key == "s_save"]  # nothing to save with it
    at.text_input(key="s_price").set_value("109,50").run()
    at.button(key="s_save").click().run()
    assert_clean(at)
    assert not at.error
    bulk = at.text_input(key="bulk_price")
    assert bulk.value == "109,50"


def test_the_overlap_warning_names_the_clashing_dates_once(world: Databases) -> None:
    at = _series_tab()
    _new_series(at, weeks=2)
    at.button(key="s_save").click().run()
    assert not at.warning
    # The same series again: both of its dates clash with the first series' dates.
    at = _series_tab()
    _new_series(at, weeks=2)
    at.button(key="s_preview").click().run()
    at.button(key="s_save").click().run()
    assert_clean(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1, warnings  # once: the page runs again without the preview
    start = periods.berlin_today() + timedelta(days=1)
    days = [start + timedelta(days=d) for d in range(14)]
    named = [f"{d.strftime('%d.%m.%Y')} 18:00" for d in days if d.weekday() == 1]
    assert warnings[0] == translate("clash.warning", "de", n=2, dates=", ".join(named))
