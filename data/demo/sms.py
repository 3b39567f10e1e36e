"""The demo's SMS reminders: the Kochschule reminds 24 hours ahead and has three months of
reminders behind it (most sent, some without a mobile number), so Einstellungen shows the
monthly count and cost on first start. The rows carry no phone numbers; the demo sends none."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from core.db import Databases
from data import portal_schema as p

SEGMENTS = 2  # the German reminder with a course name and a place is two segments


def add_demo_sms(db: Databases, *, now: datetime) -> int:
    """Switch the Kochschule's reminders on and write its past reminders; returns how many."""
    with db.portal.connect() as conn:
        user = select(p.users.c.partner_id).where(p.users.c.username == "kochschule")
        kochschule = int(conn.execute(user).scalar_one())
    since = now - timedelta(days=92)
    query = (
        select(p.bookings.c.item_id, p.bookings.c.date_id, p.bookings.c.event_at)
        .where(
            p.bookings.c.partner_id == kochschule,
            p.bookings.c.status == "confirmed",
            p.bookings.c.event_at >= since,
            p.bookings.c.event_at < now,
        )
        .order_by(p.bookings.c.item_id)
    )
    with db.portal.begin() as conn:
        booked = conn.execute(query).all()
        rows = [
            {"item_id": item_id, "lead": "24h", "partner_id": kochschule, "date_id": date_id,
             "outcome": "no_mobile" if item_id % 5 == 0 else "queued",
             "segments": 0 if item_id % 5 == 0 else SEGMENTS,
             "created_at": event_at - timedelta(hours=24)}
            for item_id, date_id, event_at in booked
        ]  # fmt: skip
        conn.execute(
            insert(p.sms_settings).values(
                partner_id=kochschule, remind_24h=True, remind_2h=False, updated_at=since
            )
        )
        if rows:
            conn.execute(insert(p.sms_reminders), rows)
    return len(rows)
