"""Series of course dates on SQLite and on MariaDB + PostgreSQL: the partner's whole story,
idempotent generation (twice, after a killed run, racing), bulk edits that change all or
nothing, splits, cancelling with customers told, and one partner never touching another's."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import recurrence as rec
from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError
from data.bookings.ledger import sync_ledger
from data.dates import series as s
from data.shop import schema as m
from tests.support.orders import ALPHA, BETA, STAFF, _add_order

D = m.miomente_course_date
SUSHI = 102  # A's course without dates after this week in the world


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return rec.to_utc(rec.local_start(day, time(hour, minute)))


def _dates(db: Databases, series_id: int | None = None) -> list[tuple[str, str, int, Decimal]]:
    """The shop's dates of the sushi course: (Berlin start, status, seats, price), by start."""
    query = select(D.c.starts_at, D.c.status, D.c.seats_total, D.c.price).where(
        D.c.product_id == SUSHI, D.c.series_id.is_not(None)
    )
    if series_id is not None:
        query = query.where(D.c.series_id == series_id)
    with db.magento.connect() as conn:
        rows = conn.execute(query.order_by(D.c.starts_at)).all()
    return [
        (rec.to_local(r.starts_at).strftime("%Y-%m-%d %H:%M"), r.status, r.seats_total,
         Decimal(str(r.price)).quantize(Decimal("0.01")))
        for r in rows
    ]  # fmt: skip


def _count_dates(db: Databases) -> int:
    with db.magento.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(D).where(D.c.series_id.is_not(None))
            ).scalar()
        )


def _tue_thu(start: date, **kw) -> rec.Pattern:
    return rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=start,
        start_time=time(18, 0),
        duration_minutes=180,
        weekdays=("TU", "TH"),
        **kw,
    )


def _expected_tue_thu(first: date, last: date, skip: set[date] = frozenset()) -> list[str]:
    out, day = [], first
    while day <= last:
        if day.weekday() in (1, 3) and day not in skip:
            out.append(f"{day.isoformat()} 18:00")
        day += timedelta(days=1)
    return out


# --- the "done when" -------------------------------------------------------------------


def test_tuesday_and_thursday_18h_without_bavarian_holidays_until_year_end(shop: Databases):
    """Preview, save, move one, edit all future, cancel the series: the shop shows exactly that."""
    now = datetime(2027, 4, 20, 8, 0)  # a Tuesday morning (UTC)
    pattern = _tue_thu(date(2027, 4, 20), ends_on=date(2027, 12, 31), holidays_in="BY")

    preview = s.preview_series(
        ALPHA, shop, product_id=SUSHI, pattern=pattern, seats=12, price="79.00", now=now
    )
    skipped = {o.day: o.holiday for o in preview.occurrences if o.skipped}
    assert skipped == {date(2027, 5, 6): "Christi Himmelfahrt", date(2027, 5, 27): "Fronleichnam"}
    horizon = date(2027, 4, 20) + timedelta(days=s.HORIZON_DAYS)
    assert preview.to_create == len(_expected_tue_thu(date(2027, 4, 20), horizon, set(skipped)))
    assert preview.open_ended  # until year end, beyond the six months written now

    saved = s.create_series(
        ALPHA, shop, product_id=SUSHI, pattern=pattern, seats=12, price="79.00", now=now
    )
    assert saved.created == preview.to_create
    # The daily job, later in the year, writes the rest up to the series' last day.
    s.generate_series(SYSTEM, shop, now=datetime(2027, 7, 1, 1, 0))
    everything = _expected_tue_thu(date(2027, 4, 20), date(2027, 12, 31), set(skipped))
    assert [row[0] for row in _dates(shop)] == everything
    assert {row[1:] for row in _dates(shop)} == {("active", 12, Decimal("79.00"))}

    # Move one: Tuesday 1 June to Wednesday 2 June, 19:00.
    s.move_occurrence(
        ALPHA,
        shop,
        series_id=saved.series_id,
        day=date(2027, 6, 1),
        new_start=datetime(2027, 6, 2, 19, 0),
        now=now,
    )
    # Edit all future ones (from 1 August): 18:30, 10 seats, 59 €.
    s.bulk_edit(
        ALPHA,
        shop,
        series_id=saved.series_id,
        start_time=time(18, 30),
        seats=10,
        price="59.00",
        now=datetime(2027, 8, 1, 6, 0),
    )
    # Cancel the series on 1 September: the future dates only.
    s.cancel_series(ALPHA, shop, series_id=saved.series_id, now=datetime(2027, 9, 1, 6, 0))
    s.generate_series(SYSTEM, shop, now=datetime(2027, 9, 2, 1, 0))  # the job adds nothing

    expected = []
    for label in everything:
        day = date.fromisoformat(label[:10])
        if day == date(2027, 6, 1):
            expected.append(("2027-06-02 19:00", "active", 12, Decimal("79.00")))
        elif day < date(2027, 8, 1):
            expected.append((label, "active", 12, Decimal("79.00")))
        elif day < date(2027, 9, 1):
            expected.append((f"{day.isoformat()} 18:30", "active", 10, Decimal("59.00")))
        else:
            expected.append((f"{day.isoformat()} 18:30", "cancelled", 10, Decimal("59.00")))
    assert _dates(shop) == sorted(expected)
    assert s.get_series(ALPHA, shop, series_id=saved.series_id).status == "cancelled"


