"""`send-review-requests`: queue the review requests and reminders that are due
(data/reviews/requests.py).

Runs hourly: requests go in Berlin's daytime hours, and an hour's delay does not matter to a
mail sent a day after the course. `send-outbox` then sends them. Each request and reminder
once, also twice at once or after a crash. `--dry-run` queues nothing.
"""

from __future__ import annotations

from dataclasses import asdict

from data.reviews.requests import queue_due_requests
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run send-review-requests`."""
    if ctx.dry_run:
        return TaskResult(processed=0, details={"dry_run": True})
    result = queue_due_requests(ctx.viewer, ctx.db, now=ctx.clock())
    return TaskResult(processed=result.requested + result.reminded, details=asdict(result))
