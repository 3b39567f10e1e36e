"""Warteliste: entering (with refusals and merging), the partner's lists and figures, the
notices in both modes with group sizes, exactly-once under two runs at once and after a crash,
conversions, expiry and leaving by the signed link. On SQLite and on MariaDB + PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select, update

from core import links
from core.db import Databases
from core.validation import InvalidInput
from data.access.viewer import SYSTEM, Viewer
from data.bookings.ledger import refresh_orders
from data.demand import _notices
from data.demand import waitlist as wl
from data.portal_schema import outbox, waitlist, waitlist_notices
from messaging.render import render
from tests.support.waitlist import B_COURSE, COURSE, NOW, PRICE, add_course, add_date, sell

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)


@pytest.fixture
def db(shop: Databases) -> Databases:
    """The two-partner world with A's course 103 and nobody waiting yet."""
    add_course(shop)
    with shop.portal.begin() as conn:
        conn.execute(delete(waitlist))
    return shop


def _add(db: Databases, email: str, *, seats: int = 1, minutes: int = 0, **kwargs) -> int:
    values: dict = {
        "product_id": COURSE,
        "customer_name": email.split("@")[0].title(),
        "email": email,
        "seats": seats,
        "consent": True,
        "now": NOW - timedelta(days=30) + timedelta(minutes=minutes),
    }
    return wl.add_entry(ALPHA, db, **(values | kwargs)).entry_id


def _mails(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(outbox.c.recipient, outbox.c.payload, outbox.c.dedupe_key)
            .where(outbox.c.template == _notices.TEMPLATE)
            .order_by(outbox.c.message_id)
        ).mappings()
        return [dict(r) for r in rows]


def _told(db: Databases) -> list[str]:
    return sorted(m["recipient"] for m in _mails(db))


def _rows(db: Databases) -> int:
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(waitlist)).scalar() or 0)


# --- entering and reading ------------------------------------------------------------------------


def test_the_partner_sees_people_seats_oldest_first_and_possible_revenue(db: Databases) -> None:
    _add(db, "erste@example.org", seats=2, minutes=1)
    _add(db, "zweite@example.org", seats=4, minutes=2)
    add_date(db, 901, days=20, seats=10)
    sell(db, 901, 10)  # full
    _add(db, "dritte@example.org", seats=1, minutes=3, date_id=901)

    course = wl.waiting_courses(ALPHA, db).set_index("product_id").loc[COURSE]
    assert (course["people"], course["seats"]) == (3, 7)
    assert course["possible_revenue"] == Decimal("623.00") == 7 * PRICE
    assert isinstance(course["possible_revenue"], Decimal)
    assert course["oldest_at"] == NOW - timedelta(days=30, minutes=-1)
    people = wl.list_entries(ALPHA, db, product_id=COURSE)
    assert people["email"].tolist() == [
        "erste@example.org",
        "zweite@example.org",
        "dritte@example.org",
    ]
    dates = wl.waiting_dates(ALPHA, db, product_id=COURSE).set_index("date_id")
    assert dates.loc[0, "seats"] == 6 and dates.loc[901, "seats"] == 1
    assert dates.loc[901, "starts_at"] == NOW + timedelta(days=20)
    assert wl.waiting_people(ALPHA, db) == 3
    assert wl.waiting_people(BETA, db) == 0
    assert wl.waiting_courses(BETA, db).empty


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"email": "kein-at-zeichen.example.org"}, "waitlist.email_invalid"),
        ({"email": "=HYPERLINK(1)@x.de"}, "waitlist.email_invalid"),
        ({"seats": 0}, "waitlist.seats_invalid"),
        ({"seats": 500}, "waitlist.seats_invalid"),
        ({"product_id": 999}, "waitlist.unknown_course"),
        ({"product_id": B_COURSE}, "waitlist.unknown_course"),  # partner B's course
        ({"date_id": 902}, "waitlist.date_past"),
        ({"date_id": 13}, "waitlist.unknown_date"),  # a date of another course
        ({"consent": False}, "waitlist.consent_missing"),
        ({"customer_name": "  "}, "waitlist.name_missing"),
        ({"note": "x" * 501}, "waitlist.note_too_long"),
        ({"phone": "abc"}, "validation.phone"),
    ],
)
def test_bad_input_is_refused_in_german_and_nothing_is_stored(
    db: Databases, changes: dict, key: str
) -> None:
    add_date(db, 902, days=-40)  # before the sign-up
    with pytest.raises(InvalidInput) as refused:
        rest = dict(changes)
        _add(db, str(rest.pop("email", "kunde@example.org")), **rest)
    assert refused.value.key == key
    assert _rows(db) == 0


