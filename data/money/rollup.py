"""Monthly revenue roll-ups of the booking ledger, kept exact on every ledger write.

At a million orders, summing the ledger for all partners' revenue by month costs over a second
(see the design's Speed section); the dashboard instead reads `miomente_revenue_monthly`, a few
rows per partner and month. This module is its only writer.

What a row holds
----------------
Key: partner, basis, Berlin month (its first day), course (`product_id`; 0 is the partner's row
over all its courses). Values over the *counted* ledger rows of that key:

- counted: status new, confirmed or completed (`COUNTED_STATUSES`). Not counted: rejected,
  cancelled, refunded (a fully refunded booking is no revenue; a partially refunded one keeps
  its status and counts with what was not refunded).
- `gross`, `refunded`: sums of the ledger's columns (revenue = gross - refunded), 4 decimals.
- `tickets`: sum of the ledger's tickets (already net of cancelled and refunded tickets);
  `items`: booked items; `orders`: distinct orders. Distinct counts do not add up across
  courses (an order may hold two courses of one partner), which is why the partner's own row
  (product 0) exists: it is the one to read for a partner's orders and average order value.
- basis "booked": the month of `booked_at` (the order's creation), the sales view; basis
  "event": the month of `event_at` (the course date), the payout view; items without a course
  date are not in the "event" rows.

Months are Berlin calendar months: a booking at 23:30 UTC on 31 January, already 1 February in
Berlin, counts in February. The bounds come from `core.periods`, so the SQL compares naive UTC
timestamps with bound values and runs the same on PostgreSQL and SQLite.

How it stays correct
--------------------
`kept_current(conn, rows)` wraps the ledger's one write (`data.bookings.ledger._Copier.store`):
before the upsert it reads the old (partner, booked month, event month) of the rows it replaces,
after it `refresh_rollups` recomputes every affected key — old and new months, both bases — from
the ledger, in the same transaction. Recomputing (delete the key's rows, aggregate the ledger's
rows of that partner and month again) instead of adding deltas keeps distinct order counts exact
and heals any drift on the next write of that month. Ledger writers are serialised by the
ledger's lock on `miomente_sync_state`, so two refreshes never interleave. `rebuild_rollups`
recomputes the whole table (migration 0006 on an existing ledger, repairs, benchmarks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)

from core import periods, sql
from core.money import ZERO, to_stored
from data.money.rules import REVENUE_STATUSES
from data.portal_schema import (
    REVENUE_ALL_COURSES,
    bookings,
    revenue_monthly,
    sync_state,
)

# The one rule of what counts, shared with the payouts (data/money/rules.py).
COUNTED_STATUSES = REVENUE_STATUSES
BASIS_BOOKED, BASIS_EVENT = "booked", "event"
BASES = (BASIS_BOOKED, BASIS_EVENT)
# Months per aggregate statement of a rebuild (the CASE that buckets rows has one arm each).
REBUILD_MONTHS = 12
# The ledger's sync_state row (data.bookings.ledger.SYNC_NAME): its lock serialises ledger writers.
_LEDGER_LOCK = "bookings"

Key = tuple[int, str, date]  # partner_id, basis, month (first day, Berlin)


def _column(basis: str) -> ColumnElement:
    if basis == BASIS_BOOKED:
        return bookings.c.booked_at
    if basis == BASIS_EVENT:
        return bookings.c.event_at
    raise ValueError(f"unknown basis {basis!r}")


def berlin_month(moment: datetime | None) -> date | None:
    """First day of the Berlin month of a naive-UTC timestamp (None stays None)."""
    if moment is None:
        return None
    return periods.berlin_today(moment.replace(tzinfo=UTC)).replace(day=1)


def keys_of(rows: Iterable[Mapping]) -> set[Key]:
    """The roll-up keys of ledger rows (dicts or row mappings with partner, booked and event at)."""
    keys: set[Key] = set()
    for row in rows:
        partner_id = int(row["partner_id"])
        for basis, column in ((BASIS_BOOKED, "booked_at"), (BASIS_EVENT, "event_at")):
            month = berlin_month(row[column])
            if month is not None:
                keys.add((partner_id, basis, month))
    return keys


def ledger_keys(conn: Connection, item_ids: Sequence[int]) -> set[Key]:
    """The keys the ledger's current rows of these items count in (before they change)."""
    if not item_ids:
        return set()
    rows = conn.execute(
        select(bookings.c.partner_id, bookings.c.booked_at, bookings.c.event_at).where(
            sql.int_in(bookings.c.item_id, item_ids)
        )
    ).mappings()
    return keys_of(rows)


