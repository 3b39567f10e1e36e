"""`send-sms-reminders`: queue the SMS reminders that are due (data/comms/sms_reminders.py).

Runs at every `run-due` (the 24- and 2-hour reminders need a pace of minutes); `send-outbox`
then sends them through Twilio. Each reminder once, also twice at once or after a crash.
`--dry-run` queues nothing.
"""

from __future__ import annotations

from dataclasses import asdict

from data.comms.sms_reminders import queue_due_reminders
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run send-sms-reminders`."""
    if ctx.dry_run:
        return TaskResult(processed=0, details={"dry_run": True})
    result = queue_due_reminders(ctx.viewer, ctx.db, now=ctx.clock())
    return TaskResult(processed=result.queued, details=asdict(result))
