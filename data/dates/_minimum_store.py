"""Where a date's Mindestteilnehmerzahl is kept: its own row, else its series' default.

Private to `data.dates`: course_dates.py (single dates), series.py (the series default) and
minimums.py (the check job, the Termine list) use it. A series' date takes the series'
`min_participants` by reference, not by a copied row: a date written by the generator (also
one a crashed run left without its portal step) has its series' minimum at once, and a bulk
edit of the series' minimum reaches every future date that has no minimum of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from core.sql import chunks, insert_ignore
from data.portal_schema import date_minimums, recurring_patterns


def store(
    pconn: Connection,
    *,
    date_id: int,
    partner_id: int,
    product_id: int,
    minimum: int,
    user_id: int,
    now: datetime,
) -> None:
    """Set the date's own minimum (0: none, also over its series' default) in the caller's
    portal transaction."""
    values = {"min_participants": int(minimum), "updated_by": user_id, "updated_at": now}
    row = {"date_id": int(date_id), "partner_id": partner_id, "product_id": int(product_id)}
    if not insert_ignore(pconn, date_minimums, [row | values], index_elements=["date_id"]):
        pconn.execute(
            update(date_minimums).where(date_minimums.c.date_id == int(date_id)).values(**values)
        )


def drop_own(pconn: Connection, date_ids: Sequence[int]) -> None:
    """The dates take their series' default again (a bulk edit of the series' minimum)."""
    for chunk in chunks(sorted({int(i) for i in date_ids}), 1000):
        pconn.execute(delete(date_minimums).where(date_minimums.c.date_id.in_(chunk)))


def effective(pconn: Connection, dates: Mapping[int, int | None]) -> dict[int, int]:
    """date id -> its minimum (0: none), for dates given with their series id (or None)."""
    ids = sorted({int(d) for d in dates})
    own: dict[int, int] = {}
    for chunk in chunks(ids, 1000):
        found = pconn.execute(
            select(date_minimums.c.date_id, date_minimums.c.min_participants).where(
                date_minimums.c.date_id.in_(chunk)
            )
        )
        own.update((int(d), int(m)) for d, m in found)
    series_ids = sorted({int(s) for s in dates.values() if s is not None})
    defaults: dict[int, int] = {}
    p = recurring_patterns
    for chunk in chunks(series_ids, 1000):
        found = pconn.execute(
            select(p.c.series_id, p.c.min_participants).where(p.c.series_id.in_(chunk))
        )
        defaults.update((int(s), int(m or 0)) for s, m in found)
    out: dict[int, int] = {}
    for date_id, series_id in dates.items():
        if int(date_id) in own:
            out[int(date_id)] = own[int(date_id)]
        else:
            out[int(date_id)] = defaults.get(int(series_id), 0) if series_id is not None else 0
    return out