def test_signing_up_again_merges_instead_of_doubling(db: Databases) -> None:
    first = _add(db, "Gruppe@Example.org", seats=2)
    again = wl.add_entry(
        ALPHA, db, product_id=COURSE, customer_name="Gruppe Neu", email=" gruppe@example.org ",
        seats=4, phone="0151 234 567 89", consent=True, now=NOW,
    )  # fmt: skip
    assert again.merged and again.entry_id == first
    assert _rows(db) == 1
    entry = wl.list_entries(ALPHA, db).iloc[0]
    assert (entry["seats"], entry["customer_name"], entry["phone"]) == (
        4,
        "Gruppe Neu",
        "+4915123456789",
    )
    # Another date of the same course is another wish: its own entry.
    add_date(db, 903, days=5)
    assert not wl.add_entry(
        ALPHA, db, product_id=COURSE, customer_name="G", email="gruppe@example.org",
        date_id=903, consent=True, now=NOW,
    ).merged  # fmt: skip
    assert _rows(db) == 2


# --- notices -------------------------------------------------------------------------------------


def test_everyone_is_told_of_a_new_date_once_with_booking_and_leaving_links(db: Databases) -> None:
    single = _add(db, "single@example.org", minutes=1)
    _add(db, "vierer@example.org", seats=4, minutes=2)
    _add(db, "zehner@example.org", seats=10, minutes=3)  # more than the date has: told too
    add_date(db, 910, days=14, seats=8)

    result = wl.notify_waiting(SYSTEM, db, now=NOW)
    assert (result.dates, result.notices, result.mails) == (1, 3, 3)
    assert _told(db) == ["single@example.org", "vierer@example.org", "zehner@example.org"]
    mail = next(m for m in _mails(db) if m["recipient"] == "single@example.org")
    assert mail["payload"]["booking_url"] == links.shop_date_url(COURSE, 910)
    assert mail["payload"]["reason"] == "new_date"
    assert mail["payload"]["unsubscribe_url"] == links.waitlist_unsubscribe_url(
        wl.unsubscribe_token(single)
    )
    text = render(_notices.TEMPLATE, locale="de", payload=mail["payload"]).text
    assert "neuen Termin" in text and links.shop_date_url(COURSE, 910) in text
    assert mail["payload"]["unsubscribe_url"] in text

    again = wl.notify_waiting(SYSTEM, db, now=NOW + timedelta(hours=30))
    assert (again.notices, again.mails) == (0, 0)
    assert len(_mails(db)) == 3


def test_in_turn_a_group_that_does_not_fit_is_skipped_and_later_ones_follow(db: Databases) -> None:
    wl.save_settings(ALPHA, db, mode="queue", wait_hours=24, expiry_months=6, now=NOW)
    add_date(db, 920, days=20, seats=6, created_at=NOW - timedelta(days=60))
    sell(db, 920, 6)  # full when they sign up
    _add(db, "vierer@example.org", seats=4, minutes=1)  # the oldest: a group of four
    _add(db, "anna@example.org", minutes=2)
    _add(db, "bert@example.org", minutes=3)
    _add(db, "cleo@example.org", minutes=4)
    with db.magento.begin() as conn:  # four seats go back: 2 free
        from data.shop.schema import sales_order

        conn.execute(update(sales_order).values(status="canceled", state="canceled"))
    sell(db, 920, 4)

    first = wl.notify_waiting(SYSTEM, db, now=NOW)
    assert _told(db) == ["anna@example.org", "bert@example.org"]
    assert first.mails == 2
    assert _mails(db)[0]["payload"]["reason"] == "seats_freed"
    # Within the 24 hours the two seats are theirs: nobody else is told.
    assert wl.notify_waiting(SYSTEM, db, now=NOW + timedelta(hours=23)).mails == 0
    # After it, the next one that fits: cleo (the group still does not fit into 2 seats).
    later = wl.notify_waiting(SYSTEM, db, now=NOW + timedelta(hours=25))
    assert later.mails == 1
    assert _told(db) == ["anna@example.org", "bert@example.org", "cleo@example.org"]


