"""Terminanfragen: customers ask for an extra date of a course; the partner answers.

A request names a course, a Berlin day and time of day, who asks (name, email, locale) and for
how many. It comes in through `create_request` (the portal's phone form today; the public
widget later calls the same function) and is refused at entry, with a German reason and
nothing stored, when it breaks the general checks (past day, more than 18 months ahead, 0 or
too many people, a bad address, an over-long message, a course that is not the viewer's) or
the partner's rules (`get_rules`/`save_rules`: weekdays, time window, group size, lead time).
The same email asking again for the same course and day updates the open request (merged,
never doubled; the unique key makes that hold under concurrency too).

The partner sees the open requests grouped by course and day (`open_groups`) with the
working days left, and answers:

- `accept_requests`: every open request of that course and day is accepted; the date is
  created through the Termine data functions (`data.dates.course_dates.create_date`) or an
  existing active date of the course is linked. Every requester gets `date_request_accepted`.
- `propose_date`: another date (created or existing) is proposed; each customer gets
  `date_request_proposed` with a single-use link (`core.links.date_proposal_url`; only the
  token's SHA-256 is kept). `accept_proposal(token)` — no viewer: the link is the credential —
  accepts it.
- `reject_requests`: with a reason, `date_request_rejected`.
- `expire_overdue` (the `expire-date-requests` job): requests still open after the 5th German
  working day are closed with a polite `date_request_expired`.

Status moves only along `TRANSITIONS` (pending → accepted / proposed / rejected / expired,
proposed → accepted); an update names the states it may start from, so a second tab, a double
click or two jobs at once change a request once and never back. Each answer's mails are queued
in the transaction that moves the status (dedupe key per template and request).

Accepting or proposing a new date writes the shop first (as the Termine form does) and then
the portal; if the requests were answered in between, the new date stays and the answer is
refused — the date is then in the partner's Termine like any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import links, periods
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.i18n import normalize_locale
from core.recurrence import to_utc
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import WAITLIST_READ, WAITLIST_WRITE, requires
from data.access.sessions import new_token
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import queue_many, queue_message
from data.dates import course_dates
from data.demand._request_rules import (
    ANSWER_WORKDAYS,
    DEFAULT_RULES,
    RequestRules,
    Wish,
    add_workdays,
    check_against,
    check_note,
    check_rules,
    check_wish,
    workdays_left,
)
from data.integrations import webhooks
from data.ops import audit
from data.portal_schema import (
    CHANNEL_EMAIL,
    REQUEST_ACCEPTED,
    REQUEST_EXPIRED,
    REQUEST_PENDING,
    REQUEST_PROPOSED,
    REQUEST_REJECTED,
    date_request_rules,
    date_requests,
)
from data.shop.catalog import product_names
from data.shop.schema import DATE_ACTIVE, miomente_course_date

NOT_FOUND = "date_requests.not_found"
ENTITY = "date_request"
STATUSES = (REQUEST_PENDING, REQUEST_ACCEPTED, REQUEST_PROPOSED, REQUEST_REJECTED, REQUEST_EXPIRED)
# The only moves there are; everything else (and every move back) is refused.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    REQUEST_PENDING: frozenset(
        {REQUEST_ACCEPTED, REQUEST_PROPOSED, REQUEST_REJECTED, REQUEST_EXPIRED}
    ),
    REQUEST_PROPOSED: frozenset({REQUEST_ACCEPTED}),
    REQUEST_ACCEPTED: frozenset(),
    REQUEST_REJECTED: frozenset(),
    REQUEST_EXPIRED: frozenset(),
}
SOURCES = ("portal", "phone", "widget", "shop")
LIST_LIMIT = 2000
EXPIRE_BATCH = 200
LIST_COLUMNS = [
    "request_id",
    "partner_id",
    "product_id",
    "course",
    "requested_day",
    "requested_time",
    "customer_name",
    "email",
    "phone",
    "participants",
    "message",
    "locale",
    "source",
    "status",
    "created_at",
    "answer_due_on",
    "workdays_left",
    "decided_at",
    "decision_note",
    "proposed_starts_at",
    "created_date_id",
]
GROUP_COLUMNS = [
    "product_id",
    "course",
    "partner_id",
    "requested_day",
    "times",
    "requests",
    "people",
    "workdays_left",
    "request_ids",
]


@dataclass(frozen=True)
class RequestSaved:
    request_id: int
    merged: bool  # the same email's open request for that course and day was updated


@dataclass(frozen=True)
class NewDate:
    """A date to create for an answer (Berlin wall-clock or aware times)."""

    starts_at: datetime
    ends_at: datetime
    seats: int
    price: Decimal | str


@dataclass(frozen=True)
class Answered:
    requests: int  # requests moved
    messages: int  # mails queued
    date_id: int | None = None  # the created or linked date


@dataclass(frozen=True)
class Expired:
    expired: int
    messages: int


# --- helpers -----------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return (naive_utc(now) if now else now_utc()).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _requested_at(row: Mapping) -> datetime:
    return to_utc(datetime.combine(row["requested_day"], row["requested_time"]))


def _partner_of(viewer: Viewer, partner_id: int | None) -> int:
    """The partner whose rules are meant: a partner's own; staff's chosen or viewed-as one."""
    if not viewer.sees_all:
        if partner_id is not None and int(partner_id) != viewer.partner_id:
            raise ScopeError(NOT_FOUND)
        return int(viewer.partner_id or 0)
    if partner_id is None:
        raise ScopeError("date_requests.choose_partner")
    return int(partner_id)


def _read_rules(conn: Connection, partner_id: int) -> RequestRules:
    r = date_request_rules
    row = conn.execute(select(r).where(r.c.partner_id == partner_id)).mappings().first()
    if row is None:
        return DEFAULT_RULES
    return RequestRules(
        weekdays=tuple(d for d in str(row["weekdays"]).split(",") if d),
        earliest=row["earliest"],
        latest=row["latest"],
        min_participants=int(row["min_participants"]),
        max_participants=int(row["max_participants"]),
        lead_days=int(row["lead_days"]),
    )


def _course_names(db: Databases, product_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted({int(p) for p in product_ids})
    if not ids:
        return {}
    names = product_names().subquery()
    with db.magento_read.connect() as conn:
        rows = conn.execute(
            select(names.c.entity_id, names.c.name).where(names.c.entity_id.in_(ids))
        )
        return {int(pid): str(name) for pid, name in rows}


def _load(conn: Connection, viewer: Viewer, request_ids: Sequence[int]) -> list[RowMapping]:
    """The viewer's requests with these ids; ScopeError when one is missing or foreign."""
    ids = sorted({int(i) for i in request_ids})
    r = date_requests
    rows = (
        conn.execute(
            select(r)
            .where(r.c.request_id.in_(ids), scope.partner_filter(r.c.partner_id, viewer))
            .order_by(r.c.request_id)
        )
        .mappings()
        .all()
        if ids
        else []
    )
    if not ids or len(rows) != len(ids):
        raise ScopeError(NOT_FOUND)
    return list(rows)


