"""Every click shows its result (issue 18), through AppTest: an order opens from its row in a
dialog and shows its new state after a decision; Termine stays on the tab the user was on; a
form that creates something creates it once, even sent twice; cancelling and issuing credit
notes ask first, saying what happens and to how many."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from core import periods
from core import recurrence as rec
from core.db import Databases
from core.i18n import catalog
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.dates import series as sr
from data.money import payouts
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.app import (
    ALPHA,
    STAFF,
    app_environment,
    assert_clean,
    new_app,
    open_dates_tab,
    open_page,
)
from tests.support.orders import ALPHA as ALPHA_VIEWER
from tests.support.worlds import build_world

D = m.miomente_course_date
SUSHI = 102  # A's course without dates after this week in the world
DE = catalog("de")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _blocks(at: AppTest, kind: str) -> list:
    found, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        if getattr(node, "type", None) == kind:
            found.append(node)
        todo += list(getattr(node, "children", {}).values())
    return found


def _texts(node) -> str:
    parts, todo = [], [node]
    while todo:
        current = todo.pop()
        value = getattr(current, "value", None)
        if isinstance(value, str):
            parts.append(value)
        todo += list(getattr(current, "children", {}).values())
    return "\n".join(parts)


# --- Bestellungen: a click on the row opens the order where the eye is ------------------------


def _click_row(at: AppTest, number: str) -> AppTest:
    numbers = list(at.dataframe[0].value[DE["orders.col_order"]])
    at.session_state["orders_table_0"] = {  # the table as first drawn
        "selection": {"rows": [numbers.index(number)], "columns": [], "cells": []}
    }
    return at.run()


def test_a_row_click_opens_the_order_in_a_dialog_that_shows_the_decision(world: Databases):
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.query_params["status"] = "new"
    at.run()
    assert not _blocks(at, "dialog"), "nothing open before a click"
    _click_row(at, "000001001")
    assert_clean(at)
    [dialog] = _blocks(at, "dialog")
    assert "Bestellung 000001001" in _texts(dialog)
    assert at.query_params["bestellung"] == "1001"  # the same deep link a mail carries
    at.button(key="confirm_1001").click().run()
    assert_clean(at)
    [dialog] = _blocks(at, "dialog")  # still open, now with the new state
    shown = _texts(dialog)
    assert DE["bookings.status_confirmed"] in shown and DE["bookings.status_new"] not in shown
    assert "confirm_1001" not in {b.key for b in at.button}
    assert at.success[0].value.startswith("1 Buchung bestätigt")
    at.button(key="order_close").click().run()
    assert not _blocks(at, "dialog") and "bestellung" not in at.query_params


def test_a_card_s_open_button_opens_the_order_on_a_phone(world: Databases):
    """On a phone the table gives way to cards; each card's "Öffnen" opens the same dialog."""
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/verkauf/bestellungen.py")
    at.run()
    next(
        b
        for b in at.button
        if b.key and b.key.startswith("orders_card_open_") and b.key.endswith("_1001")
    ).click().run()
    assert_clean(at)
    [dialog] = _blocks(at, "dialog")
    assert "Bestellung 000001001" in _texts(dialog)
    assert at.query_params["bestellung"] == "1001"


# --- Termine: the chosen tab stays open ------------------------------------------------------


def _weekly_series(db: Databases) -> int:
    start = periods.berlin_today() + timedelta(days=1)
    pattern = rec.Pattern(
        kind=rec.WEEKLY, starts_on=start, start_time=time(18, 0), duration_minutes=180,
        weekdays=tuple(rec.WEEKDAYS), count=6,
    )  # fmt: skip
    saved = sr.create_series(ALPHA_VIEWER, db, product_id=SUSHI, pattern=pattern, seats=8, price=79)
    return saved.series_id


def _open_tab(at: AppTest) -> int:
    [tabs] = _blocks(at, "tab_container")
    return int(tabs.proto.tab_container.default_tab_index)


def _series_status(db: Databases, series_id: int) -> str:
    with db.portal.connect() as conn:
        query = select(p.recurring_patterns.c.status).where(
            p.recurring_patterns.c.series_id == series_id
        )
        return str(conn.execute(query).scalar())


