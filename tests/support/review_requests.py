"""Booked items of courses that ended, for the review-request tests: shop orders (with the
legal basis on the order), the course dates with their end, and the ledger rows.

The world's own ledger rows are removed first: they are dated around the real today, and the
tests here run at fixed clocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, insert, update

from core.db import Databases
from data import portal_schema as p
from data.shop import schema as m
from tests.support.shop import Customer, Item, add_order

# Thursday 10 December 2026, 14:00–17:00 Berlin (13:00–16:00 UTC): the course that ended.
STARTS = datetime(2026, 12, 10, 13, 0)
ENDS = STARTS + timedelta(hours=3)
# Its request is due the next day at 17:00 Berlin (16:00 UTC).
DUE = ENDS + timedelta(days=1)
DATE_A, DATE_B = 7001, 7002


@dataclass(frozen=True)
class Booked:
    item_id: int
    partner_id: int
    product_id: int
    status: str  # the ledger's
    basis: str | None  # sales_order.miomente_review_basis
    email: str


# Partner A (1) owns 101, partner B (2) owns 201.
BOOKED = (
    Booked(8001, 1, 101, "confirmed", "notice", "anna.a@example.org"),
    Booked(8002, 1, 101, "cancelled", "consent", "bert.b@example.org"),
    Booked(8003, 1, 101, "refunded", "consent", "carl.c@example.org"),
    Booked(8004, 1, 101, "rejected", "consent", "dora.d@example.org"),
    Booked(8005, 1, 101, "confirmed", None, "emil.e@example.org"),  # no legal basis
    Booked(8006, 1, 101, "completed", "consent", "fritz.f@example.org"),  # objected
    Booked(8007, 2, 201, "completed", "consent", "gina.g@example.org"),
    Booked(8008, 1, 101, "confirmed", "notice", "Anna.A@example.org "),  # Anna's second item
)
ASKED = (8001, 8007)
OBJECTING = "fritz.f@example.org"


def add_ended_courses(
    db: Databases, *, booked: tuple[Booked, ...] = BOOKED, starts: datetime = STARTS,
    ends: datetime = ENDS, course: str = "Pasta <b>frisch</b>",
) -> None:  # fmt: skip
    """The orders, the two course dates (A's and B's) and the ledger rows."""
    with db.magento.begin() as conn:
        for date_id, product in ((DATE_A, 101), (DATE_B, 201)):
            conn.execute(
                insert(m.miomente_course_date).values(
                    date_id=date_id, product_id=product, starts_at=starts, ends_at=ends,
                    seats_total=12, price=Decimal("89.00"), created_at=starts - timedelta(days=30),
                    updated_at=starts - timedelta(days=30),
                )
            )  # fmt: skip
        for b in booked:
            add_order(
                conn, order_id=b.item_id, items=[Item(b.item_id, b.product_id)],
                created_at=starts - timedelta(days=20),
                customer=Customer("Gast", str(b.item_id), email=b.email),
            )  # fmt: skip
            conn.execute(
                update(m.sales_order)
                .where(m.sales_order.c.entity_id == b.item_id)
                .values(miomente_review_basis=b.basis)
            )
    rows = [
        {"item_id": b.item_id, "order_id": b.item_id, "increment_id": f"{b.item_id:09d}",
         "partner_id": b.partner_id, "product_id": b.product_id, "course": course,
         "date_id": DATE_A if b.partner_id == 1 else DATE_B, "event_at": starts,
         "booked_at": starts - timedelta(days=20), "customer_name": f"Gast {b.item_id}",
         "customer_email": b.email, "tickets": 0 if b.status in ("cancelled", "refunded") else 1,
         "gross": Decimal("89"), "status": b.status, "shop_updated_at": starts,
         "synced_at": starts}
        for b in booked
    ]  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(delete(p.bookings))
        conn.execute(insert(p.bookings), rows)


def add_review_requests(db: Databases, *, partners: str = "AB") -> None:
    """For the tenant test: one request per partner of the two-partner world, each answered
    by the world's review of that partner's course (A: review 1 on 101, B: review 3 on 201);
    B's is for its item in the order both partners share."""
    from tests.support.worlds import B

    rows = [
        ("A", 5001, 1001, 1, 101, "Alpha Pasta-Werkstatt", "a", 1),
        ("B", 5004, 1003, 2, 201, B.course_names[0], "b", 3),
    ]
    with db.portal.begin() as conn:
        for owner, item_id, order_id, partner_id, product_id, course, mark, review_id in rows:
            if owner not in partners:
                continue
            conn.execute(
                insert(p.review_requests).values(
                    dedupe_key=f"{mark * 40}:{product_id}", item_id=item_id, order_id=order_id,
                    increment_id=f"{order_id:09d}", partner_id=partner_id, product_id=product_id,
                    course=course, email_hash=mark * 64, locale="de", basis="consent",
                    ended_at=STARTS, sent_at=DUE, reminders_sent=1, last_reminder_at=DUE,
                    token_hash=(mark * 63) + "t", used_at=DUE, review_id=review_id,
                )
            )  # fmt: skip