def test_in_turn_a_told_customer_who_books_frees_the_hold_for_the_next(db: Databases) -> None:
    wl.save_settings(ALPHA, db, mode="queue", wait_hours=24, expiry_months=6, now=NOW)
    _add(db, "anna@example.org", seats=2, minutes=1)
    _add(db, "bert@example.org", minutes=2)
    _add(db, "cleo@example.org", minutes=3)
    add_date(db, 925, days=20, seats=3)
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 2  # anna's two seats, bert's one
    later = NOW + timedelta(hours=1)
    order = sell(db, 925, 1, email="anna@example.org", at=later)  # anna books only one
    refresh_orders(SYSTEM, db, order_ids=[order], now=later)
    assert wl.mark_conversions(SYSTEM, db, now=later) == 1
    # Anna's seat is sold and her hold is gone: one seat is free for cleo within the 24 hours.
    assert wl.notify_waiting(SYSTEM, db, now=later).mails == 1
    assert _told(db) == ["anna@example.org", "bert@example.org", "cleo@example.org"]


def test_in_turn_the_wait_is_shorter_when_the_date_is_near(db: Databases) -> None:
    wl.save_settings(ALPHA, db, mode="queue", wait_hours=24, expiry_months=6, now=NOW)
    _add(db, "anna@example.org", minutes=1)
    _add(db, "bert@example.org", minutes=2)
    add_date(db, 930, days=2, seats=1)  # in two days: at most 4 hours each
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 1
    assert wl.notify_waiting(SYSTEM, db, now=NOW + timedelta(hours=3)).mails == 0
    assert wl.notify_waiting(SYSTEM, db, now=NOW + timedelta(hours=5)).mails == 1
    assert _told(db) == ["anna@example.org", "bert@example.org"]


def test_dates_open_at_sign_up_are_no_news_and_one_date_waiters_hear_of_theirs_only(
    db: Databases,
) -> None:
    add_date(db, 940, days=10, seats=8)  # open when they sign up
    add_date(db, 941, days=12, seats=2)
    sell(db, 941, 2)
    _add(db, "irgendwann@example.org")
    _add(db, "genau@example.org", date_id=941)
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 0
    add_date(db, 942, days=30, seats=8)  # a new date: only the "any date" customer
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 1
    assert _told(db) == ["irgendwann@example.org"]


def test_two_runs_at_once_tell_everyone_exactly_once(db: Databases) -> None:
    for n in range(12):
        _add(db, f"person{n:02d}@example.org", seats=1 + n % 3, minutes=n)
    add_date(db, 950, days=9, seats=40)
    add_date(db, 951, days=16, seats=40)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            wl.notify_waiting(SYSTEM, db, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    keys = [m["dedupe_key"] for m in _mails(db)]
    assert len(keys) == len(set(keys)) == 24  # 12 people x 2 dates
    with db.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(waitlist_notices)).scalar() == 24


