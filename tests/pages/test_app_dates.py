"""Termine through the real script runner (AppTest): create a series with preview and save, edit
all its future dates, cancel a booked date with confirmation, refusals in German.

The fixture and helpers follow tests/test_app.py: a two-partner world in temp SQLite files,
reached through the same environment variables production uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import periods
from core import recurrence as rec
from core.db import Databases
from core.i18n import catalog
from data import portal_schema as p
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    STAFF,
    app_environment,
    assert_clean,
    open_dates_tab,
    open_page,
)
from tests.support.worlds import B, build_world

D = m.miomente_course_date


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _dates_page(user_id: int, locale: str = "de") -> AppTest:
    at = open_page("angebot/termine.py", user_id=user_id, locale=locale)
    assert_clean(at)
    return at


def _series_dates(db: Databases) -> list[tuple[str, str, int]]:
    with db.magento.connect() as conn:
        rows = conn.execute(
            select(D.c.starts_at, D.c.status, D.c.seats_total)
            .where(D.c.series_id.is_not(None))
            .order_by(D.c.starts_at)
        ).all()
    return [(rec.to_local(r.starts_at).strftime("%Y-%m-%d %H:%M"), r.status, r.seats_total)
            for r in rows]  # fmt: skip


@pytest.mark.parametrize("user_id", [ALPHA, STAFF], ids=["partner", "staff"])
@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_page_renders(world: Databases, user_id: int, locale: str) -> None:
    at = _dates_page(user_id, locale)
    text = assert_clean(at)
    assert at.title[0].value == catalog(locale)["nav.dates"]
    assert "Alpha Pasta-Werkstatt" in text
    if user_id == ALPHA:
        assert B.course_names[0] not in text and B.course_names[1] not in text
    for tab in ("calendar", "series", "refunds"):  # only the open tab runs: each one opened
        text = assert_clean(open_dates_tab(at, tab))
        if user_id == ALPHA:
            assert B.course_names[0] not in text and B.course_names[1] not in text


def test_create_preview_save_then_edit_all_future(world: Databases) -> None:
    at = open_dates_tab(_dates_page(ALPHA), "series")
    start = periods.berlin_today() + timedelta(days=1)  # all six dates ahead, whatever the hour
    at.selectbox(key="s_course").select(102)
    at.selectbox(key="s_kind").select(rec.WEEKLY)
    at.run()
    at.multiselect(key="s_weekdays").set_value(["TU", "TH"])
    at.date_input(key="s_start").set_value(start)
    at.time_input(key="s_time").set_value(time(18, 0))
    at.radio(key="s_end").set_value("count")
    at.run()
    at.number_input(key="s_count").set_value(6)
    at.selectbox(key="s_holidays").select("BY")
    at.button(key="s_preview").click().run()
    text = assert_clean(at)
    assert "6 Termine werden jetzt angelegt" in text
    assert _series_dates(world) == []  # a preview saves nothing
    at.button(key="s_save").click().run()
    text = assert_clean(at)
    assert "Die Serie ist gespeichert, 6 Termine sind angelegt." in text
    saved = _series_dates(world)
    assert len(saved) == 6 and {s[0][11:] for s in saved} == {"18:00"}
    assert {date.fromisoformat(s[0][:10]).weekday() for s in saved} == {1, 3}

    # Bulk edit: all future dates to 19:30 with 8 seats.
    at.time_input(key="bulk_time").set_value(time(19, 30))
    at.number_input(key="bulk_seats").set_value(8)
    at.button(key="bulk_apply").click().run()
    text = assert_clean(at)
    assert "6 Termine geändert." in text
    assert {(s[0][11:], s[2]) for s in _series_dates(world)} == {("19:30", 8)}


def test_bad_series_input_is_explained_in_german_and_saves_nothing(world: Databases) -> None:
    at = open_dates_tab(_dates_page(ALPHA), "series")
    at.selectbox(key="s_kind").select(rec.MONTHLY_DAY)
    at.run()
    at.number_input(key="s_month_day").set_value(31)
    at.number_input(key="s_interval").set_value(1)
    at.button(key="s_save").click().run()
    assert_clean(at)
    assert [e.value for e in at.error] == [
        catalog("de")["dates.short_months_choice"].format(day=31)
    ]
    at.number_input(key="s_interval").set_value(0)
    at.button(key="s_save").click().run()
    assert [e.value for e in at.error] == [catalog("de")["dates.interval_invalid"]]
    assert _series_dates(world) == []


def test_cancel_a_booked_date_asks_first_and_tells_the_customers(world: Databases) -> None:
    at = _dates_page(ALPHA)
    # Date 13 (A's pasta course in 40 days) gets a booking so that cancelling needs a yes.
    from tests.support.orders import _add_order

    _add_order(world, 7001, [(7101, 101, 13)])
    at.run()
    at.selectbox(key="edit_pick").select(13)
    at.run()
    at.text_input(key="cancel_reason").input("Die Küche wird renoviert.")
    at.button(key="cancel_date").click().run()
    text = assert_clean(at)
    assert "1 Buchung mit 1 Ticket." in text
    with world.magento.connect() as conn:
        assert conn.execute(select(D.c.status).where(D.c.date_id == 13)).scalar() == "active"
    at.button(key="cancel_confirm").click().run()
    text = assert_clean(at)
    assert "1 Termin abgesagt, 1 Kunden-E-Mail in den Postausgang gelegt." in text
    with world.magento.connect() as conn:
        assert conn.execute(select(D.c.status).where(D.c.date_id == 13)).scalar() == "cancelled"
    with world.portal.connect() as conn:
        mails = conn.execute(
            select(p.outbox.c.recipient, p.outbox.c.payload).where(
                p.outbox.c.template == "date_cancelled"
            )
        ).all()
    assert [(r.recipient, r.payload["reason"]) for r in mails] == [
        ("kunde7001@example.org", "Die Küche wird renoviert.")
    ]
    # Staff see the refund that is due.
    staff = open_dates_tab(_dates_page(STAFF), "refunds")
    text = assert_clean(staff)
    assert "000007001" in text and "50,00" in text


def test_moving_a_booked_date_says_how_many_customers_are_told(world: Databases) -> None:
    from tests.support.orders import _add_order

    _add_order(world, 7001, [(7101, 101, 13)])  # date 13: A's pasta course in 40 days, 18:00
    at = _dates_page(ALPHA)
    at.selectbox(key="edit_pick").select(13)
    at.run()
    form = [w for w in at.time_input if w.form_id == "edit_13"]
    assert [w.label for w in form] == ["Beginn", "Ende"]
    old_start = _start_of(world, 13)
    form[0].set_value(time(19, 0))
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    text = assert_clean(at)
    # Asked first: old and new time, how many customers hear of it; nothing moved yet.
    question = [w.value for w in at.warning if "Wirklich verschieben?" in w.value]
    assert len(question) == 1, text
    assert "18:00" in question[0] and "19:00" in question[0]
    assert "1 Kunden-E-Mail zur neuen Zeit geht" in question[0]
    assert _start_of(world, 13) == old_start
    at.button(key="move_confirm").click().run()
    text = assert_clean(at)
    assert "Der Termin ist gespeichert, 1 Kunden-E-Mail zur neuen Zeit" in text
    with world.portal.connect() as conn:
        mails = conn.execute(
            select(p.outbox.c.recipient, p.outbox.c.payload).where(
                p.outbox.c.template == "date_moved"
            )
        ).all()
    assert [r.recipient for r in mails] == ["kunde7001@example.org"]
    new_start = _start_of(world, 13)
    assert rec.to_local(new_start).strftime("%H:%M") == "19:00"
    assert mails[0].payload["starts_at"] == new_start.isoformat()
    # Seats alone: saved, nobody told.
    next(w for w in at.number_input if w.form_id == "edit_13").set_value(20)
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    text = assert_clean(at)
    assert catalog("de")["dates.date_saved"] in text and "Kunden-E-Mail" not in text


def _start_of(db: Databases, date_id: int):
    with db.magento.connect() as conn:
        return conn.execute(select(D.c.starts_at).where(D.c.date_id == date_id)).scalar()


@pytest.mark.parametrize("typed", [date(1999, 1, 1), date(2001, 2, 28), date(2100, 12, 31)])
def test_a_day_outside_the_range_is_refused_not_replaced(world: Databases, typed: date) -> None:
    """Was: the browser put the old day back and the page said "gespeichert". The field now
    takes any day (so a typed one reaches the server) and the page refuses it in German."""
    at = _dates_page(ALPHA)
    at.selectbox(key="edit_pick").select(13)
    at.run()
    before = _start_of(world, 13)
    day = next(w for w in at.date_input if w.form_id == "edit_13")
    assert day.min == date(1, 1, 1) and day.max == date(9999, 12, 31)
    assert "bis zum 31.12.2099" in " ".join(c.value for c in at.caption)
    day.set_value(typed)
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    assert_clean(at)
    today = periods.berlin_today().strftime("%d.%m.%Y")  # the app's own today: a range from today
    assert [e.value.replace("\\", "") for e in at.error] == [
        f"Dieses Datum liegt außerhalb des erlaubten Bereichs: Bitte einen Tag zwischen dem "
        f"{today} und dem 31.12.2099 wählen. Es wurde nichts geändert."
    ]
    assert not at.success and _start_of(world, 13) == before
    # Nothing changed (as when the browser reset the day): said so, not "saved".
    next(w for w in at.date_input if w.form_id == "edit_13").set_value(rec.to_local(before).date())
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    assert_clean(at)
    assert not at.success
    assert catalog("de")["dates.nothing_to_change"] in [w.value for w in at.warning]


def test_a_price_with_a_fraction_of_a_cent_is_refused_not_rounded(world: Databases) -> None:
    """Was: 0,004 € became 0,00 € and "gespeichert"."""
    at = _dates_page(ALPHA)
    at.selectbox(key="edit_pick").select(13)
    at.run()
    with world.magento.connect() as conn:
        before = conn.execute(select(D.c.price).where(D.c.date_id == 13)).scalar()
    assert at.text_input(key="edit_price_13").value == "89,00"  # the German decimal comma
    at.text_input(key="edit_price_13").set_value("0,004")
    next(b for b in at.button if b.form_id == "edit_13").click().run()
    assert_clean(at)
    assert [e.value for e in at.error] == [catalog("de")["dates.price_cents"]]
    assert not at.success
    with world.magento.connect() as conn:
        assert conn.execute(select(D.c.price).where(D.c.date_id == 13)).scalar() == before


def test_the_new_series_price_follows_the_chosen_course(world: Databases) -> None:
    at = open_dates_tab(_dates_page(ALPHA), "series")
    at.selectbox(key="s_course").select(101).run()
    assert at.text_input(key="s_price").value == "89,00"
    at.selectbox(key="s_course").select(102).run()
    assert_clean(at)
    assert at.text_input(key="s_price").value == "99,00"  # the sushi course's own price
    at.selectbox(key="s_course").select(101).run()
    assert at.text_input(key="s_price").value == "89,00"
    at.text_input(key="s_price").input("95,50").run()
    at.selectbox(key="s_course").select(102).run()
    assert at.text_input(key="s_price").value == "95,50"  # a typed price stays the partner's
