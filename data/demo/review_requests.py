"""The demo's review requests: every shop order carries a legal basis (mostly consent, some
the § 7 (3) UWG notice, a few none), and the courses of the last 60 days have had their
requests — a reminder to those who did not answer within 5 days, and about a third answered
with one of the course's reviews — so Bewertungen → Anfragen shows a list and response rates
on first start. Rows only: the demo sends no mail."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import case, insert, select, update

from core.db import Databases
from data import portal_schema as p
from data.reviews.requests import due_at, email_hash, review_token
from data.shop import schema as m

DAYS_BACK = 60


def _basis_of_orders(db: Databases) -> None:
    """Of every 20 orders: one without a basis, five with the notice, the rest consent."""
    o = m.sales_order.c
    bucket = o.entity_id % 20
    basis = case(
        (bucket == 0, None), (bucket <= 5, p.REVIEW_BASIS_NOTICE), else_=p.REVIEW_BASIS_CONSENT
    )
    with db.magento.begin() as conn:
        conn.execute(update(m.sales_order).values(miomente_review_basis=basis))


def add_demo_review_requests(db: Databases, *, now: datetime) -> int:
    """Write the requests of the last `DAYS_BACK` days (needs the ledger); returns how many."""
    _basis_of_orders(db)
    b = p.bookings.c
    query = (
        select(b.item_id, b.order_id, b.increment_id, b.partner_id, b.product_id, b.date_id,
               b.course, b.event_at, b.customer_email)
        .where(b.status.in_(("confirmed", "completed")), b.tickets > 0,
               b.event_at >= now - timedelta(days=DAYS_BACK), b.event_at < now - timedelta(days=2),
               b.customer_email.is_not(None))
        .order_by(b.event_at, b.item_id)
    )  # fmt: skip
    with db.portal.connect() as conn:
        booked = conn.execute(query).all()
    with db.magento.connect() as conn:
        order = select(m.sales_order.c.entity_id, m.sales_order.c.miomente_review_basis)
        bases = {int(i): basis for i, basis in conn.execute(order)}
        reviews: dict[int, list[int]] = {}
        found = select(m.review.c.entity_pk_value, m.review.c.review_id).order_by(
            m.review.c.review_id
        )
        for product_id, review_id in conn.execute(found):
            reviews.setdefault(int(product_id), []).append(int(review_id))
    rows, keys = [], set()
    for row in booked:
        basis = bases.get(row.order_id)
        key = f"{email_hash(row.customer_email)[:40]}:{int(row.product_id)}"
        if basis is None or key in keys:
            continue
        keys.add(key)
        ended = row.event_at + timedelta(hours=3)
        sent = due_at(ended, 1)
        if sent > now:
            continue
        answered = row.item_id % 3 == 0 and reviews.get(int(row.product_id))
        review_id = reviews[int(row.product_id)].pop() if answered else None
        reminded = review_id is None and due_at(sent, 5) <= now
        token = review_token(row.item_id)
        rows.append(
            {"dedupe_key": key, "item_id": row.item_id, "order_id": row.order_id,
             "increment_id": row.increment_id, "partner_id": row.partner_id,
             "product_id": row.product_id, "date_id": row.date_id, "course": row.course,
             "email_hash": email_hash(row.customer_email), "locale": "de", "basis": basis,
             "ended_at": ended, "sent_at": sent, "reminders_sent": 1 if reminded else 0,
             "last_reminder_at": due_at(sent, 5) if reminded else None,
             "token_hash": hashlib.sha256(token.encode("ascii")).hexdigest(),
             "used_at": sent + timedelta(days=2) if review_id else None, "review_id": review_id}
        )  # fmt: skip
    with db.portal.begin() as conn:
        if rows:
            conn.execute(insert(p.review_requests), rows)
    return len(rows)
