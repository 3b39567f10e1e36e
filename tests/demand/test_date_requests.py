"""Terminanfragen: requests come in (or are refused), the partner answers, customers are told.

Runs on SQLite and on MariaDB (shop) + PostgreSQL (portal) through the `shop` fixture (the
two-partner world, rebuilt per test). The clock is fixed: NOW is Wednesday 25.11.2026, so the
5th working day after it is Wednesday 2.12.2026.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from core import links
from core.db import Databases
from core.errors import Refusal
from core.i18n import render_refusal
from core.validation import InvalidInput
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.dates.course_dates import get_date
from data.demand import date_requests as dr
from data.portal_schema import date_requests, outbox

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime(2026, 11, 25, 11, 0)  # Wednesday, 12:00 Berlin
SATURDAY = date(2026, 12, 12)
SUNDAY = date(2026, 12, 13)
NEW_DATE = dr.NewDate(
    starts_at=datetime(2026, 12, 12, 14, 0),
    ends_at=datetime(2026, 12, 12, 17, 0),
    seats=10,
    price=Decimal("89.00"),
)


def _ask(
    db: Databases,
    *,
    viewer: Viewer = ALPHA,
    product_id: int = 101,
    day: date = SATURDAY,
    start: time = time(14, 0),
    email: str = "clara@example.org",
    name: str = "Clara Kunde",
    people: int = 2,
    message: str | None = "Wir sind ein Team aus dem Büro.",
    locale: str = "de",
    now: datetime = NOW,
) -> dr.RequestSaved:
    return dr.create_request(
        viewer,
        db,
        product_id=product_id,
        day=day,
        start=start,
        name=name,
        email=email,
        participants=people,
        message=message,
        locale=locale,
        now=now,
    )


def _rows(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        query = select(date_requests).order_by(date_requests.c.request_id)
        return [dict(r) for r in conn.execute(query).mappings()]


def _status(db: Databases, request_id: int) -> str:
    return next(r["status"] for r in _rows(db) if r["request_id"] == request_id)


def _mails(db: Databases, template: str | None = None) -> list[dict]:
    with db.portal.connect() as conn:
        query = select(outbox).order_by(outbox.c.message_id)
        query = query.where(outbox.c.template == template) if template else query
        query = query.where(outbox.c.template.like("date_request%"))
        return [dict(r) for r in conn.execute(query).mappings()]


def _count_mails(db: Databases) -> int:
    """Mails about date requests (the world queues others of its own)."""
    query = select(func.count()).where(outbox.c.template.like("date_request%"))
    with db.portal.connect() as conn:
        return int(conn.execute(query).scalar_one())


def _german(exc: pytest.ExceptionInfo[Refusal]) -> str:
    text = render_refusal(exc.value, "de")
    assert text != exc.value.key  # a sentence, not a key
    return text


# --- coming in -------------------------------------------------------------------------------


def test_a_request_is_listed_grouped_with_working_days_left(shop: Databases) -> None:
    first = _ask(shop)
    _ask(shop, email="ben@example.org", name="Ben", people=3, start=time(15, 0))
    _ask(shop, day=SUNDAY, email="dora@example.org", name="Dora", people=1)
    assert not first.merged
    listed = dr.list_requests(ALPHA, shop, status="pending", now=NOW)
    assert listed["customer_name"].tolist() == ["Clara Kunde", "Ben", "Dora"]
    assert set(listed["course"]) == {"Alpha Pasta-Werkstatt"}
    assert set(listed["answer_due_on"]) == {date(2026, 12, 2)}
    assert set(listed["workdays_left"]) == {5}
    groups = dr.open_groups(ALPHA, shop, now=datetime(2026, 11, 30, 9, 0))  # Monday
    saturday = groups[groups["requested_day"] == SATURDAY].iloc[0]
    assert (saturday["requests"], saturday["people"]) == (2, 5)
    assert saturday["times"] == ["14:00", "15:00"]
    assert saturday["workdays_left"] == 2  # Tuesday and Wednesday
    assert len(groups) == 2


def test_answer_time_counts_german_working_days() -> None:
    from data.demand._request_rules import add_workdays, workdays_left

    # Christmas Day and Boxing Day (a Saturday) do not count; 24 and 31 December do.
    assert add_workdays(date(2026, 12, 23), 5) == date(2026, 12, 31)
    # Good Friday (26.3.2027) and Easter Monday (29.3.) are holidays.
    assert add_workdays(date(2027, 3, 25), 5) == date(2027, 4, 5)
    assert workdays_left(date(2027, 3, 25), date(2027, 4, 5)) == 5
    assert workdays_left(date(2027, 4, 5), date(2027, 4, 5)) == 0
    assert workdays_left(date(2027, 4, 6), date(2027, 4, 5)) == 0


BAD_INPUT: list[tuple[str, dict[str, object], str]] = [
    ("past day", {"day": date(2026, 11, 20)}, "date_requests.day_past"),
    ("today", {"day": date(2026, 11, 25)}, "date_requests.day_past"),
    ("beyond 18 months", {"day": date(2028, 5, 26)}, "date_requests.day_too_far"),
    ("0 participants", {"people": 0}, "date_requests.participants_invalid"),
    ("500 participants", {"people": 500}, "date_requests.participants_invalid"),
    ("invalid email", {"email": "clara(at)example"}, "date_requests.email_invalid"),
    ("formula email", {"email": "=cmd@example.org"}, "date_requests.email_invalid"),
    ("no name", {"name": "   "}, "date_requests.name_required"),
    ("over-long message", {"message": "x" * 2001}, "date_requests.message_too_long"),
    ("unknown course", {"product_id": 999}, "date_requests.unknown_course"),
    ("another partner's course", {"product_id": 201}, "date_requests.unknown_course"),
]


@pytest.mark.parametrize(("case", "changes", "key"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_refused_in_german_and_nothing_stored(
    shop: Databases, case: str, changes: dict[str, object], key: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        _ask(shop, **changes)  # type: ignore[arg-type]
    assert exc.value.key == key, case
    _german(exc)
    assert _rows(shop) == []
    assert _count_mails(shop) == 0


def test_the_edges_of_the_horizon_are_accepted(shop: Databases) -> None:
    assert _ask(shop, day=date(2028, 5, 25), people=20).request_id  # 18 months on the day


def test_a_duplicate_from_the_same_email_is_merged_not_doubled(shop: Databases) -> None:
    first = _ask(shop, people=2)
    again = _ask(shop, email="  CLARA@example.org ", people=4, start=time(16, 0), message="Doch 4")
    assert again.merged and again.request_id == first.request_id
    rows = _rows(shop)
    assert len(rows) == 1
    assert (rows[0]["participants"], rows[0]["requested_time"]) == (4, time(16, 0))
    assert rows[0]["message"] == "Doch 4"
    # Another course or day is another request.
    _ask(shop, product_id=102)
    _ask(shop, day=SUNDAY)
    assert len(_rows(shop)) == 3


def test_a_wish_that_was_answered_cannot_come_in_again(shop: Databases) -> None:
    saved = _ask(shop)
    dr.reject_requests(ALPHA, shop, request_ids=[saved.request_id], reason="Ausgebucht", now=NOW)
    with pytest.raises(InvalidInput) as exc:
        _ask(shop, people=3)
    assert exc.value.key == "date_requests.already_answered_wish"
    assert _rows(shop)[0]["participants"] == 2


def test_requests_outside_the_partners_rules_are_refused_with_the_rule(shop: Databases) -> None:
    rules = dr.RequestRules(
        weekdays=("MO", "TU", "WE", "TH", "FR"),
        earliest=time(10, 0),
        latest=time(18, 0),
        min_participants=2,
        max_participants=8,
        lead_days=5,
    )
    assert dr.save_rules(ALPHA, shop, rules=rules, now=NOW) == rules
    assert dr.get_rules(ALPHA, shop) == rules
    assert dr.get_rules(BETA, shop) == dr.DEFAULT_RULES
    friday = date(2026, 12, 11)
    cases = [
        ({"day": SATURDAY}, "date_requests.rule_weekday", "Wochentag"),
        ({"day": friday, "start": time(19, 0)}, "date_requests.rule_time", "10:00 und 18:00"),
        ({"day": friday, "people": 1}, "date_requests.rule_participants", "2 bis 8 Personen"),
        ({"day": friday, "people": 9}, "date_requests.rule_participants", "2 bis 8 Personen"),
        ({"day": date(2026, 11, 27)}, "date_requests.rule_lead", "5 Tage Vorlauf"),
    ]
    for changes, key, words in cases:
        with pytest.raises(InvalidInput) as exc:
            _ask(shop, **changes)  # type: ignore[arg-type]
        assert exc.value.key == key
        assert words in _german(exc)
    assert _rows(shop) == []
    assert _ask(shop, day=friday, start=time(18, 0), people=8).request_id


def test_bad_rules_are_refused_and_staff_must_choose_a_partner(shop: Databases) -> None:
    bad = [
        dr.RequestRules(weekdays=()),
        dr.RequestRules(earliest=time(18, 0), latest=time(10, 0)),
        dr.RequestRules(min_participants=9, max_participants=8),
        dr.RequestRules(max_participants=500),
        dr.RequestRules(lead_days=-1),
    ]
    for rules in bad:
        with pytest.raises(InvalidInput):
            dr.save_rules(ALPHA, shop, rules=rules, now=NOW)
    assert dr.get_rules(ALPHA, shop) == dr.DEFAULT_RULES
    with pytest.raises(ScopeError):
        dr.get_rules(STAFF, shop)
    with pytest.raises(ScopeError):
        dr.get_rules(ALPHA, shop, partner_id=2)
    assert dr.get_rules(STAFF.view_as(1), shop) == dr.DEFAULT_RULES


# --- answers ---------------------------------------------------------------------------------


def test_accept_creates_the_date_and_tells_every_requester_of_that_day(shop: Databases) -> None:
    clara = _ask(shop)
    ben = _ask(shop, email="ben@example.org", name="Ben", locale="en")
    dora = _ask(shop, day=SUNDAY, email="dora@example.org", name="Dora")
    answer = dr.accept_requests(
        ALPHA, shop, request_ids=[clara.request_id], new_date=NEW_DATE, note="Bis bald!", now=NOW
    )
    assert (answer.requests, answer.messages) == (2, 2)
    assert answer.date_id is not None
    created = get_date(ALPHA, shop, date_id=answer.date_id)
    assert (created.product_id, created.seats_total) == (101, 10)
    assert created.starts_at == datetime(2026, 12, 12, 13, 0)  # 14:00 Berlin
    statuses = {r["request_id"]: (r["status"], r["created_date_id"]) for r in _rows(shop)}
    assert statuses[clara.request_id] == ("accepted", answer.date_id)
    assert statuses[ben.request_id] == ("accepted", answer.date_id)
    assert statuses[dora.request_id] == ("pending", None)
    mails = _mails(shop, "date_request_accepted")
    assert {(m["recipient"], m["locale"]) for m in mails} == {
        ("clara@example.org", "de"),
        ("ben@example.org", "en"),
    }
    assert all(m["partner_id"] == 1 for m in mails)
    assert mails[0]["payload"]["booking_url"] == links.shop_date_url(101, answer.date_id)
    assert mails[0]["payload"]["partner_message"] == "Bis bald!"


def test_accept_can_link_an_existing_date_of_the_course(shop: Databases) -> None:
    saved = _ask(shop)
    for wrong in (12, 21, 999):  # another course's date, B's date, no date
        with pytest.raises((InvalidInput, ScopeError)):
            dr.accept_requests(ALPHA, shop, request_ids=[saved.request_id], date_id=wrong, now=NOW)
    with pytest.raises(InvalidInput):
        dr.accept_requests(ALPHA, shop, request_ids=[saved.request_id], now=NOW)  # no date
    assert _status(shop, saved.request_id) == "pending"
    assert _count_mails(shop) == 0
    answer = dr.accept_requests(ALPHA, shop, request_ids=[saved.request_id], date_id=13, now=NOW)
    assert (answer.date_id, answer.messages) == (13, 1)


def test_requests_of_two_days_are_not_answered_together(shop: Databases) -> None:
    ids = [_ask(shop).request_id, _ask(shop, day=SUNDAY).request_id]
    with pytest.raises(InvalidInput) as exc:
        dr.accept_requests(ALPHA, shop, request_ids=ids, date_id=13, now=NOW)
    assert exc.value.key == "date_requests.one_group"
    assert {r["status"] for r in _rows(shop)} == {"pending"}


def _token_of(mail: dict) -> str:
    return urlsplit(mail["payload"]["accept_url"]).path.rsplit("/", 1)[-1]


def test_propose_and_the_customer_takes_it_through_the_link(shop: Databases) -> None:
    clara = _ask(shop)
    ben = _ask(shop, email="ben@example.org", name="Ben")
    answer = dr.propose_date(
        ALPHA,
        shop,
        request_ids=[clara.request_id, ben.request_id],
        date_id=13,
        note="Eine Woche später?",
        now=NOW,
    )
    assert (answer.requests, answer.messages, answer.date_id) == (2, 2, 13)
    assert {r["status"] for r in _rows(shop)} == {"proposed"}
    mails = _mails(shop, "date_request_proposed")
    proposal_page = f"{links.api_url()}{links.DATE_PROPOSAL_PATH}/"
    assert all(m["payload"]["accept_url"].startswith(proposal_page) for m in mails)
    tokens = [_token_of(m) for m in mails]
    assert len(set(tokens)) == 2
    # Only the token's hash is kept.
    assert not any(token in str(_rows(shop)) for token in tokens)
    for bad in ("", "x" * 200, "nicht-vorhanden", "ä"):
        with pytest.raises(InvalidInput):
            dr.accept_proposal(shop, token=bad, now=NOW)
    taken = dr.accept_proposal(shop, token=tokens[0], now=NOW)
    assert (taken.requests, taken.messages, taken.date_id) == (1, 1, 13)
    statuses = {r["email"]: (r["status"], r["created_date_id"]) for r in _rows(shop)}
    assert statuses["clara@example.org"] == ("accepted", 13)
    assert statuses["ben@example.org"] == ("proposed", None)
    accepted = _mails(shop, "date_request_accepted")
    assert [m["recipient"] for m in accepted] == ["clara@example.org"]
    with pytest.raises(InvalidInput) as exc:
        dr.accept_proposal(shop, token=tokens[0], now=NOW)  # used
    assert exc.value.key == "date_requests.link_invalid"


def test_a_proposal_whose_date_is_gone_cannot_be_taken(shop: Databases) -> None:
    from data.shop.schema import DATE_CANCELLED, miomente_course_date

    saved = _ask(shop)
    dr.propose_date(ALPHA, shop, request_ids=[saved.request_id], date_id=13, now=NOW)
    token = _token_of(_mails(shop, "date_request_proposed")[0])
    with shop.magento.begin() as conn:
        conn.execute(
            update(miomente_course_date)
            .where(miomente_course_date.c.date_id == 13)
            .values(status=DATE_CANCELLED)
        )
    with pytest.raises(InvalidInput) as exc:
        dr.accept_proposal(shop, token=token, now=NOW)
    assert exc.value.key == "date_requests.proposal_gone"
    assert _status(shop, saved.request_id) == "proposed"


def test_reject_needs_a_reason_and_tells_the_customer(shop: Databases) -> None:
    saved = _ask(shop)
    with pytest.raises(InvalidInput) as exc:
        dr.reject_requests(ALPHA, shop, request_ids=[saved.request_id], reason="  ", now=NOW)
    assert exc.value.key == "date_requests.reason_required"
    with pytest.raises(InvalidInput):
        dr.reject_requests(ALPHA, shop, request_ids=[saved.request_id], reason="x" * 1001)
    assert _count_mails(shop) == 0
    answer = dr.reject_requests(
        ALPHA, shop, request_ids=[saved.request_id], reason="Da sind wir im Urlaub.", now=NOW
    )
    assert (answer.requests, answer.messages) == (1, 1)
    row = _rows(shop)[0]
    assert (row["status"], row["decision_note"], row["decided_by"]) == (
        "rejected",
        "Da sind wir im Urlaub.",
        10,
    )
    mail = _mails(shop, "date_request_rejected")[0]
    assert mail["payload"]["reason"] == "Da sind wir im Urlaub."
    assert mail["payload"]["requested_at"] == "2026-12-12T13:00:00"


# --- the status workflow -----------------------------------------------------------------------


def test_the_workflow_has_exactly_these_moves() -> None:
    moves = {(a, b) for a, targets in dr.TRANSITIONS.items() for b in targets}
    assert moves == {
        ("pending", "accepted"),
        ("pending", "proposed"),
        ("pending", "rejected"),
        ("pending", "expired"),
        ("proposed", "accepted"),
    }
    assert set(dr.TRANSITIONS) == set(dr.STATUSES)


def _into(db: Databases, state: str) -> tuple[int, str | None]:
    """A request in `state` (and the proposal's token)."""
    saved = _ask(db)
    ids = [saved.request_id]
    token = None
    if state == "accepted":
        dr.accept_requests(ALPHA, db, request_ids=ids, date_id=13, now=NOW)
    elif state == "proposed":
        dr.propose_date(ALPHA, db, request_ids=ids, date_id=13, now=NOW)
        token = _token_of(_mails(db, "date_request_proposed")[0])
    elif state == "rejected":
        dr.reject_requests(ALPHA, db, request_ids=ids, reason="Nein", now=NOW)
    elif state == "expired":
        assert dr.expire_overdue(SYSTEM, db, now=datetime(2026, 12, 3, 9, 0)).expired == 1
    assert _status(db, saved.request_id) == state
    return saved.request_id, token


def _answers(db: Databases, request_id: int) -> dict[str, Callable[[], object]]:
    ids = [request_id]
    return {
        "accepted": lambda: dr.accept_requests(ALPHA, db, request_ids=ids, date_id=13, now=NOW),
        "proposed": lambda: dr.propose_date(ALPHA, db, request_ids=ids, date_id=13, now=NOW),
        "rejected": lambda: dr.reject_requests(ALPHA, db, request_ids=ids, reason="Nein", now=NOW),
    }


@pytest.mark.parametrize("state", ["accepted", "proposed", "rejected", "expired"])
def test_no_way_back_from_an_answer(shop: Databases, state: str) -> None:
    request_id, token = _into(shop, state)
    before = (_rows(shop), _count_mails(shop))
    for target, answer in _answers(shop, request_id).items():
        with pytest.raises(InvalidInput) as exc:
            answer()
        assert exc.value.key == "date_requests.already_answered", (state, target)
    # The expiry job passes it by, even long after its answer day.
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2027, 6, 1, 9, 0)).expired == 0
    assert (_rows(shop), _count_mails(shop)) == before
    if token is not None:  # proposed → accepted is the one move left, once
        dr.accept_proposal(shop, token=token, now=NOW)
        assert _status(shop, request_id) == "accepted"
        with pytest.raises(InvalidInput):
            dr.accept_proposal(shop, token=token, now=NOW)


