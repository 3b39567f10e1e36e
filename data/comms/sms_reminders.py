"""SMS reminders to customers before their course date: the partner's choice, the task, the cost.

A partner switches reminders on (24 hours and/or 2 hours before; off by default). The
`send-sms-reminders` task (every run-due) queues a `date_reminder` SMS through the outbox for
each booked item (new or confirmed) whose reminder is due, to the mobile number of the order's
billing address (E.164; landlines and numbers that objected get none). Berlin's quiet hours,
21:00–08:00, hold a due reminder until 08:00; when that leaves less than half of its lead
(12 h of 24 h, 1 h of 2 h) it is skipped. Each reminder is dealt with once: a row per item and
lead (`miomente_sms_reminders`, primary key) is written in the transaction that queues the SMS,
so a rerun or a second run at once sends nothing twice. The rows carry the SMS's segments,
so the partner sees per month what was sent and what it cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, String, and_, case, cast, func, select, true

from core import sql
from core.clock import BERLIN, now_utc
from core.db import Databases
from core.phone import mobile_e164, to_e164
from data.access import scope
from data.access.permissions import SETTINGS_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import queue_many
from data.portal_schema import (
    CHANNEL_SMS,
    SMS_LEADS,
    bookings,
    partners,
    sms_objections,
    sms_reminders,
    sms_settings,
)
from data.shop import schema as m
from messaging.render import render
from messaging.sms import sms_size

LEADS: Mapping[str, timedelta] = {"24h": timedelta(hours=24), "2h": timedelta(hours=2)}
QUIET_FROM, QUIET_UNTIL = time(21, 0), time(8, 0)
# A planning figure for the cost estimate (Twilio's price per segment to German mobiles,
# rounded up); the invoice is Twilio's.
PRICE_PER_SEGMENT = Decimal("0.08")
_BOOKED = ("new", "confirmed")
_CHUNK = 1_000


@dataclass(frozen=True)
class SmsSettings:
    remind_24h: bool = False
    remind_2h: bool = False

    def leads(self) -> tuple[str, ...]:
        return tuple(lead for lead in SMS_LEADS if getattr(self, f"remind_{lead}"))


@dataclass(frozen=True)
class ReminderRun:
    queued: int = 0
    no_mobile: int = 0
    objected: int = 0
    late: int = 0
    waiting: int = 0  # due in the quiet hours: sent at 08:00


def reminder_state(*, starts_at: datetime, lead: timedelta, now: datetime) -> str:
    """ "early", "send", "wait" (quiet hours) or "late" for one reminder (naive UTC times)."""
    if now < starts_at - lead:
        return "early"
    if now > starts_at - lead / 2:
        return "late"
    local = now.replace(tzinfo=UTC).astimezone(BERLIN).time()
    return "wait" if local >= QUIET_FROM or local < QUIET_UNTIL else "send"


def _partner_of(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError()  # the settings are one partner's: staff view as a partner first
    return int(viewer.partner_id)


@requires(SETTINGS_WRITE)
def sms_settings_of(viewer: Viewer, db: Databases) -> SmsSettings:
    """The viewer's partner's choice (off when never saved)."""
    query = select(sms_settings.c.remind_24h, sms_settings.c.remind_2h).where(
        sms_settings.c.partner_id == _partner_of(viewer)
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).first()
    return SmsSettings(bool(row.remind_24h), bool(row.remind_2h)) if row else SmsSettings()


@requires(SETTINGS_WRITE)
def save_sms_settings(
    viewer: Viewer, db: Databases, *, settings: SmsSettings, now: datetime | None = None
) -> None:
    """Switch the viewer's partner's reminders."""
    viewer.require_writer()
    row = {
        "partner_id": _partner_of(viewer),
        "remind_24h": settings.remind_24h,
        "remind_2h": settings.remind_2h,
        "updated_at": now or now_utc(),
        "updated_by": viewer.user_id,
    }
    with db.portal.begin() as conn:
        sql.upsert(conn, sms_settings, [row], index_elements=["partner_id"])


@requires(SETTINGS_WRITE)
def record_objection(
    viewer: Viewer, db: Databases, *, phone: str, now: datetime | None = None
) -> str:
    """A customer objected to SMS reminders (staff enter it, e.g. after a call or a reply):
    no reminder goes to that number again. Returns the number as stored (E.164)."""
    viewer.require_staff()
    e164 = to_e164(phone)
    row = {"phone": e164, "created_at": now or now_utc(), "created_by": viewer.user_id}
    with db.portal.begin() as conn:
        sql.insert_ignore(conn, sms_objections, [row], index_elements=["phone"])
    return e164


def _enabled(conn: Connection) -> dict[int, tuple[str, ...]]:
    query = select(sms_settings).where(
        (sms_settings.c.remind_24h == true()) | (sms_settings.c.remind_2h == true())
    )
    found = conn.execute(query).mappings()
    return {
        int(r["partner_id"]): SmsSettings(r["remind_24h"], r["remind_2h"]).leads() for r in found
    }


def _candidates(conn: Connection, partner_ids: Sequence[int], now: datetime) -> list[dict]:
    """Booked items of those partners starting within the longest lead, with the reminders
    already dealt with."""
    horizon = now + max(LEADS.values())
    query = (
        select(
            bookings.c.item_id, bookings.c.order_id, bookings.c.increment_id,
            bookings.c.partner_id, bookings.c.date_id, bookings.c.event_at, bookings.c.course,
            bookings.c.customer_name,
        )
        .where(
            sql.int_in(bookings.c.partner_id, partner_ids),
            bookings.c.event_at > now,
            bookings.c.event_at <= horizon,
            bookings.c.status.in_(_BOOKED),
        )
        .order_by(bookings.c.event_at, bookings.c.item_id)
    )  # fmt: skip
    rows = [dict(r) for r in conn.execute(query).mappings()]
    done: set[tuple[int, str]] = set()
    for chunk in sql.chunks([r["item_id"] for r in rows]):
        dealt = select(sms_reminders.c.item_id, sms_reminders.c.lead).where(
            sql.int_in(sms_reminders.c.item_id, chunk)
        )
        done |= {(int(i), str(lead)) for i, lead in conn.execute(dealt)}
    for row in rows:
        row["done"] = {lead for lead in LEADS if (row["item_id"], lead) in done}
    return rows


def _order_facts(db: Databases, order_ids: Iterable[int]) -> dict[int, tuple[str | None, int]]:
    """order id -> (billing telephone, store id), read from the shop."""
    address, order = m.sales_order_address, m.sales_order
    facts: dict[int, tuple[str | None, int]] = {}
    with db.magento_read.connect() as conn:
        for chunk in sql.chunks(sorted(set(order_ids))):
            query = (
                select(order.c.entity_id, order.c.store_id, address.c.telephone)
                .select_from(
                    order.outerjoin(
                        address,
                        and_(
                            address.c.parent_id == order.c.entity_id,
                            address.c.address_type == "billing",
                        ),
                    )
                )
                .where(sql.int_in(order.c.entity_id, chunk))
            )
            for row in conn.execute(query):
                facts[int(row.entity_id)] = (row.telephone, int(row.store_id or 0))
    return facts


def _places(conn: Connection, partner_ids: Iterable[int]) -> dict[int, str]:
    query = select(partners.c.partner_id, partners.c.name, partners.c.city).where(
        sql.int_in(partners.c.partner_id, sorted(set(partner_ids)))
    )
    return {int(r.partner_id): f"{r.name}, {r.city}" for r in conn.execute(query)}


def _objected(conn: Connection, phones: Iterable[str]) -> set[str]:
    wanted = sorted(set(phones))
    found: set[str] = set()
    for chunk in sql.chunks(wanted):
        query = select(sms_objections.c.phone).where(sms_objections.c.phone.in_(chunk))
        found |= set(conn.execute(query).scalars())
    return found


@dataclass
class _Due:
    row: dict
    lead: str
    state: str


def _due(rows: list[dict], leads_of: Mapping[int, tuple[str, ...]], now: datetime) -> list[_Due]:
    due = []
    for row in rows:
        for lead in leads_of[int(row["partner_id"])]:
            if lead in row["done"]:
                continue
            state = reminder_state(starts_at=row["event_at"], lead=LEADS[lead], now=now)
            if state != "early":
                due.append(_Due(row, lead, state))
    return due


def _payload(row: dict, place: str) -> dict[str, object]:
    return {
        "customer_name": row["customer_name"] or "",
        "order_number": row["increment_id"],
        "course": row["course"] or "",
        "starts_at": row["event_at"].isoformat(),
        "place": place,
    }


@requires(SETTINGS_WRITE)
def queue_due_reminders(
    viewer: Viewer, db: Databases, *, now: datetime | None = None
) -> ReminderRun:
    """Queue every due SMS reminder once (the sidecar's viewer only); see the module."""
    viewer.require_system()
    moment = now or now_utc()
    with db.portal.connect() as conn:
        leads_of = _enabled(conn)
        rows = _candidates(conn, sorted(leads_of), moment) if leads_of else []
        places = _places(conn, leads_of)
    due = _due(rows, leads_of, moment)
    facts = _order_facts(db, [d.row["order_id"] for d in due if d.state == "send"])
    counts = {"queued": 0, "no_mobile": 0, "objected": 0, "late": 0, "waiting": 0}
    segments = _Segments()
    for start in range(0, len(due), _CHUNK):
        _queue_chunk(db, due[start : start + _CHUNK], facts, places, counts, moment, segments)
    return ReminderRun(**counts)


class _Segments:
    """The segments of each reminder's SMS. The text holds no name, only the order number
    besides the course, time and place that a date's reminders share: one rendering serves
    every reminder of a date (order numbers of one length)."""

    def __init__(self) -> None:
        self._known: dict[tuple, int] = {}

    def of(self, payload: Mapping[str, object], locale: str) -> int:
        shared = (locale, payload["course"], payload["starts_at"], payload["place"])
        key = (*shared, len(str(payload["order_number"])))
        if key not in self._known:
            text = render("date_reminder", locale=locale, payload=payload, channel="sms").text
            self._known[key] = sms_size(text).segments
        return self._known[key]


def _queue_chunk(
    db: Databases,
    due: list[_Due],
    facts: Mapping[int, tuple[str | None, int]],
    places: Mapping[int, str],
    counts: dict[str, int],
    moment: datetime,
    segments: _Segments,
) -> None:
    """One transaction per chunk: a marker per reminder (the primary key decides which run
    deals with it) and, for the markers this run wrote, the SMS in the outbox."""
    phones = {
        d.row["order_id"]: mobile_e164(facts.get(d.row["order_id"], (None, 0))[0]) for d in due
    }
    markers: list[dict[str, object]] = []
    messages: dict[tuple, dict[str, object]] = {}
    with db.portal.begin() as conn:
        objected = _objected(conn, [p for p in phones.values() if p])
        for item in due:
            if item.state == "wait":
                counts["waiting"] += 1
                continue
            row, phone = item.row, phones.get(item.row["order_id"])
            outcome, size = _outcome(item, phone, objected), 0
            if outcome == "queued" and phone is not None:
                locale = m.store_locale(facts[row["order_id"]][1])
                payload = _payload(row, places[row["partner_id"]])
                size = segments.of(payload, locale)
                messages[(row["item_id"], item.lead)] = {
                    "channel": CHANNEL_SMS, "template": "date_reminder", "recipient": phone,
                    "recipient_name": row["customer_name"], "locale": locale, "payload": payload,
                    "dedupe_key": f"sms_reminder:{row['item_id']}:{item.lead}",
                    "partner_id": int(row["partner_id"]),
                }  # fmt: skip
            markers.append(
                {"item_id": row["item_id"], "lead": item.lead, "partner_id": row["partner_id"],
                 "date_id": row["date_id"], "outcome": outcome, "segments": size,
                 "created_at": moment}
            )  # fmt: skip
        written = sql.inserted_keys(
            conn, sms_reminders, markers, index_elements=["item_id", "lead"]
        )
        for marker in markers:
            if (marker["item_id"], marker["lead"]) in written:  # else another run dealt with it
                counts[str(marker["outcome"])] += 1
        won = [messages[key] for key in sorted(written) if key in messages]
        queue_many(conn, won, now=moment, known_new=True)  # our markers make them new


def _outcome(item: _Due, phone: str | None, objected: set[str]) -> str:
    if item.state == "late":
        return "late"
    if phone is None:
        return "no_mobile"
    return "objected" if phone in objected else "queued"


def _month_start(value: date) -> datetime:
    return datetime(value.year, value.month, 1)


@requires(SETTINGS_WRITE)
def reminders_per_month(viewer: Viewer, db: Databases, *, months: int = 6) -> pd.DataFrame:
    """Per month of the last `months` (by the UTC day the task dealt with them): reminders sent,
    not sent (no mobile number, objected, too late), segments and the estimated cost."""
    since = _month_start(now_utc().date()) - timedelta(days=31 * max(1, min(int(months), 24)))
    month = func.substr(cast(sms_reminders.c.created_at, String(32)), 1, 7)
    sent = sms_reminders.c.outcome == "queued"
    query = (
        select(
            month.label("month"),
            func.sum(case((sent, 1), else_=0)).label("sent"),
            func.sum(case((sent, 0), else_=1)).label("not_sent"),
            func.coalesce(func.sum(sms_reminders.c.segments), 0).label("segments"),
        )
        .where(
            scope.partner_filter(sms_reminders.c.partner_id, viewer),
            sms_reminders.c.created_at >= since,
        )
        .group_by(month)
        .order_by(month.desc())
    )
    columns = ["month", "sent", "not_sent", "segments"]
    with db.portal.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=columns)
    costs = [PRICE_PER_SEGMENT * int(n) for n in frame["segments"]]
    return frame.assign(cost=pd.Series(costs, index=frame.index, dtype=object))
