"""Mindestteilnehmerzahl: the minimum per date, the partner's settings, the question on Termine
and the check job (`python -m jobs run check-minimums`).

The rule (when to confirm, ask, cancel) is `core.minimum_rule`; where a minimum is kept is
`_minimum_store`. This module reads the facts and carries the steps out, each exactly once:

- *reached*: the date's undecided bookings are confirmed through `data.bookings.decisions.decide`
  (the same path, shop status, history comment and `booking_confirmed` mail as a partner's
  click), acting as the date's partner with user id 0. A decision exists once per item (its
  primary key), so a second run, or two at once, confirm nothing twice.
- *asked*: the check row (primary key date_id, "insert unless there") and the partner's
  `minimum_not_reached` mail (dedupe key `minimum_asked:<date>`) are written in one portal
  transaction: one question per date, whatever runs at the same moment.
- *cancelled* (the partner's "Termin absagen", or no answer by the last call): through the
  existing cancellation path (`_date_changes.cancel_dates`: customer mails, the shop's refund
  comment, the ledger). Inside its portal transaction the check row moves from `asked` to
  `cancelled` (an UPDATE naming the state it starts from: of two racing runs, or a run racing
  the partner's answer, one moves it and the other rolls back with nothing written), and the
  waiting customers and open date requesters of the course get one `minimum_other_dates` mail
  listing the course's other dates with free seats (dedupe key per date and email address).
  If the portal commit is lost after the shop's, the row is still `asked` and the next run
  completes the cancel (the shop's date stays cancelled, every mail is queued once).
- *go* (the partner's "Trotzdem durchführen"): the row moves from `asked` to `go` the same way;
  the date is not cancelled and its bookings are confirmed like a reached date's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from core import i18n, links
from core import minimum_rule as rule
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.sql import chunks, insert_ignore
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import DATES_READ, DATES_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.bookings.decisions import decide
from data.comms.outbox import queue_many, queue_message
from data.dates import _minimum_store as store
from data.dates._date_changes import NOT_FOUND, CancelResult, booked_items, cancel_dates
from data.ops import audit
from data.portal_schema import (
    CHANNEL_EMAIL,
    DECISION_CONFIRMED,
    REQUEST_PENDING,
    REQUEST_PROPOSED,
    booking_decisions,
    date_requests,
    minimum_checks,
    minimum_settings,
    partners,
    waitlist,
)
from data.shop.catalog import product_names
from data.shop.schema import DATE_ACTIVE, DATE_CANCELLED, miomente_course_date, seats_sold_per_date

log = logging.getLogger(__name__)

ASK_TEMPLATE = "minimum_not_reached"
OFFER_TEMPLATE = "minimum_other_dates"
MAX_OFFERED = 5  # other dates listed in an offer mail
C, D = minimum_checks, miomente_course_date


@dataclass(frozen=True)
class MinimumSettings:
    check_days: int = rule.DEFAULT_CHECK_DAYS
    answer_hours: int = rule.DEFAULT_ANSWER_HOURS


@dataclass(frozen=True)
class MinimumInfo:
    minimum: int  # 0: none
    state: str | None = None  # the check's state (core.minimum_rule), None: not checked
    last_call_at: datetime | None = None


@dataclass(frozen=True)
class Question:
    """A date whose minimum is not reached: the partner decides (or the last call does)."""

    date_id: int
    product_id: int
    course: str
    starts_at: datetime
    seats_sold: int
    minimum: int
    last_call_at: datetime


@dataclass(frozen=True)
class CheckResult:
    dates: int = 0  # dates with a minimum looked at
    reached: int = 0  # dates found reached now
    confirmed: int = 0  # bookings confirmed now
    asked: int = 0  # partners asked now
    cancelled: int = 0  # dates cancelled now (last call)
    offers: int = 0  # offer mails to waiting customers and requesters queued now


@dataclass
class _Tally:
    reached: int = 0
    confirmed: int = 0
    asked: int = 0
    cancelled: int = 0
    offers: int = 0
    dates: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class _Date:
    date_id: int
    product_id: int
    partner_id: int
    starts_at: datetime
    status: str
    sold: int
    minimum: int


class _AlreadyDecided(Exception):
    """Another run or the partner moved the check first: this transaction writes nothing."""


# --- settings ----------------------------------------------------------------------------------


def _settings_of(conn: Connection, partner_ids: Sequence[int]) -> dict[int, MinimumSettings]:
    s = minimum_settings
    out: dict[int, MinimumSettings] = {}
    for chunk in chunks(sorted({int(p) for p in partner_ids}), 1000):
        rows = conn.execute(
            select(s.c.partner_id, s.c.check_days, s.c.answer_hours).where(
                s.c.partner_id.in_(chunk)
            )
        )
        out.update((int(p), MinimumSettings(int(d), int(h))) for p, d, h in rows)
    return out


@requires(DATES_READ)
def get_settings(viewer: Viewer, db: Databases) -> MinimumSettings:
    """The viewed partner's check settings (the defaults when never saved, or for staff)."""
    if viewer.partner_id is None:
        return MinimumSettings()
    with db.portal.connect() as conn:
        return _settings_of(conn, [viewer.partner_id]).get(viewer.partner_id, MinimumSettings())


