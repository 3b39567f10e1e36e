"""Notification preferences on every backend."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db import Databases
from core.validation import InvalidInput
from data.access.viewer import ScopeError, Viewer
from data.comms.notifications import Recipient, get_prefs, recipients, save_prefs
from data.portal_schema import notification_prefs
from tests.support.worlds import build_world

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def test_without_settings_everything_goes_to_the_main_address(db: Databases) -> None:
    assert recipients(ALPHA, db, event="new_booking") == [Recipient("email", "info@alpha.example")]
    assert get_prefs(ALPHA, db)["email_enabled"].all()


def test_bookings_to_the_team_and_money_to_accounting_with_sms(db: Databases) -> None:
    save_prefs(
        ALPHA,
        db,
        prefs=[
            {
                "event": "new_booking",
                "email_enabled": True,
                "emails": "team@alpha.example",
                "sms_enabled": True,
                "phone": "0151 23456789",
            },
            {"event": "payout", "email_enabled": True, "emails": "buchhaltung@alpha.example"},
        ],
    )
    assert recipients(ALPHA, db, event="new_booking") == [
        Recipient("email", "team@alpha.example"),
        Recipient("sms", "+4915123456789"),
    ]
    assert recipients(ALPHA, db, event="payout") == [
        Recipient("email", "buchhaltung@alpha.example")
    ]
    # Saving again updates instead of duplicating.
    save_prefs(ALPHA, db, prefs=[{"event": "payout", "email_enabled": False, "emails": ""}])
    assert recipients(ALPHA, db, event="payout") == []
    with db.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notification_prefs)).scalar() == 2


def test_one_bad_row_saves_nothing(db: Databases) -> None:
    with pytest.raises(InvalidInput) as err:
        save_prefs(
            ALPHA,
            db,
            prefs=[
                {"event": "new_booking", "emails": "team@alpha.example"},
                {"event": "review", "sms_enabled": True, "phone": ""},
            ],
        )
    assert err.value.key == "validation.sms_needs_phone"
    assert err.value.params["event"] == "review"
    with db.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(notification_prefs)).scalar() == 0


def test_staff_must_pick_a_partner(db: Databases) -> None:
    with pytest.raises(ScopeError):
        save_prefs(STAFF, db, prefs=[{"event": "payout", "emails": "x@y.de"}])
    save_prefs(
        STAFF.view_as(1), db, prefs=[{"event": "payout", "email_enabled": True, "emails": "x@y.de"}]
    )
    assert recipients(ALPHA, db, event="payout") == [Recipient("email", "x@y.de")]


def test_one_events_phone_leaves_the_others_empty_and_saves_again(db: Databases) -> None:
    """Was: the other events read back as "nan" (pandas' missing value), and every later save
    refused it as a phone number."""
    save_prefs(
        ALPHA, db, prefs=[{"event": "new_booking", "sms_enabled": True, "phone": "0151 23456789"}]
    )
    rows = get_prefs(ALPHA, db).to_dict("records")
    others = [r for r in rows if r["event"] != "new_booking"]
    assert others and all(not r["phone"] and not r["emails"] for r in others)
    assert all(str(r["phone"]) != "nan" for r in rows)
    save_prefs(ALPHA, db, prefs=rows)  # the form sends back what it showed
    assert recipients(ALPHA, db, event="new_booking")[-1] == Recipient("sms", "+4915123456789")


def test_a_missing_value_is_read_as_empty(db: Databases) -> None:
    nan = float("nan")
    row = {"event": "payout", "email_enabled": True, "emails": nan, "phone": nan}
    save_prefs(ALPHA, db, prefs=[row])
    assert recipients(ALPHA, db, event="payout") == [Recipient("email", "info@alpha.example")]
