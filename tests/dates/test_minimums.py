"""Mindestteilnehmerzahl: the pure rule, the minimum on dates and series (with hostile input
refused and nothing stored), and the check job on a fixed clock: reached → confirmed, not
reached → the partner asked once, no answer → cancelled with customer mails and offers to the
waiting customers, "durchführen" → no cancellation; twice or at once, each thing happens once.
On SQLite and on MariaDB + PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, insert, select

from core import minimum_rule as rule
from core import recurrence as rec
from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.dates import course_dates as cd
from data.dates import minimums as mn
from data.dates import series as sr
from data.demand import waitlist as wl
from data.shop import schema as m
from tests.support.waitlist import COURSE, NOW, add_course, add_date, sell

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
START = NOW + timedelta(days=2)

# --- the pure rule ---------------------------------------------------------------------------


def _step(**kwargs: object) -> rule.Step:
    facts = {"minimum": 6, "sold": 2, "starts_at": START, "state": None, "last_call_at": None}
    return rule.next_step(rule.DateCheck(**(facts | kwargs)), NOW, check_days=3)  # type: ignore[arg-type]


def test_the_rule_confirms_asks_waits_and_cancels() -> None:
    assert _step(minimum=0) == rule.Step.WAIT  # no minimum
    assert _step(starts_at=NOW + timedelta(days=4)) == rule.Step.WAIT  # not in the window yet
    assert _step(sold=6) == rule.Step.CONFIRM
    assert _step() == rule.Step.ASK
    later = NOW + timedelta(hours=1)
    assert _step(state=rule.ASKED, last_call_at=later) == rule.Step.WAIT
    assert _step(state=rule.ASKED, last_call_at=NOW) == rule.Step.CANCEL
    assert _step(state=rule.ASKED, last_call_at=NOW, sold=7) == rule.Step.CONFIRM
    assert _step(state=rule.GO, sold=0) == rule.Step.CONFIRM  # held anyway
    assert _step(state=rule.REACHED, sold=0) == rule.Step.CONFIRM  # reached stays reached
    assert _step(state=rule.CANCELLED) == rule.Step.WAIT
    assert _step(starts_at=NOW) == rule.Step.WAIT  # begun: nothing more to do
    assert rule.last_call(NOW, answer_hours=24) == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("value", "key"),
    [(-1, "minimums.invalid"), (10**9, "minimums.invalid"), ("abc", "minimums.invalid"),
     (2.5, "minimums.invalid"), (True, "minimums.invalid"), (9, "minimums.above_seats")],
)  # fmt: skip
def test_hostile_minimums_are_refused_in_german(value: object, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rule.check_minimum(value, seats=8)
    assert refused.value.key == key


def test_empty_or_zero_is_no_minimum() -> None:
    assert rule.check_minimum(None, seats=8) == 0
    assert rule.check_minimum("  ", seats=8) == 0
    assert rule.check_minimum(0, seats=8) == 0
    assert rule.check_minimum("8", seats=8) == 8


def test_settings_are_checked() -> None:
    assert rule.check_settings(3, 24) == (3, 24)
    for days, hours, key in [(0, 24, "days_invalid"), (15, 24, "days_invalid"),
                             (3, 0, "hours_invalid"), (3, 73, "hours_invalid"),
                             (1, 24, "hours_after_start")]:  # fmt: skip
        with pytest.raises(InvalidInput) as refused:
            rule.check_settings(days, hours)
        assert refused.value.key == f"minimums.{key}"


# --- the minimum on dates and series -----------------------------------------------------------


@pytest.fixture
def db(shop: Databases) -> Databases:
    """The two-partner world with A's course 103 and no dates of it yet."""
    add_course(shop)
    return shop


def _count(db: Databases, table) -> int:
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def _new_date(db: Databases, *, minimum: object, seats: int = 8, days: float = 2) -> int:
    start = rec.to_local(NOW + timedelta(days=days))
    return cd.create_date(
        ALPHA, db, product_id=COURSE, starts_at=start, ends_at=start + timedelta(hours=3),
        seats=seats, price="89", now=NOW, minimum=minimum,
    ).date_id  # fmt: skip


