"""Mindestteilnehmerzahl in the demo: both demo partners have dates with a minimum, and one
date of each, two days ahead, is below it and already asked about, so Termine shows the
question "durchführen oder absagen?" on first start. Deterministic for a day, like the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM, Viewer
from data.dates.course_dates import update_date
from data.dates.minimums import check_minimums
from data.demo.content import DEMO_LOGINS
from data.shop import schema as m

LATER_DATES = 4  # further dates per partner that get a minimum (outside the check window)


def _demo_partners(db: Databases) -> list[int]:
    logins = [name for name, _pw, role in DEMO_LOGINS if role == "partner"]
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(p.users.c.partner_id)
            .where(p.users.c.username.in_(logins))
            .order_by(p.users.c.username)
        )
        return [int(r[0]) for r in rows if r[0] is not None]


def _upcoming(
    db: Databases, partner_id: int, now: datetime
) -> list[tuple[int, int, datetime, int, int]]:
    """(date id, product id, start, seats, sold) of the partner's active dates in 3 weeks."""
    with db.portal.connect() as conn:
        products = [
            int(r[0])
            for r in conn.execute(
                select(p.courses.c.product_id).where(p.courses.c.partner_id == partner_id)
            )
        ]
    d = m.miomente_course_date
    with db.magento.connect() as conn:
        rows = conn.execute(
            select(d.c.date_id, d.c.product_id, d.c.starts_at, d.c.seats_total)
            .where(
                d.c.product_id.in_(products or [-1]),
                d.c.status == m.DATE_ACTIVE,
                d.c.starts_at > now + timedelta(days=1),
                d.c.starts_at <= now + timedelta(days=21),
            )
            .order_by(d.c.starts_at, d.c.date_id)
        ).all()
        ids = [int(r.date_id) for r in rows]
        sold = {
            int(i): max(int(float(n or 0)), 0)
            for i, n in conn.execute(m.seats_sold_per_date(ids or [-1]))
        }
    return [
        (
            int(r.date_id),
            int(r.product_id),
            r.starts_at,
            int(r.seats_total),
            sold.get(int(r.date_id), 0),
        )
        for r in rows
    ]


def add_demo_minimums(db: Databases, *, now: datetime) -> None:
    """Minimums on a few dates of each demo partner; the one in the check window is asked."""
    for partner_id in _demo_partners(db):
        # Through the Termine form's own path, as the partner (user 0: the demo builder).
        viewer = Viewer(user_id=0, role="staff", partner_id=partner_id)
        dates = _upcoming(db, partner_id, now)
        soon = [x for x in dates if x[2] <= now + timedelta(days=3) and x[4] + 2 <= x[3]]
        later = [x for x in dates if x[2] > now + timedelta(days=4)][:LATER_DATES]
        for n, (date_id, _product_id, _start, seats, sold) in enumerate(soon[:1] + later):
            # The first is 2 short of its minimum; the later ones alternate not reached/reached.
            minimum = min(seats, sold + 2) if n % 2 == 0 else max(1, min(sold, seats))
            update_date(viewer, db, date_id=date_id, minimum=minimum, now=now)
    check_minimums(SYSTEM, db, now=now)
