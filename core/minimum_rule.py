"""Mindestteilnehmerzahl: what the check job does with one date, and which values are valid.

Pure: no I/O, no clock of its own (the caller passes `now`, naive UTC). The job
(data/dates/minimums.py) reads the facts, asks `next_step` and carries the step out.

The timeline of a date with a minimum, for a partner's settings N days and H hours:

- From N days before the start (the check point) the job looks at the date every hour.
- Seats sold (every order that holds seats, undecided bookings too) ≥ the minimum: the date
  is *reached*; its undecided bookings are confirmed, and so are later ones until the start.
  Once reached, the date stays reached (a later cancellation does not reopen the question:
  its customers were told the date takes place).
- Not reached: the partner is *asked* once (mail + the question on Termine). The last call is
  H hours after the question (default 72 h before the start + 24 h = 48 h before the start,
  so customers of a cancelled date learn it two days ahead; `answer_hours` < N × 24 keeps the
  last call before the start). Reached before the last call: as above. The partner may answer
  "Trotzdem durchführen" (*go*: no cancellation; bookings are confirmed like a reached date's)
  or "Termin absagen"; no answer by the last call: the date is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.validation import InvalidInput

DEFAULT_CHECK_DAYS = 3
DEFAULT_ANSWER_HOURS = 24
MAX_CHECK_DAYS = 14
MAX_ANSWER_HOURS = 72
MAX_MINIMUM = 10_000

# The states of a date's check (miomente_minimum_checks.state); None: not checked yet.
REACHED, ASKED, GO, CANCELLED = "reached", "asked", "go", "cancelled"


class Step(StrEnum):
    WAIT = "wait"  # nothing to do now
    CONFIRM = "confirm"  # reached or held anyway: confirm the undecided bookings
    ASK = "ask"  # not reached at the check: ask the partner (once)
    CANCEL = "cancel"  # asked, no answer by the last call: cancel the date


@dataclass(frozen=True)
class DateCheck:
    minimum: int  # 0: the date has none
    sold: int
    starts_at: datetime  # naive UTC
    state: str | None = None
    last_call_at: datetime | None = None


def in_window(starts_at: datetime, now: datetime, *, check_days: int) -> bool:
    """The date starts after `now` and within `check_days` days."""
    return now < starts_at <= now + timedelta(days=int(check_days))


def last_call(asked_at: datetime, *, answer_hours: int) -> datetime:
    """When a date whose partner was asked at `asked_at` is cancelled without an answer."""
    return asked_at + timedelta(hours=int(answer_hours))


def next_step(check: DateCheck, now: datetime, *, check_days: int) -> Step:
    """What the job does with this date now."""
    if check.minimum <= 0 or check.state == CANCELLED or check.starts_at <= now:
        return Step.WAIT
    if check.state in (REACHED, GO):
        return Step.CONFIRM
    if check.state is None and not in_window(check.starts_at, now, check_days=check_days):
        return Step.WAIT
    if check.sold >= check.minimum:
        return Step.CONFIRM
    if check.state is None:
        return Step.ASK
    if check.last_call_at is not None and now >= check.last_call_at:
        return Step.CANCEL
    return Step.WAIT


def _whole(value: object, key: str) -> int:
    if isinstance(value, bool):
        raise InvalidInput(key)
    if isinstance(value, float) and not value.is_integer():
        raise InvalidInput(key)
    try:
        return int(str(value).strip()) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(key) from None


def check_minimum(value: object, *, seats: int | None) -> int:
    """The minimum a form sent: empty or 0 is none (0); negative, not a whole number or more
    than the date's seats is refused with a German reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    minimum = _whole(value, "minimums.invalid")
    if minimum < 0 or minimum > MAX_MINIMUM:
        raise InvalidInput("minimums.invalid")
    if seats is not None and minimum > int(seats):
        raise InvalidInput("minimums.above_seats", n=minimum, seats=int(seats))
    return minimum


def check_settings(check_days: object, answer_hours: object) -> tuple[int, int]:
    """The partner's check settings, or InvalidInput with the reason."""
    days = _whole(check_days, "minimums.days_invalid")
    if not 1 <= days <= MAX_CHECK_DAYS:
        raise InvalidInput("minimums.days_invalid")
    hours = _whole(answer_hours, "minimums.hours_invalid")
    if not 1 <= hours <= MAX_ANSWER_HOURS:
        raise InvalidInput("minimums.hours_invalid")
    if hours >= days * 24:
        raise InvalidInput("minimums.hours_after_start", hours=hours, days=days)
    return days, hours