def test_skipping_and_cancelling_stay_on_the_series_tab(world: Databases) -> None:
    series_id = _weekly_series(world)
    at = new_app(user_id=ALPHA)
    at.session_state["dates_view"] = DE["dates.tab_series"]
    at.run()
    at.switch_page("pages/angebot/termine.py")
    at.run()
    assert _open_tab(at) == 2
    at.button(key="skip_apply").click().run()
    assert_clean(at)
    assert at.success[0].value == "1 Termin abgesagt."
    assert _open_tab(at) == 2, "the page stays on Serien after the skip"
    # Cancelling a series without bookings asks first, saying how many dates end.
    at.button(key="series_cancel").click().run()
    assert_clean(at)
    question = [w.value for w in at.warning if "beenden" in w.value]
    assert question == [
        f"Serie #{series_id} beenden: 5 künftige Termine werden abgesagt. Das lässt sich "
        "nicht rückgängig machen. Buchungen sind keine betroffen."
    ]
    assert _series_status(world, series_id) == "active" and _open_tab(at) == 2
    at.button(key="series_cancel_confirm").click().run()
    assert_clean(at)
    assert at.success[0].value == "5 Termine abgesagt."
    assert _series_status(world, series_id) == "cancelled" and _open_tab(at) == 2


def test_cancelling_a_date_without_bookings_asks_first(world: Databases) -> None:
    at = open_page("angebot/termine.py", user_id=ALPHA)
    at.selectbox(key="edit_pick").select(13)
    at.run()
    at.button(key="cancel_date").click().run()
    assert_clean(at)
    assert DE["clicks.no_bookings"] in [w.value.split(". ", 2)[-1] for w in at.warning]
    with world.magento.connect() as conn:
        assert conn.execute(select(D.c.status).where(D.c.date_id == 13)).scalar() == "active"
    at.button(key="cancel_confirm").click().run()
    assert at.success[0].value == "1 Termin abgesagt."
    with world.magento.connect() as conn:
        assert conn.execute(select(D.c.status).where(D.c.date_id == 13)).scalar() == "cancelled"


# --- a form creates once ---------------------------------------------------------------------


def _series_count(db: Databases) -> int:
    with db.portal.connect() as conn:
        return len(conn.execute(select(p.recurring_patterns.c.series_id)).all())


def test_serie_speichern_twice_makes_one_series(world: Databases) -> None:
    at = open_dates_tab(open_page("angebot/termine.py", user_id=ALPHA), "series")
    at.selectbox(key="s_course").select(SUSHI)
    at.radio(key="s_end").set_value("count")
    at.run()
    token_key, first_token = "_form_token_new_series", "form-" + "a" * 24
    at.session_state[token_key] = first_token  # the token this rendering of the form drew
    at.button(key="s_save").click().run()
    assert_clean(at)
    assert _series_count(world) == 1
    assert at.success[0].value.startswith("Die Serie ist gespeichert")
    save = at.button(key="s_save")
    assert save.disabled, "the second click is impossible"
    assert DE["clicks.series_saved_already"] in [c.value for c in at.caption]
    # Two racing reruns: the first saved and was cut short before it drew the next form, so
    # the second arrives with the same form's token. The data layer creates nothing.
    at.session_state[token_key] = first_token
    at.session_state["_series_saved"] = None
    at.run()
    at.button(key="s_save").click().run()
    assert_clean(at)
    assert _series_count(world) == 1
    assert DE["clicks.duplicate"] in [i.value for i in at.info]


# --- credit notes ask first ------------------------------------------------------------------


@pytest.fixture
def drafts(world: Databases) -> Databases:
    with world.portal.begin() as conn:
        conn.execute(update(p.bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
    payouts.compute_payouts(SYSTEM, world, period=date(2026, 10, 1))
    return world


def test_issuing_credit_notes_for_all_filtered_asks_with_count_and_sum(drafts: Databases):
    frame = payouts.list_payouts(SYSTEM, drafts)
    assert set(frame["status"]) == {"draft"} and len(frame) == 2
    total = sum(frame["amount"])
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    at.checkbox(key="payouts_select_all").check().run()
    at.button(key="payouts_approve").click().run()
    assert_clean(at)
    shown_total = f"{total:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    question = [w.value for w in at.warning if "Gutschriften ausstellen" in w.value]
    assert len(question) == 1 and question[0].startswith(
        f"2 Gutschriften ausstellen über {shown_total}"
    )
    assert set(payouts.list_payouts(SYSTEM, drafts)["status"]) == {"draft"}, "nothing yet"
    at.button(key="payouts_approve_confirm").click().run()
    assert_clean(at)
    assert at.success[0].value.startswith("2 freigegeben, Gutschriften: GS-")
    assert set(payouts.list_payouts(SYSTEM, drafts)["status"]) == {"approved"}
    table = at.dataframe[0].value
    assert set(table[DE["payouts.col_status"]]) == {DE["payouts.status_approved"]}
    assert not [w for w in at.warning if "Gutschriften ausstellen" in w.value]
    # No chip keeps "Entwurf": the choice starts afresh after the action.
    [choice] = [m for m in at.multiselect if m.label == DE["payout_list.select_page"]]
    assert choice.value == [] and not at.checkbox(key="payouts_select_all").value
