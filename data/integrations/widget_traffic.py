"""Widget traffic: views (the dates were loaded) and booking clicks per partner and Berlin day.

The public endpoints count with `count_widget_event` (one UPDATE of a counter row; the first
event of a day inserts it), the Integrationen page shows `widget_traffic` per day: a partner
its own, staff every partner's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import select, update

from core.clock import now_utc
from core.db import Databases
from core.recurrence import local_day
from core.sql import insert_ignore
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import DATES_READ, SETTINGS_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import WIDGET_EVENTS, partners, widget_traffic

TRAFFIC_COLUMNS = ["day", "partner_id", "partner", "views", "clicks"]


@requires(DATES_READ)
def count_widget_event(
    viewer: Viewer, db: Databases, *, event: str, now: datetime | None = None
) -> None:
    """Add one `event` ("view" or "click") to the viewer's partner's counter of today."""
    if event not in WIDGET_EVENTS:
        raise InvalidInput("widget.event_invalid")
    if viewer.partner_id is None:
        raise ScopeError("widget.needs_partner")
    key = {"partner_id": viewer.partner_id, "day": local_day(now or now_utc()), "event": event}
    t = widget_traffic
    bump = (
        update(t)
        .where(t.c.partner_id == key["partner_id"], t.c.day == key["day"], t.c.event == event)
        .values(count=t.c.count + 1)
    )
    with db.portal.begin() as conn:
        if conn.execute(bump).rowcount:
            return
        if insert_ignore(conn, t, [key | {"count": 1}], index_elements=list(key)):
            return
        conn.execute(bump)  # another request inserted the row in between


@requires(SETTINGS_WRITE)
def widget_traffic_per_day(
    viewer: Viewer, db: Databases, *, days: int = 30, now: datetime | None = None
) -> pd.DataFrame:
    """Views and booking clicks per day and partner over the last `days` days, newest first."""
    if not 1 <= int(days) <= 366:
        raise InvalidInput("widget.days_invalid")
    since: date = local_day(now or now_utc()) - timedelta(days=int(days) - 1)
    t = widget_traffic
    query = (
        select(t.c.day, t.c.partner_id, partners.c.name, t.c.event, t.c.count)
        .join(partners, partners.c.partner_id == t.c.partner_id)
        .where(t.c.day >= since, scope.partner_filter(t.c.partner_id, viewer))
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    table: dict[tuple[date, int], dict[str, object]] = {}
    for day, partner_id, name, event, count in rows:
        row = table.setdefault(
            (day, partner_id),
            {"day": day, "partner_id": partner_id, "partner": name, "views": 0, "clicks": 0},
        )
        row["views" if event == "view" else "clicks"] = int(count)
    frame = pd.DataFrame(list(table.values()), columns=TRAFFIC_COLUMNS)
    return frame.sort_values(["day", "partner"], ascending=[False, True], ignore_index=True)
