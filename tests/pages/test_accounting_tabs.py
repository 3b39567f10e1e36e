"""Buchhaltung runs only its open tab: changing the revenue period reads no payouts or credit
notes, and the payouts tab reads no revenue (calls of the real data functions counted)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import streamlit as st
from sqlalchemy import update

from core.db import Databases
from data.access.viewer import SYSTEM
from data.money import documents, payouts, revenue
from data.portal_schema import bookings
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.calls import Calls
from tests.support.worlds import build_world

OCTOBER = date(2026, 10, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("accounting_tabs")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with db.portal.begin() as conn:
            conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        payouts.compute_payouts(SYSTEM, db, period=OCTOBER)
        ids = payouts.list_payouts(SYSTEM, db)["payout_id"].tolist()
        payouts.approve_payouts(SYSTEM, db, payout_ids=ids)
        with app_environment(db, tmp):
            yield db


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    st.cache_data.clear()  # revenue is cached for a minute: count real reads
    counter = Calls()
    counter.wrap(
        monkeypatch, payouts, "list_payouts", "page_payouts", "payout_periods", "list_lines"
    )
    counter.wrap(monkeypatch, documents, "list_documents", "document_pdf")
    counter.wrap(monkeypatch, revenue, "summary", "monthly", "yearly", "by_course", "by_partner")
    return counter


@pytest.mark.parametrize("user_id", [ALPHA, STAFF])
def test_switching_the_revenue_period_reads_no_payouts(
    world: Databases, calls: Calls, user_id: int
) -> None:
    at = open_page("buchhaltung/buchhaltung.py", user_id=user_id)
    assert_clean(at)
    assert calls.of("revenue.") > 0
    at.button_group(key="revenue_kind").set_value("year").run()
    assert_clean(at)
    at.selectbox(key="revenue_y").select_index(1).run()
    assert_clean(at)
    assert calls.of("payouts.") == 0 and calls.of("documents.") == 0, calls


def test_the_payouts_tab_reads_no_revenue_and_stays_open(world: Databases, calls: Calls) -> None:
    at = open_page("buchhaltung/buchhaltung.py", user_id=ALPHA)
    at.session_state["accounting_tab"] = "Auszahlungen"
    at.run()
    text = assert_clean(at)
    assert "Oktober 2026" in text and "Umsatz nach Monat" not in text
    calls.clear()
    at.selectbox(key="payout_open").select_index(0).run()  # a click inside the tab
    assert_clean(at)
    assert calls["payouts.page_payouts"] == 1, calls  # still the payouts tab
    assert calls.of("revenue.") == 0 and calls.of("documents.") == 0, calls
    at.session_state["accounting_tab"] = "Gutschriften"
    at.run()
    assert "GS-" in assert_clean(at)
    assert calls["payouts.page_payouts"] == 1 and calls.of("revenue.") == 0, calls


def test_the_chosen_revenue_year_is_still_there_after_a_look_at_the_payouts(
    world: Databases,
) -> None:
    at = open_page("buchhaltung/buchhaltung.py", user_id=ALPHA)
    at.button_group(key="revenue_kind").set_value("year").run()
    at.selectbox(key="revenue_y").select_index(1).run()
    chosen = at.selectbox(key="revenue_y").value
    at.session_state["accounting_tab"] = "Auszahlungen"
    at.run()
    at.session_state["accounting_tab"] = "Umsatz"
    at.run()
    assert_clean(at)
    assert at.button_group(key="revenue_kind").value == "year"
    assert at.selectbox(key="revenue_y").value == chosen
