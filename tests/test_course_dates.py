"""Future course dates, scoped: what a partner may offer instead of a rejected booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Databases
from data.course_dates import future_dates
from data.viewer import Viewer

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


def test_future_dates_of_own_course_with_seats_sold(world: Databases) -> None:
    dates = future_dates(ALPHA, world, product_id=101)
    assert 13 in dates["date_id"].tolist()
    assert (dates["starts_at"] > datetime.now(UTC).replace(tzinfo=None)).all()
    later = future_dates(
        ALPHA,
        world,
        product_id=101,
        now=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30),
    )
    # Date 11 (this week): order 1001 (2) + 1003 (1) sold; cancelled order 1004 does not count.
    assert later.set_index("date_id").loc[11, "seats_sold"] == 3


def test_another_partners_course_shows_nothing(world: Databases) -> None:
    assert future_dates(ALPHA, world, product_id=201).empty
    assert not future_dates(STAFF, world, product_id=201).empty


# --- Termine: list, single-date writes, cancelling, scope (SQLite, MariaDB + PostgreSQL) --------

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import select, update  # noqa: E402

from core import recurrence as rec  # noqa: E402
from core.ical import build_ics  # noqa: E402
from core.validation import InvalidInput  # noqa: E402
from data import course_dates as cd  # noqa: E402
from data import magento_schema as m  # noqa: E402
from data import portal_schema as p  # noqa: E402
from data.viewer import ScopeError  # noqa: E402

BETA = Viewer(user_id=20, role="partner", partner_id=2)
D = m.miomente_course_date


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _date_row(db: Databases, date_id: int):
    with db.magento.connect() as conn:
        return conn.execute(select(D).where(D.c.date_id == date_id)).mappings().first()


def test_list_shows_own_dates_with_seats_and_waitlist(world: Databases) -> None:
    dates = cd.list_dates(ALPHA, world)
    assert set(dates["date_id"]) == {11, 12, 13}
    row = dates.set_index("date_id").loc[11]
    assert (row["seats_sold"], row["seats_total"], row["waitlist"]) == (3, 12, 0)
    assert row["course"] == "Alpha Pasta-Werkstatt" and row["price"] == Decimal("89.00")
    assert set(cd.list_dates(STAFF, world)["date_id"]) == {11, 12, 13, 21, 22}
    assert cd.list_dates(BETA, world, product_id=101).empty


def test_ical_has_one_event_per_date(world: Databases) -> None:
    frame = cd.list_dates(ALPHA, world)
    ics = build_ics(frame.to_dict("records"), name="Alpha").decode()
    assert ics.count("BEGIN:VEVENT") == 3
    assert "UID:course-date-13@partner.miomente.de" in ics
    assert "SUMMARY:Alpha Pasta-Werkstatt" in ics
    starts = frame.set_index("date_id").loc[13, "starts_at"]
    assert f"DTSTART:{starts.strftime('%Y%m%dT%H%M%S')}Z" in ics


def test_create_date_refuses_bad_input_and_saves_nothing(shop: Databases) -> None:
    soon = rec.local_day(_utcnow()) + timedelta(days=10)
    good = {
        "product_id": 101,
        "starts_at": datetime.combine(soon, datetime.min.time()).replace(hour=18),
        "ends_at": datetime.combine(soon, datetime.min.time()).replace(hour=21),
        "seats": 10,
        "price": "89",
    }
    cases = [
        ({"ends_at": good["starts_at"] - timedelta(hours=1)}, "dates.end_before_start"),
        ({"starts_at": datetime(2020, 1, 1, 18), "ends_at": datetime(2020, 1, 1, 21)},
         "dates.in_past"),
        ({"seats": 0}, "dates.seats_invalid"),
        ({"price": "-5"}, "dates.price_invalid"),
    ]  # fmt: skip
    before = len(cd.list_dates(STAFF, shop))
    for change, key in cases:
        with pytest.raises(InvalidInput) as refused:
            cd.create_date(ALPHA, shop, **{**good, **change})
        assert refused.value.key == key
    with pytest.raises(ScopeError):
        cd.create_date(ALPHA, shop, **{**good, "product_id": 201})
    assert len(cd.list_dates(STAFF, shop)) == before
    saved = cd.create_date(ALPHA, shop, **good)
    row = _date_row(shop, saved.date_id)
    assert rec.to_local(row["starts_at"]).strftime("%H:%M") == "18:00"
    assert row["series_id"] is None and row["seats_total"] == 10
    # The same course at an overlapping time: saved, but reported.
    again = cd.create_date(
        ALPHA, shop, **{**good, "starts_at": good["starts_at"] + timedelta(hours=1)}
    )
    assert again.overlaps == [saved.date_id]


def test_a_new_time_refreshes_the_booking_ledger(shop: Databases) -> None:
    future = _utcnow() + timedelta(days=10)
    with shop.magento.begin() as conn:  # date 11 (booked by 1001 and 1003) into the future
        conn.execute(
            update(D)
            .where(D.c.date_id == 11)
            .values(starts_at=future, ends_at=future + timedelta(hours=3))
        )
    new_start = rec.to_local(future).replace(tzinfo=None) + timedelta(hours=1)
    result = cd.update_date(ALPHA, shop, date_id=11, starts_at=new_start, seats=20)
    assert result.orders_refreshed == 3  # 1001 and 1003, and the cancelled 1004 as well
    with shop.portal.connect() as conn:
        events = set(
            conn.execute(select(p.bookings.c.event_at).where(p.bookings.c.date_id == 11)).scalars()
        )
    assert events == {future + timedelta(hours=1)}
    row = _date_row(shop, 11)
    assert row["ends_at"] - row["starts_at"] == timedelta(hours=3) and row["seats_total"] == 20
    with pytest.raises(InvalidInput) as refused:
        cd.update_date(ALPHA, shop, date_id=11, seats=2)
    assert refused.value.key == "dates.seats_below_sold"


def test_cancel_with_bookings_asks_then_tells_each_customer_once(shop: Databases) -> None:
    future = _utcnow() + timedelta(days=10)
    with shop.magento.begin() as conn:
        conn.execute(
            update(D)
            .where(D.c.date_id == 11)
            .values(starts_at=future, ends_at=future + timedelta(hours=3))
        )
    asked = cd.cancel_date(ALPHA, shop, date_id=11)
    assert asked.needs_confirmation and asked.bookings == 2 and asked.tickets == 3
    assert asked.refund_total == Decimal("267.00")
    assert _date_row(shop, 11)["status"] == "active"
    done = cd.cancel_date(ALPHA, shop, date_id=11, confirm=True, reason="Wasserschaden")
    assert done.cancelled == [11] and done.messages == 2
    assert _date_row(shop, 11)["status"] == "cancelled"
    with shop.portal.connect() as conn:
        mails = conn.execute(
            select(p.outbox.c.recipient, p.outbox.c.payload)
            .where(p.outbox.c.template == "date_cancelled")
            .order_by(p.outbox.c.recipient)
        ).all()
    assert [(r.recipient, r.payload["refund_amount"]) for r in mails] == [
        ("anna.adler@example.org", "178.00"),
        ("dora.gemeinsam@example.org", "89.00"),
    ]
    with shop.magento.connect() as conn:
        history = (
            conn.execute(
                select(m.sales_order_status_history.c.comment).where(
                    m.sales_order_status_history.c.parent_id == 1001
                )
            )
            .scalars()
            .all()
        )
    assert any("Erstattung fällig: 178,00" in c for c in history)
    # A second cancel (two tabs) sends nothing twice.
    again = cd.cancel_date(ALPHA, shop, date_id=11, confirm=True)
    assert again.cancelled == [] and again.messages == 0
    # Staff see what must be refunded; B sees nothing of it.
    due = cd.refunds_due(STAFF, shop)
    assert sorted(due["amount_due"]) == [Decimal("89.00"), Decimal("178.00")]
    assert set(due["increment_id"]) == {"000001001", "000001003"}
    assert cd.refunds_due(BETA, shop).empty


def test_another_partner_cannot_edit_or_cancel_a_date(shop: Databases) -> None:
    before = dict(_date_row(shop, 13))
    for attempt in (
        lambda: cd.update_date(BETA, shop, date_id=13, seats=1),
        lambda: cd.cancel_date(BETA, shop, date_id=13, confirm=True),
        lambda: cd.get_date(BETA, shop, date_id=13),
        lambda: cd.update_date(STAFF.view_as(2), shop, date_id=13, seats=1),
    ):
        with pytest.raises(ScopeError) as refused:
            attempt()
        assert str(refused.value) == "dates.not_found"
    assert dict(_date_row(shop, 13)) == before
    assert cd.date_bookings(BETA, shop, date_id=11).empty
    assert len(cd.date_bookings(ALPHA, shop, date_id=11)) == 2