# --- generation: idempotent, crash-safe ---------------------------------------------------------


def _three_series(db: Databases, now: datetime) -> list[int]:
    ids = []
    for weekday in ("MO", "WE", "FR"):
        pattern = rec.Pattern(
            kind=rec.WEEKLY,
            starts_on=rec.local_day(now) + timedelta(days=1),
            start_time=time(10, 0),
            duration_minutes=90,
            weekdays=(weekday,),
        )
        saved = s.create_series(
            ALPHA, db, product_id=SUSHI, pattern=pattern, seats=8, price="45", now=now,
            horizon_days=14,
        )  # fmt: skip
        ids.append(saved.series_id)
    return ids


def test_generation_twice_creates_nothing_twice(shop: Databases) -> None:
    now = datetime(2027, 1, 4, 6, 0)
    _three_series(shop, now)
    first = _count_dates(shop)
    assert first == 6  # two weeks of three weekly series
    later = now + timedelta(days=30)
    result = s.generate_series(SYSTEM, shop, now=later)
    assert result.created > 0
    after = _count_dates(shop)
    again = s.generate_series(SYSTEM, shop, now=later)
    assert again.created == 0 and _count_dates(shop) == after
    # Lost watermarks (as if every run had died before recording them): still nothing twice.
    with shop.portal.begin() as conn:
        conn.execute(update(p.recurring_patterns).values(generated_until=None))
    assert s.generate_series(SYSTEM, shop, now=later).created == 0
    assert _count_dates(shop) == after


def test_a_run_killed_halfway_is_completed_by_the_next(shop: Databases) -> None:
    now = datetime(2027, 1, 4, 6, 0)
    ids = _three_series(shop, now)
    later = now + timedelta(hours=20)  # the next night: no occurrence has passed meanwhile

    class Killed(RuntimeError):
        pass

    def die(_series: int) -> None:
        raise Killed  # after the first batch's shop commit, before its watermark moved

    with pytest.raises(Killed):
        s.generate_series(SYSTEM, shop, now=later, batch_series=1, on_batch=die)
    partial = _count_dates(shop)
    result = s.generate_series(SYSTEM, shop, now=later)
    complete = _count_dates(shop)
    assert complete > partial and result.created == complete - partial
    # Exactly one date per series and week up to the horizon: none missing, none twice.
    for series_id in ids:
        days = [row[0][:10] for row in _dates(shop, series_id)]
        assert len(days) == len(set(days))
        gaps = {
            (date.fromisoformat(b) - date.fromisoformat(a)).days
            for a, b in itertools.pairwise(days)
        }
        assert gaps == {7}
        assert date.fromisoformat(days[-1]) > rec.local_day(later) + timedelta(days=175)


def test_the_shop_refuses_a_series_date_twice(shop: Databases) -> None:
    now = datetime(2027, 1, 4, 6, 0)
    series_id = _three_series(shop, now)[0]
    with shop.magento.connect() as conn:
        row = conn.execute(select(D).where(D.c.series_id == series_id).limit(1)).mappings().one()
    duplicate = {k: v for k, v in row.items() if k != "date_id"}
    with pytest.raises(IntegrityError), shop.magento.begin() as conn:
        conn.execute(insert(D).values(**duplicate))


