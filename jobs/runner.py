"""Run a task: take its lock, log the run in `miomente_job_runs`, report how it went.

A task is a function `(JobContext) -> TaskResult`. The runner owns everything around it: the
lock (one run per task at a time, on every host), the job-log row (written at the start, so a
killed run is visible, and closed as failed by the next run that gets the lock), the error
text with a short traceback, and the exit code of `python -m jobs`.
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from core import i18n
from core.clock import now_utc
from core.db import Databases
from core.settings import Settings
from data.access.viewer import SYSTEM, Viewer
from data.ops import job_runs as job_log
from data.portal_schema import JOB_FAILED, JOB_OK
from jobs.locks import LockBusy, task_lock
from jobs.registry import Task, is_due

log = logging.getLogger("jobs")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
TRACEBACK_FRAMES = 6


@dataclass
class TaskResult:
    processed: int = 0
    failed: int = 0
    details: dict[str, object] = field(default_factory=dict)


class Progress:
    """A line on stderr every `every` items: done/total, percent and rate."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        every: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        locale: str = i18n.DEFAULT_LOCALE,
    ) -> None:
        self.label, self.total, self.every, self.clock = label, total, every, clock
        self.locale = locale
        self.done = 0
        self._started = clock()

    def advance(self, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        if self.done // self.every > before // self.every:
            log.info("%s", self.line())

    def line(self) -> str:
        seconds = max(self.clock() - self._started, 1e-9)
        total = max(self.total, self.done)
        percent = 100 * self.done // total if total else 100
        return say(
            "log_progress",
            self.locale,
            label=self.label,
            done=i18n.number(self.done, self.locale),
            total=i18n.number(total, self.locale),
            percent=percent,
            rate=i18n.number(round(self.done / seconds), self.locale),
        )


def say(key: str, locale: str, **params: object) -> str:
    """A line of the sidecar's output: `jobs.<key>` from locales/*.toml."""
    return i18n.translate(f"jobs.{key}", locale, **params)


@dataclass
class JobContext:
    settings: Settings
    db: Databases
    dry_run: bool = False
    viewer: Viewer = SYSTEM
    period: date | None = None  # `run compute-payouts --month YYYY-MM`: that month
    # The moment the run acts for (naive UTC); None: the real clock. Tests fix it, so that a
    # task's "overdue" or "due in 3 days" does not depend on the day the tests run.
    now: datetime | None = None
    course: int | None = None  # `run score-courses --course ID`: that course only

    def clock(self) -> datetime:
        return self.now or now_utc()

    @property
    def locale(self) -> str:
        return i18n.normalize_locale(self.settings.default_locale)

    def progress(self, label: str, total: int, *, every: int = 1000) -> Progress:
        return Progress(label, total, every=every, locale=self.locale)


class RunStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class RunReport:
    task: str
    status: RunStatus
    run_id: int | None = None
    result: TaskResult | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return {RunStatus.OK: EXIT_OK, RunStatus.FAILED: EXIT_FAILED}.get(self.status, EXIT_LOCKED)


def error_summary(exc: BaseException) -> str:
    """The exception and the last few frames: enough to find the line, short enough to read."""
    lines = traceback.format_exception(exc, limit=-TRACEBACK_FRAMES)
    return "".join(lines).strip()


def run_task(task: Task, ctx: JobContext, *, host: str | None = None) -> RunReport:
    """Run one task under its lock; LOCKED (no log row) if another run holds it."""
    started = time.monotonic()
    try:
        with task_lock(ctx.db.portal, task.name, fallback_dir=ctx.settings.demo_dir):
            report = _run_locked(task, ctx, host or socket.gethostname())
    except LockBusy:
        log.warning("%s", say("log_busy", ctx.locale, task=task.name))
        return RunReport(task.name, RunStatus.LOCKED)
    return replace(report, seconds=time.monotonic() - started)


def _run_locked(task: Task, ctx: JobContext, host: str) -> RunReport:
    run_id = job_log.start_run(ctx.viewer, ctx.db, task=task.name, dry_run=ctx.dry_run, host=host)
    stale = job_log.close_interrupted(ctx.viewer, ctx.db, task=task.name, before_run_id=run_id)
    if stale:
        log.warning("%s", say("log_interrupted", ctx.locale, task=task.name, n=stale))
    started = "log_started_dry" if ctx.dry_run else "log_started"
    log.info("%s", say(started, ctx.locale, task=task.name, run_id=run_id))
    try:
        result = task.load()(ctx)
    except Exception as exc:  # noqa: BLE001 - any failure of a task is logged, not raised
        error = error_summary(exc)
        job_log.finish_run(ctx.viewer, ctx.db, run_id=run_id, status=JOB_FAILED, error=error)
        log.error("%s\n%s", say("log_failed", ctx.locale, task=task.name), error)
        return RunReport(task.name, RunStatus.FAILED, run_id, error=error)
    except BaseException:
        # Ctrl-C or SystemExit: still close the row, then let the interruption through.
        job_log.finish_run(
            ctx.viewer, ctx.db, run_id=run_id, status=JOB_FAILED, error=job_log.INTERRUPTED
        )
        raise
    job_log.finish_run(
        ctx.viewer,
        ctx.db,
        run_id=run_id,
        status=JOB_OK,
        processed=result.processed,
        failed=result.failed,
        details=result.details,
    )
    done = say(
        "log_done", ctx.locale, task=task.name, processed=result.processed, failed=result.failed
    )
    log.info("%s", done)
    return RunReport(task.name, RunStatus.OK, run_id, result)


def due_tasks(tasks: Mapping[str, Task], ctx: JobContext, *, now: datetime) -> list[Task]:
    marks = job_log.schedule_marks(ctx.viewer, ctx.db)
    return [task for task in tasks.values() if is_due(task.schedule, marks.get(task.name), now)]


def run_due(
    tasks: Mapping[str, Task], ctx: JobContext, *, now: datetime | None = None
) -> list[RunReport]:
    """Run every due task, one after the other; a locked or failed one does not stop the rest."""
    now = now or now_utc()
    due = due_tasks(tasks, ctx, now=now)
    if not due:
        log.info("%s", say("log_nothing_due", ctx.locale))
    return [run_task(task, ctx) for task in due]


def run_due_exit_code(reports: list[RunReport]) -> int:
    # A task skipped because it still runs elsewhere is normal under cron, not an error.
    return EXIT_FAILED if any(r.status is RunStatus.FAILED for r in reports) else EXIT_OK
