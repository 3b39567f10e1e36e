"""The one clock: now as naive UTC, aware moments turned into naive UTC as stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from core import clock


def test_now_is_naive_utc() -> None:
    before = datetime.now(UTC).replace(tzinfo=None)
    now = clock.now_utc()
    assert now.tzinfo is None and before <= now


def test_naive_utc_converts_aware_moments_and_keeps_naive_ones() -> None:
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=clock.BERLIN)
    assert clock.naive_utc(summer) == datetime(2026, 7, 1, 12, 0)
    plus_one = datetime(2026, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    assert clock.naive_utc(plus_one) == datetime(2026, 1, 1, 0, 0)
    assert clock.naive_utc(datetime(2026, 1, 1, 0, 0)) == datetime(2026, 1, 1, 0, 0)
