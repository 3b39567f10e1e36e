"""Single-flight: concurrent requests that need the same result share one computation.

`Flights.run(key, work)` starts `work()` as a task when no task for `key` is running, else
awaits the running one; every waiter gets its result or its exception (the error handlers
turn that into each waiter's JSON answer). The task is forgotten as soon as it ends, so this
is no cache: a request that arrives after the end starts a new computation. A waiter that
goes away (the client disconnected) stops waiting, the task itself runs on for the others
(`asyncio.shield`) and is forgotten when it ends like any other.

Freshness: a request may join a computation that started shortly before it arrived (by at
most that computation's duration). That is the usual single-flight contract and no staler
than what it replaces: the results shared here are keyed by what determines them (the widget
answer by its ETag, i.e. by the data fingerprint the joining request read itself), and the
fingerprints and keys are otherwise remembered for `version_ttl` seconds anyway.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Hashable
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")


class Flights:
    """Tasks in flight by key (one event loop; the app's state holds one)."""

    def __init__(self) -> None:
        self.running: dict[Hashable, asyncio.Future[Any]] = {}
        # How many requests joined a running task, by the key's first part ("render", …).
        self.joined: Counter[Hashable] = Counter()

    async def run(self, key: Hashable, work: Callable[[], Awaitable[T]]) -> T:
        task = self.running.get(key)
        if task is None:
            task = asyncio.ensure_future(work())
            self.running[key] = task
            task.add_done_callback(partial(self._done, key))
        else:
            self.joined[key[0] if isinstance(key, tuple) and key else key] += 1
        return await asyncio.shield(task)

    def _done(self, key: Hashable, task: asyncio.Future[Any]) -> None:
        if self.running.get(key) is task:
            del self.running[key]
        if not task.cancelled():
            task.exception()  # retrieved: no "never retrieved" log when every waiter left