def test_lost_watermarks_after_skip_and_move_create_nothing(shop: Databases) -> None:
    """Every series re-read from its first day: holidays, a skipped and a moved day stay done."""
    now = datetime(2027, 4, 20, 8, 0)
    pattern = _tue_thu(date(2027, 4, 20), ends_on=date(2027, 12, 31), holidays_in="BY")
    series_id = s.create_series(
        ALPHA, shop, product_id=SUSHI, pattern=pattern, seats=12, price="79.00", now=now
    ).series_id
    s.skip_occurrence(ALPHA, shop, series_id=series_id, day=date(2027, 5, 4), now=now)
    s.move_occurrence(
        ALPHA, shop, series_id=series_id, day=date(2027, 5, 11),
        new_start=datetime(2027, 5, 12, 19, 0), now=now,
    )  # fmt: skip
    before = _dates(shop, series_id)
    with shop.portal.begin() as conn:
        conn.execute(update(p.recurring_patterns).values(generated_until=None))
    assert s.generate_series(SYSTEM, shop, now=now).created == 0
    assert _dates(shop, series_id) == before
    # Later in the year the rest is added, still without the holidays, the skip and the move.
    s.generate_series(SYSTEM, shop, now=datetime(2027, 7, 1, 1, 0))
    skip = {date(2027, 5, 4), date(2027, 5, 6), date(2027, 5, 11), date(2027, 5, 27)}
    days = [label[:10] for label, *_rest in _dates(shop, series_id)]
    assert days == sorted(
        [x[:10] for x in _expected_tue_thu(date(2027, 4, 20), date(2027, 12, 31), skip)]
        + ["2027-05-04", "2027-05-12"]  # the skipped date stays (cancelled), the moved one
    )


@pytest.mark.parametrize("kind", ["sqlite", "mariadb", "postgresql"])
def test_bulk_insert_with_shared_values(kind: str, tmp_path) -> None:
    """Shared values are bound once per row under one name, stored as given on every backend;
    on MariaDB the statement keeps the shape pymysql turns into multi-row INSERTs; the unique
    index still refuses a series' start twice."""
    from contextlib import nullcontext

    import pymysql.cursors
    from sqlalchemy import event

    from core.db import make_engine
    from data.shop import writes as shop_writes
    from tests.conftest import MYSQL_URL, POSTGRES_URL, server_database

    scratch = {
        # A database URL from pytest's temp dir, not SQL.
        "sqlite": nullcontext(f"sqlite:///{tmp_path / 'shop.sqlite'}"),  # a URL, not SQL
        "mariadb": server_database(MYSQL_URL, kind="MariaDB"),
        "postgresql": server_database(POSTGRES_URL, kind="PostgreSQL"),
    }[kind]
    with scratch as url:
        engine = make_engine(url)
        try:
            D.create(engine)
            statements: list[str] = []
            event.listen(
                engine, "before_cursor_execute", lambda *a: statements.append(a[2]), named=False
            )
            now = datetime(2027, 3, 1, 12, 30, 15)
            rows = [
                {
                    "product_id": 7, "starts_at": datetime(2027, 3, d, 17), "ends_at":
                    datetime(2027, 3, d, 20), "seats_total": 12, "price": Decimal("79.00"),
                    "series_id": 5,
                }
                for d in (2, 9, 16)
            ]  # fmt: skip
            same = {"status": "active", "created_at": now, "updated_at": now}
            with engine.begin() as conn:
                assert shop_writes.insert_course_dates(conn, rows, same=same) == 3
            (statement,) = [x for x in statements if x.lstrip().upper().startswith("INSERT")]
            if kind == "mariadb":
                assert pymysql.cursors.RE_INSERT_VALUES.match(statement), statement
            with engine.connect() as conn:
                stored = conn.execute(
                    select(
                        D.c.starts_at, D.c.status, D.c.created_at, D.c.updated_at, D.c.price
                    ).order_by(D.c.starts_at)
                ).all()
            assert [tuple(r[:4]) for r in stored] == [
                (r["starts_at"], "active", now, now) for r in rows
            ]
            assert {Decimal(str(r.price)) for r in stored} == {Decimal("79.00")}
            with pytest.raises(IntegrityError), engine.begin() as conn:
                shop_writes.insert_course_dates(conn, rows[1:2], same=same)
        finally:
            engine.dispose()