def test_hostile_minimum_on_a_new_date_stores_nothing(db: Databases) -> None:
    before = len(cd.list_dates(SYSTEM, db))
    for value in (9, -1, 10**9):
        with pytest.raises(InvalidInput) as refused:
            _new_date(db, minimum=value)
        assert refused.value.key in ("minimums.above_seats", "minimums.invalid")
    assert len(cd.list_dates(SYSTEM, db)) == before
    assert _count(db, p.date_minimums) == 0


def test_a_date_keeps_its_minimum_and_an_edit_changes_it(db: Databases) -> None:
    date_id = _new_date(db, minimum=4)
    assert mn.date_minimums(ALPHA, db, date_ids=[date_id])[date_id].minimum == 4
    with pytest.raises(InvalidInput) as refused:
        cd.update_date(ALPHA, db, date_id=date_id, seats=8, minimum=12, now=NOW)
    assert refused.value.key == "minimums.above_seats"
    assert mn.date_minimums(ALPHA, db, date_ids=[date_id])[date_id].minimum == 4
    cd.update_date(ALPHA, db, date_id=date_id, minimum=0, now=NOW)
    assert mn.date_minimums(ALPHA, db, date_ids=[date_id])[date_id].minimum == 0
    # Another partner's date is not there at all.
    assert mn.date_minimums(BETA, db, date_ids=[date_id]) == {}


def test_a_series_gives_its_minimum_to_its_dates_and_a_bulk_edit_changes_it(
    db: Databases,
) -> None:
    pattern = rec.Pattern(
        kind="weekly", starts_on=date(2026, 12, 1), start_time=time(18, 0),
        duration_minutes=180, weekdays=("TU",), count=4,
    )  # fmt: skip
    with pytest.raises(InvalidInput):
        sr.create_series(
            ALPHA, db, product_id=COURSE, pattern=pattern, seats=5, price="89", now=NOW, minimum=6
        )
    assert _count(db, p.recurring_patterns) == 0
    saved = sr.create_series(
        ALPHA, db, product_id=COURSE, pattern=pattern, seats=10, price="89", now=NOW, minimum=4
    )
    ids = cd.list_dates(ALPHA, db, series_id=saved.series_id)["date_id"].tolist()
    assert len(ids) == 4
    found = mn.date_minimums(ALPHA, db, date_ids=ids)
    assert {found[i].minimum for i in ids} == {4}
    sr.bulk_edit(ALPHA, db, series_id=saved.series_id, minimum=5, now=NOW)
    found = mn.date_minimums(ALPHA, db, date_ids=ids)
    assert {found[i].minimum for i in ids} == {5}
    with pytest.raises(InvalidInput):
        sr.bulk_edit(ALPHA, db, series_id=saved.series_id, seats=4, now=NOW)  # below minimum 5


# --- the job ---------------------------------------------------------------------------------


def _mails(db: Databases, template: str) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(p.outbox.c.recipient, p.outbox.c.payload, p.outbox.c.dedupe_key)
            .where(p.outbox.c.template == template)
            .order_by(p.outbox.c.message_id)
        ).mappings()
        return [dict(r) for r in rows]


def _status(db: Databases, date_id: int) -> str:
    with db.magento.connect() as conn:
        d = m.miomente_course_date
        return str(conn.execute(select(d.c.status).where(d.c.date_id == date_id)).scalar())


def _order_status(db: Databases, order_id: int) -> str:
    with db.magento.connect() as conn:
        o = m.sales_order
        return str(conn.execute(select(o.c.status).where(o.c.entity_id == order_id)).scalar())


def _outbox_size(db: Databases) -> int:
    return _count(db, p.outbox)


