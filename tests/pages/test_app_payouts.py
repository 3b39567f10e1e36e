"""AppTest of the Buchhaltung tabs Auszahlungen/Gutschriften (partner) and of the staff page
Auszahlungen: the real pages over a two-partner world with October's payouts computed,
both approved (credit notes issued) and A's paid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from core.db import Databases
from data.access.viewer import SYSTEM
from data.money import documents, payouts
from data.portal_schema import bookings
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, new_app, open_page, visible_text
from tests.support.app import assert_clean as _assert_clean
from tests.support.worlds import B, build_world

OCTOBER = date(2026, 10, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("app_payouts")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with db.portal.begin() as conn:
            conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        payouts.compute_payouts(SYSTEM, db, period=OCTOBER)
        ids = payouts.list_payouts(SYSTEM, db).sort_values("partner_id")["payout_id"].tolist()
        payouts.approve_payouts(SYSTEM, db, payout_ids=ids)
        payouts.mark_paid(SYSTEM, db, payout_ids=ids[:1], paid_on=date(2026, 11, 6))
        with app_environment(db, tmp):
            yield db


def _page(page: str, *, user_id: int, locale: str = "de") -> AppTest:
    return open_page(page, user_id=user_id, locale=locale)


def _open_tab(at: AppTest, label: str) -> AppTest:
    """Buchhaltung runs only its open tab: open another one, as a click on it does."""
    at.session_state["accounting_tab"] = label
    return at.run()


def _opened_on(label: str, locale: str) -> AppTest:
    """Buchhaltung opened on a tab. A new session each: AppTest sends a shown selectbox's
    value back formatted in German, which an English selectbox would not recognise."""
    at = new_app(user_id=ALPHA, locale=locale)
    at.session_state["accounting_tab"] = label
    at.run()
    at.switch_page("pages/buchhaltung/buchhaltung.py")
    return at.run()


@pytest.mark.parametrize("locale", ["de", "en"])
def test_partner_sees_own_payouts_lines_and_credit_notes(world: Databases, locale: str) -> None:
    text = _assert_clean(_opened_on("Auszahlungen" if locale == "de" else "Payouts", locale))
    amount = "257,11\u00a0€" if locale == "de" else "€257.11"
    assert amount in text
    assert ("Oktober 2026" if locale == "de" else "October 2026") in text
    # The detail: each line with order number, course and commission.
    assert "000001001" in text and "000001003" in text and "Alpha Pasta-Werkstatt" in text
    assert ("22,25\u00a0€" if locale == "de" else "€22.25") in text
    # Gutschriften: the issued number and the PDF download.
    at = _opened_on("Gutschriften" if locale == "de" else "Credit notes", locale)
    documents_text = _assert_clean(at)
    assert "GS-" in documents_text
    text += documents_text
    downloads = at.get("download_button")
    assert any(d.proto.label in ("PDF herunterladen", "Download PDF") for d in downloads)
    for marker in (B.partner_name, *B.course_names, "777,77", "877,65"):
        assert marker not in text


def test_partner_document_filters(world: Databases) -> None:
    at = _open_tab(_page("buchhaltung/buchhaltung.py", user_id=ALPHA), "Gutschriften")
    at.selectbox(key="documents_status").set_value("approved").run()
    text = _assert_clean(at)
    assert "Keine Einträge für diese Auswahl." in text  # A's note belongs to a paid payout
    at.selectbox(key="documents_status").set_value("paid").run()
    assert "Ausgezahlt" in _assert_clean(at)


def test_staff_sees_all_and_pays_in_bulk(world: Databases) -> None:
    at = _page("buchhaltung/auszahlungen.py", user_id=STAFF)
    text = _assert_clean(at)
    assert "Kochschule Alpha" in text and B.partner_name in text
    assert at.title[0].value == "Auszahlungen"
    at.selectbox(key="payouts_status").set_value("approved").run()
    text = _assert_clean(at)
    assert B.partner_name in text and "Freigegeben" in text
    at.checkbox(key="payouts_select_all").check().run()
    at.button(key="payouts_sepa").click().run()
    _assert_clean(at)
    assert any(d.proto.label == "SEPA-XML herunterladen" for d in at.get("download_button"))
    at.button(key="payouts_datev").click().run()
    _assert_clean(at)
    at.button(key="payouts_mark_paid").click().run()
    text = visible_text(at)
    assert "1 als ausgezahlt markiert." in text
    assert payouts.list_payouts(SYSTEM, world, status="approved").empty


def test_partner_cannot_open_the_staff_page(world: Databases) -> None:
    at = new_app(user_id=ALPHA)
    at.run()
    with pytest.raises(ValueError):
        at.switch_page("pages/buchhaltung/auszahlungen.py")


def test_staff_reissues_a_credit_note_and_a_second_time_is_refused(world: Databases) -> None:
    before = documents.list_documents(SYSTEM, world)
    old = before[before["partner_id"] == 2].iloc[0]
    at = _page("buchhaltung/auszahlungen.py", user_id=STAFF)
    _assert_clean(at)
    at.selectbox(key="reissue_document_0").set_value(int(old["document_id"])).run()
    at.text_input(key="reissue_reason_0").input("Neue Anschrift")
    at.checkbox(key="reissue_confirm_0").check().run()
    at.button(key="reissue_go_0").click().run()
    text = _assert_clean(at)
    after = documents.list_documents(SYSTEM, world).set_index("number")
    new = sorted(set(after.index) - set(before["number"]))
    assert len(new) == 2
    storno, credit_note = new
    assert after.loc[storno, "status"] == "cancellation"
    assert after.loc[storno, "cancels_number"] == old["number"]
    assert after.loc[old["number"], "status"] == "cancelled"
    assert f"Storno-Gutschrift {storno} und neue Gutschrift {credit_note} ausgestellt." in text
    listed = at.dataframe[-1].value.to_csv()
    assert storno in listed and credit_note in listed and "Storno-Gutschrift" in listed
    # The choice was reset; choosing the cancelled note again is refused by the data layer.
    assert at.selectbox(key="reissue_document_1").value is None
    at.selectbox(key="reissue_document_1").set_value(int(old["document_id"])).run()
    assert "Status: Storniert" in visible_text(at)
    at.checkbox(key="reissue_confirm_1").check().run()
    at.button(key="reissue_go_1").click().run()
    _assert_clean(at)
    assert [e.value for e in at.error] == ["Diese Gutschrift wurde bereits storniert."]
    assert len(documents.list_documents(SYSTEM, world)) == len(after)


def test_reissue_needs_the_confirmation(world: Databases) -> None:
    count = len(documents.list_documents(SYSTEM, world))
    at = _page("buchhaltung/auszahlungen.py", user_id=STAFF)
    first = documents.list_documents(SYSTEM, world)
    valid = first[(first["kind"] == "credit_note") & (first["status"] != "cancelled")]
    at.selectbox(key="reissue_document_0").set_value(int(valid["document_id"].iloc[0])).run()
    _assert_clean(at)
    assert at.button(key="reissue_go_0").disabled  # until confirmed
    at.checkbox(key="reissue_confirm_0").check().run()
    assert not at.button(key="reissue_go_0").disabled
    at.checkbox(key="reissue_confirm_0").uncheck().run()
    assert at.button(key="reissue_go_0").disabled
    assert len(documents.list_documents(SYSTEM, world)) == count


def test_partner_sees_no_correction_tool(world: Databases) -> None:
    at = _page("buchhaltung/buchhaltung.py", user_id=ALPHA)
    text = _assert_clean(at)
    assert "Gutschrift korrigieren" not in text
    assert not [b for b in at.button if b.key and b.key.startswith("reissue")]


def test_partner_sees_the_offset_of_an_earlier_negative_payout(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Its own world: October paid, a refund makes November negative, December offsets it."""
    from decimal import Decimal

    from data.portal_schema import payouts as payouts_table
    from tests.money.test_payouts import _add_sale

    tmp = tmp_path_factory.mktemp("app_offsets")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        with db.portal.begin() as conn:
            conn.execute(update(bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
        for period in (OCTOBER, date(2026, 11, 1)):
            if period != OCTOBER:
                with db.portal.begin() as conn:
                    conn.execute(
                        update(bookings)
                        .where(bookings.c.item_id == 5002)
                        .values(status="refunded", refunded=Decimal("99"))
                    )
            payouts.compute_payouts(SYSTEM, db, period=period)
            ids = payouts.list_payouts(SYSTEM, db, period=period, partner_id=1)["payout_id"]
            payouts.approve_payouts(SYSTEM, db, payout_ids=ids.tolist())
        _add_sale(db, 5901, like=5003, event_at=datetime(2026, 12, 10, 16), gross="200")
        payouts.compute_payouts(SYSTEM, db, period=date(2026, 12, 1))
        with db.portal.connect() as conn:
            carried = conn.execute(
                select(payouts_table.c.carried).where(payouts_table.c.period == date(2026, 12, 1))
            ).scalar_one()
        assert carried == Decimal("-69.55")
        with app_environment(db, tmp):
            at = _open_tab(_page("buchhaltung/buchhaltung.py", user_id=ALPHA), "Auszahlungen")
            text = _assert_clean(at)  # the newest payout (December) is open
            assert "Verrechnet mit früheren negativen Auszahlungen (GS-2026-00002)" in text
            assert "-69,55\u00a0€" in text and "70,95\u00a0€" in text
            assert "Kurstermine aus" not in text  # December's lines are all December's
            at.selectbox(key="payout_open").set_value(
                int(payouts.list_payouts(SYSTEM, db, period=date(2026, 11, 1))["payout_id"][0])
            ).run()
            text = _assert_clean(at)
            assert "Er wird mit Ihrer nächsten Auszahlung verrechnet." in text
            # November holds only a correction of an October course date: the period says so.
            assert "Kurstermine aus Oktober 2026:" in text