def _require(rows: Sequence[RowMapping], to: str, *, one_group: bool) -> None:
    """The partner answers open requests only (proposed → accepted is the customer's move)."""
    if any(row["status"] != REQUEST_PENDING for row in rows):
        raise InvalidInput("date_requests.already_answered")
    groups = {(int(row["product_id"]), row["requested_day"]) for row in rows}
    if one_group and len(groups) != 1:
        raise InvalidInput("date_requests.one_group")


def _move(
    conn: Connection,
    ids: Sequence[int],
    to: str,
    *,
    now: datetime,
    source: str = REQUEST_PENDING,
    **values: object,
) -> None:
    """Move these requests from `source` to `to` (a move TRANSITIONS allows); all or none:
    one that moved meanwhile raises, which rolls the caller's transaction back."""
    if to not in TRANSITIONS[source]:
        raise InvalidInput("date_requests.already_answered")
    r = date_requests
    result = conn.execute(
        update(r)
        .where(r.c.request_id.in_(list(ids)), r.c.status == source)
        .values(status=to, updated_at=now, **values)
    )
    if not ids or result.rowcount != len(ids):
        raise InvalidInput("date_requests.already_answered")


def _message(row: Mapping, template: str, payload: Mapping[str, object]) -> dict[str, object]:
    """The outbox row for one requester (queue_message's keywords)."""
    full = {"customer_name": row["customer_name"], **payload}
    return {
        "channel": CHANNEL_EMAIL,
        "template": template,
        "recipient": str(row["email"]),
        "recipient_name": str(row["customer_name"]),
        "locale": normalize_locale(row["locale"]),
        "payload": {k: v for k, v in full.items() if v is not None},
        "dedupe_key": f"{template}:{row['request_id']}",
        "partner_id": int(row["partner_id"]),
    }