# --- bulk edit ----------------------------------------------------------------------------------


def _mon_wed(db: Databases, now: datetime) -> int:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2027, 3, 1),
        start_time=time(18, 0),
        duration_minutes=120,
        weekdays=("MO", "WE"),
        count=8,
    )
    return s.create_series(
        ALPHA, db, product_id=SUSHI, pattern=pattern, seats=10, price="50", now=now
    ).series_id


def test_bulk_edit_fails_as_a_whole(shop: Databases) -> None:
    now = datetime(2027, 2, 20, 8, 0)
    series_id = _mon_wed(shop, now)
    # Monday 8 March moves to Wednesday 10 March, 20:00 (beside that day's 18:00 date).
    s.move_occurrence(
        ALPHA, shop, series_id=series_id, day=date(2027, 3, 8),
        new_start=datetime(2027, 3, 10, 20, 0), now=now,
    )  # fmt: skip
    before = _dates(shop, series_id)
    pattern_before = s.get_series(ALPHA, shop, series_id=series_id)
    # All dates at 20:00: Wednesday 10 March would start when the moved date does. The dates
    # before it in the update are already changed when the collision comes: all roll back.
    with pytest.raises(InvalidInput) as refused:
        s.bulk_edit(
            ALPHA, shop, series_id=series_id, start_time=time(20, 0), seats=6, price="40", now=now
        )
    assert refused.value.key == "dates.collision"
    assert _dates(shop, series_id) == before
    after = s.get_series(ALPHA, shop, series_id=series_id)
    assert (after.pattern, after.seats, after.price) == (
        pattern_before.pattern,
        pattern_before.seats,
        pattern_before.price,
    )
    # 19:00 works, and the moved date keeps its own time.
    result = s.bulk_edit(
        ALPHA, shop, series_id=series_id, start_time=time(19, 0), seats=6, price="40", now=now
    )
    assert result.changed == 8
    rows = _dates(shop, series_id)
    assert ("2027-03-10 20:00", "active", 6, Decimal("40.00")) in rows
    assert sum(1 for r in rows if r[0].endswith("19:00")) == 7


def test_bulk_time_change_refreshes_the_booking_ledger(shop: Databases) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=rec.local_day(now) + timedelta(days=2),
        start_time=time(18, 0),
        duration_minutes=120,
        weekdays=("MO", "TU", "WE", "TH", "FR", "SA", "SU"),
        count=3,
    )
    series_id = s.create_series(
        ALPHA, shop, product_id=SUSHI, pattern=pattern, seats=10, price="50"
    ).series_id
    with shop.magento.connect() as conn:
        first = (
            conn.execute(
                select(D.c.date_id).where(D.c.series_id == series_id).order_by(D.c.starts_at)
            )
            .scalars()
            .first()
        )
    _add_order(shop, 7001, [(7101, SUSHI, first)])
    sync_ledger(SYSTEM, shop, notify=False)
    result = s.bulk_edit(ALPHA, shop, series_id=series_id, start_time=time(17, 15))
    assert result.orders_refreshed == 1
    # The one booked customer hears of the new time; the unbooked dates tell nobody.
    assert result.messages == 1
    with shop.portal.connect() as conn:
        told = conn.execute(
            select(p.outbox.c.payload).where(p.outbox.c.template == "date_moved")
        ).scalars()
        assert [rec.to_local(datetime.fromisoformat(m["starts_at"])).strftime("%H:%M")
                for m in told] == ["17:15"]  # fmt: skip
    with shop.portal.connect() as conn:
        event_at = conn.execute(
            select(p.bookings.c.event_at).where(p.bookings.c.item_id == 7101)
        ).scalar()
    assert rec.to_local(event_at).strftime("%H:%M") == "17:15"
    # Fewer seats than sold on a date: refused, nothing changed.
    with pytest.raises(InvalidInput) as refused:
        s.bulk_edit(ALPHA, shop, series_id=series_id, seats=0)
    assert refused.value.key == "dates.seats_invalid"


