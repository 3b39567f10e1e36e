"""The waitlist's notices: which waiting customer is told of which date, and when.

A date is news for an entry when it is an active future date of the entry's course (of the one
date the entry waits for, or any date) with free seats, and the entry has no notice of it yet.
Dates that had free seats when the customer signed up got a `known` notice then (no mail).

Modes (a partner setting):
- *alle benachrichtigen* (`all`): every waiting entry is told, once per date (a group larger
  than the free seats too: it may come with fewer people, or book another date).
- *der Reihe nach* (`queue`): oldest entry first, only as many as the free seats fit, counting
  each entry's seats; a group that does not fit is skipped and a later, smaller one is told.
  Seats offered to entries told less than the waiting time ago (`wait_hours`; at most
  `SHORT_WAIT_HOURS` when the date starts within `SHORT_NOTICE`) count as taken; after it, the
  next ones are told.

Exactly once: a notice row (primary key entry + date) and its outbox mail (dedupe key
`waitlist:<entry>:<date>`) are written in one portal transaction, both "insert unless the key
exists". A second run at the same moment skips what the first wrote (it waits for the first's
commit on PostgreSQL; SQLite writes one at a time); a crashed run wrote nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, and_, or_, select, update

from core import links, signing
from core.db import Databases
from core.money import to_decimal
from core.settings import load_signing_key
from core.sql import chunks, insert_ignore, inserted_keys, int_in
from data.access import scope
from data.access.viewer import Viewer
from data.comms.outbox import CHANNEL_EMAIL, queue_many
from data.portal_schema import (
    NOTICE_KNOWN,
    NOTICE_SENT,
    WAITLIST_QUEUE,
    waitlist,
    waitlist_notices,
    waitlist_settings,
)
from data.shop.catalog import product_names
from data.shop.schema import (
    DATE_ACTIVE,
    PRODUCT_ATTRIBUTES,
    catalog_product_entity_decimal,
    miomente_course_date,
    seats_sold,
)

TEMPLATE = "waitlist_new_date"
UNSUBSCRIBE_PURPOSE = "waitlist-unsubscribe"
SHORT_NOTICE = timedelta(days=3)
SHORT_WAIT_HOURS = 4
# Notices (and their mails) written per portal transaction.
WRITE_BATCH = 1000
DONE_COLUMNS = ("converted_at", "unsubscribed_at", "expired_at")
DONE_STATUSES = ("converted", "unsubscribed", "expired")  # an entry's status per column
STATE = tuple(waitlist.c[c] for c in DONE_COLUMNS)


@dataclass(frozen=True)
class WaitlistSettings:
    mode: str  # "all" (alle benachrichtigen) or "queue" (der Reihe nach)
    wait_hours: int
    expiry_months: int


DEFAULTS = WaitlistSettings(mode="all", wait_hours=24, expiry_months=6)


@dataclass(frozen=True)
class NotifyResult:
    dates: int = 0  # dates with free seats and someone waiting for them
    notices: int = 0  # entries told now
    mails: int = 0  # outbox rows written now (a repeat writes none)


@dataclass(frozen=True)
class OpenDate:
    date_id: int
    product_id: int
    starts_at: datetime
    created_at: datetime | None
    price: Decimal
    free: int


@dataclass
class _Plan:
    notices: list[dict[str, object]] = field(default_factory=list)
    mails: list[dict[str, object]] = field(default_factory=list)
    dates: set[int] = field(default_factory=set)


def active():
    """SQL: the entry still waits."""
    return and_(*(c.is_(None) for c in STATE))


def is_done(row: Mapping | object) -> bool:
    return any(getattr(row, c, None) is not None for c in DONE_COLUMNS)


@dataclass(frozen=True)
class _Links:
    """The signing key and the portal's base URL, read once per run (not once per mail)."""

    key: str = field(default_factory=load_signing_key)
    base: str = field(default_factory=links.public_url)

    def unsubscribe(self, entry_id: int) -> str:
        token = signing.sign(UNSUBSCRIBE_PURPOSE, str(int(entry_id)), key=self.key)
        return links.waitlist_unsubscribe_url(token, base=self.base)


