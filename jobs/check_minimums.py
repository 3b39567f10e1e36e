"""`check-minimums`: Mindestteilnehmerzahl of the dates starting within each partner's check window.

Runs hourly (`python -m jobs run-due`) and on demand (`python -m jobs run check-minimums`).
A date that reached its minimum gets its undecided bookings confirmed (the partner's own
decision path and mails); one that did not gets its partner asked once; one still unanswered
at the last call is cancelled through the existing cancellation path, and the course's
waiting customers and open date requesters are offered its other dates
(data/dates/minimums.py). Idempotent: each confirmation, question, cancellation and mail
happens once, also when two runs overlap. `--dry-run` counts the dates it would look at.
"""

from __future__ import annotations

from dataclasses import asdict

from data.dates.minimums import check_minimums, pending_checks
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run check-minimums`."""
    if ctx.dry_run:
        due = pending_checks(ctx.viewer, ctx.db)
        return TaskResult(processed=due, details={"dates_with_minimum": due})
    result = check_minimums(ctx.viewer, ctx.db)
    return TaskResult(processed=result.dates, details=asdict(result))
