"""`score-courses`: the Qualitäts-Score of every course, nightly (data/marketing/scores.py).

`python -m jobs run score-courses` scores all courses; `--course ID` scores one (as the
Marketing page's "Jetzt neu berechnen" does). Idempotent: the current score is overwritten,
the day's history point too. `--dry-run` counts the courses it would score.
"""

from __future__ import annotations

from data.access import scope
from data.marketing.scores import score_courses
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run score-courses [--course ID]`."""
    wanted = [ctx.course] if ctx.course is not None else None
    if ctx.dry_run:
        count = len(wanted) if wanted else len(scope.product_partner_map(ctx.viewer, ctx.db))
        return TaskResult(processed=count, details={"courses": count})
    total = len(wanted) if wanted else len(scope.product_partner_map(ctx.viewer, ctx.db))
    progress = ctx.progress("score-courses", total, every=1000)
    done = score_courses(
        ctx.viewer, ctx.db, product_ids=wanted, now=ctx.clock(), progress=progress.advance
    )
    return TaskResult(processed=done, details={"courses": done})
