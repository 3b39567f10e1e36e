"""`expire-date-requests`: close date requests nobody answered within 5 German working days.

Runs daily at 07:00 Berlin (`python -m jobs run-due`) and on demand. Each request still open
after its answer day (or whose requested day has come) becomes `expired` and its customer gets
the polite `date_request_expired` mail, in one transaction per request batch
(data/demand/date_requests.py). Idempotent: a rerun finds nothing; two runs at once (the task
lock aside) move each request once, since the update names the open state it starts from.
`--dry-run` counts what would be closed.
"""

from __future__ import annotations

from dataclasses import asdict

from data.demand.date_requests import expire_overdue, list_requests
from data.portal_schema import REQUEST_PENDING
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run expire-date-requests`."""
    if ctx.dry_run:
        pending = list_requests(ctx.viewer, ctx.db, status=REQUEST_PENDING, now=ctx.clock())
        overdue = int((pending["workdays_left"] == 0).sum()) if not pending.empty else 0
        return TaskResult(processed=overdue, details={"due_today_or_overdue": overdue})
    result = expire_overdue(ctx.viewer, ctx.db, now=ctx.clock())
    return TaskResult(processed=result.expired, details=asdict(result))