# --- shop facts ----------------------------------------------------------------------------------


def open_dates(db: Databases, product_ids: Iterable[int], *, now: datetime) -> list[OpenDate]:
    """Active future dates of these courses that have free seats, soonest first."""
    ids = sorted(set(product_ids))
    if not ids:
        return []
    d = miomente_course_date
    sold = seats_sold(d.c.date_id).label("sold")
    query = (
        select(
            d.c.date_id,
            d.c.product_id,
            d.c.starts_at,
            d.c.created_at,
            d.c.price,
            d.c.seats_total,
            sold,
        )
        .where(int_in(d.c.product_id, ids), d.c.status == DATE_ACTIVE, d.c.starts_at > now)
        .order_by(d.c.starts_at, d.c.date_id)
    )
    with db.magento.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for r in rows:
        free = int(r.seats_total) - max(int(to_decimal(r.sold or 0)), 0)
        if free > 0:
            out.append(
                OpenDate(
                    r.date_id, r.product_id, r.starts_at, r.created_at, to_decimal(r.price), free
                )
            )
    return out


def course_facts(
    db: Databases, product_ids: Sequence[int]
) -> dict[int, tuple[str | None, Decimal | None]]:
    """product id -> (name, price) from the shop's catalog."""
    ids = sorted({int(p) for p in product_ids})
    if not ids:
        return {}
    names = product_names().subquery()
    price = catalog_product_entity_decimal
    query = (
        select(names.c.entity_id, names.c.name, price.c.value)
        .select_from(names)
        .outerjoin(
            price,
            and_(
                price.c.entity_id == names.c.entity_id,
                price.c.attribute_id == PRODUCT_ATTRIBUTES["price"][0],
                price.c.store_id == 0,
            ),
        )
        .where(int_in(names.c.entity_id, ids))
    )
    with db.magento_read.connect() as conn:
        rows = conn.execute(query).all()
    return {
        int(pid): (name, None if value is None else to_decimal(value)) for pid, name, value in rows
    }


def date_starts(db: Databases, date_ids: Sequence[int]) -> dict[int, datetime]:
    ids = sorted({int(i) for i in date_ids})
    if not ids:
        return {}
    d = miomente_course_date
    with db.magento_read.connect() as conn:
        rows = conn.execute(select(d.c.date_id, d.c.starts_at).where(int_in(d.c.date_id, ids)))
        return {int(i): s for i, s in rows}


# --- settings and expiry -------------------------------------------------------------------------


def settings_of(db: Databases, partner_ids: Iterable[int]) -> dict[int, WaitlistSettings]:
    """The saved settings of these partners (absent: use DEFAULTS)."""
    ids = sorted(set(partner_ids))
    if not ids:
        return {}
    s = waitlist_settings
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(s.c.partner_id, s.c.mode, s.c.wait_hours, s.c.expiry_months).where(
                int_in(s.c.partner_id, ids)
            )
        ).all()
    return {r.partner_id: WaitlistSettings(r.mode, r.wait_hours, r.expiry_months) for r in rows}


def _months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, 28)  # every month has the 28th; a day or three early is fine here
    return moment.replace(year=year, month=month + 1, day=day)


def _past_dates(viewer: Viewer, db: Databases, now: datetime) -> list[int]:
    """The dates that entries wait for which have started since (or are gone from the shop)."""
    w = waitlist
    with db.portal.connect() as conn:
        wanted = [
            int(r[0])
            for r in conn.execute(
                select(w.c.date_id)
                .where(scope.partner_filter(w.c.partner_id, viewer), active(), w.c.date_id != 0)
                .distinct()
            )
        ]
    starts = date_starts(db, wanted)
    return [d for d in wanted if d not in starts or starts[d] <= now]


