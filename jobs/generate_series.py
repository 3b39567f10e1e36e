"""`generate-series`: extend every active series' course dates to today + horizon (6 months).

Runs daily at 03:00 Berlin time (`python -m jobs run-due`). Idempotent and crash-safe: a day
that already has a date of the series (or an exception) is never written again, and a series'
`generated_until` moves only after its dates were committed in the shop, so a run that dies
half-way is completed by the next one without duplicates (see data/dates/series.py). `--dry-run`
only counts the series that would be extended.
"""

from __future__ import annotations

from dataclasses import asdict

from data.dates.series import generate_series, pending_series
from jobs.runner import JobContext, TaskResult


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run generate-series`."""
    total = pending_series(ctx.viewer, ctx.db)
    if ctx.dry_run:
        return TaskResult(processed=total, details={"series_due": total})
    progress = ctx.progress("generate-series", total, every=1000)
    result = generate_series(ctx.viewer, ctx.db, on_batch=progress.advance)
    return TaskResult(processed=result.series, details=asdict(result))