@requires(DATES_WRITE)
def save_settings(
    viewer: Viewer,
    db: Databases,
    *,
    check_days: object,
    answer_hours: object,
    now: datetime | None = None,
) -> MinimumSettings:
    """Save the viewed partner's settings; InvalidInput (nothing saved) when out of range."""
    viewer.require_writer()
    if viewer.partner_id is None:
        raise InvalidInput("minimums.choose_partner")
    days, hours = rule.check_settings(check_days, answer_hours)
    now = naive_utc(now) if now else now_utc()
    values = {"check_days": days, "answer_hours": hours, "updated_by": viewer.user_id}
    s = minimum_settings
    with db.portal.begin() as conn:
        row = {"partner_id": viewer.partner_id, **values, "updated_at": now}
        if not insert_ignore(conn, s, [row], index_elements=["partner_id"]):
            conn.execute(
                update(s)
                .where(s.c.partner_id == viewer.partner_id)
                .values(**values, updated_at=now)
            )
        audit.record(
            conn, viewer, action="minimum_settings_saved", entity="partner",
            entity_id=viewer.partner_id, partner_id=viewer.partner_id,
            details={"check_days": days, "answer_hours": hours}, now=now,
        )  # fmt: skip
    return MinimumSettings(days, hours)


# --- reading -----------------------------------------------------------------------------------


def _scoped_dates(viewer: Viewer, db: Databases, date_ids: Sequence[int]) -> dict[int, int | None]:
    """date id -> series id of the viewer's dates among `date_ids`."""
    ids = scope.product_ids(viewer, db)
    out: dict[int, int | None] = {}
    with db.magento_read.connect() as conn:
        for chunk in chunks(sorted({int(i) for i in date_ids}), 1000):
            rows = conn.execute(
                select(D.c.date_id, D.c.series_id).where(
                    D.c.date_id.in_(chunk), scope.product_filter(D.c.product_id, ids)
                )
            )
            out.update((int(d), None if s is None else int(s)) for d, s in rows)
    return out


@requires(DATES_READ)
def date_minimums(
    viewer: Viewer, db: Databases, *, date_ids: Sequence[int]
) -> dict[int, MinimumInfo]:
    """The minimum and check state of each of the viewer's dates among `date_ids` (the Termine
    list: "4 / 6 Mindestteilnehmer"); another partner's date is left out."""
    dates = _scoped_dates(viewer, db, date_ids)
    if not dates:
        return {}
    with db.portal.connect() as conn:
        minimums = store.effective(conn, dates)
        checks: dict[int, tuple[str, datetime | None]] = {}
        for chunk in chunks(sorted(dates), 1000):
            rows = conn.execute(
                select(C.c.date_id, C.c.state, C.c.last_call_at).where(
                    C.c.date_id.in_(chunk), scope.partner_filter(C.c.partner_id, viewer)
                )
            )
            checks.update((int(d), (s, at)) for d, s, at in rows)
    return {
        date_id: MinimumInfo(minimum, *checks.get(date_id, (None, None)))
        for date_id, minimum in minimums.items()
    }


