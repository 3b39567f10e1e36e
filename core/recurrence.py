"""Recurring course dates: a pattern in, the local dates and times of its occurrences out.

Pure logic, no I/O. A `Pattern` says how a series repeats (daily; weekly on one or more
weekdays; monthly by day of month or by position such as "2. Samstag" / "letzter Freitag"; or
a custom RFC 5545 RRULE), every how many periods (interval), from which day, at which local
time, for how long, and until when (a last day or a number of occurrences).

Local time. The rule is expanded in *floating* local time (RFC 5545 §3.3.5: a DTSTART without
a zone): the occurrences are wall-clock times, and only then are they placed in Europe/Berlin
and turned into UTC for storage. So a weekly course at 18:00 stays at 18:00 across the change
to and from summer time; its UTC start moves by an hour. A time that does not exist on the day
clocks go forward (02:00–03:00 on the last Sunday of March) is read with the offset before the
change (02:30 becomes 03:30 summer time); a time that exists twice in October is the first
(summer-time) one, as `zoneinfo` does with fold=0.

Identity. An occurrence is identified by its rule date (`Occurrence.day`, the local day the
rule yields), which is why a series cannot hold two occurrences on one day (custom rules with
BYHOUR/BYMINUTE or an hourly frequency are refused): the day is what exceptions (skip one,
move one) refer to, and what stays the same when the series' time is changed later.

Counting. COUNT is the rule's (RFC 5545): "ends after 10" means ten rule occurrences, of which
skipped holidays and skipped or moved exceptions are then taken out, as EXDATEs are.

Invalid input raises `core.validation.InvalidInput` with a locale key under `dates.`, so the
page shows a German sentence and nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial

import holidays as holidays_lib
from dateutil import rrule as du

from core import i18n
from core.clock import BERLIN, naive_utc
from core.validation import InvalidInput

DAILY, WEEKLY, MONTHLY_DAY, MONTHLY_POSITION, CUSTOM = (
    "daily",
    "weekly",
    "monthly_day",
    "monthly_position",
    "rrule",
)
KINDS = (DAILY, WEEKLY, MONTHLY_DAY, MONTHLY_POSITION, CUSTOM)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# "monthly on the 31st": in a shorter month skip it, or take the month's last day instead.
SHORT_SKIP, SHORT_LAST = "skip", "last"
POSITIONS = (1, 2, 3, 4, -1)  # 1. … 4., -1 = the last
# German public holidays per Bundesland (the `holidays` package's subdivisions of DE).
BUNDESLAENDER = (
    "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH",
)  # fmt: skip
MAX_OCCURRENCES = 500  # per save
MAX_DURATION_MINUTES = 24 * 60
# Expanding further than this is refused (an open series is generated up to a horizon anyway).
MAX_YEARS = 10
# The most a COUNT can be: a daily rule's occurrences in MAX_YEARS (what an end day allows).
MAX_COUNT = MAX_YEARS * 366
MAX_INTERVAL = 1000  # every 1000 days/weeks/months is already beyond any horizon

_DU_WEEKDAYS = dict(zip(WEEKDAYS, (du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU), strict=True))
_FORBIDDEN_RRULE_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "DTSTART", "TZID")
_UNTIL_UTC = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)


@dataclass(frozen=True)
class Pattern:
    """How a series repeats; seats and price are the series' offer, not part of the rule."""

    kind: str
    starts_on: date
    start_time: time
    duration_minutes: int
    interval: int = 1
    weekdays: tuple[str, ...] = ()  # WEEKLY: "MO" … "SU"
    month_day: int | None = None  # MONTHLY_DAY: 1–31
    short_months: str | None = None  # MONTHLY_DAY above 28: SHORT_SKIP or SHORT_LAST
    position: int | None = None  # MONTHLY_POSITION: 1–4 or -1 (last)
    position_weekday: str | None = None  # MONTHLY_POSITION: "MO" … "SU"
    rrule: str | None = None  # CUSTOM: an RFC 5545 RRULE value, e.g. "FREQ=WEEKLY;BYDAY=MO"
    ends_on: date | None = None  # the last day an occurrence may fall on (inclusive)
    count: int | None = None  # or: after this many rule occurrences
    holidays_in: str | None = None  # skip German public holidays of this Bundesland


