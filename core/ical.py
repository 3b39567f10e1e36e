"""iCalendar (.ics, RFC 5545) export of course dates, for Google Calendar, Outlook, Apple.

Pure: rows in, bytes out. Times are written in UTC (…Z), which every calendar converts to the
reader's zone; a cancelled date is exported with STATUS:CANCELLED so calendars that imported it
before strike it through. UIDs are stable per date, so a re-import updates instead of doubling.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from icalendar import Calendar, Event

from core.clock import now_utc

PRODID = "-//Miomente//Partner-Portal Termine//DE"
UID = "course-date-{date_id}@partner.miomente.de"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def build_ics(
    rows: Iterable[Mapping[str, Any]], *, name: str, stamp: datetime | None = None
) -> bytes:
    """rows: date_id, course, starts_at, ends_at (naive UTC), seats_total, seats_sold, status."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = _utc(stamp or now_utc())
    for row in rows:
        event = Event()
        event.add("uid", UID.format(date_id=row["date_id"]))
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(row["starts_at"]))
        event.add("dtend", _utc(row["ends_at"]))
        event.add("summary", str(row.get("course") or f"Kurs {row.get('product_id', '')}"))
        sold, total = row.get("seats_sold"), row.get("seats_total")
        if total is not None:
            event.add("description", f"Plätze: {sold or 0}/{total}")
        cancelled = row.get("status") == "cancelled"
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
