"""Future course dates, scoped: what a partner may offer instead of a rejected booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.db import Databases
from data.access.viewer import Viewer
from data.dates.course_dates import future_dates

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
    # Product 201's only date is this week's Wednesday: seen from a month ago it is ahead
    # on every weekday, so the staff half of the check holds whatever today is.
    month_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
    assert future_dates(ALPHA, world, product_id=201, now=month_ago).empty
    assert not future_dates(STAFF, world, product_id=201, now=month_ago).empty


# --- Termine: list, single-date writes, cancelling, scope (SQLite, MariaDB + PostgreSQL) --------

from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import event, literal, select, update  # noqa: E402

from core import recurrence as rec  # noqa: E402
from core.ical import build_ics  # noqa: E402
from core.validation import InvalidInput  # noqa: E402
from data import portal_schema as p  # noqa: E402
from data.access.viewer import ScopeError  # noqa: E402
from data.dates import _date_changes  # noqa: E402
from data.dates import course_dates as cd  # noqa: E402
from data.shop import schema as m  # noqa: E402

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


def test_a_page_of_dates_is_the_lists_slice_with_its_count(
    world: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cd, "PAGE_SIZES", (2, 50))
    whole = list(cd.list_dates(STAFF, world)["date_id"])
    first = cd.page_dates(STAFF, world, page=1, page_size=2)
    second = cd.page_dates(STAFF, world, page=2, page_size=2)
    assert (first.total, first.pages, first.paged) == (5, 3, True)
    assert list(first.rows["date_id"]) + list(second.rows["date_id"]) == whole[:4]
    assert (
        second.rows["seats_sold"].tolist()
        == cd.list_dates(STAFF, world)["seats_sold"][2:4].tolist()
    )
    huge = cd.page_dates(STAFF, world, page=10**9, page_size=2)  # a page beyond: the last one
    assert (huge.page, list(huge.rows["date_id"])) == (3, whole[4:])
    mine = cd.page_dates(ALPHA, world, page=1, page_size=50)
    assert (mine.total, set(mine.rows["date_id"])) == (3, {11, 12, 13})  # none of B's
    assert cd.page_dates(BETA, world, product_id=101, page_size=50).total == 0
    with pytest.raises(InvalidInput):
        cd.page_dates(STAFF, world, page_size=7)


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


# --- a moved date tells its customers (date_moved) ------------------------------------------

from messaging.render import render  # noqa: E402


def _date_into_future(db: Databases, date_id: int = 11, days: int = 10) -> datetime:
    """Put a date `days` ahead (its bookings stay); its new start, naive UTC."""
    future = _utcnow() + timedelta(days=days)
    with db.magento.begin() as conn:
        conn.execute(
            update(D)
            .where(D.c.date_id == date_id)
            .values(starts_at=future, ends_at=future + timedelta(hours=3))
        )
    return future


def _local(moment: datetime) -> datetime:
    return rec.to_local(moment).replace(tzinfo=None)


def _moved_mails(db: Databases) -> list:
    with db.portal.connect() as conn:
        return conn.execute(
            select(p.outbox)
            .where(p.outbox.c.template == "date_moved")
            .order_by(p.outbox.c.message_id)
        ).all()


def _shown(moment: datetime, locale: str) -> str:
    """A naive-UTC moment as the emails show it: Berlin day and time."""
    local = rec.to_local(moment)
    return local.strftime("%d.%m.%Y, %H:%M" if locale == "de" else "%d/%m/%Y, %H:%M")


def test_moving_a_booked_date_tells_each_booked_customer_in_their_language(
    shop: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _date_into_future(shop)
    # Dora (order 1003) bought in an English store view.
    monkeypatch.setattr(m, "STORE_LOCALES", {0: "de", 1: "de", 2: "en"})
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order).where(m.sales_order.c.entity_id == 1003).values(store_id=2)
        )
    new = old + timedelta(days=1, hours=2)
    revision = _date_row(shop, 11)["updated_at"]
    result = cd.update_date(ALPHA, shop, date_id=11, starts_at=_local(new))
    # Items 5001 (Anna, 2 tickets) and 5003 (Dora); Carla's cancelled order 1004 gets nothing.
    assert result.messages == 2
    mails = _moved_mails(shop)
    assert sorted((r.recipient, r.locale) for r in mails) == [
        ("anna.adler@example.org", "de"),
        ("dora.gemeinsam@example.org", "en"),
    ]
    assert {r.dedupe_key for r in mails} == {
        f"date_moved:11:{item}:{old.isoformat()}>{new.isoformat()}@{revision.isoformat()}"
        for item in (5001, 5003)
    }
    for row in mails:
        assert row.channel == "email" and row.partner_id == 1 and row.status == "pending"
        assert row.payload["old_starts_at"] == old.isoformat()
        assert row.payload["starts_at"] == new.isoformat()
        out = render("date_moved", locale=row.locale, payload=row.payload)
        for part in (out.text, out.html):
            assert _shown(old, row.locale) in part and _shown(new, row.locale) in part
            assert "Alpha Pasta-Werkstatt" in part
        if row.locale == "de":
            assert out.subject.startswith("Neuer Termin für Ihren Kurs: Alpha Pasta-Werkstatt")
            assert "Guten Tag Anna Adler" in out.text and "000001001" in out.text
            assert "Tickets:           2" in out.text
        else:
            assert out.subject.startswith("New date for your course: Alpha Pasta-Werkstatt")
            assert "Hello Dora Gemeinsam" in out.text and "000001003" in out.text


def test_moving_again_tells_again_but_a_repeat_does_not(shop: Databases) -> None:
    old = _date_into_future(shop)
    first = old + timedelta(hours=1)
    assert cd.update_date(ALPHA, shop, date_id=11, starts_at=_local(first)).messages == 2
    # Saving the same time again (a second click) is no move: nothing new.
    again = cd.update_date(ALPHA, shop, date_id=11, starts_at=_local(first), seats=20)
    assert again.messages == 0 and len(_moved_mails(shop)) == 2
    # Dora's ticket is refunded meanwhile: the next move tells Anna only.
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == 5003)
            .values(qty_refunded=1)
        )
    second = first + timedelta(days=2)
    revision = _date_row(shop, 11)["updated_at"]
    assert cd.update_date(ALPHA, shop, date_id=11, starts_at=_local(second)).messages == 1
    mails = _moved_mails(shop)
    assert len(mails) == 3
    latest = mails[-1]
    assert latest.recipient == "anna.adler@example.org"
    assert (latest.payload["old_starts_at"], latest.payload["starts_at"]) == (
        first.isoformat(),
        second.isoformat(),
    )
    # The helper itself is idempotent per move (a retried caller queues nothing).
    with shop.portal.begin() as pconn, shop.magento.connect() as conn:
        retried = _date_changes.notify_moved(
            pconn,
            conn,
            date_id=11,
            old_starts_at=first,
            new_starts_at=second,
            partner_id=1,
            revision=revision,
        )
    assert retried == 0 and len(_moved_mails(shop)) == 3
    # Back to the first time and forth again (a minute apart): each move is news to Anna.
    for minutes, start in ((1, first), (2, second)):
        at = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)
        assert (
            cd.update_date(ALPHA, shop, date_id=11, starts_at=_local(start), now=at).messages == 1
        )
    assert len(_moved_mails(shop)) == 5


def test_seats_price_or_end_time_alone_tell_nobody(shop: Databases) -> None:
    old = _date_into_future(shop)
    assert cd.update_date(ALPHA, shop, date_id=11, seats=20, price="95").messages == 0
    later_end = cd.update_date(
        ALPHA, shop, date_id=11, starts_at=_local(old), ends_at=_local(old + timedelta(hours=4))
    )
    assert later_end.messages == 0 and later_end.orders_refreshed == 3
    row = _date_row(shop, 11)
    assert (row["seats_total"], row["ends_at"]) == (20, old + timedelta(hours=4))
    assert _moved_mails(shop) == []


def test_moving_a_date_without_bookings_tells_nobody(shop: Databases) -> None:
    start = _date_row(shop, 13)["starts_at"]  # A's course in 40 days, not booked
    result = cd.update_date(ALPHA, shop, date_id=13, starts_at=_local(start + timedelta(hours=2)))
    assert result.messages == 0
    assert _date_row(shop, 13)["starts_at"] == start + timedelta(hours=2)
    assert _moved_mails(shop) == []


def test_another_partner_cannot_move_a_booked_date(shop: Databases) -> None:
    old = _date_into_future(shop)
    before = dict(_date_row(shop, 11))
    for viewer in (BETA, STAFF.view_as(2)):
        with pytest.raises(ScopeError) as refused:
            cd.update_date(viewer, shop, date_id=11, starts_at=_local(old + timedelta(days=1)))
        assert str(refused.value) == "dates.not_found"
    assert dict(_date_row(shop, 11)) == before
    assert _moved_mails(shop) == []


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"seats": 10_001}, "dates.seats_too_many"),  # was: "mindestens 1"
        ({"seats": 0}, "dates.seats_invalid"),
        ({"price": "0,004"}, "dates.price_cents"),
        ({"price": 0.004}, "dates.price_cents"),  # was: saved as 0,00 €
        ({"price": Decimal("49.999")}, "dates.price_cents"),
        ({"price": "1e1"}, "dates.price_invalid"),
        ({"price": "٢٠"}, "dates.price_invalid"),
    ],
)
def test_seats_and_prices_out_of_bounds_are_refused_with_their_reason(
    shop: Databases, values: dict[str, object], key: str
) -> None:
    before = _date_row(shop, 13)
    with pytest.raises(InvalidInput) as refused:
        cd.update_date(ALPHA, shop, date_id=13, **values)  # type: ignore[arg-type]
    assert refused.value.key == key
    assert _date_row(shop, 13) == before


def test_a_price_with_cents_is_saved_exactly(shop: Databases) -> None:
    cd.update_date(ALPHA, shop, date_id=13, price="49,90")
    assert _date_row(shop, 13)["price"] == Decimal("49.90")


def test_sold_seats_come_from_one_grouped_query_not_one_per_date(world: Databases) -> None:
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(world.magento_read, "before_cursor_execute", seen)
    try:
        dates = cd.list_dates(STAFF, world)
    finally:
        event.remove(world.magento_read, "before_cursor_execute", seen)
    listing = [s for s in statements if "miomente_course_date" in s]
    assert listing and not any("sales_order_item" in s for s in listing)
    grouped = [s for s in statements if "sales_order_item" in s]
    assert len(grouped) == 1 and "GROUP BY" in grouped[0]
    # The same rule as the single-date subquery (data.shop.schema.seats_sold).
    with world.magento_read.connect() as conn:
        for date_id, sold in zip(dates["date_id"], dates["seats_sold"], strict=True):
            one = conn.execute(select(m.seats_sold(literal(int(date_id))))).scalar_one()
            assert int(float(one)) == sold
