"""Auszahlungen at size: the list is paged in SQL (count and sum from aggregates, one page
formatted), the picker searches the data layer, and the CSV/XLSX are built only on request."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, update
from streamlit.testing.v1 import AppTest

from components import payout_views
from core.db import Databases
from data.access.viewer import SYSTEM, Viewer
from data.money import payouts
from data.portal_schema import bookings
from data.portal_schema import payouts as payouts_table
from tests.conftest import fresh_databases
from tests.support.app import STAFF, app_environment, assert_clean, open_page
from tests.support.calls import Calls
from tests.support.worlds import B, build_world

OCTOBER = date(2026, 10, 1)
OLD_MONTHS = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(30)]  # 2024-01 … 2026-06
TOTAL = 2 + 2 * len(OLD_MONTHS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """October computed and approved for both partners, plus 30 old drafts each (62)."""
    tmp = tmp_path_factory.mktemp("payouts_list")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with db.portal.begin() as conn:
            conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        payouts.compute_payouts(SYSTEM, db, period=OCTOBER)
        payouts.approve_payouts(
            SYSTEM, db, payout_ids=payouts.list_payouts(SYSTEM, db)["payout_id"].tolist()
        )
        with db.portal.begin() as conn:
            conn.execute(
                insert(payouts_table),
                [
                    dict(
                        partner_id=partner,
                        period=month,
                        status="draft",
                        vat_case="standard",
                        lines=1,
                        gross=Decimal("100.00"),
                        amount=Decimal("10.01") * partner,
                        expected_date=month.replace(day=7),
                        computed_at=datetime(2026, 7, 1),
                    )
                    for partner in (1, 2)
                    for month in OLD_MONTHS
                ],
            )
        with app_environment(db, tmp):
            yield db


def test_a_page_with_the_selections_count_and_sum(world: Databases) -> None:
    everything = payouts.list_payouts(SYSTEM, world)
    first = payouts.page_payouts(SYSTEM, world, page_size=25)
    assert (first.total, first.pages, len(first.rows)) == (TOTAL, 3, 25)
    assert first.amount == sum(everything["amount"])
    last = payouts.page_payouts(SYSTEM, world, page=99, page_size=25)
    assert (last.page, len(last.rows)) == (3, TOTAL - 50)  # beyond the end: the last page
    pages = [payouts.page_payouts(SYSTEM, world, page=p, page_size=25) for p in (1, 2, 3)]
    ids = [i for p in pages for i in p.rows["payout_id"]]
    assert ids == everything["payout_id"].tolist()  # the same order, nothing twice or lost
    alpha = payouts.page_payouts(Viewer(user_id=10, role="partner", partner_id=1), world)
    assert set(alpha.rows["partner_id"]) == {1} and alpha.total == TOTAL // 2


def test_the_search_finds_partners_and_credit_notes_in_scope(world: Databases) -> None:
    by_name = payouts.find_payouts(SYSTEM, world, text=B.partner_name[:6].lower())
    assert set(by_name["partner_id"]) == {2} and len(by_name) == payouts.SEARCH_LIMIT
    number = payouts.list_payouts(SYSTEM, world, partner_id=2, period=OCTOBER)
    wanted = number["document_number"].iloc[0]
    found = payouts.find_payouts(SYSTEM, world, text=wanted)
    assert found["document_number"].tolist() == [wanted]
    alpha = Viewer(user_id=10, role="partner", partner_id=1)
    assert payouts.find_payouts(alpha, world, text=wanted).empty  # B's note: not for A
    assert payouts.find_payouts(SYSTEM, world, text="100%_").empty  # wildcards are text


@pytest.fixture
def staff_page(world: Databases) -> AppTest:
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    assert_clean(at)
    return at


def test_the_staff_list_shows_one_page_and_turns_it(staff_page: AppTest) -> None:
    at = staff_page
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Auszahlungen"] == str(TOTAL)
    assert len(at.dataframe[0].value) == payouts.DEFAULT_PAGE_SIZE
    assert "Seite 1 von 2" in [c.value for c in at.caption]
    at.button(key="payouts_next").click().run()
    assert "Seite 2 von 2" in [c.value for c in assert_clean(at) and at.caption]
    assert len(at.dataframe[0].value) == TOTAL - payouts.DEFAULT_PAGE_SIZE
    at.selectbox(key="payouts_status").set_value("approved").run()  # a new selection: page 1
    assert "Seite 1 von 1" in [c.value for c in at.caption]
    assert len(at.dataframe[0].value) == 2


def test_the_picker_searches_instead_of_listing_every_payout(staff_page: AppTest) -> None:
    at = staff_page
    assert len(at.selectbox(key="payouts_open").options) == payouts.DEFAULT_PAGE_SIZE
    at.text_input(key="payouts_search").input("GS-").run()
    options = at.selectbox(key="payouts_open").options
    assert len(options) == 2 and all("Oktober 2026" in o for o in options)
    at.text_input(key="payouts_search").input("nichts dergleichen").run()
    assert "Keine Auszahlung passt zu dieser Suche." in assert_clean(at)


def _table_files(at: AppTest) -> list[str]:
    return [d.proto.label for d in at.get("download_button") if d.key.startswith("payouts_table")]


def test_the_export_is_built_only_when_asked(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls().wrap(monkeypatch, payout_views, "frame_csv", "frame_xlsx")
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    at.selectbox(key="payouts_status").set_value("approved").run()
    at.run()
    assert sum(calls.values()) == 0  # plain reruns build no file
    assert _table_files(at) == []
    at.button(key="payouts_table_csv").click().run()
    assert_clean(at)
    assert calls == {"payout_views.frame_csv": 1}
    assert _table_files(at)[0].startswith("Auszahlungen.csv herunterladen (")
    prepared = at.session_state["_prepared_file_payouts_table_csv"]
    rows = list(csv.reader(io.StringIO(Path(prepared.path).read_text("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3 and {r[0] for r in rows[1:]} == {"Kochschule Alpha", B.partner_name}
    at.run()
    assert calls == {"payout_views.frame_csv": 1}  # kept, not built again
    at.selectbox(key="payouts_status").set_value("draft").run()  # another selection
    assert _table_files(at) == [] and not Path(prepared.path).exists()


def test_the_credit_notes_are_paged_too(world: Databases, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(payout_views, "DOC_PAGE", 1)
    at = open_page("buchhaltung/auszahlungen.py", user_id=STAFF)
    first = at.dataframe[-1].value
    assert len(first) == 1 and "Seite 1" in [c.value for c in at.caption]
    at.button(key="staff_docs_next").click().run()
    second = assert_clean(at) and at.dataframe[-1].value
    assert len(second) == 1 and "Seite 2" in [c.value for c in at.caption]
    assert second.iloc[0, 1] != first.iloc[0, 1]  # the other credit note
    assert at.button(key="staff_docs_next").disabled  # two in all
