"""Pure: which weekday and time of day a course is most wanted on, and the next such day.

Wishes are (Berlin day, Berlin time of day, people): date requests' wanted day and time, or a
course's booked dates with their tickets. The weekday with the most people wins (ties: the
earlier weekday, Monday first), then that weekday's time with the most people (ties: the
earlier time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, time, timedelta

Wish = tuple[date, time, int]


def most_wanted(wishes: Iterable[Wish]) -> tuple[int, time] | None:
    """(weekday 0 = Monday, time of day) most people want; None without wishes."""
    by_day: Counter[int] = Counter()
    by_slot: Counter[tuple[int, time]] = Counter()
    for day, start, people in wishes:
        weight = max(int(people), 0)
        by_day[day.weekday()] += weight
        by_slot[(day.weekday(), start)] += weight
    if not by_day:
        return None
    weekday = min(by_day, key=lambda d: (-by_day[d], d))
    start = min((s for d, s in by_slot if d == weekday), key=lambda s: (-by_slot[(weekday, s)], s))
    return weekday, start


def next_weekday(today: date, weekday: int, *, lead_days: int) -> date:
    """The first day on `weekday` at least `lead_days` after today."""
    first = today + timedelta(days=lead_days)
    return first + timedelta(days=(weekday - first.weekday()) % 7)
