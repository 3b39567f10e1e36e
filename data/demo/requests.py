"""Demo Terminanfragen: both demo partners have open, answered and expired date requests.

Made through the real data functions (data/demand/date_requests.py) at moments before the
demo's today, so every status, mail and date they leave is what the app itself would leave:
per partner two open groups (one of two requests on the same day), one accepted request (a
new date created through Termine), one proposal of an existing date, one rejection, and one
request nobody answered, closed by the expiry job's function.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import Databases
from data.access.viewer import SYSTEM, Viewer
from data.demand import date_requests as dr
from data.portal_schema import ROLE_PARTNER, courses, users

BERLIN = ZoneInfo("Europe/Berlin")
DEMO_PARTNERS = ("kochschule", "weinschule")
# (name, email local part, people, message)
CUSTOMERS = (
    ("Miriam Krause", "miriam.krause", 6, "Wir möchten als Team einen Abend zusammen kochen."),
    ("Stefan Albrecht", "stefan.albrecht", 2, None),
    ("Hanna Lorenz", "hanna.lorenz", 4, "Geburtstag meiner Schwester – geht es auch abends?"),
    ("Yusuf Demir", "yusuf.demir", 3, None),
    ("Paula Brandt", "paula.brandt", 8, "Junggesellinnenabschied, gern mit Sekt zum Start."),
    ("Jonas Keller", "jonas.keller", 2, "Ein Geschenk zum Jahrestag."),
    ("Ida Schulte", "ida.schulte", 5, None),
)


def _moment(day: date, hour: int) -> datetime:
    """Berlin wall-clock on `day` as naive UTC."""
    local = datetime.combine(day, time(hour, 0), tzinfo=BERLIN)
    return local.astimezone(UTC).replace(tzinfo=None)


def _demo_viewers(db: Databases) -> list[tuple[Viewer, list[int]]]:
    with db.portal.connect() as conn:
        found = conn.execute(
            select(users.c.user_id, users.c.partner_id).where(
                users.c.username.in_(DEMO_PARTNERS), users.c.role == ROLE_PARTNER
            )
        ).all()
        out = []
        for user_id, partner_id in sorted(found):
            products = conn.execute(
                select(courses.c.product_id)
                .where(courses.c.partner_id == partner_id)
                .order_by(courses.c.product_id)
                .limit(3)
            ).scalars()
            out.append((Viewer(user_id, ROLE_PARTNER, partner_id), list(products)))
    return out


def _ask(
    db: Databases, viewer: Viewer, product_id: int, n: int, *, day: date, when: datetime, slug: str
) -> int:
    # Each demo partner hears from other people (the offset), in the same pattern of states.
    name, local, people, message = CUSTOMERS[(n + 2 * int(viewer.partner_id or 0)) % len(CUSTOMERS)]
    return dr.create_request(
        viewer,
        db,
        product_id=product_id,
        day=day,
        start=time(18, 0) if n % 2 else time(17, 30),
        name=name,
        email=f"{local}.{slug}@example.org",
        participants=people,
        message=message,
        locale="en" if n == 3 else "de",
        source="widget",
        now=when,
    ).request_id


def _partner_requests(db: Databases, viewer: Viewer, products: list[int], today: date) -> None:
    first, second = products[0], products[-1]
    slug = f"p{viewer.partner_id}"
    yesterday, last_week = (
        _moment(today - timedelta(days=1), 10),
        _moment(today - timedelta(days=6), 9),
    )
    # Open: a group of two on one day, and a single request on another course.
    open_day = today + timedelta(days=17)
    _ask(db, viewer, first, 0, day=open_day, when=yesterday, slug=slug)
    _ask(db, viewer, first, 1, day=open_day, when=_moment(today - timedelta(days=3), 15), slug=slug)
    _ask(db, viewer, second, 2, day=today + timedelta(days=24), when=yesterday, slug=slug)
    # Answered a week ago: accepted with a new date, a proposal, a rejection.
    answered = _moment(today - timedelta(days=5), 11)
    accepted_day = today + timedelta(days=20)
    accepted = _ask(db, viewer, first, 3, day=accepted_day, when=last_week, slug=slug)
    dr.accept_requests(
        viewer, db, request_ids=[accepted],
        new_date=dr.NewDate(
            starts_at=datetime.combine(accepted_day, time(18, 0)),
            ends_at=datetime.combine(accepted_day, time(21, 0)),
            seats=12, price="89.00",
        ),
        note="Sehr gern – wir haben den Termin für Sie eingerichtet.", now=answered,
    )  # fmt: skip
    proposed_day = today + timedelta(days=12)
    proposed = _ask(db, viewer, second, 4, day=proposed_day, when=last_week, slug=slug)
    other_day = proposed_day + timedelta(days=7)
    dr.propose_date(
        viewer, db, request_ids=[proposed],
        new_date=dr.NewDate(
            starts_at=datetime.combine(other_day, time(17, 0)),
            ends_at=datetime.combine(other_day, time(20, 0)),
            seats=10, price="79.00",
        ),
        note="An Ihrem Wunschtag sind wir belegt – passt Ihnen eine Woche später?", now=answered,
    )  # fmt: skip
    rejected = _ask(db, viewer, first, 5, day=today + timedelta(days=9), when=last_week, slug=slug)
    dr.reject_requests(
        viewer, db, request_ids=[rejected], now=answered,
        reason="An diesem Tag ist unsere Küche für eine Firmenfeier reserviert.",
    )  # fmt: skip
    # Nobody answered this one: the expiry job closes it.
    _ask(
        db, viewer, second, 6, day=today + timedelta(days=30),
        when=_moment(today - timedelta(days=14), 9), slug=slug,
    )  # fmt: skip


def create_demo_requests(db: Databases, *, today: date) -> int:
    """Requests for both demo partners; returns how many requests were expired."""
    for viewer, products in _demo_viewers(db):
        if products:
            _partner_requests(db, viewer, products, today)
    return dr.expire_overdue(SYSTEM, db, now=_moment(today, 7)).expired
