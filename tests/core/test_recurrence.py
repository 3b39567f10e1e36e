"""core.recurrence: the RFC 5545 examples the patterns can express, DST, holidays, bad input.

The RFC examples (section 3.8.5.3) start on 2 September 1997 at 09:00 New York time; the
occurrence lists there are local days and times, which is what a pattern yields too (here in
Berlin, where the same days come out). Each expected list is the RFC's own, written as in the
RFC ("September 2-11" -> the days 2 to 11).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core import recurrence as rec
from core.clock import BERLIN
from core.validation import InvalidInput

NINE = time(9, 0)


def _days(year: int, month: int, *days: int | tuple[int, int]) -> list[date]:
    out: list[date] = []
    for d in days:
        if isinstance(d, tuple):
            out += [date(year, month, x) for x in range(d[0], d[1] + 1)]
        else:
            out.append(date(year, month, d))
    return out


def _pattern(kind: str, start: date, **kw) -> rec.Pattern:
    return rec.Pattern(kind=kind, starts_on=start, start_time=NINE, duration_minutes=60, **kw)


def _custom(start: date, rule: str) -> rec.Pattern:
    return _pattern(rec.CUSTOM, start, rrule=rule)


def _run(pattern: rec.Pattern, *, until: date = date(2001, 1, 1), limit: int | None = None):
    occurrences = rec.expand(pattern, until=until, limit=limit).active
    assert all(o.starts_at.time() == NINE for o in occurrences)  # local 09:00 all year
    return [o.day for o in occurrences]


SEP2 = date(1997, 9, 2)

RFC_CASES = [
    (
        "daily for 10 occurrences",
        _pattern(rec.DAILY, SEP2, count=10),
        None,
        _days(1997, 9, (2, 11)),
    ),
    (
        "daily until December 24, 1997",
        _custom(SEP2, "FREQ=DAILY;UNTIL=19971224T000000Z"),
        None,
        _days(1997, 9, (2, 30))
        + _days(1997, 10, (1, 31))
        + _days(1997, 11, (1, 30))
        + _days(1997, 12, (1, 23)),
    ),
    (
        "every other day - forever",
        _pattern(rec.DAILY, SEP2, interval=2),
        20,
        _days(1997, 9, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
        + _days(1997, 10, 2, 4, 6, 8, 10),
    ),
    (
        "every 10 days, 5 occurrences",
        _pattern(rec.DAILY, SEP2, interval=10, count=5),
        None,
        _days(1997, 9, 2, 12, 22) + _days(1997, 10, 2, 12),
    ),
    (
        "weekly for 10 occurrences",
        _pattern(rec.WEEKLY, SEP2, weekdays=("TU",), count=10),
        None,
        _days(1997, 9, 2, 9, 16, 23, 30) + _days(1997, 10, 7, 14, 21, 28) + _days(1997, 11, 4),
    ),
    (
        "weekly until December 24, 1997",
        _pattern(rec.WEEKLY, SEP2, weekdays=("TU",), ends_on=date(1997, 12, 23)),
        None,
        _days(1997, 9, 2, 9, 16, 23, 30)
        + _days(1997, 10, 7, 14, 21, 28)
        + _days(1997, 11, 4, 11, 18, 25)
        + _days(1997, 12, 2, 9, 16, 23),
    ),
    (
        "every other week - forever",
        _pattern(rec.WEEKLY, SEP2, weekdays=("TU",), interval=2),
        13,
        _days(1997, 9, 2, 16, 30)
        + _days(1997, 10, 14, 28)
        + _days(1997, 11, 11, 25)
        + _days(1997, 12, 9, 23)
        + _days(1998, 1, 6, 20)
        + _days(1998, 2, 3, 17),
    ),
    (
        "weekly on Tuesday and Thursday for five weeks",
        _pattern(rec.WEEKLY, SEP2, weekdays=("TU", "TH"), count=10),
        None,
        _days(1997, 9, 2, 4, 9, 11, 16, 18, 23, 25, 30) + _days(1997, 10, 2),
    ),
    (
        "weekly on Tuesday and Thursday for five weeks (UNTIL)",
        _custom(SEP2, "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH"),
        None,
        _days(1997, 9, 2, 4, 9, 11, 16, 18, 23, 25, 30) + _days(1997, 10, 2),
    ),
    (
        "every other week on Monday, Wednesday, and Friday until December 24, 1997",
        _pattern(
            rec.WEEKLY,
            date(1997, 9, 1),
            weekdays=("MO", "WE", "FR"),
            interval=2,
            ends_on=date(1997, 12, 23),
        ),
        None,
        _days(1997, 9, 1, 3, 5, 15, 17, 19, 29)
        + _days(1997, 10, 1, 3, 13, 15, 17, 27, 29, 31)
        + _days(1997, 11, 10, 12, 14, 24, 26, 28)
        + _days(1997, 12, 8, 10, 12, 22),
    ),
    (
        "every other week on Tuesday and Thursday, for 8 occurrences",
        _pattern(rec.WEEKLY, SEP2, weekdays=("TU", "TH"), interval=2, count=8),
        None,
        _days(1997, 9, 2, 4, 16, 18, 30) + _days(1997, 10, 2, 14, 16),
    ),
    (
        "monthly on the first Friday for 10 occurrences",
        _pattern(
            rec.MONTHLY_POSITION, date(1997, 9, 5), position=1, position_weekday="FR", count=10
        ),
        None,
        [
            date(1997, 9, 5),
            date(1997, 10, 3),
            date(1997, 11, 7),
            date(1997, 12, 5),
            date(1998, 1, 2),
            date(1998, 2, 6),
            date(1998, 3, 6),
            date(1998, 4, 3),
            date(1998, 5, 1),
            date(1998, 6, 5),
        ],
    ),
    (
        "monthly on the first Friday until December 24, 1997",
        _pattern(
            rec.MONTHLY_POSITION,
            date(1997, 9, 5),
            position=1,
            position_weekday="FR",
            ends_on=date(1997, 12, 23),
        ),
        None,
        [date(1997, 9, 5), date(1997, 10, 3), date(1997, 11, 7), date(1997, 12, 5)],
    ),
    (
        "every other month on the first and last Sunday of the month for 10 occurrences",
        _custom(date(1997, 9, 7), "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"),
        None,
        _days(1997, 9, 7, 28)
        + _days(1997, 11, 2, 30)
        + _days(1998, 1, 4, 25)
        + _days(1998, 3, 1, 29)
        + _days(1998, 5, 3, 31),
    ),
    (
        "monthly on the second-to-last Monday of the month for 6 months",
        _custom(date(1997, 9, 22), "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"),
        None,
        [
            date(1997, 9, 22),
            date(1997, 10, 20),
            date(1997, 11, 17),
            date(1997, 12, 22),
            date(1998, 1, 19),
            date(1998, 2, 16),
        ],
    ),
    (
        "monthly on the third-to-the-last day of the month, forever",
        _custom(date(1997, 9, 28), "FREQ=MONTHLY;BYMONTHDAY=-3"),
        6,
        [
            date(1997, 9, 28),
            date(1997, 10, 29),
            date(1997, 11, 28),
            date(1997, 12, 29),
            date(1998, 1, 29),
            date(1998, 2, 26),
        ],
    ),
    (
        "monthly on the 2nd and 15th of the month for 10 occurrences",
        _custom(SEP2, "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"),
        None,
        _days(1997, 9, 2, 15)
        + _days(1997, 10, 2, 15)
        + _days(1997, 11, 2, 15)
        + _days(1997, 12, 2, 15)
        + _days(1998, 1, 2, 15),
    ),
    (
        "monthly on the first and last day of the month for 10 occurrences",
        _custom(date(1997, 9, 30), "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1"),
        None,
        [
            date(1997, 9, 30),
            *_days(1997, 10, 1, 31),
            *_days(1997, 11, 1, 30),
            *_days(1997, 12, 1, 31),
            *_days(1998, 1, 1, 31),
            date(1998, 2, 1),
        ],
    ),
    (
        "every 18 months on the 10th thru 15th of the month for 10 occurrences",
        _custom(
            date(1997, 9, 10), "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15"
        ),
        None,
        _days(1997, 9, (10, 15)) + _days(1999, 3, (10, 13)),
    ),
    (
        "every Tuesday, every other month",
        _custom(SEP2, "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU"),
        18,
        _days(1997, 9, 2, 9, 16, 23, 30)
        + _days(1997, 11, 4, 11, 18, 25)
        + _days(1998, 1, 6, 13, 20, 27)
        + _days(1998, 3, 3, 10, 17, 24, 31),
    ),
    (
        "monthly on the 15th (a pattern by day of month)",
        _pattern(rec.MONTHLY_DAY, date(1997, 9, 15), month_day=15, count=3),
        None,
        [date(1997, 9, 15), date(1997, 10, 15), date(1997, 11, 15)],
    ),
    (
        "every Friday the 13th, forever",
        _custom(SEP2, "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13"),
        5,
        [
            date(1998, 2, 13),
            date(1998, 3, 13),
            date(1998, 11, 13),
            date(1999, 8, 13),
            date(2000, 10, 13),
        ],
    ),
    (
        "the first Saturday that follows the first Sunday of the month, forever",
        _custom(date(1997, 9, 13), "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13"),
        10,
        [
            date(1997, 9, 13),
            date(1997, 10, 11),
            date(1997, 11, 8),
            date(1997, 12, 13),
            date(1998, 1, 10),
            date(1998, 2, 7),
            date(1998, 3, 7),
            date(1998, 4, 11),
            date(1998, 5, 9),
            date(1998, 6, 13),
        ],
    ),
    (
        "the third instance into the month of one of Tuesday, Wednesday, or Thursday",
        _custom(date(1997, 9, 4), "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"),
        None,
        [date(1997, 9, 4), date(1997, 10, 7), date(1997, 11, 6)],
    ),
    (
        "the second-to-last weekday of the month",
        _custom(date(1997, 9, 29), "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"),
        7,
        [
            date(1997, 9, 29),
            date(1997, 10, 30),
            date(1997, 11, 27),
            date(1997, 12, 30),
            date(1998, 1, 29),
            date(1998, 2, 26),
            date(1998, 3, 30),
        ],
    ),
    (
        "an invalid date (February 30) is ignored",
        _custom(date(2007, 1, 15), "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5"),
        None,
        [
            date(2007, 1, 15),
            date(2007, 1, 30),
            date(2007, 2, 15),
            date(2007, 3, 15),
            date(2007, 3, 30),
        ],
    ),
    (
        "WKST=MO: every other week on Tuesday and Sunday, 4 occurrences",
        _pattern(rec.WEEKLY, date(1997, 8, 5), weekdays=("TU", "SU"), interval=2, count=4),
        None,
        [date(1997, 8, 5), date(1997, 8, 10), date(1997, 8, 19), date(1997, 8, 24)],
    ),
    (
        "WKST=SU changes it",
        _custom(date(1997, 8, 5), "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"),
        None,
        [date(1997, 8, 5), date(1997, 8, 17), date(1997, 8, 19), date(1997, 8, 31)],
    ),
    (
        "yearly in June and July for 10 occurrences",
        _custom(date(1997, 6, 10), "FREQ=YEARLY;COUNT=10;BYMONTH=6,7"),
        None,
        [date(y, m, 10) for y in range(1997, 2002) for m in (6, 7)],
    ),
]


@pytest.mark.parametrize(
    ("pattern", "limit", "expected"),
    [case[1:] for case in RFC_CASES],
    ids=[case[0] for case in RFC_CASES],
)
def test_rfc5545_examples(pattern: rec.Pattern, limit: int | None, expected: list[date]) -> None:
    assert _run(pattern, until=date(2010, 1, 1), limit=limit) == expected


# --- local time across daylight saving ------------------------------------------------------


def _utc_times(pattern: rec.Pattern, until: date) -> list[datetime]:
    return [rec.to_utc(o.starts_at) for o in rec.expand(pattern, until=until).active]


def test_weekly_18_00_stays_18_00_across_march_change() -> None:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2026, 3, 17),
        start_time=time(18, 0),
        duration_minutes=180,
        weekdays=("TU",),
    )
    occurrences = rec.expand(pattern, until=date(2026, 4, 7)).active
    assert [o.starts_at.strftime("%d.%m. %H:%M") for o in occurrences] == [
        "17.03. 18:00",
        "24.03. 18:00",
        "31.03. 18:00",
        "07.04. 18:00",
    ]
    # Winter time is UTC+1, summer time (from 29 March 2026) UTC+2.
    assert _utc_times(pattern, date(2026, 4, 7)) == [
        datetime(2026, 3, 17, 17, 0),
        datetime(2026, 3, 24, 17, 0),
        datetime(2026, 3, 31, 16, 0),
        datetime(2026, 4, 7, 16, 0),
    ]
    assert rec.to_utc(occurrences[2].ends_at) == datetime(2026, 3, 31, 19, 0)


def test_weekly_18_00_stays_18_00_across_october_change() -> None:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2026, 10, 20),
        start_time=time(18, 0),
        duration_minutes=120,
        weekdays=("TU",),
    )
    assert _utc_times(pattern, date(2026, 11, 3)) == [
        datetime(2026, 10, 20, 16, 0),
        datetime(2026, 10, 27, 17, 0),  # clocks went back on 25 October
        datetime(2026, 11, 3, 17, 0),
    ]
    for occurrence in rec.expand(pattern, until=date(2026, 11, 3)).active:
        assert rec.to_local(rec.to_utc(occurrence.starts_at)).strftime("%H:%M") == "18:00"


def test_a_course_across_the_night_of_the_change_lasts_its_real_duration() -> None:
    pattern = rec.Pattern(
        kind=rec.DAILY,
        starts_on=date(2026, 3, 28),
        start_time=time(23, 0),
        duration_minutes=240,
        count=1,
    )
    (only,) = rec.expand(pattern, until=date(2026, 3, 29)).active
    # 23:00 CET + 4 hours = 04:00 CEST (the clock skipped 02:00–03:00).
    assert only.ends_at.strftime("%d.%m. %H:%M") == "29.03. 04:00"
    assert rec.to_utc(only.ends_at) - rec.to_utc(only.starts_at) == (
        datetime(2026, 3, 29, 2, 0) - datetime(2026, 3, 28, 22, 0)
    )


def test_a_time_that_does_not_exist_in_march_is_read_before_the_change() -> None:
    pattern = rec.Pattern(
        kind=rec.DAILY,
        starts_on=date(2026, 3, 29),
        start_time=time(2, 30),
        duration_minutes=60,
        count=1,
    )
    (only,) = rec.expand(pattern, until=date(2026, 3, 29)).active
    assert rec.to_utc(only.starts_at) == datetime(2026, 3, 29, 1, 30)  # = 03:30 summer time
    # What the preview shows is what is saved: 03:30, not the 02:30 that does not exist.
    assert (only.starts_at.hour, only.starts_at.minute) == (3, 30)
    assert only.starts_at.utcoffset() == timedelta(hours=2)


# --- holidays per Bundesland ---------------------------------------------------------------------


def _thursdays_2027(state: str | None) -> rec.Expansion:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2027, 4, 29),
        start_time=time(18, 0),
        duration_minutes=120,
        weekdays=("TH",),
        ends_on=date(2027, 6, 3),
        holidays_in=state,
    )
    return rec.expand(pattern, until=date(2027, 12, 31))


def test_holidays_are_skipped_per_bundesland() -> None:
    everything = [o.day for o in _thursdays_2027(None).active]
    assert everything == [date(2027, 4, 29), *_days(2027, 5, 6, 13, 20, 27), date(2027, 6, 3)]
    bavaria = _thursdays_2027("BY")
    # Christi Himmelfahrt (6 May) everywhere, Fronleichnam (27 May) in Bavaria.
    assert [o.day for o in bavaria.active] == [
        date(2027, 4, 29),
        *_days(2027, 5, 13, 20),
        date(2027, 6, 3),
    ]
    skipped = {o.day: o.holiday for o in bavaria.occurrences if o.skipped}
    assert skipped == {date(2027, 5, 6): "Christi Himmelfahrt", date(2027, 5, 27): "Fronleichnam"}
    berlin = [o.day for o in _thursdays_2027("BE").active]
    assert date(2027, 5, 27) in berlin and date(2027, 5, 6) not in berlin


def test_regional_holidays_differ_between_states() -> None:
    # Reformationstag (31 October 2028, a Tuesday) is a holiday in Saxony, not in Bavaria;
    # Heilige Drei Könige (6 January 2026, a Tuesday) in Bavaria, not in Berlin.
    assert rec.holiday_name(date(2028, 10, 31), "SN") == "Reformationstag"
    assert rec.holiday_name(date(2028, 10, 31), "BY") is None
    assert rec.holiday_name(date(2026, 1, 6), "BY") == "Heilige Drei Könige"
    assert rec.holiday_name(date(2026, 1, 6), "BE") is None
    assert rec.holiday_name(date(2026, 3, 8), "BE") == "Frauentag"


# --- exceptions ------------------------------------------------------------------------------


def test_skip_one_and_move_one() -> None:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2026, 12, 1),
        start_time=time(18, 0),
        duration_minutes=120,
        weekdays=("TU",),
        count=4,
    )
    moved_to = datetime(2026, 12, 10, 19, 30, tzinfo=rec.BERLIN)
    expansion = rec.expand(
        pattern,
        until=date(2026, 12, 31),
        exceptions=[
            rec.Exception_(date(2026, 12, 8), rec.SKIP),
            rec.Exception_(date(2026, 12, 15), rec.MOVE, moved_to),
        ],
    )
    assert [(o.day, o.starts_at.strftime("%d.%m. %H:%M")) for o in expansion.active] == [
        (date(2026, 12, 1), "01.12. 18:00"),
        (date(2026, 12, 15), "10.12. 19:30"),
        (date(2026, 12, 22), "22.12. 18:00"),
    ]


# --- monthly on the 31st ----------------------------------------------------------------------


def test_monthly_on_the_31st_needs_a_choice_and_honours_it() -> None:
    base = dict(
        kind=rec.MONTHLY_DAY,
        starts_on=date(2027, 1, 31),
        start_time=time(18),
        duration_minutes=60,
        month_day=31,
        count=4,
    )
    with pytest.raises(InvalidInput) as refused:
        rec.validate(rec.Pattern(**base), today=date(2027, 1, 1))
    assert refused.value.key == "dates.short_months_choice"
    skip = rec.Pattern(**base, short_months=rec.SHORT_SKIP)
    last = rec.Pattern(**base, short_months=rec.SHORT_LAST)
    assert [o.day for o in rec.expand(skip, until=date(2028, 1, 1)).active] == [
        date(2027, 1, 31),
        date(2027, 3, 31),
        date(2027, 5, 31),
        date(2027, 7, 31),
    ]
    assert [o.day for o in rec.expand(last, until=date(2028, 1, 1)).active] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_monthly_by_position_last_friday_and_second_saturday() -> None:
    last_friday = rec.Pattern(
        kind=rec.MONTHLY_POSITION,
        starts_on=date(2027, 1, 1),
        start_time=time(18),
        duration_minutes=60,
        position=-1,
        position_weekday="FR",
        count=3,
    )
    assert [o.day for o in rec.expand(last_friday, until=date(2028, 1, 1)).active] == [
        date(2027, 1, 29),
        date(2027, 2, 26),
        date(2027, 3, 26),
    ]
    second_saturday = rec.Pattern(
        **{**last_friday.__dict__, "position": 2, "position_weekday": "SA"}
    )
    assert [o.day for o in rec.expand(second_saturday, until=date(2028, 1, 1)).active] == [
        date(2027, 1, 9),
        date(2027, 2, 13),
        date(2027, 3, 13),
    ]


# --- bad input -------------------------------------------------------------------------------

TODAY = date(2026, 11, 25)
GOOD = rec.Pattern(
    kind=rec.WEEKLY,
    starts_on=date(2026, 12, 1),
    start_time=time(18),
    duration_minutes=120,
    weekdays=("TU", "TH"),
    ends_on=date(2026, 12, 31),
)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"ends_on": date(2026, 11, 30)}, "dates.end_before_start"),
        ({"interval": 0}, "dates.interval_invalid"),
        ({"interval": -2}, "dates.interval_invalid"),
        ({"starts_on": date(2026, 11, 24)}, "dates.in_past"),
        ({"weekdays": ()}, "dates.weekdays_required"),
        ({"duration_minutes": 0}, "dates.duration_invalid"),
        ({"count": 0, "ends_on": None}, "dates.count_invalid"),
        ({"count": 5}, "dates.end_twice"),
        ({"kind": rec.CUSTOM, "rrule": "FREQ=WOCHENTLICH", "ends_on": None}, "dates.rrule_invalid"),
        ({"kind": rec.CUSTOM, "rrule": "kein Rhythmus", "ends_on": None}, "dates.rrule_invalid"),
        ({"kind": rec.CUSTOM, "rrule": "FREQ=HOURLY", "ends_on": None}, "dates.rrule_time_parts"),
        (
            {"kind": rec.CUSTOM, "rrule": "FREQ=DAILY;BYHOUR=9,18", "ends_on": None},
            "dates.rrule_time_parts",
        ),
        ({"kind": rec.CUSTOM, "rrule": "FREQ=DAILY;COUNT=3"}, "dates.end_twice"),
        ({"kind": rec.MONTHLY_DAY, "month_day": 32}, "dates.month_day_invalid"),
        (
            {"kind": rec.MONTHLY_POSITION, "position": 5, "position_weekday": "SA"},
            "dates.position_invalid",
        ),
        ({"holidays_in": "XX"}, "dates.state_invalid"),
    ],
)
def test_bad_input_is_refused_with_a_key(changes: dict, key: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rec.validate(rec.Pattern(**{**GOOD.__dict__, **changes}), today=TODAY)
    assert refused.value.key == key


def test_30_february_is_no_date() -> None:
    with pytest.raises(InvalidInput) as refused:
        rec.parse_day("30.02.2027")
    assert refused.value.key == "dates.day_invalid"
    assert rec.parse_day("28.02.2027") == date(2027, 2, 28)
    # …and a rule that asks only for it has no occurrence at all.
    feb_30 = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"
    only_feb_30 = rec.Pattern(
        **{**GOOD.__dict__, "kind": rec.CUSTOM, "ends_on": None, "rrule": feb_30}
    )
    with pytest.raises(InvalidInput) as refused:
        rec.check_size(rec.expand(only_feb_30, until=date(2036, 12, 31)))
    assert refused.value.key == "dates.no_occurrences"


def test_more_than_500_occurrences_are_refused() -> None:
    daily = rec.Pattern(
        kind=rec.DAILY, starts_on=date(2027, 1, 1), start_time=time(9), duration_minutes=60,
        count=501,
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        rec.check_size(rec.expand(daily, until=date(2030, 1, 1), limit=501))
    assert refused.value.key == "dates.too_many"
    rec.check_size(rec.expand(replace_count(daily, 500), until=date(2030, 1, 1)))


def replace_count(pattern: rec.Pattern, count: int) -> rec.Pattern:
    return rec.Pattern(**{**pattern.__dict__, "count": count})


def test_rule_text_is_rfc5545() -> None:
    assert rec.rule_text(GOOD) == "FREQ=WEEKLY;UNTIL=20261231T235959;BYDAY=TU,TH"
    assert rec.to_utc(datetime(2026, 12, 1, 18, 0)) == datetime(2026, 12, 1, 17, 0)
    assert rec.to_local(datetime(2026, 7, 1, 16, 0)).hour == 18
    assert rec.to_utc(datetime(2026, 7, 1, 18, 0, tzinfo=UTC)) == datetime(2026, 7, 1, 18, 0)


def test_fast_daily_and_weekly_expansion_matches_dateutil() -> None:
    import random

    rng = random.Random(6)
    for _ in range(300):
        kind = rng.choice([rec.DAILY, rec.WEEKLY])
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 400))
        end_kind = rng.choice(["date", "count", "none"])
        pattern = rec.Pattern(
            kind=kind,
            starts_on=start,
            start_time=time(rng.randint(0, 23), rng.choice([0, 15, 30])),
            duration_minutes=90,
            interval=rng.randint(1, 4),
            weekdays=tuple(rng.sample(rec.WEEKDAYS, rng.randint(1, 4)))
            if kind == rec.WEEKLY
            else (),
            ends_on=start + timedelta(days=rng.randint(0, 300)) if end_kind == "date" else None,
            count=rng.randint(1, 60) if end_kind == "count" else None,
        )
        until = start + timedelta(days=rng.randint(0, 500))
        after = start + timedelta(days=rng.randint(-5, 200)) if rng.random() < 0.5 else None
        rule = rec.build_rule(pattern)
        expected = [
            naive
            for naive in rule.between(
                datetime.combine(start, time(0)), datetime.combine(until, time(23, 59, 59)),
                inc=True,
            )
            if after is None or naive.date() > after
        ]  # fmt: skip
        got = rec.expand(pattern, until=until, after=after).occurrences
        # In the spring gap the rule's 02:15 is shown as the 03:15 that is saved.
        shown = [rec.to_local(rec.to_utc(naive)).replace(tzinfo=None) for naive in expected]
        assert [o.starts_at.replace(tzinfo=None) for o in got] == shown, pattern
        assert rec.is_finished(pattern, until) == (
            rule.after(datetime.combine(until, time(23, 59, 59))) is None
        )


def test_pending_is_what_expand_leaves_to_generate() -> None:
    """The series job's lean expansion: expand's active, unmoved occurrences (naive UTC), for
    every kind, with holidays, exceptions, windows and both changes of summer time."""
    import random

    rng = random.Random(66)
    for _ in range(400):
        kind = rng.choice(rec.KINDS)
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 500))
        end_kind = rng.choice(["date", "count", "none"])
        extra: dict[str, object] = {}
        if kind == rec.WEEKLY:
            extra["weekdays"] = tuple(rng.sample(rec.WEEKDAYS, rng.randint(1, 3)))
        elif kind == rec.MONTHLY_DAY:
            extra["month_day"] = rng.randint(1, 31)
            extra["short_months"] = rng.choice([rec.SHORT_SKIP, rec.SHORT_LAST])
        elif kind == rec.MONTHLY_POSITION:
            extra["position"] = rng.choice(rec.POSITIONS)
            extra["position_weekday"] = rng.choice(rec.WEEKDAYS)
        elif kind == rec.CUSTOM:
            extra["rrule"] = rng.choice(
                ["FREQ=WEEKLY;BYDAY=SA,SU", "FREQ=MONTHLY;BYMONTHDAY=1,15", "FREQ=DAILY;INTERVAL=3"]
            )
        pattern = rec.Pattern(
            kind=kind,
            starts_on=start,
            # 02:30 does not exist on the last Sunday of March and exists twice in October.
            start_time=rng.choice([time(2, 30), time(9, 0), time(18, 0), time(23, 45)]),
            duration_minutes=rng.choice([60, 180, 600]),
            interval=rng.randint(1, 3),
            ends_on=start + timedelta(days=rng.randint(0, 400)) if end_kind == "date" else None,
            count=rng.randint(1, 80) if end_kind == "count" else None,
            holidays_in=rng.choice([None, "BY", "BE", "NW"]),
            **extra,
        )
        until = start + timedelta(days=rng.randint(0, 500))
        after = start + timedelta(days=rng.randint(-5, 200)) if rng.random() < 0.5 else None
        days = [o.day for o in rec.expand(pattern, until=until).occurrences]
        exceptions = [
            rec.Exception_(
                day,
                rng.choice([rec.SKIP, rec.MOVE]),
                rng.choice([None, datetime.combine(day + timedelta(days=1), time(20), rec.BERLIN)]),
            )
            for day in rng.sample(days, min(len(days), rng.randint(0, 3)))
        ]
        expected = [
            (o.day, o.starts_utc, o.ends_utc)
            for o in rec.expand(
                pattern, until=until, after=after, exceptions=exceptions
            ).occurrences
            if not o.skipped and not o.moved
        ]
        excluded = {e.day for e in exceptions}
        assert rec.pending(pattern, until=until, after=after, excluded=excluded) == expected, (
            pattern
        )


def test_pending_weekly_18_00_across_both_changes_of_summer_time() -> None:
    pattern = rec.Pattern(
        kind=rec.WEEKLY,
        starts_on=date(2027, 3, 22),
        start_time=time(18, 0),
        duration_minutes=180,
        weekdays=("MO",),
        ends_on=date(2027, 11, 1),
    )
    got = rec.pending(pattern, until=date(2027, 11, 1), excluded={date(2027, 4, 5)})
    assert got[:2] == [
        (date(2027, 3, 22), datetime(2027, 3, 22, 17, 0), datetime(2027, 3, 22, 20, 0)),
        (date(2027, 3, 29), datetime(2027, 3, 29, 16, 0), datetime(2027, 3, 29, 19, 0)),
    ]
    assert date(2027, 4, 5) not in [day for day, _s, _e in got]
    assert got[-2:] == [
        (date(2027, 10, 25), datetime(2027, 10, 25, 16, 0), datetime(2027, 10, 25, 19, 0)),
        (date(2027, 11, 1), datetime(2027, 11, 1, 17, 0), datetime(2027, 11, 1, 20, 0)),
    ]


# --- bounded search and limits (issue 11) ------------------------------------------------------


def _custom(rule: str, **extra: object) -> rec.Pattern:
    return rec.Pattern(
        kind=rec.CUSTOM, starts_on=date(2027, 1, 4), start_time=time(18, 0),
        duration_minutes=60, rrule=rule, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _months_searched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the months dateutil's search enters (each one rebuilds its masks)."""
    from dateutil import rrule as du

    entered: list[int] = []
    original = du._iterinfo.rebuild

    def rebuild(self, year: int, month: int) -> None:  # type: ignore[no-untyped-def]
        entered.append(year)
        original(self, year, month)

    monkeypatch.setattr(du._iterinfo, "rebuild", rebuild)
    return entered


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3",
        "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11",
        "FREQ=WEEKLY;BYDAY=MO;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_a_rule_that_never_occurs_is_refused_after_a_bounded_search(
    rule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = _months_searched(monkeypatch)
    pattern = _custom(rule)
    with pytest.raises(InvalidInput) as refused:
        rec.validate(pattern, today=date(2027, 1, 1))
        rec.check_size(rec.expand(pattern, until=date(2037, 12, 31), limit=501))
    assert refused.value.key == "dates.no_occurrences"
    # The search stops at the horizon (was: every month up to the year 9999, seconds of CPU).
    assert entered and max(entered) <= 2038
    assert len(entered) <= 3 * 12 * (rec.MAX_YEARS + 2)