def expire(viewer: Viewer, db: Databases, *, now: datetime) -> int:
    """Entries older than their partner's expiry months, and entries for one date that has
    started, stop waiting."""
    w = waitlist
    with db.portal.connect() as conn:
        partners = [
            r[0]
            for r in conn.execute(
                select(w.c.partner_id)
                .where(scope.partner_filter(w.c.partner_id, viewer), active())
                .distinct()
            )
        ]
    saved = settings_of(db, partners)
    by_months: dict[int, list[int]] = defaultdict(list)
    for partner_id in partners:
        by_months[saved.get(partner_id, DEFAULTS).expiry_months].append(partner_id)
    past = _past_dates(viewer, db, now)
    expired = 0
    with db.portal.begin() as conn:
        for months, ids in sorted(by_months.items()):
            too_old = w.c.created_at < _months_before(now, months)
            result = conn.execute(
                update(w)
                .where(
                    int_in(w.c.partner_id, ids), active(), or_(too_old, int_in(w.c.date_id, past))
                )
                .values(expired_at=now, updated_at=now)
            )
            expired += int(result.rowcount or 0)
    return expired


# --- notices -------------------------------------------------------------------------------------


def record_known(
    conn: Connection,
    entry_id: int,
    partner_id: int,
    dates: Sequence[OpenDate],
    *,
    seats: int,
    now: datetime,
) -> None:
    """The dates that were open when the entry signed up: no news for it later."""
    rows = [
        {
            "entry_id": entry_id,
            "date_id": d.date_id,
            "partner_id": partner_id,
            "kind": NOTICE_KNOWN,
            "seats": seats,
            "notified_at": now,
        }
        for d in dates
    ]
    insert_ignore(conn, waitlist_notices, rows, index_elements=["entry_id", "date_id"])


def _waiting(viewer: Viewer, db: Databases) -> list:
    w = waitlist
    query = (
        select(
            w.c.entry_id,
            w.c.partner_id,
            w.c.product_id,
            w.c.date_id,
            w.c.customer_name,
            w.c.email,
            w.c.locale,
            w.c.seats,
            w.c.created_at,
        )
        .where(scope.partner_filter(w.c.partner_id, viewer), active())
        .order_by(w.c.created_at, w.c.entry_id)
    )
    with db.portal.connect() as conn:
        return list(conn.execute(query))


def _notices_of(db: Databases, date_ids: Sequence[int]) -> list:
    n = waitlist_notices
    rows: list = []
    with db.portal.connect() as conn:
        for part in chunks(sorted(date_ids), 5000):
            rows += conn.execute(
                select(n.c.entry_id, n.c.date_id, n.c.kind, n.c.seats, n.c.notified_at).where(
                    int_in(n.c.date_id, part)
                )
            ).all()
    return rows


def _wait(setting: WaitlistSettings, starts_at: datetime, now: datetime) -> timedelta:
    hours = setting.wait_hours
    if starts_at - now < SHORT_NOTICE:
        hours = min(hours, SHORT_WAIT_HOURS)
    return timedelta(hours=hours)


def _held(
    notices: Sequence, date: OpenDate, setting: WaitlistSettings, now: datetime, waiting: set[int]
) -> int:
    """Seats offered on `date` to entries told within the waiting time that still wait: not yet
    free for others (an entry that booked since holds its seats as sold ones)."""
    since = now - _wait(setting, date.starts_at, now)
    return sum(
        n.seats
        for n in notices
        if n.kind == NOTICE_SENT and n.notified_at > since and n.entry_id in waiting
    )


def _chosen(candidates: Sequence, date: OpenDate, setting: WaitlistSettings, held: int) -> list:
    if setting.mode != WAITLIST_QUEUE:
        return list(candidates)
    free = date.free - held
    chosen = []
    for entry in candidates:  # oldest first; a group that does not fit is skipped
        if entry.seats <= free:
            chosen.append(entry)
            free -= entry.seats
    return chosen


