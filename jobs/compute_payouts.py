"""`compute-payouts`: build last month's payouts (drafts) for every partner.

Scheduled daily at 04:00 Berlin (`run-due`) and on demand (`python -m jobs run
compute-payouts`): it computes last month while last month has no payouts yet or still has
drafts, so late refunds reach the drafts until staff approve them; once every payout of the
month is approved or paid it does nothing. Drafts are recomputed, approved and paid payouts
are never touched, a rerun that finds nothing changed writes nothing. `--dry-run` counts the
partners that have events last month. `--month YYYY-MM` does the same for an earlier month.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import func, select

from core import periods
from data.money import payouts
from data.portal_schema import bookings
from jobs.runner import JobContext, TaskResult


def _month_partners(ctx: JobContext, period) -> int:
    bounds = periods.month_of(period)
    with ctx.db.portal.connect() as conn:
        return int(
            conn.execute(
                select(func.count(func.distinct(bookings.c.partner_id))).where(
                    bookings.c.event_at >= bounds.start, bookings.c.event_at < bounds.end
                )
            ).scalar()
            or 0
        )


def run(ctx: JobContext) -> TaskResult:
    """The task behind `python -m jobs run compute-payouts`."""
    # `--month YYYY-MM` recomputes that month's drafts (approved and paid stay as they are).
    period = ctx.period or payouts.last_month()
    if payouts.is_settled(ctx.viewer, ctx.db, period=period):
        return TaskResult(details={"period": period.isoformat(), "skipped": "all approved"})
    if ctx.dry_run:
        count = _month_partners(ctx, period)
        return TaskResult(processed=count, details={"period": period.isoformat()})
    result = payouts.compute_payouts(ctx.viewer, ctx.db, period=period)
    details = {k: (v.isoformat() if k == "period" else v) for k, v in asdict(result).items()}
    return TaskResult(processed=result.partners, details=details)