@pytest.mark.parametrize(
    "pattern",
    [
        _custom("FREQ=MONTHLY;BYMONTHDAY=5;COUNT=10000"),
        _custom("FREQ=MONTHLY;BYMONTHDAY=5", count=121),  # 121 months: past ten years
        _custom("FREQ=YEARLY;COUNT=11"),
        _custom("FREQ=WEEKLY;UNTIL=20400101T000000"),
        rec.Pattern(
            kind=rec.MONTHLY_DAY,
            starts_on=date(2027, 1, 4),
            start_time=time(18, 0),
            duration_minutes=60,
            month_day=5,
            count=10_000,
        ),
    ],
    ids=["custom-count", "form-count", "yearly-count", "custom-until", "monthly-count"],
)
def test_a_count_obeys_the_limit_of_an_end_day(pattern: rec.Pattern) -> None:
    with pytest.raises(InvalidInput) as refused:
        rec.validate(pattern, today=date(2027, 1, 1))
    assert refused.value.key == "dates.too_far"


def test_a_count_within_ten_years_is_accepted() -> None:
    rec.validate(_custom("FREQ=MONTHLY;BYMONTHDAY=5;COUNT=120"), today=date(2027, 1, 1))


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"interval": 0}, "dates.interval_invalid"),
        ({"interval": -3}, "dates.interval_invalid"),
        ({"interval": 10**9}, "dates.interval_invalid"),
        ({"duration_minutes": 0}, "dates.duration_invalid"),
        ({"count": 0}, "dates.count_invalid"),
        ({"weekdays": ()}, "dates.weekdays_required"),
        ({"kind": "hourly"}, "dates.kind_invalid"),
    ],
)
def test_expansion_refuses_a_bad_stored_pattern(changes: dict, key: str) -> None:
    """A row that skipped validate() (an old or hand-edited one) must not hang the job: an
    interval of 0 looped forever in the daily/weekly fast path."""
    from dataclasses import replace

    pattern = replace(
        rec.Pattern(
            kind=rec.WEEKLY,
            starts_on=date(2027, 1, 4),
            start_time=time(18, 0),
            duration_minutes=60,
            weekdays=("MO",),
        ),
        **changes,
    )
    with pytest.raises(InvalidInput) as refused:
        rec.pending(pattern, until=date(2027, 6, 30))
    assert refused.value.key == key


