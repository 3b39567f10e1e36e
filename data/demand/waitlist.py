"""Warteliste: customers waiting for a course (one date or any date), turned into bookings.

Entering: `add_entry` (staff's phone sign-up on the page; the public sign-up of the widget and
the shop calls the same function). Bad input is refused with a locale key and nothing is
stored; the same email for the same course and date again merges into the one entry (name,
phone, seats updated; an entry that had left the list waits again from now). Dates of the
course that have free seats at sign-up are recorded as `known` notices: the customer saw
them, so only a new date or seats freed later are news.

Reading: `waiting_courses` (people, seats, oldest entry, possible revenue at the course's price,
conversion rate), `waiting_dates` (the same per date, 0 = any date), `list_entries` (the
people, oldest first), `waiting_people` (the menu's count).

Notifying: `notify_waiting` (the `notify-waitlist` job, data/demand/_notices.py) tells waiting
customers of dates with free seats, once per entry and date; `mark_conversions` marks entries
whose email booked the course since, `expire_entries` ends entries after the partner's time.
Settings per partner: `waitlist_settings`, `save_settings` (mode *alle benachrichtigen* or *der
Reihe nach*, hours before the next ones are told, months until an entry expires).

Leaving: every notice carries `core.links.waitlist_unsubscribe_url` with a signed token
(`unsubscribe_token`); `unsubscribe` needs no login, the token is the credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import ColumnElement, Connection, case, func, select, update

from core import signing
from core.clock import now_utc
from core.db import Databases
from core.money import ratio, to_money
from core.sql import insert_ignore
from core.validation import InvalidInput, is_email, normalize_phone
from data.access import scope
from data.access.permissions import WAITLIST_READ, WAITLIST_WRITE, requires
from data.access.viewer import Viewer
from data.demand import _notices
from data.demand._notices import DEFAULTS, NotifyResult, WaitlistSettings, active
from data.integrations import webhooks
from data.ops import audit
from data.portal_schema import (
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    BOOKING_NEW,
    WAITLIST_ALL,
    WAITLIST_QUEUE,
    WAITLIST_SOURCES,
    bookings,
    courses,
    waitlist,
)
from data.portal_schema import (
    waitlist_settings as settings_table,
)
from data.shop.schema import DATE_ACTIVE, miomente_course_date

__all__ = ["DEFAULTS", "NotifyResult", "WaitlistSettings"]

ANY_DATE = 0
MAX_SEATS = 50
MAX_NAME = 200
MAX_NOTE = 500
MAX_WAIT_HOURS, MAX_EXPIRY_MONTHS = 168, 24
COUNTED = (BOOKING_NEW, BOOKING_CONFIRMED, BOOKING_COMPLETED)
COURSE_COLUMNS = [
    "product_id",
    "course",
    "people",
    "seats",
    "oldest_at",
    "price",
    "possible_revenue",
    "entries",
    "converted",
    "conversion_rate",
]
DATE_COLUMNS = ["product_id", "date_id", "starts_at", "people", "seats", "oldest_at"]
ENTRY_COLUMNS = [
    "entry_id",
    "product_id",
    "date_id",
    "customer_name",
    "email",
    "phone",
    "seats",
    "source",
    "note",
    "created_at",
    "notified_at",
    "status",
]


@dataclass(frozen=True)
class EntryAdded:
    entry_id: int
    merged: bool  # the same email already waited for this course and date


@dataclass(frozen=True)
class Unsubscribed:
    entry_id: int
    course: str | None
    already: bool  # the entry had left the list before


# --- entering ------------------------------------------------------------------------------------


def _clean_text(value: str | None, *, limit: int, key: str) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise InvalidInput(key, max=limit)
    return text or None


def _checked(
    *,
    customer_name: str,
    email: str,
    seats: int,
    phone: str | None,
    source: str,
    consent: bool,
    note: str | None,
) -> dict[str, object]:
    """The entry's own values, checked; InvalidInput with a locale key otherwise."""
    name = _clean_text(customer_name, limit=MAX_NAME, key="waitlist.name_too_long")
    if name is None:
        raise InvalidInput("waitlist.name_missing")
    address = (email or "").strip().lower()
    if not is_email(address):
        raise InvalidInput("waitlist.email_invalid", email=address[:60])
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= MAX_SEATS:
        raise InvalidInput("waitlist.seats_invalid", max=MAX_SEATS)
    if source not in WAITLIST_SOURCES:
        raise InvalidInput("waitlist.source_invalid")
    if not consent:
        raise InvalidInput("waitlist.consent_missing")
    return {
        "customer_name": name,
        "email": address,
        "seats": seats,
        "phone": normalize_phone(phone) if phone and phone.strip() else None,
        "source": source,
        "note": _clean_text(note, limit=MAX_NOTE, key="waitlist.note_too_long"),
    }


