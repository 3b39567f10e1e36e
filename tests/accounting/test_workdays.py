"""Expected payout date: the 5th German working day of the month after the events."""

from __future__ import annotations

from datetime import date

import pytest

from accounting.workdays import expected_payout_date, is_workday, nth_workday


@pytest.mark.parametrize(
    ("event_day", "expected"),
    [
        # 1 Jan 2027 (Fri) is a holiday; 6 Jan (Epiphany) only in some states: Mon 4..Fri 8.
        (date(2026, 12, 5), date(2027, 1, 8)),
        (date(2026, 12, 31), date(2027, 1, 8)),
        # Good Friday 3 Apr and Easter Monday 6 Apr 2026: 1, 2, 7, 8, 9.
        (date(2026, 3, 15), date(2026, 4, 9)),
        # 3 Oct 2026 is a Saturday: 1, 2, 5, 6, 7.
        (date(2026, 9, 1), date(2026, 10, 7)),
        # 1 Nov 2026 is a Sunday (All Saints is not nationwide): 2..6.
        (date(2026, 10, 14), date(2026, 11, 6)),
        # 1 May 2026 (Fri) holiday: 4, 5, 6, 7, 8.
        (date(2026, 4, 30), date(2026, 5, 8)),
    ],
)
def test_expected_payout_date(event_day: date, expected: date) -> None:
    assert expected_payout_date(event_day) == expected


def test_workdays() -> None:
    assert not is_workday(date(2026, 12, 25))
    assert not is_workday(date(2026, 12, 26))  # Saturday and a holiday
    assert not is_workday(date(2026, 10, 3))
    assert is_workday(date(2027, 1, 6))  # Epiphany: not nationwide
    assert not is_workday(date(2026, 11, 28))  # Saturday
    assert nth_workday(2026, 12, 1) == date(2026, 12, 1)


def test_n_must_be_positive() -> None:
    with pytest.raises(ValueError):
        nth_workday(2026, 1, 0)