# --- scope -----------------------------------------------------------------------------------


def test_another_partner_neither_sees_nor_answers_a_request(shop: Databases) -> None:
    a = _ask(shop)
    b = _ask(shop, viewer=BETA, product_id=201, email="zora.beta@example.org", name="Zora")
    assert dr.list_requests(BETA, shop, now=NOW)["request_id"].tolist() == [b.request_id]
    assert dr.list_requests(ALPHA, shop, now=NOW)["request_id"].tolist() == [a.request_id]
    staff_all = dr.list_requests(STAFF, shop, now=NOW)
    assert sorted(staff_all["request_id"]) == sorted([a.request_id, b.request_id])
    as_a = dr.list_requests(STAFF.view_as(1), shop, now=NOW)
    assert as_a["request_id"].tolist() == [a.request_id]
    with pytest.raises(ScopeError):
        dr.reject_requests(BETA, shop, request_ids=[a.request_id], reason="Nein", now=NOW)
    with pytest.raises(ScopeError):
        dr.accept_requests(BETA, shop, request_ids=[a.request_id], date_id=21, now=NOW)
    with pytest.raises(ScopeError):
        dr.propose_date(BETA, shop, request_ids=[a.request_id], date_id=21, now=NOW)
    with pytest.raises(ScopeError):
        dr.expire_overdue(ALPHA, shop, now=NOW)
    assert {r["status"] for r in _rows(shop)} == {"pending"}


