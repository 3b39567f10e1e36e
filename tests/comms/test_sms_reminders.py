"""SMS reminders on SQLite, MariaDB + PostgreSQL: only to mobile numbers that did not object,
for partners who switched them on, once per booking and lead, held in Berlin's quiet hours;
plus the pure rules (timing, E.164, GSM-7 segments)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from core.db import Databases
from core.phone import mobile_e164, to_e164
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.comms import sms_reminders as sms
from data.shop import schema as m
from messaging.sms import sms_size
from tests.support.shop import Customer, Item, add_order

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
# 11:00 in Berlin (winter: UTC+1). The course starts 20 hours later, at 07:00 Berlin.
NOW = datetime(2026, 12, 9, 10, 0)
COURSE = NOW + timedelta(hours=20)
H = timedelta(hours=1)


# --- the pure rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "lead", "now", "state"),
    [
        (COURSE, 24 * H, NOW - 5 * H, "early"),
        (COURSE, 24 * H, NOW, "send"),  # due 4 h ago, 11:00 Berlin
        (COURSE, 2 * H, NOW, "early"),
        # 2 h before a 07:00 course is 05:00 Berlin: quiet; 08:00 is after the start: too late
        (COURSE, 2 * H, COURSE - 2 * H, "wait"),
        (COURSE, 2 * H, COURSE - H + timedelta(minutes=1), "late"),
        # a 09:00 course (08:00 UTC): due 07:00 Berlin, held until 08:00 (one hour before)
        (datetime(2026, 12, 10, 8, 0), 2 * H, datetime(2026, 12, 10, 6, 59), "wait"),
        (datetime(2026, 12, 10, 8, 0), 2 * H, datetime(2026, 12, 10, 7, 0), "send"),
        # 21:00 Berlin is quiet, 20:59 is not
        (datetime(2026, 12, 11, 19, 0), 24 * H, datetime(2026, 12, 10, 19, 59), "send"),
        (datetime(2026, 12, 11, 19, 0), 24 * H, datetime(2026, 12, 10, 20, 0), "wait"),
        # summer time (UTC+2): a 06:00 course's reminder is held until 08:00 Berlin, 06:00 UTC
        (datetime(2027, 7, 1, 4, 0), 24 * H, datetime(2027, 6, 30, 5, 59), "wait"),
        (datetime(2027, 7, 1, 4, 0), 24 * H, datetime(2027, 6, 30, 6, 0), "send"),
    ],
)
def test_when_a_reminder_goes(starts: datetime, lead: timedelta, now: datetime, state: str) -> None:
    assert sms.reminder_state(starts_at=starts, lead=lead, now=now) == state


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0151 234 567 89", "+4915123456789"),
        ("+49 (0)170 1234567", "+491701234567"),
        ("0049 160 9876543", "+491609876543"),
        ("+43 664 1234567", "+436641234567"),
        ("040 1234567", "+49401234567"),
    ],
)
def test_numbers_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw) == e164


@pytest.mark.parametrize("raw", ["", "123", "=HYPERLINK(1)", "+49 151", "0151 2345678901234"])
def test_no_number_is_refused_in_german(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        to_e164(raw)
    assert refused.value.key == "validation.phone"


def test_only_mobile_numbers_get_an_sms() -> None:
    assert mobile_e164("0151 23456789") == "+4915123456789"
    assert mobile_e164("+43 664 1234567") == "+436641234567"
    assert mobile_e164("040 1234567") is None  # a Hamburg landline
    assert mobile_e164(None) is None and mobile_e164("kaputt") is None


@pytest.mark.parametrize(
    ("text", "encoding", "chars", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character counts twice
        ("Grüße aus Köln", "GSM-7", 14, 1),  # ü, ö are GSM-7
        ("„Kurs“", "UCS-2", 6, 1),  # typographic quotes are not
        ("x" * 70 + "😀", "UCS-2", 72, 2),
    ],
)
def test_sms_size(text: str, encoding: str, chars: int, segments: int) -> None:
    size = sms_size(text)
    assert (size.encoding, size.characters, size.segments) == (encoding, chars, segments)


# --- the task on the databases ------------------------------------------------------------------

# (item/order id, partner, product, phone, ledger status)
BOOKED = [
    (9001, 1, 101, "0151 23456789", "confirmed"),
    (9002, 1, 101, "040 1234567", "new"),  # landline
    (9003, 1, 101, "0170 1234567", "confirmed"),  # objected
    (9004, 1, 101, "0160 7654321", "rejected"),
    (9005, 2, 201, "0152 11122233", "confirmed"),  # B has reminders off
]


def _book(db: Databases, *, starts_at: datetime) -> None:
    with db.magento.begin() as conn:
        for item_id, _partner, product, phone, _status in BOOKED:
            add_order(
                conn, order_id=item_id, items=[Item(item_id, product)],
                created_at=NOW - 48 * H, customer=Customer("Sina", f"Sms{item_id}"),
            )  # fmt: skip
            conn.execute(
                update(m.sales_order_address)
                .where(m.sales_order_address.c.parent_id == item_id)
                .values(telephone=phone)
            )
    rows = [
        {"item_id": item_id, "order_id": item_id, "increment_id": f"{item_id:09d}",
         "partner_id": partner, "product_id": product, "course": "Pasta <b>frisch</b>",
         "date_id": 77, "event_at": starts_at, "booked_at": NOW - 48 * H,
         "customer_name": f"Sina Sms{item_id}", "tickets": 1, "gross": Decimal("50"),
         "status": status, "shop_updated_at": NOW, "synced_at": NOW}
        for item_id, partner, product, _phone, status in BOOKED
    ]  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(insert(p.bookings), rows)


def _sms(db: Databases) -> list[dict]:
    query = select(p.outbox).where(p.outbox.c.template == "date_reminder").order_by("dedupe_key")
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@pytest.fixture
def booked(shop: Databases) -> Databases:
    _book(shop, starts_at=COURSE)
    sms.save_sms_settings(ALPHA, shop, settings=sms.SmsSettings(True, True), now=NOW)
    sms.record_objection(STAFF, shop, phone="+49 170 1234567", now=NOW)
    return shop


def test_a_due_reminder_goes_once_to_mobiles_that_did_not_object(booked: Databases) -> None:
    run = sms.queue_due_reminders(SYSTEM, booked, now=NOW)
    assert (run.queued, run.no_mobile, run.objected) == (1, 1, 1)
    (message,) = _sms(booked)
    assert message["channel"] == "sms" and message["recipient"] == "+4915123456789"
    assert message["partner_id"] == 1 and message["payload"]["course"] == "Pasta <b>frisch</b>"
    again = sms.queue_due_reminders(SYSTEM, booked, now=NOW + timedelta(minutes=5))
    assert again == sms.ReminderRun()
    assert len(_sms(booked)) == 1


def test_the_two_hour_reminder_waits_for_the_morning_or_is_skipped(booked: Databases) -> None:
    sms.queue_due_reminders(SYSTEM, booked, now=NOW)
    quiet = sms.queue_due_reminders(SYSTEM, booked, now=COURSE - 2 * H)  # 05:00 Berlin
    assert quiet.waiting == 3 and quiet.queued == 0
    late = sms.queue_due_reminders(SYSTEM, booked, now=COURSE - 30 * timedelta(minutes=1))
    assert late.late == 3 and late.queued == 0
    assert len(_sms(booked)) == 1  # only the day-before one


def test_two_runs_at_once_queue_each_reminder_once(booked: Databases) -> None:
    barrier = threading.Barrier(2)
    results: list[sms.ReminderRun] = []

    def run() -> None:
        barrier.wait()
        results.append(sms.queue_due_reminders(SYSTEM, booked, now=NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.queued for r in results) == 1
    assert len(_sms(booked)) == 1


def test_each_partner_sees_its_own_reminders_and_their_cost(booked: Databases) -> None:
    sms.queue_due_reminders(SYSTEM, booked, now=NOW)
    mine = sms.reminders_per_month(ALPHA, booked)
    assert mine["sent"].tolist() == [1] and mine["not_sent"].tolist() == [2]
    segments = int(mine["segments"].iloc[0])
    assert segments >= 1 and mine["cost"].iloc[0] == sms.PRICE_PER_SEGMENT * segments
    assert sms.reminders_per_month(BETA, booked).empty


def test_only_staff_record_objections_and_only_the_system_queues(booked: Databases) -> None:
    with pytest.raises(ScopeError):
        sms.record_objection(ALPHA, booked, phone="0151 99999999")
    with pytest.raises(InvalidInput):
        sms.record_objection(STAFF, booked, phone="keine Nummer")
    with pytest.raises(ScopeError):
        sms.queue_due_reminders(ALPHA, booked, now=NOW)
    assert sms.sms_settings_of(BETA, booked) == sms.SmsSettings()