def _waiting(db: Databases) -> None:
    """Someone on the waitlist and someone with an open date request for the course, and
    another date of it with free seats to offer."""
    wl.add_entry(
        ALPHA, db, product_id=COURSE, customer_name="Wanda Warte", email="wanda@example.org",
        consent=True, now=NOW - timedelta(days=5),
    )  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(
            insert(p.date_requests).values(
                partner_id=1,
                product_id=COURSE,
                requested_day=date(2026, 12, 20),
                requested_time=time(18, 0),
                customer_name="Rita Frage",
                email="rita@example.org",
                participants=2,
                status=p.REQUEST_PENDING,
                answer_due_on=date(2026, 12, 2),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    add_date(db, 902, days=12, seats=8)


def test_a_reached_minimum_confirms_the_bookings_like_the_partner(db: Databases) -> None:
    date_id = _new_date(db, minimum=3)
    order_a = sell(db, date_id, 2, email="a@example.org")
    order_b = sell(db, date_id, 1, email="b@example.org")
    result = mn.check_minimums(SYSTEM, db, now=NOW)
    assert (result.reached, result.confirmed, result.asked) == (1, 2, 0)
    assert _order_status(db, order_a) == _order_status(db, order_b) == m.STATUS_CONFIRMED
    confirmed = [x["recipient"] for x in _mails(db, "booking_confirmed")]
    assert confirmed.count("a@example.org") == confirmed.count("b@example.org") == 1
    with db.portal.connect() as conn:
        ledger = conn.execute(
            select(p.bookings.c.status).where(p.bookings.c.order_id.in_([order_a, order_b]))
        ).scalars()
        assert set(ledger) == {"confirmed"}  # the ledger's own status names
    size = _outbox_size(db)
    again = mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=1))
    assert (again.reached, again.confirmed) == (0, 0) and _outbox_size(db) == size
    # A booking after the check is confirmed by the next run.
    late = sell(db, date_id, 1, email="c@example.org")
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=2)).confirmed == 1
    assert _order_status(db, late) == m.STATUS_CONFIRMED


def test_not_reached_asks_the_partner_once(db: Databases) -> None:
    date_id = _new_date(db, minimum=6)
    sell(db, date_id, 2)
    assert mn.check_minimums(SYSTEM, db, now=NOW).asked == 1
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=1)).asked == 0
    asked = _mails(db, mn.ASK_TEMPLATE)
    assert [a["recipient"] for a in asked] == ["info@alpha.example"]
    assert asked[0]["payload"]["seats_sold"] == 2 and asked[0]["payload"]["minimum"] == 6
    [question] = mn.open_questions(ALPHA, db, now=NOW)
    assert (question.date_id, question.seats_sold, question.minimum) == (date_id, 2, 6)
    assert question.last_call_at == NOW + timedelta(hours=24)
    assert mn.open_questions(BETA, db, now=NOW) == []
    info = mn.date_minimums(ALPHA, db, date_ids=[date_id])[date_id]
    assert (info.minimum, info.state) == (6, rule.ASKED)


def test_no_answer_by_the_last_call_cancels_with_mails_and_offers(db: Databases) -> None:
    _waiting(db)
    date_id = _new_date(db, minimum=6)
    sell(db, date_id, 2, email="gast@example.org")
    mn.check_minimums(SYSTEM, db, now=NOW)
    early = mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=23))
    assert early.cancelled == 0 and _status(db, date_id) == m.DATE_ACTIVE
    done = mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=24))
    assert (done.cancelled, done.offers) == (1, 2)
    assert _status(db, date_id) == m.DATE_CANCELLED
    told = _mails(db, "date_cancelled")
    assert [x["recipient"] for x in told] == ["gast@example.org"]
    assert "Mindestteilnehmerzahl" in told[0]["payload"]["reason"]
    offers = _mails(db, mn.OFFER_TEMPLATE)
    assert sorted(x["recipient"] for x in offers) == ["rita@example.org", "wanda@example.org"]
    assert [d["url"].endswith("termin=902") for d in offers[0]["payload"]["dates"]] == [True]
    size = _outbox_size(db)
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=25)).cancelled == 0
    assert _outbox_size(db) == size
    assert mn.open_questions(ALPHA, db, now=NOW) == []


