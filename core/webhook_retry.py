"""When a failed webhook delivery is tried again: exponential backoff with jitter, pure.

The n-th failed attempt waits 30 s · 2^(n−1), at most 6 hours, spread by a random factor in
[0.5, 1.5) so that many deliveries failing together (a receiver's outage) do not come back at
the same second. Retries stop 3 days after the delivery was queued; an endpoint that has
failed for 5 days is switched off.
"""

from __future__ import annotations

from datetime import timedelta

BASE = timedelta(seconds=30)
CAP = timedelta(hours=6)
RETRY_FOR = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)


def retry_delay(attempts: int, *, jitter: float) -> timedelta:
    """The pause after the `attempts`-th failed attempt; `jitter` in [0, 1)."""
    if attempts < 1:
        raise ValueError("attempts start at 1")
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter must be in [0, 1)")
    plain = min(BASE * 2 ** min(attempts - 1, 30), CAP)
    return plain * (0.5 + jitter)
