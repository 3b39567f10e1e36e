"""Einstellungen → SMS-Erinnerungen through AppTest: the partner switches reminders on, sees the
SMS with its length and segments, and per month what was sent and what it cost; staff record
a customer's objection while viewing as the partner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from streamlit.testing.v1 import AppTest

from core.clock import now_utc
from core.db import Databases
from core.i18n import month_label
from data import portal_schema as p
from data.access.viewer import Viewer
from data.comms import sms_reminders as sms
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app, open_page
from tests.support.worlds import build_world

PAGE = "konto/einstellungen.py"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        yield db


def _save_button(at: AppTest):
    return next(b for b in at.button if b.label == "SMS-Einstellungen speichern")


def test_the_partner_switches_reminders_on_and_sees_the_sms(world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    text = assert_clean(at)
    assert "SMS-Erinnerungen an Ihre Kunden" in text
    assert "Noch keine SMS-Erinnerungen gesendet." in text
    preview = at.code[0].value
    assert preview.startswith("Miomente: Erinnerung an Ihren Kurs")
    assert "GSM-7 · " in text and "SMS-Teile · ca. 0,16\xa0€ pro Erinnerung" in text
    at.checkbox(key="sms_24h").check()
    _save_button(at).click().run()
    assert "SMS-Erinnerungen sind eingeschaltet." in assert_clean(at)
    alpha = Viewer(user_id=ALPHA, role="partner", partner_id=1)
    assert sms.sms_settings_of(alpha, world) == sms.SmsSettings(remind_24h=True)
    assert at.checkbox(key="sms_24h").value is True


def test_sent_reminders_and_their_cost_per_month(world: Databases) -> None:
    month = month_label(now_utc().date(), "de")
    rows = [
        {"item_id": 7000 + n, "lead": "24h", "partner_id": 1, "date_id": 11,
         "outcome": "queued" if n < 3 else "no_mobile", "segments": 2 if n < 3 else 0,
         "created_at": now_utc()}
        for n in range(4)
    ] + [{"item_id": 7100, "lead": "24h", "partner_id": 2, "date_id": 21, "outcome": "queued",
          "segments": 5, "created_at": now_utc()}]  # fmt: skip
    with world.portal.begin() as conn:
        conn.execute(insert(p.sms_reminders), rows)
    at = open_page(PAGE, user_id=ALPHA)
    assert_clean(at)
    table = at.dataframe[-1].value
    assert table.iloc[0].tolist() == [month, 3, 1, 6, "0,48\xa0€"]  # B's five segments: not here


def _as_staff_viewing_alpha() -> AppTest:
    at = new_app(user_id=STAFF)
    at.session_state["view_as_partner_id"] = 1
    at.run()
    at.switch_page(f"pages/{PAGE}")
    return at.run()


def test_staff_record_an_objection_in_e164(world: Databases) -> None:
    at = _as_staff_viewing_alpha()
    assert_clean(at)
    at.text_input(key="sms_objection_phone").input("0151 2345 6789")
    next(b for b in at.button if b.label == "Widerspruch eintragen").click().run()
    assert "+4915123456789" in assert_clean(at)
    with world.portal.connect() as conn:
        assert list(conn.execute(select(p.sms_objections.c.phone)).scalars()) == ["+4915123456789"]


def test_a_bad_objection_number_is_refused_in_german(world: Databases) -> None:
    at = _as_staff_viewing_alpha()
    at.text_input(key="sms_objection_phone").input("=HYPERLINK(1)")
    next(b for b in at.button if b.label == "Widerspruch eintragen").click().run()
    text = assert_clean(at)
    assert "Telefonnummer" in text or "telefon" in text.lower()
    with world.portal.connect() as conn:
        assert list(conn.execute(select(p.sms_objections.c.phone)).scalars()) == []


def test_partners_do_not_see_the_objection_form(world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    assert not [i for i in at.text_input if i.key == "sms_objection_phone"]
