"""Notification preferences: which events reach a partner by email and/or SMS, and where.

Bookings may go to the team, money to accounting: each event has its own addresses. Without
a saved row an event goes by email to the partner's main address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pandas as pd
from sqlalchemy import insert, select, update

from core.clock import BERLIN, naive_utc, now_utc
from core.db import Databases
from core.validation import InvalidInput, email_list, normalize_phone
from data.access.permissions import (
    MONEY_READ,
    ORDERS_READ,
    REVIEWS_READ,
    SETTINGS_WRITE,
    WAITLIST_READ,
    requires,
    role_permissions,
)
from data.access.viewer import ScopeError, Viewer
from data.ops import audit
from data.portal_schema import member_prefs, notification_prefs, partners, users

# Events a partner hears about; labels live in locales under notifications.event_<name>.
EVENTS = (
    "new_booking",
    "booking_cancelled",
    "waitlist",
    "date_request",
    "review",
    "payout",
)
COLUMNS = ["event", "email_enabled", "sms_enabled", "emails", "phone"]


@dataclass(frozen=True)
class Recipient:
    channel: str  # "email" | "sms"
    address: str
    # A team member's quiet hours hold the message until then (naive UTC).
    send_after: datetime | None = None
    # A member who chose the daily digest: the caller collects the message for the digest
    # (data/comms/member_digest.py collect) instead of queuing it.
    digest_user_id: int | None = None


# What a member's role must allow to hear about an event: a Team member hears nothing of
# payouts, Buchhaltung nothing of bookings (data/access/permissions.py).
EVENT_PERMISSION = {
    "new_booking": ORDERS_READ,
    "booking_cancelled": ORDERS_READ,
    "waitlist": WAITLIST_READ,
    "date_request": WAITLIST_READ,
    "review": REVIEWS_READ,
    "payout": MONEY_READ,
}
# Members who chose the daily digest get the day's messages as one mail at this Berlin hour
# (the `member-digest` job, jobs/member_digest.py).
DIGEST_AT = time(7, 0)


def _partner_id(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError("notifications.choose_partner")
    return viewer.partner_id


@requires(SETTINGS_WRITE)
def get_prefs(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """One row per event, defaults filled in for events never saved."""
    if viewer.partner_id is None:
        return pd.DataFrame(columns=COLUMNS)
    query = select(*(notification_prefs.c[c] for c in COLUMNS)).where(
        notification_prefs.c.partner_id == viewer.partner_id
    )
    with db.portal.connect() as conn:
        saved = {r["event"]: dict(r) for r in conn.execute(query).mappings()}
    default = {"email_enabled": True, "sms_enabled": False, "emails": "", "phone": ""}
    # dtype=object: pandas would turn a missing phone next to a saved one into NaN, which the
    # form showed as "nan" and every later save refused as a phone number.
    frame = pd.DataFrame(
        [saved.get(event, {"event": event, **default}) for event in EVENTS],
        columns=COLUMNS,
        dtype=object,
    )
    for column in ("emails", "phone"):
        frame[column] = [_text(v) for v in frame[column]]
    return frame


def _text(value: object) -> str:
    """A text field's value; None and pandas' missing values (NaN) are empty."""
    if value is None or (isinstance(value, float) and value != value):  # NaN != NaN
        return ""
    return str(value).strip()


def _validated(event: str, row: Mapping[str, object]) -> dict[str, object]:
    if event not in EVENTS:
        raise InvalidInput("validation.unknown_event")
    try:
        addresses = email_list(_text(row.get("emails")))
        phone = _text(row.get("phone"))
        number = normalize_phone(phone) if phone else None
    except InvalidInput as exc:  # the same refusal, told which event's row it is about
        raise InvalidInput(exc.key, **{**exc.params, "event": event}) from exc
    if row.get("sms_enabled") and number is None:
        raise InvalidInput("validation.sms_needs_phone", event=event)
    return {
        "email_enabled": bool(row.get("email_enabled")),
        "sms_enabled": bool(row.get("sms_enabled")),
        "emails": ", ".join(addresses),
        "phone": number,
    }


@requires(SETTINGS_WRITE)
def save_prefs(viewer: Viewer, db: Databases, *, prefs: Sequence[Mapping[str, object]]) -> None:
    """Store several events' settings at once: all valid, or InvalidInput and nothing saved."""
    partner_id = _partner_id(viewer)
    checked = {str(row.get("event")): _validated(str(row.get("event")), row) for row in prefs}
    now = now_utc()
    with db.portal.begin() as conn:
        for event, values in checked.items():
            key = (notification_prefs.c.partner_id == partner_id) & (
                notification_prefs.c.event == event
            )
            values = {**values, "updated_at": now}
            if conn.execute(update(notification_prefs).where(key).values(**values)).rowcount == 0:
                conn.execute(
                    insert(notification_prefs).values(partner_id=partner_id, event=event, **values)
                )
        audit.record(
            conn,
            viewer,
            action="notification_prefs_saved",
            entity="notification_prefs",
            partner_id=partner_id,
            details={"events": sorted(checked)},
        )


