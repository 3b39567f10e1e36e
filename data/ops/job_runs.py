"""The job log (`miomente_job_runs`): one row per run of a `python -m jobs` task.

The sidecar writes a row when a task starts and completes it when the task ends; staff read
the log on the Jobs page, and `python -m jobs run-due` judges from it which tasks are due.
Writes need the whole-portal staff scope (the sidecar acts as `SYSTEM`); a partner reads an
empty log, because jobs are Miomente's business, not a partner's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import case, func, insert, select, update

from core.clock import now_utc
from core.db import Databases
from data.access.viewer import Viewer
from data.portal_schema import (
    JOB_FAILED,
    JOB_OK,
    JOB_RUNNING,
    job_runs,
)

RUN_STATUSES = (JOB_RUNNING, JOB_OK, JOB_FAILED)
RUN_COLUMNS = [
    "run_id",
    "task",
    "started_at",
    "finished_at",
    "status",
    "dry_run",
    "processed",
    "failed",
    "details",
    "error",
    "host",
]
LIST_COLUMNS = [*RUN_COLUMNS, "duration_seconds"]
ERROR_LIMIT = 4000
SYSTEM_ONLY = "access.system_only"  # the jobs sidecar (staff scope) writes the job log
# A run that was still "running" when a later run of the same task got the lock was killed.
INTERRUPTED = "Abgebrochen: der Prozess endete ohne Abschluss (interrupted: process ended)."


@dataclass(frozen=True)
class ScheduleMarks:
    """What `run-due` needs per task: the last good start and the last attempt (dry runs aside)."""

    last_ok_started: datetime | None
    last_started: datetime | None


def start_run(
    viewer: Viewer,
    db: Databases,
    *,
    task: str,
    dry_run: bool = False,
    host: str | None = None,
    now: datetime | None = None,
) -> int:
    """Log the start of a run; returns its run id."""
    viewer.require_system(SYSTEM_ONLY)
    with db.portal.begin() as conn:
        result = conn.execute(
            insert(job_runs).values(
                task=task,
                started_at=now or now_utc(),
                status=JOB_RUNNING,
                dry_run=dry_run,
                processed=0,
                failed=0,
                host=(host or "")[:200] or None,
            )
        )
    key = result.inserted_primary_key
    if key is None:  # only for a statement that is no single-row insert
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def finish_run(
    viewer: Viewer,
    db: Databases,
    *,
    run_id: int,
    status: str,
    processed: int = 0,
    failed: int = 0,
    details: Mapping[str, object] | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Complete a run's row with its outcome (ok or failed), counts, details and error."""
    viewer.require_system(SYSTEM_ONLY)
    if status not in (JOB_OK, JOB_FAILED):
        raise ValueError(f"a run finishes ok or failed, not {status!r}")
    with db.portal.begin() as conn:
        conn.execute(
            update(job_runs)
            .where(job_runs.c.run_id == run_id)
            .values(
                status=status,
                finished_at=now or now_utc(),
                processed=int(processed),
                failed=int(failed),
                details=dict(details) if details is not None else None,
                error=error[-ERROR_LIMIT:] if error else None,
            )
        )


def close_interrupted(
    viewer: Viewer, db: Databases, *, task: str, before_run_id: int, now: datetime | None = None
) -> int:
    """Mark older "running" rows of `task` failed; call only while holding the task's lock.

    Holding the lock proves no other run of the task is alive, so such a row belongs to a
    process that was killed (kill -9, power loss) before it could write its end.
    """
    viewer.require_system(SYSTEM_ONLY)
    with db.portal.begin() as conn:
        result = conn.execute(
            update(job_runs)
            .where(
                job_runs.c.task == task,
                job_runs.c.status == JOB_RUNNING,
                job_runs.c.run_id < before_run_id,
            )
            .values(status=JOB_FAILED, finished_at=now or now_utc(), error=INTERRUPTED)
        )
    return result.rowcount


def _frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame([dict(r) for r in rows], columns=RUN_COLUMNS)
    durations = [
        (end - start).total_seconds() if end is not None else None
        for start, end in zip(frame["started_at"], frame["finished_at"], strict=True)
    ]
    frame["duration_seconds"] = pd.Series(durations, index=frame.index, dtype="float64")
    frame["dry_run"] = frame["dry_run"].astype(bool)
    return frame


def list_runs(
    viewer: Viewer, db: Databases, *, task: str | None = None, limit: int = 50
) -> pd.DataFrame:
    """Newest first, with `duration_seconds` (NaN while running); partners get an empty list."""
    if not viewer.is_staff:
        return pd.DataFrame(columns=LIST_COLUMNS)
    limit = max(1, min(int(limit), 1000))
    query = select(*(job_runs.c[c] for c in RUN_COLUMNS))
    if task:
        query = query.where(job_runs.c.task == task)
    query = query.order_by(job_runs.c.run_id.desc()).limit(limit)
    with db.portal.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return _frame(list(rows))


def last_runs(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """The latest run of every task that ever ran, by task name; partners get an empty list."""
    if not viewer.is_staff:
        return pd.DataFrame(columns=LIST_COLUMNS)
    # Run ids grow with the start time, so the highest id per task is its latest run.
    latest = select(func.max(job_runs.c.run_id)).group_by(job_runs.c.task).scalar_subquery()
    query = (
        select(*(job_runs.c[c] for c in RUN_COLUMNS))
        .where(job_runs.c.run_id.in_(latest))
        .order_by(job_runs.c.task)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return _frame(list(rows))


def schedule_marks(viewer: Viewer, db: Databases) -> dict[str, ScheduleMarks]:
    """Per task: the start of its last successful run and of its last attempt (no dry runs)."""
    viewer.require_system(SYSTEM_ONLY)
    # CASE keeps it one portable query instead of one per status.
    ok_start = func.max(case((job_runs.c.status == JOB_OK, job_runs.c.started_at), else_=None))
    query = (
        select(job_runs.c.task, ok_start, func.max(job_runs.c.started_at))
        .where(job_runs.c.dry_run == False)  # noqa: E712 - SQL comparison
        .group_by(job_runs.c.task)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return {task: ScheduleMarks(ok, last) for task, ok, last in rows}
