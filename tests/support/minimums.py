"""Mindestteilnehmerzahl in the two-partner world, for the tenant test: A's date 13 and B's
date 21 each have a minimum and an open question, so every partner's reads have rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from core.db import Databases
from data import portal_schema as p

ASKED = datetime(2026, 11, 25, 11, 0)


def add_minimums(db: Databases, *, partners: str = "AB") -> None:
    rows = [(13, 1, 101, 6, "A"), (21, 2, 201, 8, "B")]
    with db.portal.begin() as conn:
        for date_id, partner_id, product_id, minimum, owner in rows:
            if owner not in partners:
                continue
            conn.execute(
                insert(p.date_minimums).values(
                    date_id=date_id,
                    partner_id=partner_id,
                    product_id=product_id,
                    min_participants=minimum,
                    updated_at=ASKED,
                )
            )
            conn.execute(
                insert(p.minimum_checks).values(
                    date_id=date_id,
                    partner_id=partner_id,
                    product_id=product_id,
                    state=p.MINIMUM_ASKED,
                    min_participants=minimum,
                    seats_sold=1,
                    asked_at=ASKED,
                    last_call_at=datetime(2100, 1, 1),
                    created_at=ASKED,
                    updated_at=ASKED,
                )
            )
