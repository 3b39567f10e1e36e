"""The tasks of the sidecar and when each is due.

Each task's schedule lives here in code, so one crontab line (`python -m jobs run-due` every
five minutes) serves them all: a task is due when a slot of its schedule has passed since its
last successful run. `Every(1)` runs at every `run-due`; `Daily(time(3, 0))` runs once a day at
the first `run-due` from 03:00 Berlin time. A failed run is tried again at a later `run-due`,
but not sooner than `retry_after`. Tasks are loaded lazily ("module:function"), so `python -m
jobs list` does not import the mail stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from core.clock import BERLIN, naive_utc
from core.i18n import translate

if TYPE_CHECKING:
    from data.ops.job_runs import ScheduleMarks
    from jobs.runner import JobContext, TaskResult

EPOCH = datetime(1970, 1, 1)
# The documented crontab line (README) calls `run-due` every five minutes: the pace of every
# task that runs "at each run-due", which is what Jobs and `python -m jobs list` say.
RUN_DUE_MINUTES = 5


class Schedule(Protocol):
    def latest_slot(self, now: datetime) -> datetime:
        """The newest scheduled moment at or before `now` (both naive UTC)."""
        ...

    @property
    def retry_after(self) -> timedelta: ...

    def describe(self, locale: str) -> str: ...

    def cron(self) -> str: ...


@dataclass(frozen=True)
class Every:
    """Every n minutes, on the minute grid (so cron's few seconds of jitter do not skip a slot)."""

    minutes: int

    def latest_slot(self, now: datetime) -> datetime:
        step = self.minutes * 60
        return EPOCH + timedelta(seconds=int((now - EPOCH).total_seconds()) // step * step)

    @property
    def retry_after(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    def describe(self, locale: str) -> str:
        if self.minutes <= RUN_DUE_MINUTES:  # due at every run-due: the crontab sets the pace
            return translate("jobs.every_run_due", locale, n=RUN_DUE_MINUTES)
        return translate("jobs.every_minutes", locale, n=self.minutes)

    def cron(self) -> str:
        return f"*/{max(self.minutes, RUN_DUE_MINUTES)} * * * *"


@dataclass(frozen=True)
class Daily:
    """Once a day at a wall-clock time in Europe/Berlin (summer and winter time alike)."""

    at: time
    tz: ZoneInfo = BERLIN

    def latest_slot(self, now: datetime) -> datetime:
        local_now = now.replace(tzinfo=UTC).astimezone(self.tz)
        slot = datetime.combine(local_now.date(), self.at, tzinfo=self.tz)
        if slot > local_now:
            slot = datetime.combine(local_now.date() - timedelta(days=1), self.at, tzinfo=self.tz)
        return naive_utc(slot)

    @property
    def retry_after(self) -> timedelta:
        return timedelta(minutes=30)

    def describe(self, locale: str) -> str:
        return translate("jobs.daily_at", locale, time=self.at.strftime("%H:%M"), zone=self.tz.key)

    def cron(self) -> str:
        return f"{self.at.minute} {self.at.hour} * * * ({self.tz.key})"


def is_due(schedule: Schedule, marks: ScheduleMarks | None, now: datetime) -> bool:
    """Due when a slot passed since the last good run and no attempt was made just now."""
    slot = schedule.latest_slot(now)
    if marks is None:
        return True
    if marks.last_ok_started is not None and marks.last_ok_started >= slot:
        return False
    # A failed (or killed) attempt for this slot is retried, but only after a pause.
    started = marks.last_started
    recent = started is not None and started >= slot
    return not (recent and started is not None and now - started < schedule.retry_after)


TaskFunction = Callable[["JobContext"], "TaskResult"]


@dataclass(frozen=True)
class Task:
    name: str
    schedule: Schedule
    # "module:function" (imported when the task runs) or the function itself.
    entry: str | TaskFunction
    summary_key: str  # what it does, in locales/*.toml

    def load(self) -> TaskFunction:
        if callable(self.entry):
            return self.entry
        module, _, function = self.entry.partition(":")
        return getattr(importlib.import_module(module), function)

    def summary(self, locale: str) -> str:
        return translate(self.summary_key, locale)


TASKS: Mapping[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="send-outbox",
            # As often as run-due is called: the crontab line sets the pace.
            schedule=Every(1),
            entry="jobs.send_outbox:run",
            summary_key="jobs.task_send_outbox",
        ),
        Task(
            name="sync-ledger",
            # Bookings should show within seconds; the Bestellungen page syncs on demand too.
            schedule=Every(1),
            entry="jobs.sync_ledger:run",
            summary_key="jobs.task_sync_ledger",
        ),
        Task(
            name="generate-series",
            # Extends every active series to today + 6 months; idempotent (data/dates/series.py).
            schedule=Daily(time(3, 0)),
            entry="jobs.generate_series:run",
            summary_key="jobs.task_generate_series",
        ),
        Task(
            name="compute-payouts",
            # Daily; acts while last month is not computed or still has drafts.
            schedule=Daily(time(4, 0)),
            entry="jobs.compute_payouts:run",
            summary_key="jobs.task_compute_payouts",
        ),
        Task(
            name="notify-waitlist",
            # Conversions, expiry, then the notices of dates with free seats (exactly once).
            schedule=Every(15),
            entry="jobs.notify_waitlist:run",
            summary_key="waitlist.task_notify",
        ),
        Task(
            name="expire-date-requests",
            # Daily; closes date requests unanswered after 5 working days (idempotent).
            schedule=Daily(time(7, 0)),
            entry="jobs.expire_date_requests:run",
            summary_key="date_requests.task_expire",
        ),
        Task(
            name="send-sms-reminders",
            # At every run-due: a reminder 2 hours ahead needs a pace of minutes.
            schedule=Every(1),
            entry="jobs.send_sms_reminders:run",
            summary_key="sms.task",
        ),
        Task(
            name="news-digest",
            # Daily; one mail per user and ISO week (the first run of the week sends it).
            schedule=Daily(time(8, 0)),
            entry="jobs.news_digest:run",
            summary_key="news.task_digest",
        ),
        Task(
            name="check-minimums",
            # Hourly: confirm, ask or cancel dates by their minimum (idempotent, exactly once).
            schedule=Every(60),
            entry="jobs.check_minimums:run",
            summary_key="minimums.task_check",
        ),
        Task(
            name="deliver-webhooks",
            # At every run-due: partners' integrations expect events within minutes.
            schedule=Every(1),
            entry="jobs.deliver_webhooks:run",
            summary_key="webhooks.task_deliver",
        ),
        Task(
            name="send-review-requests",
            # Hourly: review requests and reminders, in Berlin's daytime (exactly once).
            schedule=Every(60),
            entry="jobs.send_review_requests:run",
            summary_key="reviews.requests.task",
        ),
        Task(
            name="score-courses",
            # Nightly: the Qualitäts-Score of every course (one course on demand: --course ID).
            schedule=Daily(time(2, 30)),
            entry="jobs.score_courses:run",
            summary_key="score.task",
        ),
        Task(
            name="member-digest",
            # Daily at DIGEST_AT: one mail per digest member and day (exactly once).
            schedule=Daily(time(7, 0)),
            entry="jobs.member_digest:run",
            summary_key="team.task_digest",
        ),
    )
}