@dataclass(frozen=True)
class Exception_:
    """One occurrence changed: skipped, or moved to another local start (`moved_to`)."""

    day: date
    action: str  # "skip" | "move"
    moved_to: datetime | None = None  # aware Europe/Berlin


SKIP, MOVE = "skip", "move"


@dataclass(frozen=True)
class Occurrence:
    day: date  # the rule's local day: the occurrence's identity
    starts_at: datetime  # aware, Europe/Berlin
    ends_at: datetime  # aware, Europe/Berlin
    holiday: str | None = None  # the public holiday it falls on, when skipped for it
    skipped: bool = False  # skipped for a holiday or by an exception
    moved: bool = False  # moved by an exception (starts_at/ends_at are the new ones)
    starts_utc: datetime | None = None  # naive UTC, as stored
    ends_utc: datetime | None = None

    @property
    def active(self) -> bool:
        return not self.skipped


@dataclass(frozen=True)
class Expansion:
    occurrences: list[Occurrence] = field(default_factory=list)

    @property
    def active(self) -> list[Occurrence]:
        return [o for o in self.occurrences if not o.skipped]


# --- converting times ----------------------------------------------------------------------


def local_start(day: date, at: time) -> datetime:
    """Wall-clock `at` on `day` in Berlin (aware); see the module doc for the DST edges."""
    return datetime.combine(day, at, tzinfo=BERLIN)