@requires(SETTINGS_WRITE)
def recipients(
    viewer: Viewer, db: Databases, *, event: str, now: datetime | None = None
) -> list[Recipient]:
    """Where the viewer's partner wants `event` to go (main address when nothing is saved),
    and to each team member who chose it and whose role may see it."""
    partner_id = _partner_id(viewer)
    prefs = get_prefs(viewer, db).set_index("event").loc[event]
    out: list[Recipient] = []
    if prefs["email_enabled"]:
        addresses = [a for a in str(prefs["emails"] or "").split(", ") if a]
        if not addresses:
            with db.portal.connect() as conn:
                main = conn.execute(
                    select(partners.c.email).where(partners.c.partner_id == partner_id)
                ).scalar()
            addresses = [main] if main else []
        out += [Recipient("email", a) for a in addresses]
    if prefs["sms_enabled"] and prefs["phone"]:
        out.append(Recipient("sms", str(prefs["phone"])))
    taken = {(r.channel, r.address.lower()) for r in out}
    for member in _members(db, partner_id, event, now or now_utc()):
        if (member.channel, member.address.lower()) not in taken:
            taken.add((member.channel, member.address.lower()))
            out.append(member)
    return out


def _members(db: Databases, partner_id: int, event: str, now: datetime) -> list[Recipient]:
    """The partner's members who chose `event` (data/access/team.py save_my_prefs)."""
    query = (
        select(users.c.email, users.c.member_role, member_prefs)
        .join(member_prefs, member_prefs.c.user_id == users.c.user_id)
        .where(
            users.c.partner_id == partner_id,
            users.c.active.is_(True),
            member_prefs.c.event == event,
            member_prefs.c.email_enabled.is_(True) | member_prefs.c.sms_enabled.is_(True),
        )
        .order_by(users.c.user_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    out: list[Recipient] = []
    for row in rows:
        allowed = role_permissions(row.member_role)
        if allowed is not None and EVENT_PERMISSION.get(event) not in allowed:
            continue
        if row.daily_digest:
            # One digest mail a day replaces the member's single messages, SMS included.
            out.append(Recipient("email", str(row.email), digest_user_id=int(row.user_id)))
            continue
        after = held_until(now, quiet_from=row.quiet_from, quiet_until=row.quiet_until)
        if row.email_enabled:
            out.append(Recipient("email", str(row.email), after))
        if row.sms_enabled and row.phone:
            out.append(Recipient("sms", str(row.phone), after))
    return out


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def held_until(
    now: datetime, *, quiet_from: str | None, quiet_until: str | None, digest: bool = False
) -> datetime | None:
    """When a member's message may go (naive UTC), or None for at once.

    The daily digest holds it until the next DIGEST_AT (Berlin); quiet hours ("21:00" to
    "07:00", over midnight too) until their end.
    """
    local = now.replace(tzinfo=UTC).astimezone(BERLIN)
    if digest:
        due = datetime.combine(local.date(), DIGEST_AT, BERLIN)
        if due <= local:
            due = datetime.combine(local.date() + timedelta(days=1), DIGEST_AT, BERLIN)
        return naive_utc(due)
    if not quiet_from or not quiet_until:
        return None
    start, end = _clock(quiet_from), _clock(quiet_until)
    moment = local.time()
    quiet = start <= moment < end if start < end else moment >= start or moment < end
    if not quiet:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return naive_utc(datetime.combine(day, end, BERLIN))