# --- in words (describe) --------------------------------------------------------------------

_AT = time(18, 0)


def _words(rule: str, locale: str = "de", **kwargs: object) -> str:
    return rec.describe(rule, locale, at=kwargs.pop("at", _AT), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "german", "english"),
    [
        (
            "FREQ=WEEKLY;UNTIL=20270308T235959;BYDAY=TU",
            "jeden Dienstag um 18:00 Uhr, bis 08.03.2027",
            "every Tuesday at 18:00, until 08/03/2027",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;COUNT=10;BYDAY=TU,TH",
            "alle 2 Wochen am Dienstag und Donnerstag um 18:00 Uhr, 10 Termine",
            "every 2 weeks on Tuesday and Thursday at 18:00, 10 dates",
        ),
        (
            "FREQ=WEEKLY;BYDAY=FR,MO,WE;COUNT=1",
            "jeden Montag, Mittwoch und Freitag um 18:00 Uhr, 1 Termin",
            "every Monday, Wednesday and Friday at 18:00, 1 date",
        ),
        ("FREQ=DAILY", "täglich um 18:00 Uhr, ohne Enddatum", "every day at 18:00, no end date"),
        (
            "FREQ=DAILY;INTERVAL=3;COUNT=4",
            "alle 3 Tage um 18:00 Uhr, 4 Termine",
            "every 3 days at 18:00, 4 dates",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15;UNTIL=20271231T235959",
            "jeden Monat am 15. um 18:00 Uhr, bis 31.12.2027",
            "every month on day 15 at 18:00, until 31/12/2027",
        ),
        (
            "FREQ=MONTHLY;BYSETPOS=-1;BYMONTHDAY=28,29,30,31",
            "jeden Monat am 31. (in kürzeren Monaten am letzten Tag) um 18:00 Uhr, ohne Enddatum",
            "every month on day 31 (on the last day in shorter months) at 18:00, no end date",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "jeden letzten Freitag im Monat um 18:00 Uhr, ohne Enddatum",
            "on the last Friday of every month at 18:00, no end date",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=+2SA;COUNT=4",
            "alle 3 Monate am 2. Samstag um 18:00 Uhr, 4 Termine",
            "every 3 months on the second Saturday at 18:00, 4 dates",
        ),
        (
            "RRULE:freq=weekly;byday=mo",  # a partner's own rule, as typed
            "jeden Montag um 18:00 Uhr, ohne Enddatum",
            "every Monday at 18:00, no end date",
        ),
    ],
)
def test_a_rule_in_words(rule: str, german: str, english: str) -> None:
    assert _words(rule, "de") == german
    assert _words(rule, "en") == english