def test_staff_answers_any_partners_request(shop: Databases) -> None:
    b = _ask(shop, viewer=STAFF, product_id=201, email="zora.beta@example.org", name="Zora")
    answer = dr.reject_requests(STAFF, shop, request_ids=[b.request_id], reason="Nein", now=NOW)
    assert answer.messages == 1
    assert _mails(shop)[0]["partner_id"] == 2


# --- two answers at once ---------------------------------------------------------------------


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment in threads; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_answers_at_once_one_wins_and_customers_hear_once(shop: Databases) -> None:
    # Several rounds: the losing answer may read before, between or after the winner's write.
    for round_ in range(4):
        day = SATURDAY + timedelta(days=7 * round_)
        ids = [
            _ask(shop, day=day).request_id,
            _ask(shop, day=day, email="ben@example.org").request_id,
        ]
        results = _race(
            lambda ids=ids: dr.accept_requests(ALPHA, shop, request_ids=ids, date_id=13, now=NOW),
            lambda ids=ids: dr.reject_requests(STAFF, shop, request_ids=ids, reason="No", now=NOW),
        )
        won = [r for r in results if isinstance(r, dr.Answered)]
        lost = [r for r in results if isinstance(r, InvalidInput)]
        assert len(won) == 1 and len(lost) == 1, results
        assert won[0].requests == 2 and won[0].messages == 2
        assert lost[0].key == "date_requests.already_answered"
        statuses = {r["status"] for r in _rows(shop) if r["request_id"] in ids}
        assert len(statuses) == 1 and statuses <= {"accepted", "rejected"}
    assert len(_mails(shop)) == 8  # two per round: each customer heard once


def test_the_same_wish_twice_at_once_is_one_request(shop: Databases) -> None:
    results = _race(lambda: _ask(shop, people=2), lambda: _ask(shop, people=2))
    assert all(isinstance(r, dr.RequestSaved) for r in results), results
    assert len(_rows(shop)) == 1