def test_a_run_that_dies_writes_nothing_and_the_next_one_tells_once(
    db: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add(db, "anna@example.org")
    add_date(db, 960, days=9)

    def crash(*args: object, **kwargs: object) -> int:
        raise RuntimeError("killed mid-transaction")

    monkeypatch.setattr(_notices, "queue_many", crash)
    with pytest.raises(RuntimeError):
        wl.notify_waiting(SYSTEM, db, now=NOW)
    monkeypatch.undo()
    assert _mails(db) == []
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 1
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 0
    assert _told(db) == ["anna@example.org"]


def test_a_partner_run_tells_only_its_own_waiting_customers(db: Databases) -> None:
    _add(db, "anna@example.org")
    add_date(db, 970, days=9)
    assert wl.notify_waiting(BETA, db, now=NOW).mails == 0
    assert wl.notify_waiting(ALPHA, db, now=NOW).mails == 1


# --- conversions, expiry, leaving ----------------------------------------------------------------


def test_booking_the_course_converts_the_entry_and_counts_in_the_rate(db: Databases) -> None:
    _add(db, "bucht@example.org")
    _add(db, "wartet@example.org", minutes=1)
    add_date(db, 980, days=9)
    order = sell(db, 980, 1, email="Bucht@Example.org", at=NOW - timedelta(days=1))
    refresh_orders(SYSTEM, db, order_ids=[order], now=NOW)
    assert wl.mark_conversions(SYSTEM, db, now=NOW) == 1
    assert wl.mark_conversions(SYSTEM, db, now=NOW) == 0
    course = wl.waiting_courses(ALPHA, db).set_index("product_id").loc[COURSE]
    assert (course["people"], course["converted"], course["entries"]) == (1, 1, 2)
    assert course["conversion_rate"] == Decimal("0.5")
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 1  # only the one still waiting


def test_entries_expire_after_the_partners_time(db: Databases) -> None:
    _add(db, "alt@example.org", now=NOW - timedelta(days=200))
    _add(db, "neu@example.org", now=NOW - timedelta(days=20))
    assert wl.expire_entries(SYSTEM, db, now=NOW) == 1
    assert wl.list_entries(ALPHA, db)["email"].tolist() == ["neu@example.org"]
    wl.save_settings(ALPHA, db, mode="all", wait_hours=24, expiry_months=1, now=NOW)
    assert wl.expire_entries(SYSTEM, db, now=NOW + timedelta(days=15)) == 1
    assert wl.waiting_people(ALPHA, db) == 0


def test_entries_for_one_date_end_when_it_has_started(db: Databases) -> None:
    add_date(db, 985, days=3)
    _add(db, "genau@example.org", date_id=985, now=NOW)
    _add(db, "irgendwann@example.org", now=NOW)
    assert wl.expire_entries(SYSTEM, db, now=NOW + timedelta(days=2)) == 0
    assert wl.expire_entries(SYSTEM, db, now=NOW + timedelta(days=4)) == 1
    assert wl.list_entries(ALPHA, db)["email"].tolist() == ["irgendwann@example.org"]


def test_the_signed_link_takes_the_entry_off_without_a_login(db: Databases) -> None:
    entry = _add(db, "weg@example.org")
    token = wl.unsubscribe_token(entry)
    assert wl.unsubscribe(db, token=token[:-2] + "xx", now=NOW) is None
    assert wl.unsubscribe(db, token=f"{entry + 1}.{token.split('.')[1]}", now=NOW) is None
    left = wl.unsubscribe(db, token=token, now=NOW)
    assert left is not None and not left.already and left.course == f"Alpha Brot backen {COURSE}"
    assert wl.unsubscribe(db, token=token, now=NOW).already  # type: ignore[union-attr]
    add_date(db, 990, days=9)
    assert wl.notify_waiting(SYSTEM, db, now=NOW).mails == 0
    # Signing up again brings the entry back, waiting from now.
    assert _add(db, "weg@example.org", now=NOW).__eq__(entry)
    assert wl.waiting_people(ALPHA, db) == 1


def test_settings_default_save_and_refuse(db: Databases) -> None:
    assert wl.waitlist_settings(ALPHA, db) == wl.DEFAULTS
    saved = wl.save_settings(ALPHA, db, mode="queue", wait_hours=12, expiry_months=3, now=NOW)
    assert wl.waitlist_settings(ALPHA, db) == saved
    assert wl.waitlist_settings(BETA, db) == wl.DEFAULTS
    for bad, key in (
        ({"mode": "alle"}, "waitlist.mode_invalid"),
        ({"wait_hours": 0}, "waitlist.hours_invalid"),
        ({"expiry_months": 36}, "waitlist.expiry_invalid"),
    ):
        values = {"mode": "all", "wait_hours": 24, "expiry_months": 6} | bad
        with pytest.raises(InvalidInput) as refused:
            wl.save_settings(ALPHA, db, **values)
        assert refused.value.key == key
    assert wl.waitlist_settings(ALPHA, db) == saved
    with pytest.raises(InvalidInput):
        wl.save_settings(SYSTEM, db, mode="all", wait_hours=24, expiry_months=6)