def _mail(conn: Connection, row: Mapping, template: str, payload: Mapping[str, object]) -> int:
    return int(queue_message(conn, **_message(row, template, payload)))  # type: ignore[arg-type]


def _record(
    conn: Connection,
    actor: Viewer | None,
    action: str,
    rows: Sequence[Mapping],
    *,
    now: datetime,
    **details: object,
) -> None:
    audit.record_many(
        conn,
        actor,
        [
            audit.Entry(action, ENTITY, int(row["request_id"]), int(row["partner_id"]), details)
            for row in rows
        ],
        now=now,
    )


# --- rules -------------------------------------------------------------------------------------


@requires(WAITLIST_READ)
def get_rules(viewer: Viewer, db: Databases, *, partner_id: int | None = None) -> RequestRules:
    """The partner's rules for date requests (the defaults until it saves its own)."""
    pid = _partner_of(viewer, partner_id)
    with db.portal.connect() as conn:
        return _read_rules(conn, pid)


@requires(WAITLIST_WRITE)
def save_rules(
    viewer: Viewer,
    db: Databases,
    *,
    rules: RequestRules,
    partner_id: int | None = None,
    now: datetime | None = None,
) -> RequestRules:
    """Save the partner's rules; they apply to requests that come in from now on."""
    pid, now = _partner_of(viewer, partner_id), _now(now)
    clean = check_rules(rules)
    values = {**asdict(clean), "weekdays": ",".join(clean.weekdays)}
    values.update(updated_by=viewer.user_id, updated_at=now)
    r = date_request_rules
    with db.portal.begin() as conn:
        changed = conn.execute(update(r).where(r.c.partner_id == pid).values(**values)).rowcount
        if not changed:
            conn.execute(insert(r).values(partner_id=pid, **values))
        audit.record(
            conn,
            viewer,
            action="date_request_rules_saved",
            entity="date_request_rules",
            entity_id=pid,
            partner_id=pid,
            details={
                "weekdays": values["weekdays"],
                "earliest": str(clean.earliest),
                "latest": str(clean.latest),
                "participants": [clean.min_participants, clean.max_participants],
                "lead_days": clean.lead_days,
            },
            now=now,
        )
    return clean


# --- a request comes in ------------------------------------------------------------------------


