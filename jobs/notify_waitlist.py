"""`notify-waitlist`: tell waiting customers of dates with free seats, and tidy the waitlist.

Runs every 15 minutes (`python -m jobs run-due`). Each run first marks the entries whose email
booked the course since they signed up (the booking ledger), ends the entries older than their
partner's expiry time, then queues one `waitlist_new_date` mail per entry and date with free
seats in each partner's mode (data/demand/_notices.py). Idempotent and crash-safe: a notice and
its mail are written in one transaction under unique keys, so a repeat or a run after a crash
never mails anyone twice. `--dry-run` only counts the waiting people.
"""

from __future__ import annotations

from dataclasses import asdict

from data.demand.waitlist import expire_entries, mark_conversions, notify_waiting, waiting_people
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run notify-waitlist`."""
    if ctx.dry_run:
        waiting = waiting_people(ctx.viewer, ctx.db)
        return TaskResult(processed=0, details={"waiting": waiting})
    now = ctx.clock()
    converted = mark_conversions(ctx.viewer, ctx.db, now=now)
    expired = expire_entries(ctx.viewer, ctx.db, now=now)
    result = notify_waiting(ctx.viewer, ctx.db, now=now)
    details: dict[str, object] = {**asdict(result), "converted": converted, "expired": expired}
    return TaskResult(processed=result.mails, details=details)
