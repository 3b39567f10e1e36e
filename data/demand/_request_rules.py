"""Terminanfragen, the pure part: a partner's rules, the input checks and the working-day clock.

No I/O here: `data.demand.date_requests` reads the rules and the course, then asks these
functions whether a request may come in. Every refusal is an `InvalidInput` with a key under
`date_requests.` in locales/*.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from accounting.workdays import is_workday
from core import periods
from core.validation import InvalidInput, is_email

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# Whatever a partner's rules say: a group beyond this is a private event, not a date request.
MAX_PARTICIPANTS = 100
MAX_NAME, MAX_MESSAGE, MAX_NOTE = 200, 2000, 1000
HORIZON_MONTHS = 18
ANSWER_WORKDAYS = 5
MAX_LEAD_DAYS = 365


@dataclass(frozen=True)
class RequestRules:
    """Which requests a partner takes: weekdays, the start's time window (Berlin), the group
    size and how many days ahead at least."""

    weekdays: tuple[str, ...] = WEEKDAYS
    earliest: time = time(9, 0)
    latest: time = time(20, 0)
    min_participants: int = 1
    max_participants: int = 20
    lead_days: int = 3


DEFAULT_RULES = RequestRules()


@dataclass(frozen=True)
class Wish:
    """A request as typed, checked and normalised."""

    day: date
    start: time
    name: str
    email: str
    participants: int
    message: str | None
    phone: str | None
    locale: str


def check_rules(rules: RequestRules) -> RequestRules:
    """The rules a partner saves, or InvalidInput saying what does not fit."""
    days = tuple(d for d in WEEKDAYS if d in {str(w).upper() for w in rules.weekdays})
    if not days:
        raise InvalidInput("date_requests.rules_weekdays")
    if rules.earliest >= rules.latest:
        raise InvalidInput("date_requests.rules_times")
    low, high = int(rules.min_participants), int(rules.max_participants)
    if not 1 <= low <= high <= MAX_PARTICIPANTS:
        raise InvalidInput("date_requests.rules_participants", max=MAX_PARTICIPANTS)
    if not 0 <= int(rules.lead_days) <= MAX_LEAD_DAYS:
        raise InvalidInput("date_requests.rules_lead", max=MAX_LEAD_DAYS)
    return RequestRules(days, rules.earliest, rules.latest, low, high, int(rules.lead_days))


def _text(value: object, *, limit: int, key: str, one_line: bool = False) -> str | None:
    raw = str(value or "")
    text = " ".join(raw.split()) if one_line else raw.strip()
    if len(text) > limit:
        raise InvalidInput(key, max=limit)
    return text or None


def check_wish(
    *,
    day: object,
    start: object,
    name: object,
    email: object,
    participants: object,
    message: object,
    phone: object,
    locale: str,
    today: date,
) -> Wish:
    """The general checks, before the course and its partner's rules are known."""
    clean_name = _text(name, limit=MAX_NAME, key="date_requests.name_too_long", one_line=True)
    if clean_name is None:
        raise InvalidInput("date_requests.name_required")
    address = str(email or "").strip().lower()
    if not is_email(address):
        raise InvalidInput("date_requests.email_invalid")
    try:
        people = int(str(participants).strip())
    except ValueError:
        people = 0
    if not 1 <= people <= MAX_PARTICIPANTS:
        raise InvalidInput("date_requests.participants_invalid", max=MAX_PARTICIPANTS)
    if not isinstance(day, date) or not isinstance(start, time):
        raise InvalidInput("date_requests.day_invalid")
    if day <= today:
        raise InvalidInput("date_requests.day_past")
    if day > periods.shift_day(today, HORIZON_MONTHS):
        raise InvalidInput("date_requests.day_too_far", months=HORIZON_MONTHS)
    return Wish(
        day=day,
        start=start.replace(second=0, microsecond=0, tzinfo=None),
        name=clean_name,
        email=address,
        participants=people,
        message=_text(message, limit=MAX_MESSAGE, key="date_requests.message_too_long"),
        phone=_text(phone, limit=50, key="date_requests.phone_too_long", one_line=True),
        locale=locale,
    )


def check_against(rules: RequestRules, wish: Wish, *, today: date) -> None:
    """A request outside the partner's rules is refused with the rule it breaks."""
    if WEEKDAYS[wish.day.weekday()] not in rules.weekdays:
        raise InvalidInput("date_requests.rule_weekday")
    if not rules.earliest <= wish.start <= rules.latest:
        raise InvalidInput(
            "date_requests.rule_time",
            earliest=rules.earliest.strftime("%H:%M"),
            latest=rules.latest.strftime("%H:%M"),
        )
    if not rules.min_participants <= wish.participants <= rules.max_participants:
        raise InvalidInput(
            "date_requests.rule_participants",
            min=rules.min_participants,
            max=rules.max_participants,
        )
    if (wish.day - today).days < rules.lead_days:
        raise InvalidInput("date_requests.rule_lead", n=rules.lead_days)


def add_workdays(day: date, n: int) -> date:
    """The n-th German working day after `day` (Mon–Fri, no nationwide public holiday)."""
    found = 0
    while found < n:
        day += timedelta(days=1)
        found += is_workday(day)
    return day


def workdays_left(today: date, due: date) -> int:
    """Working days after `today` up to and including `due` (0 on the last day and after)."""
    left, day = 0, today
    while day < due:
        day += timedelta(days=1)
        left += is_workday(day)
    return left


def check_note(value: object, *, required: bool) -> str | None:
    """A partner's reason or message to the customer(s)."""
    note = _text(value, limit=MAX_NOTE, key="date_requests.note_too_long")
    if required and note is None:
        raise InvalidInput("date_requests.reason_required")
    return note
