"""When a payout is due: the 5th German working day of the month after the events.

A working day is Monday to Friday and not a nationwide German public holiday (the `holidays`
package, country "DE" without a state: New Year, Good Friday, Easter Monday, 1 May, Ascension,
Whit Monday, 3 October, Christmas; state-only holidays such as Epiphany do not move it).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

PAYOUT_WORKDAY = 5


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("DE", years=year))


def is_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def nth_workday(year: int, month: int, n: int) -> date:
    """The n-th working day (1-based) of a month."""
    if n < 1:
        raise ValueError("n starts at 1")
    day, found = date(year, month, 1), 0
    while True:
        if is_workday(day):
            found += 1
            if found == n:
                return day
        day += timedelta(days=1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def expected_payout_date(period: date) -> date:
    """Payout date for the events of the month that contains `period`."""
    following = next_month(period)
    return nth_workday(following.year, following.month, PAYOUT_WORKDAY)