def test_this_and_following_splits_the_series(shop: Databases) -> None:
    now = datetime(2027, 2, 20, 8, 0)
    series_id = _mon_wed(shop, now)
    result = s.bulk_edit(
        ALPHA, shop, series_id=series_id, from_day=date(2027, 3, 15), price="65", now=now
    )
    assert result.split_from == series_id and result.series_id != series_id
    old, new = _dates(shop, series_id), _dates(shop, result.series_id)
    assert [r[0][:10] for r in old] == ["2027-03-01", "2027-03-03", "2027-03-08", "2027-03-10"]
    assert [r[0][:10] for r in new] == ["2027-03-15", "2027-03-17", "2027-03-22", "2027-03-24"]
    assert {r[3] for r in old} == {Decimal("50.00")} and {r[3] for r in new} == {Decimal("65.00")}
    assert s.get_series(ALPHA, shop, series_id=result.series_id).pattern.count == 4
    s.generate_series(SYSTEM, shop, now=now + timedelta(days=1))
    assert len(_dates(shop)) == 8  # the split made no date twice


# --- cancelling -------------------------------------------------------------------------------


def test_cancel_series_with_bookings_needs_confirmation_and_tells_customers(shop: Databases):
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    pattern = rec.Pattern(
        kind=rec.DAILY,
        starts_on=rec.local_day(now) + timedelta(days=3),
        start_time=time(11, 0),
        duration_minutes=60,
        count=4,
    )
    series_id = s.create_series(
        ALPHA, shop, product_id=SUSHI, pattern=pattern, seats=10, price="50"
    ).series_id
    with shop.magento.connect() as conn:
        ids = (
            conn.execute(
                select(D.c.date_id).where(D.c.series_id == series_id).order_by(D.c.starts_at)
            )
            .scalars()
            .all()
        )
    _add_order(shop, 7002, [(7201, SUSHI, ids[1])])
    asked = s.cancel_series(ALPHA, shop, series_id=series_id)
    assert asked.needs_confirmation and asked.bookings == 1 and asked.cancelled == []
    assert {r[1] for r in _dates(shop, series_id)} == {"active"}
    done = s.cancel_series(ALPHA, shop, series_id=series_id, confirm=True, reason="Umbau")
    assert sorted(done.cancelled) == sorted(ids) and done.messages == 1
    assert done.refund_total == Decimal(50)
    with shop.portal.connect() as conn:
        mails = conn.execute(
            select(p.outbox.c.recipient, p.outbox.c.template, p.outbox.c.payload)
        ).all()
    cancelled = [m_ for m_ in mails if m_.template == "date_cancelled"]
    assert [(c.recipient, c.payload["reason"]) for c in cancelled] == [
        ("kunde7002@example.org", "Umbau")
    ]
    again = s.cancel_series(ALPHA, shop, series_id=series_id, confirm=True)
    assert again.messages == 0 and again.cancelled == []
    assert {r[1] for r in _dates(shop, series_id)} == {"cancelled"}


# --- scope ------------------------------------------------------------------------------------


