"""Rate limits of the public service: fixed-window counters in the portal database.

The counters live in the database, not in the process, because the service runs as several
processes (uvicorn workers, hosts behind a balancer): a count per process would let a flood
through once per process. `take` adds one to each named bucket's counter of the current
window (aligned to multiples of the window's length) and answers how many seconds are left
until the window ends when any bucket went over its limit, else None. Every attempt counts,
refused ones too, so a flood stays refused until its window has passed.

Buckets are `bucket("signup:ip", address)`: the kind in clear, whom only as a hash. When a
window's first row is written, rows of windows that ended a day ago are pruned in the same
transaction (one indexed DELETE), so the table stays small without a job.

No viewer: the counters belong to nobody's data (a request's IP and typed email, hashed) and
are checked before the data functions, which then scope as usual.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from core.clock import now_utc
from core.db import Databases
from core.sql import insert_ignore
from data.portal_schema import rate_limits

EPOCH = datetime(1970, 1, 1)
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limit:
    bucket: str  # from `bucket()`
    limit: int  # attempts allowed per window
    window: int  # seconds


def bucket(kind: str, who: str) -> str:
    """`kind` (e.g. "signup:ip") and a hash of `who` (an IP, a lower-cased email)."""
    digest = hashlib.sha256(who.strip().lower().encode()).hexdigest()[:40]
    return f"{kind[:38]}:{digest}"


def _window_start(now: datetime, seconds: int) -> datetime:
    elapsed = int((now - EPOCH).total_seconds())
    return EPOCH + timedelta(seconds=elapsed - elapsed % seconds)


def _bump(conn: Connection, name: str, start: datetime) -> int:
    """Add one to the counter and return its new value; the first attempt of a window
    inserts the row (and prunes old windows)."""
    t = rate_limits
    where = (t.c.bucket == name, t.c.window_start == start)
    if not conn.execute(update(t).where(*where).values(count=t.c.count + 1)).rowcount:
        row = {"bucket": name, "window_start": start, "count": 1}
        if insert_ignore(conn, t, [row], index_elements=["bucket", "window_start"]):
            conn.execute(delete(t).where(t.c.window_start < start - KEEP))
            return 1
        conn.execute(update(t).where(*where).values(count=t.c.count + 1))  # raced: counted
    return int(conn.execute(select(t.c.count).where(*where)).scalar_one())


def take(db: Databases, *, limits: Sequence[Limit], now: datetime | None = None) -> int | None:
    """Count one attempt in every bucket; the seconds until the latest exceeded window ends
    (at least 1) when a bucket is over its limit, else None."""
    now = now or now_utc()
    wait = 0
    with db.portal.begin() as conn:
        for limit in limits:
            start = _window_start(now, limit.window)
            if _bump(conn, limit.bucket, start) > limit.limit:
                left = start + timedelta(seconds=limit.window) - now
                wait = max(wait, int(left.total_seconds() + 0.999), 1)
    return wait or None


@dataclass(frozen=True)
class Counted:
    """One bucket after an attempt: the attempts so far in its window and the seconds until
    the window ends (at least 1), for `X-RateLimit-*` headers."""

    limit: int
    count: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def take_counted(db: Databases, *, limit: Limit, now: datetime | None = None) -> Counted:
    """Count one attempt in one bucket (like `take`) and say where the window stands."""
    now = now or now_utc()
    start = _window_start(now, limit.window)
    with db.portal.begin() as conn:
        count = _bump(conn, limit.bucket, start)
    left = start + timedelta(seconds=limit.window) - now
    return Counted(limit=limit.limit, count=count, reset=max(1, int(left.total_seconds() + 0.999)))
