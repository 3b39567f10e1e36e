"""Backoff of failed webhook deliveries: doubling from 30 s, capped at 6 h, jittered."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from core.webhook_retry import CAP, RETRY_FOR, retry_delay


def test_the_delay_doubles_and_is_capped() -> None:
    plain = [retry_delay(n, jitter=0.5) for n in range(1, 8)]
    assert plain[0] == timedelta(seconds=30)
    assert all(b == 2 * a for a, b in pairwise(plain))
    assert retry_delay(40, jitter=0.5) == CAP


def test_jitter_spreads_between_half_and_one_and_a_half() -> None:
    assert retry_delay(3, jitter=0.0) == timedelta(seconds=60)
    assert retry_delay(3, jitter=0.999) < timedelta(seconds=180)
    with pytest.raises(ValueError):
        retry_delay(0, jitter=0.1)
    with pytest.raises(ValueError):
        retry_delay(1, jitter=1.0)


def test_three_days_hold_a_couple_of_dozen_attempts() -> None:
    total, attempts = timedelta(0), 0
    while total < RETRY_FOR:
        attempts += 1
        total += retry_delay(attempts, jitter=0.5)
    assert 15 <= attempts <= 30
