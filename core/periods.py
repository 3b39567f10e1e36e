"""Calendar periods in Berlin time, turned into the naive-UTC bounds the databases store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.clock import BERLIN, naive_utc, now_utc


@dataclass(frozen=True)
class Period:
    """[start, end) in naive UTC, plus the Berlin dates it covers for display."""

    start: datetime
    end: datetime
    first_day: date
    last_day: date


def _utc(day: date) -> datetime:
    """Berlin midnight at the start of `day`, as naive UTC."""
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def days(first_day: date, last_day: date) -> Period:
    return Period(_utc(first_day), _utc(last_day + timedelta(days=1)), first_day, last_day)


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return days(monday, monday + timedelta(days=6))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return days(first, following - timedelta(days=1))


def previous_month(day: date) -> Period:
    return month_of(day.replace(day=1) - timedelta(days=1))


def berlin_today(now: datetime | None = None) -> date:
    """The Berlin calendar day at `now` (aware, or naive UTC as stored), by default today."""
    moment = naive_utc(now) if now else now_utc()
    return moment.replace(tzinfo=UTC).astimezone(BERLIN).date()


def shift_day(day: date, months: int) -> date:
    """The same day `months` months away, clipped to that month's length (31.3. -> 28.2.)."""
    index = day.year * 12 + day.month - 1 + months
    target = date(index // 12, index % 12 + 1, 1)
    return target.replace(day=min(day.day, month_of(target).last_day.day))
