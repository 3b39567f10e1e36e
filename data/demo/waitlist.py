"""Waiting customers for the demo partners' courses, so the Warteliste shows something at once.

Each demo partner (the logins `kochschule` and `weinschule`) gets people waiting on four of its
courses: singles, couples and a few groups, for any date or for one full date, signed up over
the last two months; some were told of a date already and a few booked since (the conversion
rate). Deterministic for a seed and a day, like the rest of the demo.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select

from core.db import Databases
from data import portal_schema as p
from data.demo.content import DEMO_LOGINS, FIRST_NAMES, LAST_NAMES
from data.shop import schema as m

COURSES_PER_PARTNER = 4
# Group sizes, weighted towards singles and couples.
SEATS = (1, 1, 1, 2, 2, 2, 3, 4, 6)
NOTES = (None, None, None, "Möchte lieber am Wochenende", "Geschenk zum Geburtstag", None)


def _demo_partners(db: Databases) -> list[int]:
    partner_logins = [name for name, _pw, role in DEMO_LOGINS if role == "partner"]
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(p.users.c.partner_id)
            .where(p.users.c.username.in_(partner_logins))
            .order_by(p.users.c.username)
        )
        return [int(r[0]) for r in rows if r[0] is not None]


def _courses(db: Databases, partner_id: int) -> list[int]:
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(p.courses.c.product_id)
            .where(p.courses.c.partner_id == partner_id)
            .order_by(p.courses.c.product_id)
            .limit(COURSES_PER_PARTNER)
        )
        return [int(r[0]) for r in rows]


def _next_date(db: Databases, product_id: int, now: datetime) -> int:
    d = m.miomente_course_date
    with db.magento.connect() as conn:
        found = conn.execute(
            select(d.c.date_id)
            .where(d.c.product_id == product_id, d.c.starts_at > now, d.c.status == m.DATE_ACTIVE)
            .order_by(d.c.starts_at)
            .limit(1)
        ).scalar()
    return int(found or 0)


def _entry(
    rng: random.Random, n: int, partner_id: int, product_id: int, date_id: int, now: datetime
) -> dict:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    since = now - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 600))
    email = f"{first}.{last}.{n}@example.org".lower().replace("ü", "ue").replace("ö", "oe")
    email = email.replace("ä", "ae").replace("ß", "ss")
    converted = since + timedelta(days=1) if rng.random() < 0.15 else None
    return {
        "partner_id": partner_id,
        "product_id": product_id,
        "date_id": date_id if rng.random() < 0.25 else 0,
        "customer_name": f"{first} {last}",
        "email": email,
        "phone": f"+49151{rng.randint(1_000_000, 9_999_999)}" if rng.random() < 0.5 else None,
        "locale": "en" if rng.random() < 0.1 else "de",
        "seats": rng.choice(SEATS),
        "source": rng.choice(("phone", "widget", "shop", "shop")),
        "note": rng.choice(NOTES),
        "consent_at": since,
        "created_at": since,
        "updated_at": converted or since,
        "converted_at": converted,
    }


def add_demo_waitlist(db: Databases, *, now: datetime, seed: int) -> int:
    """Write the demo's waiting customers; returns how many."""
    rng = random.Random(seed * 7 + 12)
    rows: list[dict] = []
    for partner_id in _demo_partners(db):
        for product_id in _courses(db, partner_id):
            date_id = _next_date(db, product_id, now)
            for _ in range(rng.randint(3, 8)):
                rows.append(_entry(rng, len(rows), partner_id, product_id, date_id, now))
    if rows:
        with db.portal.begin() as conn:
            conn.execute(insert(p.waitlist), rows)
    return len(rows)
