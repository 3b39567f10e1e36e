"""The clock and the zone: now in UTC as the databases store it, Europe/Berlin as people see it.

Timestamps are stored as naive UTC (Magento's convention, kept in the portal database too).
Functions that need the time take a `now=` keyword so that tests can pass a fixed moment; the
default comes from `now_utc`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")


def now_utc() -> datetime:
    """The current moment as naive UTC, the way it is stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(moment: datetime) -> datetime:
    """An aware moment as naive UTC; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
