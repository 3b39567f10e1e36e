"""`sync-ledger`: copy new and changed shop orders into the booking ledger.

Runs every minute (`python -m jobs run-due`); the Bestellungen page keeps the ledger fresher in
between (`data.bookings.ledger.ensure_fresh`). Each run also re-reads the last `LOOKBACK_SECONDS` of
order changes before the watermark, which reconciles orders that became visible late (slow
commits, replica lag). The first run copies the whole history in batches, with a progress
line; a killed run loses nothing and the next one goes on from the last committed batch.
`--dry-run` only counts the orders a run would read.
"""

from __future__ import annotations

from dataclasses import asdict

from data.bookings.ledger import pending_orders, sync_ledger
from jobs.runner import JobContext, TaskResult

LOOKBACK_SECONDS = 600.0
# A progress line at most every this many orders (the first load of a big shop: ~40 lines).
PROGRESS_EVERY = 25_000


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run sync-ledger`."""
    total = pending_orders(ctx.viewer, ctx.db, lookback_seconds=LOOKBACK_SECONDS)
    if ctx.dry_run:
        return TaskResult(processed=total, details={"orders_to_read": total})
    progress = ctx.progress("sync-ledger", total, every=PROGRESS_EVERY)
    result = sync_ledger(
        ctx.viewer, ctx.db, lookback_seconds=LOOKBACK_SECONDS, on_batch=progress.advance
    )
    return TaskResult(processed=result.orders, details=asdict(result))