@requires(WAITLIST_WRITE)
def create_request(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    day: date,
    start: time,
    name: str,
    email: str,
    participants: int,
    message: str | None = None,
    phone: str | None = None,
    locale: str = "de",
    source: str = "portal",
    now: datetime | None = None,
) -> RequestSaved:
    """Take a customer's request for one of the viewer's courses, or refuse it (InvalidInput
    with a German reason; nothing stored). Unknown and other partners' courses read alike."""
    now = _now(now)
    today = periods.berlin_today(now)
    wish = check_wish(
        day=day,
        start=start,
        name=name,
        email=email,
        participants=participants,
        message=message,
        phone=phone,
        locale=normalize_locale(locale),
        today=today,
    )
    try:
        course = int(product_id)
    except (TypeError, ValueError):
        course = 0
    partner_id = scope.product_partner_map(viewer, db).get(course)
    if partner_id is None:
        raise InvalidInput("date_requests.unknown_course")
    with db.portal.connect() as conn:
        check_against(_read_rules(conn, partner_id), wish, today=today)
    kind = source if source in SOURCES else "portal"
    for attempt in (1, 2):
        try:
            with db.portal.begin() as conn:
                return _store(conn, viewer, partner_id, course, wish, source=kind, now=now)
        except IntegrityError:  # the same wish arrived at the same moment: merge into it
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _store(
    conn: Connection,
    viewer: Viewer,
    partner_id: int,
    product_id: int,
    wish: Wish,
    *,
    source: str,
    now: datetime,
) -> RequestSaved:
    r = date_requests
    values = {
        "requested_time": wish.start,
        "customer_name": wish.name,
        "phone": wish.phone,
        "participants": wish.participants,
        "message": wish.message,
        "locale": wish.locale,
        "updated_at": now,
    }
    same = and_(
        r.c.product_id == product_id, r.c.requested_day == wish.day, r.c.email == wish.email
    )
    existing = conn.execute(select(r.c.request_id, r.c.status).where(same)).first()
    if existing is not None:
        if existing.status != REQUEST_PENDING:
            raise InvalidInput("date_requests.already_answered_wish")
        conn.execute(update(r).where(r.c.request_id == existing.request_id).values(**values))
        request_id, merged = int(existing.request_id), True
    else:
        result = conn.execute(
            insert(r).values(
                partner_id=partner_id,
                product_id=product_id,
                requested_day=wish.day,
                email=wish.email,
                source=source,
                status=REQUEST_PENDING,
                answer_due_on=add_workdays(periods.berlin_today(now), ANSWER_WORKDAYS),
                created_at=now,
                **values,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        request_id, merged = int(key[0]), False
    action = "date_request_merged" if merged else "date_request_created"
    audit.record(
        conn, viewer, action=action, entity=ENTITY, entity_id=request_id, partner_id=partner_id,
        details={"product_id": product_id, "day": wish.day.isoformat()}, now=now,
    )  # fmt: skip
    webhooks.emit_event(
        conn, partner_id=partner_id, event_type="date_request.created",
        dedupe_key=f"date_request.created:{request_id}", now=now,
        data={"request": {"request_id": request_id, "day": wish.day.isoformat(),
              "participants": wish.participants}, "course": {"product_id": product_id},
              "customer": {"name": wish.name, "email": wish.email}},
    )  # fmt: skip
    return RequestSaved(request_id=int(request_id), merged=merged)


# --- reading -----------------------------------------------------------------------------------


def _listed(
    viewer: Viewer, db: Databases, *, status: str | None, limit: int, now: datetime | None
) -> list[dict]:
    if status is not None and status not in STATUSES:
        raise InvalidInput("date_requests.status_invalid")
    today = periods.berlin_today(_now(now))
    r = date_requests
    query = select(*(r.c[c] for c in LIST_COLUMNS if c in r.c)).where(
        scope.partner_filter(r.c.partner_id, viewer)
    )
    if status is not None:
        query = query.where(r.c.status == status)
    query = query.order_by(r.c.requested_day, r.c.product_id, r.c.created_at, r.c.request_id)
    with db.portal.connect() as conn:
        rows = [dict(row) for row in conn.execute(query.limit(max(1, min(int(limit), LIST_LIMIT))))
                .mappings()]  # fmt: skip
    names = _course_names(db, (row["product_id"] for row in rows))
    left = {due: workdays_left(today, due) for due in {row["answer_due_on"] for row in rows}}
    for row in rows:
        row["course"] = names.get(int(row["product_id"]), f"#{row['product_id']}")
        row["workdays_left"] = left[row["answer_due_on"]] if row["status"] == REQUEST_PENDING else 0
    return rows


@requires(WAITLIST_READ)
def list_requests(
    viewer: Viewer,
    db: Databases,
    *,
    status: str | None = None,
    limit: int = LIST_LIMIT,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The viewer's requests (one status or all), by requested day, with the working days left
    to answer the open ones."""
    rows = _listed(viewer, db, status=status, limit=limit, now=now)
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


@requires(WAITLIST_READ)
def open_requests(viewer: Viewer, db: Databases) -> int:
    """How many requests wait for the viewer's answer (the menu's count)."""
    r = date_requests
    with db.portal.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                scope.partner_filter(r.c.partner_id, viewer), r.c.status == REQUEST_PENDING
            )
        ).scalar()
    return int(count or 0)


@requires(WAITLIST_READ)
def open_groups(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> pd.DataFrame:
    """Open requests grouped by course and requested day: how many requests and people, the
    requested times, the fewest working days left, and the request ids (for the answers)."""
    groups: dict[tuple[int, date], dict] = {}
    for row in _listed(viewer, db, status=REQUEST_PENDING, limit=LIST_LIMIT, now=now):
        key = (int(row["product_id"]), row["requested_day"])
        group = groups.setdefault(
            key,
            {
                "product_id": key[0],
                "course": row["course"],
                "partner_id": int(row["partner_id"]),
                "requested_day": key[1],
                "times": set(),
                "requests": 0,
                "people": 0,
                "workdays_left": int(row["workdays_left"]),
                "request_ids": [],
            },
        )
        group["times"].add(row["requested_time"].strftime("%H:%M"))
        group["requests"] += 1
        group["people"] += int(row["participants"])
        group["workdays_left"] = min(group["workdays_left"], int(row["workdays_left"]))
        group["request_ids"].append(int(row["request_id"]))
    out = [{**g, "times": sorted(g["times"])} for g in groups.values()]
    out.sort(key=lambda g: (g["workdays_left"], g["requested_day"], g["course"]))
    return pd.DataFrame(out, columns=GROUP_COLUMNS)


# --- answers -----------------------------------------------------------------------------------


def _date_for(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    date_id: int | None,
    new_date: NewDate | None,
    now: datetime,
) -> tuple[int, datetime]:
    """An existing active future date of the course, or a new one made through Termine."""
    if date_id is not None:
        found = course_dates.get_date(viewer, db, date_id=int(date_id))
        fits = found.product_id == product_id and found.status == DATE_ACTIVE
        if not fits or found.starts_at <= now:
            raise InvalidInput("date_requests.date_unfit")
        return found.date_id, found.starts_at
    if new_date is None:
        raise InvalidInput("date_requests.date_missing")
    saved = course_dates.create_date(
        viewer,
        db,
        product_id=product_id,
        starts_at=new_date.starts_at,
        ends_at=new_date.ends_at,
        seats=new_date.seats,
        price=new_date.price,
        now=now,
    )
    return saved.date_id, to_utc(new_date.starts_at)


def _group(conn: Connection, viewer: Viewer, row: RowMapping) -> list[RowMapping]:
    """Every open request of the row's course and day (in the viewer's scope)."""
    r = date_requests
    query = select(r).where(
        r.c.product_id == row["product_id"],
        r.c.requested_day == row["requested_day"],
        r.c.status == REQUEST_PENDING,
        scope.partner_filter(r.c.partner_id, viewer),
    )
    return list(conn.execute(query.order_by(r.c.request_id)).mappings().all())


@requires(WAITLIST_WRITE)
def accept_requests(
    viewer: Viewer,
    db: Databases,
    *,
    request_ids: Sequence[int],
    date_id: int | None = None,
    new_date: NewDate | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Answered:
    """Accept the requests' course and day: every open request of it, with a new date or an
    existing one; each requester is told and gets the link to book it."""
    now, note = _now(now), check_note(note, required=False)
    with db.portal.connect() as conn:
        chosen = _load(conn, viewer, request_ids)
        _require(chosen, REQUEST_ACCEPTED, one_group=True)
        rows = _group(conn, viewer, chosen[0])
    if not {int(r["request_id"]) for r in chosen} <= {int(r["request_id"]) for r in rows}:
        raise InvalidInput("date_requests.already_answered")  # answered since they were read
    product_id = int(chosen[0]["product_id"])
    target, starts = _date_for(
        viewer, db, product_id=product_id, date_id=date_id, new_date=new_date, now=now
    )
    course = _course_names(db, [product_id]).get(product_id, "")
    payload = {
        "course": course,
        "starts_at": _iso(starts),
        "booking_url": links.shop_date_url(product_id, target),
        "partner_message": note,
    }
    with db.portal.begin() as conn:
        _move(
            conn, [int(r["request_id"]) for r in rows], REQUEST_ACCEPTED, now=now,
            decided_at=now, decided_by=viewer.user_id, decision_note=note, created_date_id=target,
        )  # fmt: skip
        sent = queue_many(conn, [_message(row, "date_request_accepted", payload) for row in rows])
        _record(conn, viewer, "date_request_accepted", rows, now=now, date_id=target)
    return Answered(requests=len(rows), messages=sent, date_id=target)


@requires(WAITLIST_WRITE)
def propose_date(
    viewer: Viewer,
    db: Databases,
    *,
    request_ids: Sequence[int],
    date_id: int | None = None,
    new_date: NewDate | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Answered:
    """Propose another date (new or existing) to these requests of one course and day; each
    customer gets a link to take it."""
    now, note = _now(now), check_note(note, required=False)
    with db.portal.connect() as conn:
        rows = _load(conn, viewer, request_ids)
    _require(rows, REQUEST_PROPOSED, one_group=True)
    product_id = int(rows[0]["product_id"])
    target, starts = _date_for(
        viewer, db, product_id=product_id, date_id=date_id, new_date=new_date, now=now
    )
    course = _course_names(db, [product_id]).get(product_id, "")
    sent = 0
    with db.portal.begin() as conn:
        for row in rows:
            token = new_token()
            _move(
                conn, [int(row["request_id"])], REQUEST_PROPOSED, now=now, decided_at=now,
                decided_by=viewer.user_id, decision_note=note, proposed_date_id=target,
                proposed_starts_at=starts, proposal_token_hash=_hash(token),
            )  # fmt: skip
            sent += _mail(
                conn,
                row,
                "date_request_proposed",
                {
                    "course": course,
                    "requested_at": _iso(_requested_at(row)),
                    "starts_at": _iso(starts),
                    "accept_url": links.date_proposal_url(token),
                    "partner_message": note,
                },
            )
        _record(conn, viewer, "date_request_proposed", rows, now=now, date_id=target)
    return Answered(requests=len(rows), messages=sent, date_id=target)


@requires(WAITLIST_WRITE)
def reject_requests(
    viewer: Viewer,
    db: Databases,
    *,
    request_ids: Sequence[int],
    reason: str,
    now: datetime | None = None,
) -> Answered:
    """Reject these open requests with a reason the customers read."""
    now, note = _now(now), check_note(reason, required=True)
    with db.portal.connect() as conn:
        rows = _load(conn, viewer, request_ids)
    _require(rows, REQUEST_REJECTED, one_group=False)
    names = _course_names(db, (row["product_id"] for row in rows))
    with db.portal.begin() as conn:
        _move(
            conn, [int(r["request_id"]) for r in rows], REQUEST_REJECTED, now=now,
            decided_at=now, decided_by=viewer.user_id, decision_note=note,
        )  # fmt: skip
        sent = queue_many(
            conn,
            [
                _message(row, "date_request_rejected", _closing(row, names) | {"reason": note})
                for row in rows
            ],
        )
        _record(conn, viewer, "date_request_rejected", rows, now=now)
    return Answered(requests=len(rows), messages=sent)


def _closing(row: Mapping, names: Mapping[int, str]) -> dict[str, object]:
    product_id = int(row["product_id"])
    return {
        "course": names.get(product_id, ""),
        "requested_at": _iso(_requested_at(row)),
        "course_url": links.shop_course_url(product_id),
    }


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Proposal:
    """What a customer's proposal link shows: the course and the proposed start (UTC)."""

    product_id: int
    course: str
    starts_at: datetime
    locale: str


def _proposed_row(db: Databases, token: str) -> RowMapping | None:
    if not isinstance(token, str) or not token or len(token) > 100 or not token.isascii():
        return None
    r = date_requests
    with db.portal.connect() as conn:
        return (
            conn.execute(select(r).where(r.c.proposal_token_hash == _hash(token)))
            .mappings()
            .first()
        )


def proposal_of(db: Databases, *, token: str, now: datetime | None = None) -> Proposal:
    """The open proposal of a customer's link (no login: the token is the credential), for
    the page that asks them to take it. InvalidInput when the link is unknown, used, or its
    date is gone, the same refusals as `accept_proposal`."""
    row = _proposed_row(db, token)
    if row is None or row["status"] != REQUEST_PROPOSED:
        raise InvalidInput("date_requests.link_invalid")
    if not _proposal_live(db, row, _now(now)):
        raise InvalidInput("date_requests.proposal_gone")
    product_id = int(row["product_id"])
    return Proposal(
        product_id=product_id,
        course=_course_names(db, [product_id]).get(product_id, ""),
        starts_at=row["proposed_starts_at"],
        locale=normalize_locale(row["locale"]),
    )


def _proposal_live(db: Databases, row: Mapping, now: datetime) -> bool:
    d = miomente_course_date
    with db.magento.connect() as mconn:
        live = mconn.execute(
            select(d.c.date_id).where(
                d.c.date_id == row["proposed_date_id"],
                d.c.status == DATE_ACTIVE,
                d.c.starts_at > now,
            )
        ).first()
    return live is not None


def accept_proposal(db: Databases, *, token: str, now: datetime | None = None) -> Answered:
    """The customer takes the proposed date through the mail's link (no login: the token is
    the credential). InvalidInput when the link is unknown, used, or its date is gone."""
    now = _now(now)
    row = _proposed_row(db, token)
    if row is None or row["status"] != REQUEST_PROPOSED:
        raise InvalidInput("date_requests.link_invalid")
    if not _proposal_live(db, row, now):
        raise InvalidInput("date_requests.proposal_gone")
    product_id, target = int(row["product_id"]), int(row["proposed_date_id"])
    course = _course_names(db, [product_id]).get(product_id, "")
    with db.portal.begin() as conn:
        _move(
            conn, [int(row["request_id"])], REQUEST_ACCEPTED, now=now, source=REQUEST_PROPOSED,
            created_date_id=target,
        )  # fmt: skip
        sent = _mail(
            conn,
            row,
            "date_request_accepted",
            {
                "course": course,
                "starts_at": _iso(row["proposed_starts_at"]),
                "booking_url": links.shop_date_url(product_id, target),
            },
        )
        _record(conn, None, "date_request_proposal_taken", [row], now=now, date_id=target)
    return Answered(requests=1, messages=sent, date_id=target)


# --- expiry ------------------------------------------------------------------------------------


@requires(WAITLIST_WRITE)
def expire_overdue(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> Expired:
    """Close every request still open after its answer day (or whose day has come) with a
    polite mail. System work (the job); idempotent, and two runs at once close each once."""
    viewer.require_system()
    now = _now(now)
    today = periods.berlin_today(now)
    r = date_requests
    overdue = or_(r.c.answer_due_on < today, r.c.requested_day <= today)
    with db.portal.connect() as conn:
        rows = list(
            conn.execute(
                select(r).where(r.c.status == REQUEST_PENDING, overdue).order_by(r.c.request_id)
            )
            .mappings()
            .all()
        )
    names = _course_names(db, (row["product_id"] for row in rows))
    expired = sent = 0
    for start in range(0, len(rows), EXPIRE_BATCH):
        batch = {int(row["request_id"]): row for row in rows[start : start + EXPIRE_BATCH]}
        with db.portal.begin() as conn:
            # RETURNING names the rows this run moved: one answered or expired by someone else
            # meanwhile is not among them (PostgreSQL re-checks the status after the lock).
            moved = [
                batch[int(i)]
                for i in conn.execute(
                    update(r)
                    .where(r.c.request_id.in_(list(batch)), r.c.status == REQUEST_PENDING)
                    .values(status=REQUEST_EXPIRED, updated_at=now, decided_at=now)
                    .returning(r.c.request_id)
                ).scalars()
            ]
            mails = [_message(row, "date_request_expired", _closing(row, names)) for row in moved]
            sent += queue_many(conn, mails)
            _record(conn, viewer, "date_request_expired", moved, now=now)
            expired += len(moved)
    return Expired(expired=expired, messages=sent)