def test_another_partner_cannot_touch_a_series(shop: Databases) -> None:
    now = datetime(2027, 2, 20, 8, 0)
    series_id = _mon_wed(shop, now)
    before = _dates(shop, series_id)
    attempts = [
        lambda: s.get_series(BETA, shop, series_id=series_id),
        lambda: s.bulk_edit(BETA, shop, series_id=series_id, seats=3, now=now),
        lambda: s.cancel_series(BETA, shop, series_id=series_id, confirm=True, now=now),
        lambda: s.move_occurrence(
            BETA,
            shop,
            series_id=series_id,
            day=date(2027, 3, 1),
            new_start=datetime(2027, 3, 2, 9),
            now=now,
        ),
        lambda: s.skip_occurrence(BETA, shop, series_id=series_id, day=date(2027, 3, 1), now=now),
        lambda: s.preview_series(
            BETA,
            shop,
            product_id=SUSHI,
            pattern=_tue_thu(date(2027, 3, 1), count=2),
            seats=5,
            price=10,
            now=now,
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ScopeError) as refused:
            attempt()
        assert str(refused.value) == "dates.not_found"
    assert _dates(shop, series_id) == before
    assert s.list_series(BETA, shop).empty
    assert s.list_series(STAFF, shop)["series_id"].tolist() == [series_id]
    # Staff viewing as B may not either; staff viewing as A may.
    with pytest.raises(ScopeError):
        s.bulk_edit(STAFF.view_as(2), shop, series_id=series_id, seats=3, now=now)
    s.bulk_edit(STAFF.view_as(1), shop, series_id=series_id, seats=9, now=now)
    assert {r[2] for r in _dates(shop, series_id)} == {9}


def test_bad_series_input_saves_nothing(shop: Databases) -> None:
    now = datetime(2027, 2, 20, 8, 0)
    cases = [
        (_tue_thu(date(2027, 3, 1), ends_on=date(2027, 2, 28)), {}, "dates.end_before_start"),
        (_tue_thu(date(2027, 2, 1), count=3), {}, "dates.in_past"),
        (_tue_thu(date(2027, 3, 1), count=3, interval=0), {}, "dates.interval_invalid"),
        (_tue_thu(date(2027, 3, 1), count=501), {}, "dates.too_many"),
        (_tue_thu(date(2027, 3, 1), count=3), {"seats": 0}, "dates.seats_invalid"),
        (
            rec.Pattern(
                kind=rec.CUSTOM,
                starts_on=date(2027, 3, 1),
                start_time=time(9),
                duration_minutes=60,
                rrule="FREQ=SOMETIMES",
            ),
            {},
            "dates.rrule_invalid",
        ),
        (
            rec.Pattern(
                kind=rec.MONTHLY_DAY,
                starts_on=date(2027, 3, 1),
                start_time=time(9),
                duration_minutes=60,
                month_day=31,
                count=3,
            ),
            {},
            "dates.short_months_choice",
        ),
    ]
    for pattern, offer, key in cases:
        with pytest.raises(InvalidInput) as refused:
            s.create_series(
                ALPHA, shop, product_id=SUSHI, pattern=pattern,
                seats=offer.get("seats", 10), price="50", now=now,
            )  # fmt: skip
        assert refused.value.key == key
    assert s.list_series(ALPHA, shop).empty and _count_dates(shop) == 0


def test_overlapping_dates_of_the_same_course_are_reported(shop: Databases) -> None:
    now = datetime(2027, 2, 20, 8, 0)
    _mon_wed(shop, now)  # Mondays and Wednesdays 18–20 h
    mondays_at_19 = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2027, 3, 1),
        start_time=time(19, 0),
        duration_minutes=60,
        weekdays=("MO",),
        count=2,
    )
    preview = s.preview_series(
        ALPHA, shop, product_id=SUSHI, pattern=mondays_at_19, seats=5, price=10, now=now
    )
    assert len(preview.overlaps) == 2  # 1 and 8 March


def test_a_bad_stored_pattern_is_skipped_and_the_others_generated(
    shop: Databases, caplog: pytest.LogCaptureFixture
) -> None:
    """A row written around the checks (weekly without weekdays) is logged and skipped; it no
    longer stops the nightly job for every other series."""
    now = datetime(2027, 1, 4, 6, 0)
    ids = _three_series(shop, now)
    with shop.portal.begin() as conn:
        conn.execute(
            update(p.recurring_patterns)
            .where(p.recurring_patterns.c.series_id == ids[0])
            .values(weekdays=None, generated_until=None)
        )
    before = _count_dates(shop)
    result = s.generate_series(SYSTEM, shop, now=now + timedelta(days=30))
    assert result.skipped == 1 and result.series == 2
    assert result.created > 0 and _count_dates(shop) == before + result.created
    assert f"series {ids[0]} skipped" in caplog.text


@pytest.mark.parametrize(
    "values",
    [{"interval": 0}, {"duration_minutes": 0}, {"count": 0}, {"kind": "hourly"},
     {"ends_on": date(2026, 12, 31)}, {"count": 3, "ends_on": date(2027, 3, 1)}],
    ids=["interval", "duration", "count", "kind", "end-before-start", "two-ends"],
)  # fmt: skip
def test_the_table_refuses_a_pattern_expansion_could_not_use(
    shop: Databases, values: dict[str, object]
) -> None:
    now = datetime(2027, 1, 4, 6, 0)
    series_id = _three_series(shop, now)[0]
    with pytest.raises(IntegrityError), shop.portal.begin() as conn:
        conn.execute(
            update(p.recurring_patterns)
            .where(p.recurring_patterns.c.series_id == series_id)
            .values(**values)
        )