@requires(DATES_READ)
def open_questions(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> list[Question]:
    """The viewer's dates waiting for the answer "durchführen oder absagen?", soonest first."""
    now = naive_utc(now) if now else now_utc()
    with db.portal.connect() as conn:
        rows = list(
            conn.execute(
                select(C).where(
                    C.c.state == rule.ASKED, scope.partner_filter(C.c.partner_id, viewer)
                )
            ).mappings()
        )
    if not rows:
        return []
    ids = [int(r["date_id"]) for r in rows]
    names = product_names().subquery()
    with db.magento_read.connect() as conn:
        dates = {
            int(r.date_id): r
            for r in conn.execute(
                select(D.c.date_id, D.c.starts_at, names.c.name)
                .select_from(D.outerjoin(names, names.c.entity_id == D.c.product_id))
                .where(D.c.date_id.in_(ids), D.c.status == DATE_ACTIVE, D.c.starts_at > now)
            )
        }
        sold = {int(d): _count(n) for d, n in conn.execute(seats_sold_per_date(ids))}
    out = [
        Question(
            date_id=int(r["date_id"]),
            product_id=int(r["product_id"]),
            course=dates[int(r["date_id"])].name or "",
            starts_at=dates[int(r["date_id"])].starts_at,
            seats_sold=sold.get(int(r["date_id"]), 0),
            minimum=int(r["min_participants"]),
            last_call_at=r["last_call_at"],
        )
        for r in rows
        if int(r["date_id"]) in dates
    ]
    return sorted(out, key=lambda q: (q.starts_at, q.date_id))


def _count(value: object) -> int:
    """A selected ticket sum as a count, never below zero."""
    return max(int(float(str(value or 0))), 0)


# --- confirming ----------------------------------------------------------------------------------


def _partner_viewer(partner_id: int) -> Viewer:
    """The job acts for one partner (user 0: the audit rows show the system)."""
    return Viewer(user_id=0, role="staff", partner_id=int(partner_id))


def _undecided_items(db: Databases, date_id: int) -> list[int]:
    with db.magento.connect() as conn:
        items = [int(i["item_id"]) for i in booked_items(conn, [int(date_id)])]
    if not items:
        return []
    with db.portal.connect() as conn:
        decided = set(
            conn.execute(
                select(booking_decisions.c.item_id).where(booking_decisions.c.item_id.in_(items))
            ).scalars()
        )
    return [i for i in items if i not in decided]


def _confirm(db: Databases, date: _Date, now: datetime) -> int:
    """Confirm the date's undecided bookings as its partner would; how many were confirmed."""
    items = _undecided_items(db, date.date_id)
    if not items:
        return 0
    result = decide(
        _partner_viewer(date.partner_id), db, item_ids=items, decision=DECISION_CONFIRMED, now=now
    )
    return len(result.decided)


def _mark_reached(db: Databases, date: _Date, now: datetime) -> bool:
    """The check row says `reached` (new, or from `asked`); True if this call moved it."""
    row = _check_row(date, rule.REACHED, now)
    with db.portal.begin() as conn:
        if insert_ignore(conn, C, [row], index_elements=["date_id"]):
            return True
        moved = conn.execute(
            update(C)
            .where(C.c.date_id == date.date_id, C.c.state == rule.ASKED)
            .values(state=rule.REACHED, seats_sold=date.sold, updated_at=now)
        )
        return moved.rowcount == 1


def _check_row(date: _Date, state: str, now: datetime) -> dict[str, object]:
    return {
        "date_id": date.date_id,
        "partner_id": date.partner_id,
        "product_id": date.product_id,
        "state": state,
        "min_participants": date.minimum,
        "seats_sold": date.sold,
        "created_at": now,
        "updated_at": now,
    }


def _course_name(db: Databases, product_id: int) -> str:
    names = product_names().subquery()
    with db.magento_read.connect() as conn:
        found = conn.execute(select(names.c.name).where(names.c.entity_id == int(product_id)))
        return str(found.scalar() or "")


# --- asking --------------------------------------------------------------------------------------


def _ask(db: Databases, date: _Date, settings: MinimumSettings, now: datetime) -> bool:
    """Ask the partner once (the check row and the mail in one transaction)."""
    deadline = rule.last_call(now, answer_hours=settings.answer_hours)
    row = _check_row(date, rule.ASKED, now) | {"asked_at": now, "last_call_at": deadline}
    course = _course_name(db, date.product_id)
    with db.portal.begin() as conn:
        if not insert_ignore(conn, C, [row], index_elements=["date_id"]):
            return False
        partner = conn.execute(
            select(partners.c.name, partners.c.email).where(
                partners.c.partner_id == date.partner_id
            )
        ).first()
        if partner is not None and (partner.email or "").strip():
            queue_message(
                conn,
                channel=CHANNEL_EMAIL,
                template=ASK_TEMPLATE,
                recipient=partner.email,
                recipient_name=partner.name,
                locale="de",
                payload={
                    "contact_name": partner.name,
                    "course": course or "",
                    "starts_at": date.starts_at.replace(microsecond=0).isoformat(),
                    "seats_sold": date.sold,
                    "minimum": date.minimum,
                    "last_call": deadline.replace(microsecond=0).isoformat(),
                },
                dedupe_key=f"minimum_asked:{date.date_id}",
                partner_id=date.partner_id,
            )
    return True


# --- cancelling ----------------------------------------------------------------------------------


def _email_key(date_id: int, email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"minimum_offer:{int(date_id)}:{digest}"


def _waiting_people(conn: Connection, product_id: int) -> list[tuple[str, str, str]]:
    """(email, name, locale) of the course's waiting customers and open date requesters."""
    w, r = waitlist, date_requests
    people = list(
        conn.execute(
            select(w.c.email, w.c.customer_name, w.c.locale).where(
                w.c.product_id == int(product_id),
                w.c.converted_at.is_(None),
                w.c.unsubscribed_at.is_(None),
                w.c.expired_at.is_(None),
            )
        ).all()
    )
    people += conn.execute(
        select(r.c.email, r.c.customer_name, r.c.locale).where(
            r.c.product_id == int(product_id), r.c.status.in_([REQUEST_PENDING, REQUEST_PROPOSED])
        )
    ).all()
    return [(str(e), str(n), str(loc or "de")) for e, n, loc in people]


def _other_dates(db: Databases, date: _Date, now: datetime) -> list[dict[str, object]]:
    """The course's other future active dates with free seats, soonest first (at most 5)."""
    query = (
        select(D.c.date_id, D.c.starts_at, D.c.seats_total)
        .where(
            D.c.product_id == date.product_id,
            D.c.status == DATE_ACTIVE,
            D.c.starts_at > now,
            D.c.date_id != date.date_id,
        )
        .order_by(D.c.starts_at, D.c.date_id)
        .limit(200)
    )
    with db.magento.connect() as conn:
        rows = list(conn.execute(query))
        sold = {
            int(d): _count(n)
            for d, n in conn.execute(seats_sold_per_date([r.date_id for r in rows] or [-1]))
        }
    out = []
    for r in rows:
        free = int(r.seats_total) - sold.get(int(r.date_id), 0)
        if free > 0:
            out.append(
                {
                    "starts_at": r.starts_at.replace(microsecond=0).isoformat(),
                    "free": free,
                    "url": links.shop_date_url(date.product_id, int(r.date_id)),
                }
            )
    return out[:MAX_OFFERED]


def _offers(db: Databases, date: _Date, now: datetime) -> list[dict[str, object]]:
    """The offer mails of a cancelled date (none when the course has no other free date)."""
    others = _other_dates(db, date, now)
    if not others:
        return []
    course = _course_name(db, date.product_id)
    with db.portal.connect() as conn:
        people = _waiting_people(conn, date.product_id)
    messages: dict[str, dict[str, object]] = {}
    for email, name, locale in people:
        key = _email_key(date.date_id, email)
        messages.setdefault(
            key,
            {
                "channel": CHANNEL_EMAIL,
                "template": OFFER_TEMPLATE,
                "recipient": email,
                "recipient_name": name,
                "locale": locale,
                "payload": {
                    "customer_name": name or email,
                    "course": course or "",
                    "cancelled_starts_at": date.starts_at.replace(microsecond=0).isoformat(),
                    "dates": others,
                    "course_url": links.shop_course_url(date.product_id),
                },
                "dedupe_key": key,
                "partner_id": date.partner_id,
            },
        )
    return list(messages.values())


def _cancel(
    viewer: Viewer, db: Databases, date: _Date, *, now: datetime
) -> tuple[CancelResult, int] | None:
    """Cancel the date through the existing path, moving its check `asked` → `cancelled` in
    the same portal transaction; None if someone else moved it first."""
    offers = _offers(db, date, now)
    queued = [0]

    def within(pconn: Connection) -> None:
        moved = pconn.execute(
            update(C)
            .where(C.c.date_id == date.date_id, C.c.state == rule.ASKED)
            .values(
                state=rule.CANCELLED,
                seats_sold=date.sold,
                decided_at=now,
                decided_by=viewer.user_id,
                updated_at=now,
            )
        )
        if moved.rowcount != 1:
            raise _AlreadyDecided
        queued[0] = queue_many(pconn, offers)

    try:
        result = cancel_dates(
            viewer, db, partner_id=date.partner_id, date_ids=[date.date_id], confirm=True,
            reason=i18n.translate("minimums.cancel_reason", "de"), now=now, within=within,
        )  # fmt: skip
    except _AlreadyDecided:
        return None
    return result, queued[0]


# --- the partner's answer --------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    held: bool  # "Trotzdem durchführen"
    confirmed: int = 0  # bookings confirmed with it
    cancelled: bool = False
    messages: int = 0  # customer mails of the cancellation
    offers: int = 0


def _asked_date(viewer: Viewer, db: Databases, date_id: int) -> _Date:
    with db.portal.connect() as conn:
        row = (
            conn.execute(
                select(C).where(
                    C.c.date_id == int(date_id), scope.partner_filter(C.c.partner_id, viewer)
                )
            )
            .mappings()
            .first()
        )
    if row is None or int(row["product_id"]) not in scope.product_partner_map(viewer, db):
        raise ScopeError(NOT_FOUND)
    if row["state"] != rule.ASKED:
        raise InvalidInput("minimums.already_decided")
    with db.magento.connect() as conn:
        found = conn.execute(
            select(D.c.starts_at, D.c.status).where(D.c.date_id == int(date_id))
        ).first()
        sold = {int(d): _count(n) for d, n in conn.execute(seats_sold_per_date([int(date_id)]))}
    if found is None:
        raise ScopeError(NOT_FOUND)
    return _Date(
        date_id=int(date_id),
        product_id=int(row["product_id"]),
        partner_id=int(row["partner_id"]),
        starts_at=found.starts_at,
        status=found.status,
        sold=sold.get(int(date_id), 0),
        minimum=int(row["min_participants"]),
    )


@requires(DATES_WRITE)
def answer_question(
    viewer: Viewer,
    db: Databases,
    *,
    date_id: int,
    hold: bool,
    now: datetime | None = None,
) -> AnswerResult:
    """The partner's answer to "Mindestteilnehmerzahl nicht erreicht": hold the date anyway
    (`hold`, its bookings are confirmed) or cancel it now (customer mails, offers to waiting
    customers). Once per date: a second answer (or one after the last call) is refused."""
    viewer.require_writer()
    if viewer.sees_all:
        raise ScopeError("access.choose_partner")
    now = naive_utc(now) if now else now_utc()
    date = _asked_date(viewer, db, date_id)
    if date.starts_at <= now:
        raise InvalidInput("minimums.already_decided")
    if not hold:
        done = _cancel(viewer, db, date, now=now)
        if done is None:
            raise InvalidInput("minimums.already_decided")
        result, offers = done
        return AnswerResult(held=False, cancelled=True, messages=result.messages, offers=offers)
    with db.portal.begin() as conn:
        moved = conn.execute(
            update(C)
            .where(C.c.date_id == date.date_id, C.c.state == rule.ASKED)
            .values(
                state=rule.GO,
                seats_sold=date.sold,
                decided_at=now,
                decided_by=viewer.user_id,
                updated_at=now,
            )
        )
        if moved.rowcount != 1:
            raise InvalidInput("minimums.already_decided")
        audit.record(
            conn, viewer, action="minimum_held", entity="course_date", entity_id=date.date_id,
            partner_id=date.partner_id,
            details={"seats_sold": date.sold, "minimum": date.minimum}, now=now,
        )  # fmt: skip
    return AnswerResult(held=True, confirmed=_confirm(db, date, now))


# --- the job ---------------------------------------------------------------------------------


def _candidates(
    viewer: Viewer, db: Databases, now: datetime
) -> tuple[list[_Date], dict[int, tuple[str, datetime | None]], dict[int, MinimumSettings]]:
    """Dates starting within the longest check window, with their minimum (>0), the checks
    they have and each partner's settings."""
    owners = scope.product_partner_map(viewer, db)
    horizon = now + timedelta(days=rule.MAX_CHECK_DAYS)
    with db.magento.connect() as conn:
        rows = [
            r
            for r in conn.execute(
                select(D.c.date_id, D.c.product_id, D.c.series_id, D.c.starts_at, D.c.status)
                .where(D.c.starts_at > now, D.c.starts_at <= horizon)
                .where(D.c.status.in_([DATE_ACTIVE, DATE_CANCELLED]))
                .order_by(D.c.starts_at, D.c.date_id)
            )
            if int(r.product_id) in owners
        ]
    with db.portal.connect() as pconn:
        minimums = store.effective(pconn, {int(r.date_id): r.series_id for r in rows})
        rows = [r for r in rows if minimums.get(int(r.date_id), 0) > 0]
        checks: dict[int, tuple[str, datetime | None]] = {}
        for chunk in chunks([int(r.date_id) for r in rows], 1000):
            found = pconn.execute(
                select(C.c.date_id, C.c.state, C.c.last_call_at).where(C.c.date_id.in_(chunk))
            )
            checks.update((int(d), (s, at)) for d, s, at in found)
        settings = _settings_of(pconn, sorted(set(owners.values())))
    sold: dict[int, int] = {}
    with db.magento.connect() as conn:
        for chunk in chunks([int(r.date_id) for r in rows], 1000):
            sold.update((int(d), _count(n)) for d, n in conn.execute(seats_sold_per_date(chunk)))
    dates = [
        _Date(
            date_id=int(r.date_id),
            product_id=int(r.product_id),
            partner_id=owners[int(r.product_id)],
            starts_at=r.starts_at,
            status=r.status,
            sold=sold.get(int(r.date_id), 0),
            minimum=minimums[int(r.date_id)],
        )
        for r in rows
    ]
    return dates, checks, settings


def _step(
    viewer: Viewer,
    db: Databases,
    date: _Date,
    check: tuple[str, datetime | None] | None,
    settings: MinimumSettings,
    now: datetime,
    tally: _Tally,
) -> None:
    state, last_call_at = check if check else (None, None)
    if date.status == DATE_CANCELLED:
        # Cancelled in the shop while still asked: a cancel whose portal commit was lost
        # (or a manual cancel): complete it, every mail once.
        step = rule.Step.CANCEL if state == rule.ASKED else rule.Step.WAIT
    else:
        facts = rule.DateCheck(date.minimum, date.sold, date.starts_at, state, last_call_at)
        step = rule.next_step(facts, now, check_days=settings.check_days)
    if step == rule.Step.CONFIRM:
        if state in (None, rule.ASKED) and _mark_reached(db, date, now):
            tally.reached += 1
        tally.confirmed += _confirm(db, date, now)
    elif step == rule.Step.ASK:
        tally.asked += int(_ask(db, date, settings, now))
    elif step == rule.Step.CANCEL:
        done = _cancel(viewer, db, date, now=now)
        if done is not None:
            tally.cancelled += 1
            tally.offers += done[1]


@requires(DATES_WRITE)
def check_minimums(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> CheckResult:
    """The job: each date with a minimum that starts within its partner's check window is
    confirmed, asked about or cancelled (core.minimum_rule); each step exactly once."""
    viewer.require_system()
    now = naive_utc(now) if now else now_utc()
    dates, checks, settings = _candidates(viewer, db, now)
    tally = _Tally()
    for date in dates:
        tally.dates.add(date.date_id)
        try:
            _step(
                viewer,
                db,
                date,
                checks.get(date.date_id),
                settings.get(date.partner_id, MinimumSettings()),
                now,
                tally,
            )
        except (InvalidInput, ScopeError) as exc:  # one date's refusal must not stop the rest
            log.warning("minimum check of date %s refused: %s", date.date_id, exc.key)
    return CheckResult(
        dates=len(tally.dates),
        reached=tally.reached,
        confirmed=tally.confirmed,
        asked=tally.asked,
        cancelled=tally.cancelled,
        offers=tally.offers,
    )


@requires(DATES_READ)
def pending_checks(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """How many dates with a minimum the next run looks at (the job's dry run)."""
    viewer.require_system()
    now = naive_utc(now) if now else now_utc()
    return len(_candidates(viewer, db, now)[0])
