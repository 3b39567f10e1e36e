"""Time: Berlin calendar days <-> naive UTC epoch seconds.

All demo times derive from `today`; the databases store naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.clock import BERLIN

DAY = 86_400
HOUR = 3_600


def hm(hour: int, minute: int = 0) -> int:
    """A local time of day as minutes after midnight (course slots, `Clock.utc`)."""
    return hour * 60 + minute


_EPOCH = datetime(1970, 1, 1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _epoch_day(day: date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def to_datetime(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


class _DayText(dict[int, str]):
    """Epoch day -> "YYYY-MM-DD", filled on first use."""

    def __missing__(self, epoch_day: int) -> str:
        text_ = self[epoch_day] = (_EPOCH + timedelta(days=epoch_day)).strftime("%Y-%m-%d")
        return text_


_DAY_TEXT = _DayText()
# "HH:MM:SS" for every second of a day: timestamps are the most frequent value written.
_TIME_TEXT = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)]


def ts_text(seconds: int) -> str:
    day, rest = divmod(seconds, DAY)
    return f"{_DAY_TEXT[day]} {_TIME_TEXT[rest]}"


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _noon_offset(day: date) -> int:
    offset = datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


class Clock:
    """Local Berlin wall time -> naive UTC seconds, for every day of the demo's range."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.days = (last - first).days + 1
        # The offset at local noon holds for every time of day after the 02:00/03:00 switch;
        # course and order times never fall into that hour in a way that matters here.
        self._offsets = [_noon_offset(first + timedelta(days=i)) for i in range(self.days)]
        self._first_epoch_day = _epoch_day(first)

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)

    def utc(self, index: int, minutes: int) -> int:
        """Seconds (naive UTC) of local `minutes` after midnight on day `index`."""
        return (self._first_epoch_day + index) * DAY + minutes * 60 - self._offsets[index]

    def index(self, day: date) -> int:
        return (day - self.first).days