def _owner(viewer: Viewer, db: Databases, product_id: int) -> int:
    """The partner of one of the viewer's courses; an unknown or another partner's course is
    refused alike."""
    with db.portal.connect() as conn:
        partner_id = conn.execute(
            select(courses.c.partner_id).where(
                courses.c.product_id == int(product_id),
                scope.partner_filter(courses.c.partner_id, viewer),
            )
        ).scalar()
    if partner_id is None:
        raise InvalidInput("waitlist.unknown_course")
    return int(partner_id)


def _check_date(db: Databases, *, product_id: int, date_id: int, now: datetime) -> None:
    d = miomente_course_date
    with db.magento.connect() as conn:
        row = conn.execute(
            select(d.c.starts_at, d.c.status).where(
                d.c.date_id == int(date_id), d.c.product_id == int(product_id)
            )
        ).first()
    if row is None:
        raise InvalidInput("waitlist.unknown_date")
    if row.starts_at <= now or row.status != DATE_ACTIVE:
        raise InvalidInput("waitlist.date_past")


def _existing(conn: Connection, product_id: int, date_id: int, email: str):
    return conn.execute(
        select(waitlist.c.entry_id, *_notices.STATE).where(
            waitlist.c.product_id == product_id,
            waitlist.c.date_id == date_id,
            waitlist.c.email == email,
        )
    ).first()