@contextmanager
def kept_current(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> Iterator[None]:
    """Around a ledger upsert of `rows`: refresh the roll-ups of every month it touches."""
    old = ledger_keys(conn, [int(row["item_id"]) for row in rows])
    yield
    refresh_rollups(conn, old | keys_of(rows))


def _aggregate(
    conn: Connection, basis: str, months: Mapping[date, set[int] | None]
) -> list[dict[str, object]]:
    """Roll-up rows for these months (each with its partners, None = all) from the ledger."""
    if not months:
        return []
    column = _column(basis)
    arms, where = [], []
    for month in sorted(months):
        span = periods.month_of(month)
        inside = and_(column >= span.start, column < span.end)
        arms.append((inside, literal(month.year * 100 + month.month)))
        partners = months[month]
        if partners is None:
            where.append(inside)
        elif partners:
            where.append(and_(inside, sql.int_in(bookings.c.partner_id, partners)))
    if not where:
        return []
    rows = (
        select(
            bookings.c.partner_id,
            bookings.c.product_id,
            bookings.c.order_id,
            bookings.c.gross,
            bookings.c.refunded,
            bookings.c.tickets,
            case(*arms).label("ym"),
        )
        .where(bookings.c.status.in_(COUNTED_STATUSES), or_(*where))
        .subquery()
    )
    per_course = conn.execute(
        select(
            rows.c.partner_id,
            rows.c.product_id,
            rows.c.ym,
            func.sum(rows.c.gross),
            func.sum(rows.c.refunded),
            func.sum(rows.c.tickets),
            func.count(),
            func.count(func.distinct(rows.c.order_id)),
        ).group_by(rows.c.partner_id, rows.c.product_id, rows.c.ym)
    ).all()
    per_partner = conn.execute(
        select(rows.c.partner_id, rows.c.ym, func.count(func.distinct(rows.c.order_id))).group_by(
            rows.c.partner_id, rows.c.ym
        )
    ).all()
    out: list[dict[str, object]] = []
    totals: dict[tuple[int, int], dict[str, object]] = {}
    for partner_id, product_id, ym, gross, refunded, tickets, items, orders in per_course:
        month = date(int(ym) // 100, int(ym) % 100, 1)
        row: dict[str, Any] = {
            "partner_id": int(partner_id),
            "basis": basis,
            "product_id": int(product_id),
            "month": month,
            "gross": to_stored(gross),
            "refunded": to_stored(refunded),
            "tickets": int(tickets or 0),
            "items": int(items),
            "orders": int(orders),
        }
        out.append(row)
        total = totals.setdefault(
            (int(partner_id), int(ym)),
            {
                **row,
                "product_id": REVENUE_ALL_COURSES,
                "gross": ZERO,
                "refunded": ZERO,
                "tickets": 0,
                "items": 0,
                "orders": 0,
            },
        )
        for name in ("gross", "refunded", "tickets", "items"):
            total[name] += row[name]
    for partner_id, ym, orders in per_partner:
        totals[(int(partner_id), int(ym))]["orders"] = int(orders)
    return out + list(totals.values())


def refresh_rollups(conn: Connection, keys: Iterable[Key]) -> int:
    """Recompute the roll-up rows of these (partner, basis, month) keys from the ledger.

    Runs in the caller's transaction (the ledger write's); returns the rows written.
    """
    wanted: dict[str, dict[date, set[int]]] = defaultdict(lambda: defaultdict(set))
    for partner_id, basis, month in keys:
        _column(basis)  # refuses an unknown basis
        wanted[basis][month].add(int(partner_id))
    rm = revenue_monthly
    written = 0
    for basis, months in wanted.items():
        conn.execute(
            delete(rm).where(
                rm.c.basis == basis,
                or_(
                    *(
                        and_(rm.c.month == month, sql.int_in(rm.c.partner_id, partners))
                        for month, partners in sorted(months.items())
                    )
                ),
            )
        )
        rows = _aggregate(conn, basis, months)
        if rows:
            conn.execute(insert(rm), rows)
        written += len(rows)
    return written


def _month_range(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def is_empty(engine: Engine) -> bool:
    """True while no roll-up row exists (before the first sync, or after a crashed one)."""
    with engine.connect() as conn:
        return conn.execute(select(revenue_monthly.c.partner_id).limit(1)).first() is None


def rebuild_rollups(conn: Connection) -> int:
    """Recompute the whole roll-up table from the ledger in the caller's transaction.

    Takes the ledger writers' lock first (when the ledger was ever synced), so a sync running
    at the same time waits and its own refresh follows this rebuild.
    """
    conn.execute(
        update(sync_state)
        .where(sync_state.c.name == _LEDGER_LOCK)
        .values(watermark_id=sync_state.c.watermark_id)
    )
    conn.execute(delete(revenue_monthly))
    written = 0
    for basis in BASES:
        column = _column(basis)
        first, last = conn.execute(
            select(func.min(column), func.max(column)).where(
                bookings.c.status.in_(COUNTED_STATUSES)
            )
        ).one()
        if first is None:
            continue
        first_month = berlin_month(_as_datetime(first))
        last_month = berlin_month(_as_datetime(last))
        if first_month is None or last_month is None:  # a timestamp gives a month: not reached
            continue
        months = _month_range(first_month, last_month)
        for chunk in sql.chunks(months, REBUILD_MONTHS):
            rows = _aggregate(conn, basis, dict.fromkeys(chunk))
            if rows:
                conn.execute(insert(revenue_monthly), rows)
            written += len(rows)
    return written


def _as_datetime(value: object) -> datetime:
    """SQLite hands back MIN()/MAX() of a DateTime column as text."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