def to_utc(moment: datetime) -> datetime:
    """Aware (or naive Berlin wall-clock) -> naive UTC, as the databases store it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    return naive_utc(moment)


def to_local(stored: datetime) -> datetime:
    """Naive UTC (as stored) -> aware Berlin."""
    if stored.tzinfo is None:
        stored = stored.replace(tzinfo=UTC)
    return stored.astimezone(BERLIN)


def local_day(stored: datetime) -> date:
    return to_local(stored).date()


def parse_day(text: str) -> date:
    """'24.11.2026' or '2026-11-24' -> date; '30.02.2027' -> InvalidInput('dates.day_invalid')."""
    raw = (text or "").strip()
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise InvalidInput("dates.day_invalid", value=raw[:20])


# --- holidays --------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(state: str, year: int) -> Mapping[date, str]:
    calendar = holidays_lib.country_holidays("DE", subdiv=state, years=year, language="de")
    return dict(calendar.items())


def holiday_name(day: date, state: str) -> str | None:
    """The German name of the public holiday on `day` in Bundesland `state`, else None."""
    return _holidays(state, day.year).get(day)


# --- the rule --------------------------------------------------------------------------------


def _check_rrule_text(text: str) -> str:
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    upper = value.upper()
    if not value or "\n" in value or len(value) > 500:
        raise InvalidInput("dates.rrule_invalid", rule=value[:80])
    if any(part + "=" in upper for part in _FORBIDDEN_RRULE_PARTS) or re.search(
        r"FREQ=(HOURLY|MINUTELY|SECONDLY)", upper
    ):
        raise InvalidInput("dates.rrule_time_parts")
    # UNTIL in UTC (…Z) -> the Berlin wall-clock moment, since the rule runs in floating time.
    match = _UNTIL_UTC.search(value)
    if match:
        utc = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        local = utc.astimezone(BERLIN).strftime("%Y%m%dT%H%M%S")
        value = value[: match.start()] + f"UNTIL={local}" + value[match.end() :]
    return value


def _custom_rule(pattern: Pattern, dtstart: datetime) -> du.rrule:
    value = _check_rrule_text(pattern.rrule or "")
    try:
        rule = du.rrulestr(value, dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise InvalidInput("dates.rrule_invalid", rule=value[:80]) from None
    if not isinstance(rule, du.rrule):
        raise InvalidInput("dates.rrule_invalid", rule=value[:80])
    if _rule_ends(rule) and (pattern.ends_on or pattern.count):
        raise InvalidInput("dates.end_twice")
    if rule._interval <= 0:  # type: ignore[attr-defined]  # dateutil keeps it private only
        raise InvalidInput("dates.interval_invalid")
    return rule


def _rule_ends(rule: du.rrule) -> bool:
    """Whether a rule has a count or an until of its own (a parsed custom rule may)."""
    # dateutil exposes neither but in private attributes, which its stubs leave out.
    return rule._count is not None or rule._until is not None  # type: ignore[attr-defined]


def build_rule(pattern: Pattern) -> du.rrule:
    """The dateutil rule in floating local time (naive datetimes); validates the pattern."""
    check_expandable(pattern)
    dtstart = datetime.combine(pattern.starts_on, pattern.start_time)
    until = datetime.combine(pattern.ends_on, time(23, 59, 59)) if pattern.ends_on else None
    count = pattern.count
    if pattern.kind == CUSTOM:
        rule = _custom_rule(pattern, dtstart)
        if until is not None or count is not None:
            rule = rule.replace(until=until, count=count)
        return rule
    common = partial(du.rrule, dtstart=dtstart, interval=pattern.interval, until=until, count=count)
    if pattern.kind == DAILY:
        return common(du.DAILY)
    if pattern.kind == WEEKLY:
        days = [_DU_WEEKDAYS[d] for d in pattern.weekdays]
        return common(du.WEEKLY, byweekday=days, wkst=du.MO)
    if pattern.kind == MONTHLY_DAY:
        day = int(pattern.month_day or 0)
        if day > 28 and pattern.short_months == SHORT_LAST:
            # The day, or the month's last day when it is shorter: the last of 28…day.
            return common(du.MONTHLY, bymonthday=tuple(range(28, day + 1)), bysetpos=-1)
        return common(du.MONTHLY, bymonthday=day)
    if pattern.kind == MONTHLY_POSITION:
        weekday = _DU_WEEKDAYS[pattern.position_weekday or "MO"]
        return common(du.MONTHLY, byweekday=weekday(int(pattern.position or 1)))
    raise InvalidInput("dates.kind_invalid")


def is_bounded(pattern: Pattern) -> bool:
    """Whether the series ends (a last day or a count, in the form or in a custom rule)."""
    if pattern.ends_on is not None or pattern.count is not None:
        return True
    return _rule_ends(build_rule(pattern))


def rule_text(pattern: Pattern) -> str:
    """The pattern as an RFC 5545 RRULE value (for the record, iCal and the preview)."""
    text = str(build_rule(pattern))
    line = next((ln for ln in text.splitlines() if ln.startswith("RRULE:")), "")
    return line[len("RRULE:") :]


def validate(pattern: Pattern, *, today: date) -> None:
    """Refuse what the page must explain (InvalidInput with a `dates.` key)."""
    if pattern.kind not in KINDS:
        raise InvalidInput("dates.kind_invalid")
    _validate_span(pattern, today=today)
    _validate_kind(pattern)
    if pattern.holidays_in is not None and pattern.holidays_in not in BUNDESLAENDER:
        raise InvalidInput("dates.state_invalid", state=str(pattern.holidays_in)[:10])
    rule = build_rule(pattern)  # a custom rule that does not parse is refused here
    _validate_end(pattern, rule)


def _validate_end(pattern: Pattern, rule: du.rrule) -> None:
    """A COUNT (or a custom rule's UNTIL) obeys the limit of an end day: its last occurrence
    lies within MAX_YEARS. Searched within that horizon only, so a rule that never occurs is
    answered at once."""
    last = datetime.combine(last_allowed_day(pattern), time(23, 59, 59))
    until = rule._until  # type: ignore[attr-defined]  # dateutil keeps it private only
    if until is not None and until > last:
        raise InvalidInput("dates.too_far", years=MAX_YEARS)
    count = rule._count  # type: ignore[attr-defined]
    if count is None:
        return
    if int(count) > MAX_COUNT:
        raise InvalidInput("dates.too_far", years=MAX_YEARS)
    found = sum(1 for _ in _starts(pattern, None, until=last.date()))
    if found == 0:
        raise InvalidInput("dates.no_occurrences")
    if found < int(count):
        raise InvalidInput("dates.too_far", years=MAX_YEARS)


def last_allowed_day(pattern: Pattern) -> date:
    """The last day a series may reach: MAX_YEARS from its first day (end day and COUNT alike)."""
    start = pattern.starts_on
    try:
        return start.replace(year=start.year + MAX_YEARS) - timedelta(days=1)
    except ValueError:  # 29 February, or a year past 9999
        return date(min(start.year + MAX_YEARS, 9999), 2 if start.month == 2 else 12, 28)


def check_expandable(pattern: Pattern) -> None:
    """What expansion itself needs, also of a stored row (a bad one must not hang the job)."""
    if pattern.kind not in KINDS:
        raise InvalidInput("dates.kind_invalid")
    if pattern.interval is None or not 1 <= int(pattern.interval) <= MAX_INTERVAL:
        raise InvalidInput("dates.interval_invalid")
    if not 0 < int(pattern.duration_minutes) <= MAX_DURATION_MINUTES:
        raise InvalidInput("dates.duration_invalid")
    if pattern.ends_on is not None and pattern.ends_on < pattern.starts_on:
        raise InvalidInput("dates.end_before_start")
    if pattern.count is not None and int(pattern.count) <= 0:
        raise InvalidInput("dates.count_invalid")
    if pattern.count is not None and pattern.ends_on is not None:
        raise InvalidInput("dates.end_twice")
    _validate_kind(pattern)


def _validate_span(pattern: Pattern, *, today: date) -> None:
    """Interval, first day, duration and end (a last day or a count, not both)."""
    check_expandable(pattern)
    if pattern.starts_on < today:
        raise InvalidInput("dates.in_past")
    if pattern.ends_on is not None and pattern.ends_on > last_allowed_day(pattern):
        raise InvalidInput("dates.too_far", years=MAX_YEARS)
    if pattern.count is not None and int(pattern.count) > MAX_COUNT:
        raise InvalidInput("dates.too_far", years=MAX_YEARS)


def _validate_kind(pattern: Pattern) -> None:
    """What the pattern's kind needs: weekdays, a day of the month, or a position."""
    if pattern.kind == WEEKLY and (
        not pattern.weekdays or any(d not in WEEKDAYS for d in pattern.weekdays)
    ):
        raise InvalidInput("dates.weekdays_required")
    if pattern.kind == MONTHLY_DAY:
        day = pattern.month_day
        if day is None or not 1 <= int(day) <= 31:
            raise InvalidInput("dates.month_day_invalid")
        if int(day) > 28 and pattern.short_months not in (SHORT_SKIP, SHORT_LAST):
            raise InvalidInput("dates.short_months_choice", day=int(day))
    if pattern.kind == MONTHLY_POSITION and (
        pattern.position not in POSITIONS or pattern.position_weekday not in WEEKDAYS
    ):
        raise InvalidInput("dates.position_invalid")


# --- expanding -------------------------------------------------------------------------------


def expand(
    pattern: Pattern,
    *,
    until: date,
    after: date | None = None,
    exceptions: Iterable[Exception_] = (),
    limit: int | None = None,
) -> Expansion:
    """The occurrences with rule days in (`after`, `until`], holidays and exceptions applied.

    Skipped ones stay in the list (`skipped`, with the holiday's name), so a preview can show
    why a day is missing. `limit` stops after that many rule occurrences (a preview's guard
    against an endless daily rule).
    """
    by_day = {e.day: e for e in exceptions}
    duration = timedelta(minutes=int(pattern.duration_minutes))
    last = datetime.combine(until, time(23, 59, 59))
    first = datetime.combine(after, time(23, 59, 59)) if after else None
    out: list[Occurrence] = []
    for naive in _starts(pattern, after, until=until):
        if naive > last:
            break
        if first is not None and naive <= first:
            continue
        if limit is not None and len(out) >= limit:
            break
        day = naive.date()
        starts_utc = naive.replace(tzinfo=BERLIN).astimezone(UTC)
        # From UTC back: in the spring gap 02:30 is shown as the 03:30 that is saved.
        starts = starts_utc.astimezone(BERLIN)
        ends = (starts_utc + duration).astimezone(BERLIN)
        utc = starts_utc.replace(tzinfo=None), (starts_utc + duration).replace(tzinfo=None)
        holiday = holiday_name(day, pattern.holidays_in) if pattern.holidays_in else None
        exception = by_day.get(day) if by_day else None
        if holiday is not None:
            out.append(Occurrence(day, starts, ends, holiday, True, False, *utc))
        elif exception is not None and exception.action == MOVE and exception.moved_to:
            moved = exception.moved_to
            moved = moved.replace(tzinfo=BERLIN) if moved.tzinfo is None else moved
            moved_utc = moved.astimezone(UTC)
            out.append(
                Occurrence(
                    day,
                    moved,
                    (moved_utc + duration).astimezone(BERLIN),
                    moved=True,
                    starts_utc=moved_utc.replace(tzinfo=None),
                    ends_utc=(moved_utc + duration).replace(tzinfo=None),
                )
            )
        elif exception is not None:
            out.append(Occurrence(day, starts, ends, None, True, False, *utc))
        else:
            out.append(Occurrence(day, starts, ends, None, False, False, *utc))
    return Expansion(out)


def pending(
    pattern: Pattern,
    *,
    until: date,
    after: date | None = None,
    excluded: Collection[date] = (),
) -> list[tuple[date, datetime, datetime]]:
    """What `expand` yields as active, unmoved occurrences, as (day, start, end) in naive UTC,
    leaving out the days in `excluded` (the series' exceptions).

    The series job expands every series each night (10,000 series x a year = 500,000 dates),
    so this skips building `Occurrence`s and converting each start's time zone anew: a
    series' starts share their wall-clock time, so the conversions repeat (`_utc_start`).
    """
    duration = timedelta(minutes=int(pattern.duration_minutes))
    last = datetime.combine(until, time(23, 59, 59))
    first = datetime.combine(after, time(23, 59, 59)) if after else None
    state = pattern.holidays_in
    out: list[tuple[date, datetime, datetime]] = []
    for naive in _starts(pattern, after, until=until):
        if naive > last:
            break
        if first is not None and naive <= first:
            continue
        day = naive.date()
        if day in excluded or (state and day in _holidays(state, day.year)):
            continue
        start = _utc_start(naive)
        out.append((day, start, start + duration))
    return out


@lru_cache(maxsize=1 << 14)  # some wall-clock times x a year or two of days
def _utc_start(naive: datetime) -> datetime:
    return naive.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def _starts(pattern: Pattern, after: date | None, *, until: date) -> Iterator[datetime]:
    """The rule's local (naive) starts in order, none after the day `until`. Daily and weekly
    rules are counted out with date arithmetic (the series job expands thousands of them;
    tests check it against dateutil and the RFC's lists); every other rule is dateutil's."""
    rule = build_rule(pattern)  # validates, also for the fast path
    if pattern.kind not in (DAILY, WEEKLY):
        yield from _bounded(rule, until)
        return
    at, start, end, count = pattern.start_time, pattern.starts_on, pattern.ends_on, pattern.count
    interval = int(pattern.interval)
    offsets: tuple[int, ...]
    if pattern.kind == DAILY:
        base, step, offsets = start, interval, (0,)
    else:
        base = start - timedelta(days=start.weekday())  # the Monday of the first week (WKST=MO)
        step, offsets = 7 * interval, tuple(sorted({WEEKDAYS.index(w) for w in pattern.weekdays}))
    period = 0
    if count is None and after is not None and after > base:
        period = max((after - base).days // step - 1, 0)  # jump close to `after`
    made = 0
    while True:
        first_day = base + timedelta(days=period * step)
        if (end is not None and first_day > end) or first_day > until:
            return
        for offset in offsets:
            day = first_day + timedelta(days=offset)
            if day < start:
                continue
            if end is not None and day > end:
                return
            yield datetime.combine(day, at)
            made += 1
            if count is not None and made >= count:
                return
        period += 1


class _OutOfSteps(Exception):
    """The search went past its horizon without dateutil noticing (see _Bounded)."""


class _Bounded(du.rrule):
    """A dateutil rule whose search stops after `steps` months.

    dateutil checks UNTIL only against an occurrence it found, so a rule that never occurs
    (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) is searched day by day up to the year 9999: seconds
    of CPU per click. dateutil reads `_bynweekday` once each time its search enters another
    month (`_iterinfo.rebuild`), whatever the frequency: that read is the step counted here.
    """

    def __init__(self, *, steps: int, **kwargs: object) -> None:
        self._steps = steps
        super().__init__(**kwargs)  # type: ignore[arg-type]

    @property
    def _bynweekday(self) -> object:
        self._steps -= 1
        if self._steps < 0:
            raise _OutOfSteps
        return self.__dict__["_bynweekday_value"]

    @_bynweekday.setter
    def _bynweekday(self, value: object) -> None:
        self.__dict__["_bynweekday_value"] = value


def _bounded(rule: du.rrule, until: date) -> Iterator[datetime]:
    """dateutil's occurrences up to the end of `until`, searched no further than that (UNTIL
    and a step budget of the months in between); a COUNT is counted here, because dateutil
    may not have both COUNT and UNTIL."""
    horizon = datetime.combine(until, time(23, 59, 59))
    # dateutil keeps these private only (and its stubs leave them out).
    count, own, start = rule._count, rule._until, rule._dtstart  # type: ignore[attr-defined]
    months = (horizon.year - start.year) * 12 + horizon.month - start.month + 2
    kwargs = {
        "freq": rule._freq,  # type: ignore[attr-defined]
        "dtstart": start,
        "interval": rule._interval,  # type: ignore[attr-defined]
        "wkst": rule._wkst,  # type: ignore[attr-defined]
        **rule._original_rule,  # type: ignore[attr-defined]
        "count": None,
        "until": min(own, horizon) if own else horizon,
    }
    made = 0
    try:
        for start_at in _Bounded(steps=max(months, 1) + 1, **kwargs):
            yield start_at
            made += 1
            if count is not None and made >= count:
                return
    except _OutOfSteps:
        return


def is_finished(pattern: Pattern, through: date) -> bool:
    """Whether the rule has no occurrence after the day `through`."""
    if pattern.ends_on is not None and pattern.ends_on <= through:
        return True
    if not is_bounded(pattern):
        return False
    after = datetime.combine(through, time(23, 59, 59))
    starts = _starts(pattern, through, until=max(last_allowed_day(pattern), through))
    return next((s for s in starts if s > after), None) is None


def check_size(expansion: Expansion) -> None:
    """More than MAX_OCCURRENCES dates in one save is refused."""
    if len(expansion.active) > MAX_OCCURRENCES:
        raise InvalidInput("dates.too_many", n=MAX_OCCURRENCES)
    if not expansion.active:
        raise InvalidInput("dates.no_occurrences")


# --- in words ----------------------------------------------------------------------------------

_DESCRIBABLE_PARTS = {
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYSETPOS",
    "WKST",
}
_NTH_WEEKDAY = re.compile(r"([+-]?[1-4])?(MO|TU|WE|TH|FR|SA|SU)")


class _Undescribable(ValueError):
    """A rule `describe` has no words for (it then names the rule itself)."""


def _rule_parts(rule: str) -> dict[str, str]:
    value = rule.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    parts: dict[str, str] = {}
    for chunk in filter(None, value.upper().split(";")):
        name, sep, part = chunk.partition("=")
        if not sep or name not in _DESCRIBABLE_PARTS or name in parts or not part:
            raise _Undescribable(rule)
        parts[name] = part
    return parts


def _positive(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise _Undescribable(text)
    return int(text)


def _weekday_names(codes: Iterable[str], locale: str) -> str:
    names = [i18n.weekday_name(WEEKDAYS.index(code), locale) for code in codes]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " " + i18n.translate("recurrence.and", locale) + " " + names[-1]


def _weekly(parts: Mapping[str, str], interval: int, starts_on: date | None, locale: str) -> str:
    if "BYMONTHDAY" in parts or "BYSETPOS" in parts:
        raise _Undescribable(parts)
    codes = parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []
    if not codes and starts_on is not None:
        codes = [WEEKDAYS[starts_on.weekday()]]
    if not codes or any(c not in WEEKDAYS for c in codes):
        raise _Undescribable(parts)
    days = _weekday_names(sorted(set(codes), key=WEEKDAYS.index), locale)
    key = "recurrence.weekly_1" if interval == 1 else "recurrence.weekly_n"
    return i18n.translate(key, locale, n=interval, days=days)


def _monthly(parts: Mapping[str, str], interval: int, starts_on: date | None, locale: str) -> str:
    suffix = "1" if interval == 1 else "n"
    if "BYDAY" in parts:
        match = _NTH_WEEKDAY.fullmatch(parts["BYDAY"])
        if not match or not match.group(1) or "BYMONTHDAY" in parts or "BYSETPOS" in parts:
            raise _Undescribable(parts)
        nth = int(match.group(1))
        return i18n.translate(
            f"recurrence.monthly_position_{suffix}",
            locale,
            n=interval,
            nth=i18n.translate(f"recurrence.nth_{'last' if nth == -1 else nth}", locale),
            weekday=_weekday_names([match.group(2)], locale),
        )
    days = parts.get("BYMONTHDAY", str(starts_on.day) if starts_on else "").split(",")
    if not all(d.isdigit() and 1 <= int(d) <= 31 for d in days):
        raise _Undescribable(parts)
    last_of_short = (
        parts.get("BYSETPOS") == "-1"
        and len(days) > 1
        and [int(d) for d in days] == list(range(28, int(days[-1]) + 1))
    )
    if (len(days) != 1 and not last_of_short) or ("BYSETPOS" in parts and not last_of_short):
        raise _Undescribable(parts)
    text = i18n.translate(f"recurrence.monthly_day_{suffix}", locale, n=interval, day=days[-1])
    if last_of_short:
        text += i18n.translate("recurrence.short_last", locale)
    return text


def _until_day(text: str) -> date:
    try:
        if text.endswith("Z"):
            return to_local(datetime.strptime(text[:-1], "%Y%m%dT%H%M%S")).date()
        return datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        raise _Undescribable(text) from None


def _rhythm(parts: Mapping[str, str], starts_on: date | None, locale: str) -> str:
    interval = _positive(parts.get("INTERVAL"), 1)
    freq = parts.get("FREQ")
    if freq == "DAILY" and not {"BYDAY", "BYMONTHDAY", "BYSETPOS"} & set(parts):
        key = "recurrence.daily_1" if interval == 1 else "recurrence.daily_n"
        return i18n.translate(key, locale, n=interval)
    if freq == "WEEKLY":
        return _weekly(parts, interval, starts_on, locale)
    if freq == "MONTHLY":
        return _monthly(parts, interval, starts_on, locale)
    raise _Undescribable(parts)


def describe(
    rule: str,
    locale: str,
    *,
    at: time | None = None,
    starts_on: date | None = None,
    holidays_in: str | None = None,
    exceptions: Collection[Exception_] = (),
) -> str:
    """A series' rule in words: "jeden Dienstag um 18:00 Uhr, bis 08.03.2027, ohne Feiertage in
    Hamburg" / "every Tuesday at 18:00, until 08/03/2027, not on public holidays in Hamburg".

    `rule` is the RRULE value a series stores (core.recurrence.rule_text, or a partner's own);
    `at` its local start time, `starts_on` its first day (a rule without BYDAY/BYMONTHDAY
    repeats that day's weekday or day of month). A rule with parts that have no words here
    (BYMONTH, YEARLY, …) is named as it is, after "nach eigener Regel".
    """
    try:
        parts = _rule_parts(rule)
        text = _rhythm(parts, starts_on, locale)
        if "UNTIL" in parts and "COUNT" in parts:
            raise _Undescribable(rule)
        count = _positive(parts["COUNT"], 1) if "COUNT" in parts else None
        until = _until_day(parts["UNTIL"]) if "UNTIL" in parts else None
    except _Undescribable:
        text = i18n.translate("recurrence.custom", locale, rule=rule.strip())
        count = until = None
        parts = {"UNTIL": ""}  # the rule names its own end
    if at is not None:
        text += i18n.translate("recurrence.at", locale, time=at.strftime("%H:%M"))
    if until is not None:
        text += i18n.translate("recurrence.until", locale, day=i18n.day(until, locale))
    elif count is not None:
        text += i18n.translate("recurrence.count", locale, n=count)
    elif "UNTIL" not in parts:
        text += i18n.translate("recurrence.open", locale)
    if holidays_in:
        state = i18n.translate(f"dates.state_{holidays_in}", locale)
        text += i18n.translate("recurrence.holidays", locale, state=state)
    return text + _exceptions_text(exceptions, locale)


def _exceptions_text(exceptions: Collection[Exception_], locale: str) -> str:
    skipped = sum(1 for e in exceptions if e.action == SKIP)
    moved = sum(1 for e in exceptions if e.action == MOVE)
    text = i18n.translate("recurrence.skipped", locale, n=skipped) if skipped else ""
    return text + (i18n.translate("recurrence.moved", locale, n=moved) if moved else "")
