"""`news-digest`: the weekly mail of unread Neuigkeiten to partner users who chose it.

Runs daily at 08:00 Berlin (`python -m jobs run-due`); the dedupe key per user and ISO week
(data/news/announcements.py) makes it one mail a week, on the first run of the week — on
Mondays, unless the sidecar was down. `--dry-run` counts nothing and sends nothing.
"""

from __future__ import annotations

from data.news.announcements import queue_digests
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run news-digest`."""
    if ctx.dry_run:
        return TaskResult(processed=0, details={"dry_run": True})
    queued = queue_digests(ctx.viewer, ctx.db, now=ctx.clock())
    return TaskResult(processed=queued, details={"queued": queued})