def test_the_partner_holds_the_date_and_nothing_is_cancelled(db: Databases) -> None:
    date_id = _new_date(db, minimum=6)
    order = sell(db, date_id, 2)
    mn.check_minimums(SYSTEM, db, now=NOW)
    with pytest.raises(ScopeError):
        mn.answer_question(BETA, db, date_id=date_id, hold=True, now=NOW)
    held = mn.answer_question(ALPHA, db, date_id=date_id, hold=True, now=NOW + timedelta(hours=1))
    assert held.held and held.confirmed == 1
    assert _order_status(db, order) == m.STATUS_CONFIRMED
    with pytest.raises(InvalidInput) as refused:
        mn.answer_question(ALPHA, db, date_id=date_id, hold=False, now=NOW + timedelta(hours=2))
    assert refused.value.key == "minimums.already_decided"
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=30)).cancelled == 0
    assert _status(db, date_id) == m.DATE_ACTIVE
    assert mn.date_minimums(ALPHA, db, date_ids=[date_id])[date_id].state == rule.GO


def test_the_partner_cancels_the_date_at_once(db: Databases) -> None:
    _waiting(db)
    date_id = _new_date(db, minimum=6)
    sell(db, date_id, 1, email="gast@example.org")
    mn.check_minimums(SYSTEM, db, now=NOW)
    answer = mn.answer_question(ALPHA, db, date_id=date_id, hold=False, now=NOW)
    assert (answer.cancelled, answer.messages, answer.offers) == (True, 1, 2)
    assert _status(db, date_id) == m.DATE_CANCELLED
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=30)).cancelled == 0
    assert len(_mails(db, "date_cancelled")) == 1


def test_two_runs_at_once_cancel_once_and_mail_once(db: Databases) -> None:
    _waiting(db)
    date_id = _new_date(db, minimum=6)
    sell(db, date_id, 2, email="gast@example.org")
    mn.check_minimums(SYSTEM, db, now=NOW)
    barrier = threading.Barrier(2)
    results: list[mn.CheckResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=24)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.cancelled for r in results) == 1
    assert len(_mails(db, "date_cancelled")) == 1
    assert len(_mails(db, mn.OFFER_TEMPLATE)) == 2
    assert _status(db, date_id) == m.DATE_CANCELLED


def test_settings_are_the_partners_own(db: Databases) -> None:
    assert mn.get_settings(ALPHA, db) == mn.MinimumSettings(3, 24)
    with pytest.raises(InvalidInput):
        mn.save_settings(ALPHA, db, check_days=2, answer_hours=48, now=NOW)
    assert _count(db, p.minimum_settings) == 0
    mn.save_settings(ALPHA, db, check_days=5, answer_hours=12, now=NOW)
    assert mn.get_settings(ALPHA, db) == mn.MinimumSettings(5, 12)
    assert mn.get_settings(BETA, db) == mn.MinimumSettings(3, 24)
    # With 5 days, a date 4 days ahead is checked now.
    date_id = _new_date(db, minimum=6, days=4)
    assert mn.check_minimums(SYSTEM, db, now=NOW).asked == 1
    assert mn.open_questions(ALPHA, db, now=NOW)[0].last_call_at == NOW + timedelta(hours=12)
    assert date_id
    with pytest.raises(ScopeError):
        mn.check_minimums(ALPHA, db, now=NOW)


def test_a_cancel_whose_portal_commit_is_lost_is_completed_by_the_next_run(
    db: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    from data.shop import writes as shop_writes

    date_id = _new_date(db, minimum=6)
    sell(db, date_id, 2, email="gast@example.org")
    mn.check_minimums(SYSTEM, db, now=NOW)
    real = shop_writes.shop_transaction

    @contextmanager
    def shop_commits_then_the_process_dies(engine):
        with real(engine) as conn:
            yield conn
        raise RuntimeError("killed between the shop's commit and the portal's")

    monkeypatch.setattr(shop_writes, "shop_transaction", shop_commits_then_the_process_dies)
    with pytest.raises(RuntimeError):
        mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=24))
    monkeypatch.undo()
    assert _status(db, date_id) == m.DATE_CANCELLED  # the shop committed
    assert _mails(db, "date_cancelled") == []  # the portal did not
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=25)).cancelled == 1
    assert [x["recipient"] for x in _mails(db, "date_cancelled")] == ["gast@example.org"]
    assert mn.check_minimums(SYSTEM, db, now=NOW + timedelta(hours=26)).cancelled == 0
    assert len(_mails(db, "date_cancelled")) == 1