def test_the_issues_example_with_holidays_and_exceptions() -> None:
    rule = "FREQ=WEEKLY;UNTIL=20270308T235959;BYDAY=TU"
    assert _words(rule, holidays_in="HH") == (
        "jeden Dienstag um 18:00 Uhr, bis 08.03.2027, ohne Feiertage in Hamburg"
    )
    exceptions = [
        rec.Exception_(date(2027, 1, 5), rec.SKIP),
        rec.Exception_(date(2027, 1, 12), rec.SKIP),
        rec.Exception_(date(2027, 1, 19), rec.MOVE, datetime(2027, 1, 20, 18, 0, tzinfo=BERLIN)),
    ]
    assert _words(rule, "en", holidays_in="BY", exceptions=exceptions) == (
        "every Tuesday at 18:00, until 08/03/2027, not on public holidays in Bavaria, "
        "2 dates skipped, 1 moved"
    )


def test_an_until_in_utc_is_the_berlin_day() -> None:
    # 23:30 UTC on 8 March is 00:30 on 9 March in Berlin.
    assert _words("FREQ=DAILY;UNTIL=20270308T233000Z").endswith("bis 09.03.2027")


def test_a_rule_without_byday_repeats_the_first_days_weekday_or_day() -> None:
    first = date(2027, 1, 7)  # a Thursday
    assert _words("FREQ=WEEKLY", starts_on=first).startswith("jeden Donnerstag")
    assert _words("FREQ=MONTHLY", starts_on=first).startswith("jeden Monat am 7.")


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24",
        "FREQ=MONTHLY;BYMONTH=1,7;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=2MO",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=WEEKLY;INTERVAL=0;BYDAY=MO",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=3;UNTIL=20270101",
        "kaputt",
        "",
    ],
)
def test_a_rule_without_words_is_named_not_crashed_on(rule: str) -> None:
    assert _words(rule) == f"nach eigener Regel ({rule}) um 18:00 Uhr"
    assert _words(rule, "en") == f"by a custom rule ({rule}) at 18:00"


def test_every_pattern_the_form_makes_has_words() -> None:
    """What the series form saves (rule_text of each kind) is never shown as an RRULE."""
    base = {"starts_on": date(2027, 1, 4), "start_time": _AT, "duration_minutes": 60}
    patterns = [
        rec.Pattern(kind=rec.DAILY, interval=2, count=5, **base),
        rec.Pattern(kind=rec.WEEKLY, weekdays=("SA", "TU"), ends_on=date(2027, 6, 1), **base),
        rec.Pattern(kind=rec.MONTHLY_DAY, month_day=30, short_months=rec.SHORT_SKIP, **base),
        rec.Pattern(kind=rec.MONTHLY_DAY, month_day=30, short_months=rec.SHORT_LAST, **base),
        rec.Pattern(kind=rec.MONTHLY_POSITION, position=4, position_weekday="SU", **base),
    ]
    for pattern in patterns:
        for locale in ("de", "en"):
            text = rec.describe(rec.rule_text(pattern), locale, at=_AT)
            assert "FREQ" not in text and "Regel" not in text and "rule" not in text, text
