"""Date requests for the two-partner world (tests/support/worlds.py), for the tenant test.

Fixed ids, so a world with only one partner gives that partner the same rows: A has request 1
(open) and 2 (rejected), B has 11 (open, B's marker address) and 12 (expired).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, insert, select

from core.db import Databases
from data import portal_schema as p
from tests.support.worlds import B

CREATED = datetime(2026, 11, 25, 11, 0)
DAY = date(2026, 12, 19)


def add_date_requests(db: Databases, *, partners: str = "AB") -> None:
    rows = [
        (1, 1, 101, "pending", "kunde.a@example.org", "A"),
        (2, 1, 102, "rejected", "kunde.a@example.org", "A"),
        (11, 2, 201, "pending", B.customer_email, "B"),
        (12, 2, 202, "expired", B.customer_email, "B"),
    ]
    with db.portal.begin() as conn:
        for request_id, partner_id, product_id, status, email, owner in rows:
            if owner not in partners:
                continue
            conn.execute(
                insert(p.date_requests).values(
                    request_id=request_id,
                    partner_id=partner_id,
                    product_id=product_id,
                    requested_day=DAY,
                    requested_time=time(18, 0),
                    customer_name=f"Kunde {owner}",
                    email=email,
                    participants=2 + partner_id,
                    message=f"Wunsch von {owner}",
                    status=status,
                    answer_due_on=date(2026, 12, 2),
                    created_at=CREATED,
                    updated_at=CREATED,
                    decided_at=None if status == "pending" else CREATED,
                )
            )
        if conn.dialect.name == "postgresql":
            table, pk = p.date_requests.name, "request_id"
            top = select(func.coalesce(func.max(p.date_requests.c.request_id), 0) + 1)
            conn.execute(
                select(
                    func.setval(
                        func.pg_get_serial_sequence(table, pk), top.scalar_subquery(), False
                    )
                )
            )
