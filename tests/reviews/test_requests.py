"""Review requests on SQLite, MariaDB + PostgreSQL: due a set time after the course ended
(Berlin's wall clock, across DST changes and month ends), reminders to non-responders, never
for cancelled/rejected/refunded bookings, without a legal basis or to objecting customers,
once per customer and course (rerun and two runs at once); the single-use, signed link;
each partner sees its own requests."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import insert, select, update

from core import signing
from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.reviews import requests as rq
from data.shop import schema as m
from tests.support.review_requests import ASKED, DUE, ENDS, OBJECTING, add_ended_courses

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
READER = Viewer(user_id=11, role="partner", partner_id=1, permissions=frozenset())
DAY = timedelta(days=1)


# --- the pure rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ended", "days", "due"),
    [
        # spring forward (29 March 2027): 15:00 CET on Saturday -> 15:00 CEST on Sunday, 23 h
        (datetime(2027, 3, 27, 14, 0), 1, datetime(2027, 3, 28, 13, 0)),
        # fall back (25 October 2026): 15:00 CEST -> 15:00 CET, 25 h
        (datetime(2026, 10, 24, 13, 0), 1, datetime(2026, 10, 25, 14, 0)),
        # a reminder 5 days after a request sent before the change: 11:00 Berlin both times
        (datetime(2027, 3, 25, 10, 0), 5, datetime(2027, 3, 30, 9, 0)),
        # month ends, a leap day, the year's end
        (datetime(2027, 1, 31, 15, 0), 1, datetime(2027, 2, 1, 15, 0)),
        (datetime(2027, 2, 28, 15, 0), 1, datetime(2027, 3, 1, 15, 0)),
        (datetime(2028, 2, 28, 15, 0), 1, datetime(2028, 2, 29, 15, 0)),
        (datetime(2026, 11, 30, 12, 0), 5, datetime(2026, 12, 5, 12, 0)),
        # the evening course: 21:30 Berlin + 1 day is after 20:00 -> the morning after, 09:00
        (datetime(2026, 12, 31, 20, 30), 1, datetime(2027, 1, 2, 8, 0)),
        # an early end: 07:00 Berlin + 1 day waits until 09:00
        (datetime(2027, 1, 10, 6, 0), 1, datetime(2027, 1, 11, 8, 0)),
        # summer: 19:59 Berlin goes, 20:00 waits until 09:00 CEST (07:00 UTC)
        (datetime(2027, 7, 1, 17, 59), 0, datetime(2027, 7, 1, 17, 59)),
        (datetime(2027, 7, 1, 18, 0), 0, datetime(2027, 7, 2, 7, 0)),
    ],
)
def test_when_a_request_is_due(ended: datetime, days: int, due: datetime) -> None:
    assert rq.due_at(ended, days) == due


def test_the_legal_basis_a_setting_accepts() -> None:
    assert rq.RequestSettings().accepts("notice") and rq.RequestSettings().accepts("consent")
    only_consent = rq.RequestSettings(basis="consent")
    assert only_consent.accepts("consent") and not only_consent.accepts("notice")
    assert not rq.RequestSettings().accepts(None) and not rq.RequestSettings().accepts("ja")


# --- the task on the databases ----------------------------------------------------------------


@pytest.fixture
def ended(shop: Databases) -> Databases:
    add_ended_courses(shop)
    with shop.portal.begin() as conn:
        conn.execute(
            insert(p.review_objections).values(email_hash=rq.email_hash(OBJECTING), created_at=ENDS)
        )
    return shop


def _mails(db: Databases, template: str = "review_request") -> list[dict]:
    query = select(p.outbox).where(p.outbox.c.template == template).order_by(p.outbox.c.recipient)
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _requests(db: Databases) -> list[dict]:
    query = select(p.review_requests).order_by(p.review_requests.c.item_id)
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _token(mail: dict) -> str:
    return unquote(urlsplit(str(mail["payload"]["review_url"])).path.rsplit("/", 1)[1])


def test_a_request_goes_once_after_the_course_ended_to_eligible_customers(
    ended: Databases,
) -> None:
    early = rq.queue_due_requests(SYSTEM, ended, now=DUE - timedelta(minutes=1))
    assert early == rq.RequestRun() and _mails(ended) == []
    run = rq.queue_due_requests(SYSTEM, ended, now=DUE)
    assert (run.requested, run.no_basis, run.objected) == (2, 1, 1)
    mails = _mails(ended)
    assert [m_["recipient"] for m_ in mails] == ["anna.a@example.org", "gina.g@example.org"]
    assert mails[0]["payload"]["course"] == "Pasta <b>frisch</b>"
    assert "/abmelden" in str(mails[0]["payload"]["unsubscribe_url"])
    requests = _requests(ended)
    assert [(r["item_id"], r["basis"], r["partner_id"]) for r in requests] == [
        (8001, "notice", 1),
        (8007, "consent", 2),
    ]
    assert all(r["ended_at"] == ENDS and r["sent_at"] == DUE for r in requests)
    # the token is kept only as its hash
    assert all(_token(mail) not in {r["token_hash"] for r in requests} for mail in mails)
    again = rq.queue_due_requests(SYSTEM, ended, now=DUE + timedelta(hours=1))
    assert again.requested == 0 and len(_mails(ended)) == 2


def test_consent_only_and_switched_off_partners(ended: Databases) -> None:
    rq.save_request_settings(ALPHA, ended, settings=rq.RequestSettings(basis="consent"), now=ENDS)
    rq.save_request_settings(BETA, ended, settings=rq.RequestSettings(enabled=False), now=ENDS)
    run = rq.queue_due_requests(SYSTEM, ended, now=DUE)
    assert (run.requested, run.no_basis) == (0, 2)  # Anna's notice and Emil's nothing
    assert _mails(ended) == []


def test_a_partner_delay_and_requests_too_late(ended: Databases) -> None:
    rq.save_request_settings(ALPHA, ended, settings=rq.RequestSettings(delay_days=3), now=ENDS)
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + DAY).requested == 1  # B only
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + 2 * DAY).requested == 1  # A
    late = rq.queue_due_requests(SYSTEM, ended, now=DUE + 20 * DAY)
    assert late.requested == 0 and len(_mails(ended)) == 2


def test_reminders_go_to_non_responders_at_most_as_set(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    rq.save_request_settings(ALPHA, ended, settings=rq.RequestSettings(reminders=2), now=DUE)
    before = rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY - timedelta(minutes=1))
    assert before.reminded == 0
    first = rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY)
    assert first.reminded == 2
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY).reminded == 0
    second = rq.queue_due_requests(SYSTEM, ended, now=DUE + 10 * DAY)
    assert second.reminded == 1  # A allows two, B the default one
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + 15 * DAY).reminded == 0
    reminders = _mails(ended, "review_reminder")
    assert sorted(r["recipient"] for r in reminders) == [
        "anna.a@example.org",
        "anna.a@example.org",
        "gina.g@example.org",
    ]
    assert {r["payload"]["review_url"] for r in reminders} <= {
        m_["payload"]["review_url"] for m_ in _mails(ended)
    }


def test_no_reminder_after_a_review_a_refund_or_an_objection(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    anna, gina = _mails(ended)
    rq.submit_review(
        ended, token=_token(anna), votes={1: 5}, title="Toll", text="Sehr gut.",
        nickname="Anna", now=DUE + DAY,
    )  # fmt: skip
    rq.object_to_requests(ended, token=_token(gina), now=DUE + DAY)
    run = rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY)
    assert run.reminded == 0
    # a booking refunded after its request gets no reminder either
    with ended.portal.begin() as conn:
        conn.execute(update(p.review_requests).values(used_at=None))
        conn.execute(update(p.bookings).values(status="refunded"))
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + 6 * DAY).reminded == 0


def test_two_runs_at_once_ask_each_customer_once(ended: Databases) -> None:
    barrier = threading.Barrier(2)
    results: list[rq.RequestRun] = []

    def run(now: datetime) -> None:
        barrier.wait()
        results.append(rq.queue_due_requests(SYSTEM, ended, now=now))

    for moment in (DUE, DUE + 5 * DAY):
        barrier.reset()
        results.clear()
        threads = [threading.Thread(target=run, args=(moment,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.requested + r.reminded for r in results) == 2
    assert len(_mails(ended)) == 2 and len(_mails(ended, "review_reminder")) == 2


# --- the link ---------------------------------------------------------------------------------


def _review_count(db: Databases) -> int:
    with db.magento.connect() as conn:
        return len(conn.execute(select(m.review.c.review_id)).all())


def _votes(db: Databases, review_id: int) -> list[tuple[int, int]]:
    v = m.rating_option_vote.c
    with db.magento.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(select(v.rating_id, v.value).where(v.review_id == review_id))
        ]


def test_the_link_writes_a_pending_verified_review_once(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    token = _token(_mails(ended)[0])
    form = rq.review_form(ended, token=token, now=DUE)
    assert (form.product_id, form.course, form.ratings) == (
        101,
        "Pasta <b>frisch</b>",
        ((1, "Bewertung"),),
    )
    review_id = rq.submit_review(
        ended, token=token, votes={1: 4}, title=" Lecker ", text="<b>Gern wieder</b>",
        nickname="Anna", now=DUE + DAY,
    )  # fmt: skip
    with ended.magento.connect() as conn:
        stored = conn.execute(
            select(m.review.c.status_id, m.review.c.entity_pk_value, m.review_detail.c.title,
                   m.review_detail.c.detail)
            .join(m.review_detail, m.review_detail.c.review_id == m.review.c.review_id)
            .where(m.review.c.review_id == review_id)
        ).one()  # fmt: skip
    assert tuple(stored) == (m.REVIEW_PENDING, 101, "Lecker", "<b>Gern wieder</b>")
    assert _votes(ended, review_id) == [(1, 4)]
    assert rq.verified_review_ids(ALPHA, ended, review_ids=[review_id, 999]) == {review_id}
    assert rq.verified_review_ids(BETA, ended, review_ids=[review_id]) == set()
    with pytest.raises(InvalidInput) as used:
        rq.submit_review(
            ended, token=token, votes={1: 1}, title="Nochmal", text="x", nickname="A",
            now=DUE + DAY,
        )  # fmt: skip
    assert used.value.key == "reviews.form.used"


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: signing.sign(rq.PURPOSE, "8001", key="not-the-portal-key"),
        lambda token: "8007" + token[4:],  # another request's id under this signature
        lambda token: signing.sign("waitlist", "8001"),  # another purpose
        lambda token: signing.sign(rq.PURPOSE, "8005"),  # signed, but never requested
        lambda token: token[:-2],
        lambda token: "",
        lambda token: "ä" * 10,
    ],
)
def test_a_forged_link_is_refused(ended: Databases, forge) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    token = _token(_mails(ended)[0])
    with pytest.raises(InvalidInput) as refused:
        rq.review_form(ended, token=forge(token), now=DUE)
    assert refused.value.key == "reviews.form.invalid"


def test_an_expired_link_and_bad_input_change_nothing(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    token = _token(_mails(ended)[0])
    before = _review_count(ended)
    with pytest.raises(InvalidInput) as expired:
        rq.review_form(ended, token=token, now=DUE + rq.TOKEN_DAYS * DAY)
    assert expired.value.key == "reviews.form.expired"
    bad = [
        ({}, "T", "x", "n", "reviews.form.stars_missing"),
        ({1: 6}, "T", "x", "n", "reviews.form.stars_missing"),
        ({1: 5, 2: 5}, "T", "x", "n", "reviews.form.stars_missing"),
        ({1: 5}, "  ", "x", "n", "reviews.form.title_missing"),
        ({1: 5}, "T", "x" * 5001, "n", "reviews.form.text_missing"),
        ({1: 5}, "T", "x", "", "reviews.form.nickname_missing"),
    ]
    for votes, title, text, nickname, key in bad:
        with pytest.raises(InvalidInput) as refused:
            rq.submit_review(
                ended, token=token, votes=votes, title=title, text=text, nickname=nickname,
                now=DUE,
            )  # fmt: skip
        assert refused.value.key == key
    assert all(r["used_at"] is None for r in _requests(ended))
    assert _review_count(ended) == before


def test_an_objection_stops_every_later_mail_to_the_address(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    anna = _mails(ended)[0]
    rq.object_to_requests(ended, token=_token(anna), now=DUE)
    rq.object_to_requests(ended, token=_token(anna), now=DUE)  # twice is fine
    hashed = rq.email_hash("ANNA.A@example.org")
    objections = p.review_objections.c
    with ended.portal.connect() as conn:
        stored = conn.execute(select(objections.request_id).where(objections.email_hash == hashed))
        assert len(stored.all()) == 1
    assert rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY).reminded == 1  # Gina only


# --- settings, lists and scope ------------------------------------------------------------------


def test_settings_are_checked_and_per_partner(ended: Databases) -> None:
    assert rq.request_settings_of(ALPHA, ended) == rq.RequestSettings()
    chosen = rq.RequestSettings(delay_days=2, reminders=0, reminder_days=7, basis="consent")
    rq.save_request_settings(ALPHA, ended, settings=chosen, now=ENDS)
    assert rq.request_settings_of(ALPHA, ended) == chosen
    assert rq.request_settings_of(BETA, ended) == rq.RequestSettings()
    for wrong, key in [
        (rq.RequestSettings(delay_days=15), "reviews.requests.bad_delay"),
        (rq.RequestSettings(reminders=3), "reviews.requests.bad_reminders"),
        (rq.RequestSettings(reminder_days=0), "reviews.requests.bad_reminder_days"),
        (rq.RequestSettings(basis="egal"), "reviews.requests.bad_basis"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            rq.save_request_settings(ALPHA, ended, settings=wrong, now=ENDS)
        assert refused.value.key == key
    assert rq.request_settings_of(ALPHA, ended) == chosen
    with pytest.raises(ScopeError):
        rq.save_request_settings(READER, ended, settings=chosen)
    with pytest.raises(ScopeError):
        rq.queue_due_requests(ALPHA, ended, now=DUE)


def test_each_partner_sees_its_requests_and_response_rate(ended: Databases) -> None:
    rq.queue_due_requests(SYSTEM, ended, now=DUE)
    rq.queue_due_requests(SYSTEM, ended, now=DUE + 5 * DAY)
    anna = _mails(ended)[0]
    rq.submit_review(
        ended, token=_token(anna), votes={1: 5}, title="Top", text="Gern.", nickname="A",
        now=DUE + 6 * DAY,
    )  # fmt: skip
    mine = rq.sent_requests(ALPHA, ended)
    assert mine["increment_id"].tolist() == ["000008001"]
    assert mine["status"].tolist() == ["reviewed"] and mine["reminders_sent"].tolist() == [1]
    theirs = rq.sent_requests(BETA, ended)
    assert theirs["increment_id"].tolist() == ["000008007"] and theirs["status"].tolist() == [
        "open"
    ]
    rates = rq.response_rates(ALPHA, ended)
    assert rates[["product_id", "requests", "reviews", "rate"]].values.tolist() == [
        [101, 1, 1, 1.0]
    ]
    assert rq.response_rates(BETA, ended)["rate"].tolist() == [0.0]
    assert set(ASKED) == {8001, 8007}