@requires(WAITLIST_WRITE)
def add_entry(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    customer_name: str,
    email: str,
    seats: int = 1,
    date_id: int | None = None,
    phone: str | None = None,
    locale: str = "de",
    source: str = "phone",
    consent: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> EntryAdded:
    """Put a customer on the waitlist of one of the viewer's courses (one date or any date)."""
    now = now or now_utc()
    values = _checked(
        customer_name=customer_name,
        email=email,
        seats=seats,
        phone=phone,
        source=source,
        consent=consent,
        note=note,
    )
    partner_id = _owner(viewer, db, product_id)
    target = int(date_id or ANY_DATE)
    if target != ANY_DATE:
        _check_date(db, product_id=product_id, date_id=target, now=now)
    open_dates = _notices.open_dates(db, [int(product_id)], now=now)
    values |= {"locale": locale if locale in ("de", "en") else "de", "consent_at": now}
    with db.portal.begin() as conn:
        key = {"product_id": int(product_id), "date_id": target, "email": values["email"]}
        fresh = {**key, **values, "partner_id": partner_id, "created_at": now, "updated_at": now}
        fresh["created_by"] = viewer.user_id if values["source"] == "phone" else None
        merged = not insert_ignore(conn, waitlist, [fresh], index_elements=list(key))
        row = _existing(conn, int(product_id), target, str(values["email"]))
        assert row is not None  # inserted just now or merged into
        if merged:
            again = _notices.is_done(row)  # left the list before: waits again from now
            changes = {**values, "updated_at": now}
            if again:
                changes |= {"created_at": now, **dict.fromkeys(_notices.DONE_COLUMNS)}
            conn.execute(
                update(waitlist).where(waitlist.c.entry_id == row.entry_id).values(changes)
            )
        known = [d for d in open_dates if target in (ANY_DATE, d.date_id) and d.free > 0]
        _notices.record_known(conn, row.entry_id, partner_id, known, seats=seats, now=now)
        audit.record(
            conn,
            viewer,
            action="waitlist_merged" if merged else "waitlist_added",
            entity="waitlist",
            entity_id=row.entry_id,
            partner_id=partner_id,
            details={"product_id": int(product_id), "date_id": target, "seats": seats},
            now=now,
        )
        webhooks.emit_event(
            conn, partner_id=partner_id, event_type="waitlist.joined",
            dedupe_key=f"waitlist.joined:{row.entry_id}", now=now,
            data={"entry": {"entry_id": int(row.entry_id), "seats": seats}, "course":
                  {"product_id": int(product_id)}, "date": {"date_id": target or None},
                  "customer": {"name": values["customer_name"], "email": values["email"]}},
        )  # fmt: skip
    return EntryAdded(entry_id=int(row.entry_id), merged=merged)


# --- reading -------------------------------------------------------------------------------------


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_if(condition: ColumnElement[bool], value: ColumnElement[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


@requires(WAITLIST_READ)
def waiting_courses(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """The viewer's courses with waitlist entries: people and seats waiting, the oldest entry,
    the revenue the waiting seats would bring at the course's price, and how many entries
    ever became a booking. Most waiting seats first."""
    w = waitlist
    waiting = active()
    query = (
        select(
            w.c.product_id,
            _count_if(waiting).label("people"),
            _sum_if(waiting, w.c.seats).label("seats"),
            func.min(case((waiting, w.c.created_at), else_=None)).label("oldest_at"),
            func.count().label("entries"),
            func.count(w.c.converted_at).label("converted"),
        )
        .where(scope.partner_filter(w.c.partner_id, viewer))
        .group_by(w.c.product_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).mappings().all()
    facts = _notices.course_facts(db, [r["product_id"] for r in rows])
    out = []
    for r in rows:
        name, price = facts.get(r["product_id"], (None, None))
        seats = int(r["seats"] or 0)
        out.append(
            {
                **dict(r),
                "people": int(r["people"] or 0),
                "seats": seats,
                "course": name,
                "price": price,
                "possible_revenue": None if price is None else to_money(price * seats),
                "conversion_rate": ratio(Decimal(r["converted"]), Decimal(r["entries"])),
            }
        )
    out.sort(key=lambda r: (-r["seats"], r["oldest_at"] or datetime.max, r["product_id"]))
    return pd.DataFrame(out, columns=COURSE_COLUMNS)


@requires(WAITLIST_READ)
def waiting_dates(viewer: Viewer, db: Databases, *, product_id: int | None = None) -> pd.DataFrame:
    """People and seats waiting per course and date (date_id 0: any date), oldest first."""
    w = waitlist
    query = (
        select(
            w.c.product_id,
            w.c.date_id,
            func.count().label("people"),
            func.sum(w.c.seats).label("seats"),
            func.min(w.c.created_at).label("oldest_at"),
        )
        .where(scope.partner_filter(w.c.partner_id, viewer), active())
        .group_by(w.c.product_id, w.c.date_id)
    )
    if product_id is not None:
        query = query.where(w.c.product_id == int(product_id))
    with db.portal.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    starts = _notices.date_starts(db, [r["date_id"] for r in rows if r["date_id"]])
    for r in rows:
        r["starts_at"] = starts.get(r["date_id"])
        r["seats"] = int(r["seats"] or 0)
    rows.sort(key=lambda r: (r["oldest_at"], r["product_id"], r["date_id"]))
    return pd.DataFrame(rows, columns=DATE_COLUMNS)


@requires(WAITLIST_READ)
def list_entries(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int | None = None,
    waiting_only: bool = True,
    limit: int = 1000,
) -> pd.DataFrame:
    """The people on the viewer's waitlists, oldest first, with their status."""
    w = waitlist
    query = (
        select(*(w.c[c] for c in ENTRY_COLUMNS if c != "status"), *_notices.STATE)
        .where(scope.partner_filter(w.c.partner_id, viewer))
        .order_by(w.c.created_at, w.c.entry_id)
        .limit(max(1, min(int(limit), 5000)))
    )
    if product_id is not None:
        query = query.where(w.c.product_id == int(product_id))
    if waiting_only:
        query = query.where(active())
    with db.portal.connect() as conn:
        result = conn.execute(query)
        names, rows = list(result.keys()), result.all()
    # Column lists, not Row objects: pandas reads rows of Row objects an item at a time.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    frame = pd.DataFrame({n: list(c) for n, c in zip(names, columns, strict=True)})
    # Whole columns at a time (a dict per row cost more than the query on 2,000 entries).
    status = pd.Series("waiting", index=frame.index, dtype=object)
    for column, name in reversed(
        list(zip(_notices.DONE_COLUMNS, _notices.DONE_STATUSES, strict=True))
    ):
        status = status.mask(frame[column].notna(), name)
    frame["status"] = status
    return frame[ENTRY_COLUMNS]


@requires(WAITLIST_READ)
def waiting_people(viewer: Viewer, db: Databases) -> int:
    """How many people wait on the viewer's waitlists (the menu's count)."""
    with db.portal.connect() as conn:
        count = conn.execute(
            select(func.count()).where(
                scope.partner_filter(waitlist.c.partner_id, viewer), active()
            )
        ).scalar()
    return int(count or 0)


# --- settings ------------------------------------------------------------------------------------


@requires(WAITLIST_READ)
def waitlist_settings(viewer: Viewer, db: Databases) -> WaitlistSettings:
    """The viewed partner's settings (the defaults without a saved row, and for staff who see
    every partner)."""
    if viewer.partner_id is None:
        return DEFAULTS
    return _notices.settings_of(db, [viewer.partner_id]).get(viewer.partner_id, DEFAULTS)


@requires(WAITLIST_WRITE)
def save_settings(
    viewer: Viewer,
    db: Databases,
    *,
    mode: str,
    wait_hours: int,
    expiry_months: int,
    now: datetime | None = None,
) -> WaitlistSettings:
    """Save the viewed partner's waitlist settings."""
    if viewer.partner_id is None:
        raise InvalidInput("waitlist.choose_partner")
    if mode not in (WAITLIST_ALL, WAITLIST_QUEUE):
        raise InvalidInput("waitlist.mode_invalid")
    if not 1 <= int(wait_hours) <= MAX_WAIT_HOURS:
        raise InvalidInput("waitlist.hours_invalid", max=MAX_WAIT_HOURS)
    if not 1 <= int(expiry_months) <= MAX_EXPIRY_MONTHS:
        raise InvalidInput("waitlist.expiry_invalid", max=MAX_EXPIRY_MONTHS)
    now = now or now_utc()
    saved = WaitlistSettings(
        mode=mode, wait_hours=int(wait_hours), expiry_months=int(expiry_months)
    )
    row = {"partner_id": viewer.partner_id, **saved.__dict__, "updated_by": viewer.user_id}
    with db.portal.begin() as conn:
        if not insert_ignore(
            conn, settings_table, [row | {"updated_at": now}], index_elements=["partner_id"]
        ):
            conn.execute(
                update(settings_table)
                .where(settings_table.c.partner_id == viewer.partner_id)
                .values(**saved.__dict__, updated_by=viewer.user_id, updated_at=now)
            )
        audit.record(
            conn,
            viewer,
            action="waitlist_settings",
            entity="partner",
            entity_id=viewer.partner_id,
            partner_id=viewer.partner_id,
            details=dict(saved.__dict__),
            now=now,
        )
    return saved


# --- the job's steps -----------------------------------------------------------------------------


@requires(WAITLIST_WRITE)
def mark_conversions(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """Mark waiting entries whose email booked the course since they signed up (the booking
    ledger, any date of the course); returns how many."""
    now = now or now_utc()
    w, b = waitlist, bookings
    booked = (
        select(b.c.item_id)
        .where(
            b.c.partner_id == w.c.partner_id,
            b.c.product_id == w.c.product_id,
            func.lower(b.c.customer_email) == w.c.email,
            b.c.booked_at >= w.c.created_at,
            b.c.status.in_(COUNTED),
        )
        .exists()
    )
    with db.portal.begin() as conn:
        result = conn.execute(
            update(w)
            .where(scope.partner_filter(w.c.partner_id, viewer), active(), booked)
            .values(converted_at=now, updated_at=now)
        )
    return int(result.rowcount or 0)


@requires(WAITLIST_WRITE)
def expire_entries(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """End the entries older than their partner's expiry time; returns how many."""
    return _notices.expire(viewer, db, now=now or now_utc())


@requires(WAITLIST_WRITE)
def notify_waiting(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> NotifyResult:
    """Tell waiting customers of dates with free seats (new dates, freed or added seats), once
    per entry and date, in each partner's mode. Safe to run twice at once and after a crash."""
    return _notices.notify(viewer, db, now=now or now_utc())


# --- leaving -------------------------------------------------------------------------------------


def unsubscribe_token(entry_id: int) -> str:
    """The signed token of an entry's link off the waitlist."""
    return signing.sign(_notices.UNSUBSCRIBE_PURPOSE, str(int(entry_id)))


def unsubscribe(db: Databases, *, token: str, now: datetime | None = None) -> Unsubscribed | None:
    """Take the entry of a valid link off the waitlist (no login: the signed token is the
    credential); None for a forged or unknown token. Using the link again changes nothing."""
    value = signing.verify(_notices.UNSUBSCRIBE_PURPOSE, token)
    if value is None or not value.isdigit():
        return None
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(waitlist.c.entry_id, waitlist.c.product_id, waitlist.c.unsubscribed_at).where(
                waitlist.c.entry_id == int(value)
            )
        ).first()
        if row is None:
            return None
        already = row.unsubscribed_at is not None
        if not already:
            conn.execute(
                update(waitlist)
                .where(waitlist.c.entry_id == row.entry_id, waitlist.c.unsubscribed_at.is_(None))
                .values(unsubscribed_at=now, updated_at=now)
            )
            audit.record(
                conn,
                None,
                action="waitlist_unsubscribed",
                entity="waitlist",
                entity_id=row.entry_id,
            )
    name = _notices.course_facts(db, [row.product_id]).get(row.product_id, (None, None))[0]
    return Unsubscribed(entry_id=int(row.entry_id), course=name, already=already)
