"""`member-digest`: one mail per team member who chose the daily digest, listing the
messages collected for the member since the last one (data/comms/member_digest.py).

Runs daily at 07:00 Berlin (DIGEST_AT, `python -m jobs run-due`); the dedupe key per member
and Berlin day makes a rerun send nothing twice. `--dry-run` sends nothing.
"""

from __future__ import annotations

from data.comms.member_digest import queue_digests
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run member-digest`."""
    if ctx.dry_run:
        return TaskResult(processed=0, details={"dry_run": True})
    queued = queue_digests(ctx.viewer, ctx.db, now=ctx.clock())
    return TaskResult(processed=queued, details={"queued": queued})