def _mail(
    entry, date: OpenDate, course: str | None, now: datetime, made: _Links
) -> dict[str, object]:
    new = date.created_at is not None and date.created_at > entry.created_at
    return {
        "channel": CHANNEL_EMAIL,
        "template": TEMPLATE,
        "recipient": entry.email,
        "recipient_name": entry.customer_name,
        "locale": entry.locale,
        "partner_id": entry.partner_id,
        "dedupe_key": f"waitlist:{entry.entry_id}:{date.date_id}",
        "send_after": now,
        "payload": {
            "customer_name": entry.customer_name,
            "course": course or "",
            "starts_at": date.starts_at.isoformat(),
            "price": str(date.price),
            "seats": int(entry.seats),
            "reason": "new_date" if new else "seats_freed",
            "booking_url": links.shop_date_url(date.product_id, date.date_id),
            "unsubscribe_url": made.unsubscribe(entry.entry_id),
        },
    }


def _plan(viewer: Viewer, db: Databases, now: datetime) -> _Plan:
    entries = _waiting(viewer, db)
    plan = _Plan()
    if not entries:
        return plan
    by_product: dict[int, list] = defaultdict(list)
    for entry in entries:
        by_product[entry.product_id].append(entry)
    dates = open_dates(db, by_product, now=now)
    notices: dict[int, list] = defaultdict(list)
    for n in _notices_of(db, [d.date_id for d in dates]):
        notices[n.date_id].append(n)
    settings = settings_of(db, {e.partner_id for e in entries})
    names = course_facts(db, sorted({d.product_id for d in dates}))
    made = _Links()
    waiting = {e.entry_id for e in entries}
    for date in dates:
        told = {n.entry_id for n in notices[date.date_id]}
        candidates = [
            e
            for e in by_product[date.product_id]
            if e.date_id in (0, date.date_id) and e.entry_id not in told
        ]
        if not candidates:
            continue
        setting = settings.get(candidates[0].partner_id, DEFAULTS)
        plan.dates.add(date.date_id)
        held = _held(notices[date.date_id], date, setting, now, waiting)
        for entry in _chosen(candidates, date, setting, held):
            plan.notices.append(
                {
                    "entry_id": entry.entry_id,
                    "date_id": date.date_id,
                    "partner_id": entry.partner_id,
                    "kind": NOTICE_SENT,
                    "seats": entry.seats,
                    "notified_at": now,
                }
            )
            plan.mails.append(
                _mail(entry, date, names.get(date.product_id, (None, None))[0], now, made)
            )
    return plan


def notify(viewer: Viewer, db: Databases, *, now: datetime) -> NotifyResult:
    plan = _plan(viewer, db, now)
    notices = mails = 0
    for begin in range(0, len(plan.notices), WRITE_BATCH):
        rows = plan.notices[begin : begin + WRITE_BATCH]
        batch = plan.mails[begin : begin + WRITE_BATCH]
        with db.portal.begin() as conn:
            notices, mails = _write(conn, rows, batch, now, (notices, mails))
    return NotifyResult(dates=len(plan.dates), notices=notices, mails=mails)


def _write(
    conn: Connection,
    rows: list[dict[str, object]],
    batch: list[dict[str, object]],
    now: datetime,
    counts: tuple[int, int],
) -> tuple[int, int]:
    """One batch in one transaction: the notices this run wins (a run at the same moment
    wins the others, or already has) and exactly their mails."""
    won = set(inserted_keys(conn, waitlist_notices, rows, index_elements=["entry_id", "date_id"]))
    mails = [
        mail
        for row, mail in zip(rows, batch, strict=True)
        if (row["entry_id"], row["date_id"]) in won
    ]
    # Each mail's dedupe key is its notice's key, won just now: every one is new.
    sent = queue_many(conn, mails, now=now, known_new=True)
    entries = sorted({int(str(e)) for e, _ in won})
    for part in chunks(entries, 5000):
        conn.execute(
            update(waitlist)
            .where(int_in(waitlist.c.entry_id, part))
            .values(notified_at=now, updated_at=now)
        )
    return counts[0] + len(won), counts[1] + sent
