"""Series of course dates: patterns, their exceptions, generation, bulk changes, cancelling.

A series lives in the portal (`miomente_recurring_patterns` + `miomente_recurring_exceptions`);
its dates live in the shop (`miomente_course_date.series_id`), written through
`data.shop.writes`. The rule itself is expanded by `core.recurrence` (Berlin wall-clock time,
stored UTC).

Generation and its guarantees
-----------------------------
Dates exist up to a horizon (`HORIZON_DAYS`, about six months): `create_series` writes them on
save, the daily job `python -m jobs run generate-series` (`generate_series`) extends every
active series to today + horizon. The pattern's `generated_until` (a local day) says how far a
series was generated; it only saves work, it is not what prevents duplicates:

- An occurrence is identified by its rule day (one occurrence per day, core.recurrence). Before
  inserting, a run reads the series' dates from the shop and treats a day as done when a date
  of the series (any status, cancelled too) starts on it, or when the series has an exception
  for it (skipped or moved). Only the missing days are inserted. A run that dies after the
  shop committed but before `generated_until` moved finds those dates on the next run and
  inserts nothing twice; a run that dies before the shop committed left nothing, and the next
  run inserts it all. Nothing is missed, because `generated_until` moves only after the
  shop commit.
- The shop itself refuses a second date of a series at the same start: a UNIQUE index on
  `miomente_course_date (series_id, starts_at)` (`mio_uq_course_date_series_start`, in the
  contract's EXTRA_INDEXES and sql/magento_extra_indexes.sql; single dates have series_id
  NULL, which a unique index does not compare). So two generators at once (the job and a
  save, or two hosts) cannot both insert: the loser's transaction fails with an integrity
  error, rolls back, and it re-reads and inserts what is still missing. We chose this over an
  occurrence-key column because it needs no new column in the shop's module table, only an
  index the DBA can review; the day-based check above covers what a start cannot identify
  (a moved date, a changed time).

Dates in the past are never generated; a series is generated from its start day on.

Bulk changes and splits
-----------------------
`bulk_edit` changes start time, duration, seats or price of all future active dates of a series
in one shop transaction (and the pattern in the enclosing portal transaction), so a failure
half-way — e.g. a new time that collides with a moved date of the series — changes nothing.
Moved dates keep their own time (they were placed deliberately); seats and price apply to them
too. With `from_day` ("this and following") the series is first split: the old series ends the
day before, a new series takes over the rest (its dates and exceptions are reassigned to it),
and the change applies to the new one. Any change of start time refreshes the booking ledger
of the orders booked on the changed dates (`data.bookings.ledger.refresh_orders`).

`cancel_series` cancels the future dates (past ones stay as they were) and stops the series; if
some of them are booked, only with `confirm=True`, and every booked customer gets the
`date_cancelled` email (see data.dates.course_dates for the order of transactions).

Scope: a series belongs to the partner of its course; every function checks it in SQL and
answers another partner's series like a missing one (`ScopeError("dates.not_found")`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import recurrence as rec
from core import sql
from core.clock import naive_utc, now_utc
from core.db import Databases
from core.minimum_rule import check_minimum
from core.money import to_decimal
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import DATES_READ, DATES_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.dates import _minimum_store as minimum_store
from data.dates._date_changes import (
    NOT_FOUND,
    CancelResult,
    booked_items,
    cancel_dates,
    check_values,
    notify_moved,
    order_ids_on,
    refresh_ledger,
    require_product,
)
from data.dates.course_dates import (
    overlapping,
    update_date,
)
from data.integrations import webhooks
from data.ops import audit, submissions
from data.portal_schema import (
    SERIES_ACTIVE,
    SERIES_CANCELLED,
    recurring_exceptions,
    recurring_patterns,
)
from data.shop import writes as shop_writes
from data.shop.schema import DATE_ACTIVE, miomente_course_date, tickets

log = logging.getLogger(__name__)

HORIZON_DAYS = 183
# generated_until of a series whose rule has no more occurrences (COUNT or end day reached).
FINISHED = date(9999, 12, 31)
BATCH_SERIES = 500
INSERT_CHUNK = 5000

P, E, D = recurring_patterns, recurring_exceptions, miomente_course_date


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    series_id: int
    partner_id: int
    product_id: int
    pattern: rec.Pattern
    rule: str
    seats: int
    price: Decimal
    status: str
    generated_until: date | None
    exceptions: list[rec.Exception_] = field(default_factory=list)
    min_participants: int = 0  # the default Mindestteilnehmerzahl of its dates (0: none)


@dataclass(frozen=True)
class SeriesPreview:
    occurrences: list[rec.Occurrence]  # in the save window, skipped ones included
    rule: str
    to_create: int  # dates a save writes now
    overlaps: list[int]  # active dates of the course at the same time
    open_ended: bool  # the series goes on beyond the horizon (the job extends it)


@dataclass(frozen=True)
class SeriesSaved:
    series_id: int
    created: int
    overlaps: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class GenerateResult:
    series: int  # series looked at
    created: int  # dates written
    skipped: int = 0  # series whose stored pattern cannot be expanded (logged)


@dataclass(frozen=True)
class BulkResult:
    series_id: int  # the series changed (the new one after a split)
    changed: int  # dates changed
    orders_refreshed: int = 0
    split_from: int | None = None
    messages: int = 0  # date_moved emails queued to booked customers


# --- helpers ---------------------------------------------------------------------------------


def _today(now: datetime) -> date:
    return rec.local_day(now)


def _pattern_of(row: Mapping) -> rec.Pattern:
    start_time = row["start_time"]
    if isinstance(start_time, str):  # SQLite may hand back text
        start_time = time.fromisoformat(start_time)
    return rec.Pattern(
        kind=row["kind"],
        starts_on=row["starts_on"],
        start_time=start_time,
        duration_minutes=int(row["duration_minutes"]),
        interval=int(row["interval"]),
        weekdays=tuple(w for w in (row["weekdays"] or "").split(",") if w),
        month_day=row["month_day"],
        short_months=row["short_months"],
        position=row["position"],
        position_weekday=row["position_weekday"],
        rrule=row["rrule"] if row["kind"] == rec.CUSTOM else None,
        ends_on=row["ends_on"],
        count=row["count"],
        holidays_in=row["holidays_in"],
    )


def _pattern_values(pattern: rec.Pattern) -> dict[str, object]:
    return {
        "kind": pattern.kind,
        "interval": int(pattern.interval),
        "weekdays": ",".join(pattern.weekdays) or None,
        "month_day": pattern.month_day,
        "short_months": pattern.short_months,
        "position": pattern.position,
        "position_weekday": pattern.position_weekday,
        "rrule": pattern.rrule.strip() if pattern.kind == rec.CUSTOM and pattern.rrule else "",
        "starts_on": pattern.starts_on,
        "start_time": pattern.start_time.replace(second=0, microsecond=0),
        "duration_minutes": int(pattern.duration_minutes),
        "ends_on": pattern.ends_on,
        "count": pattern.count,
        "holidays_in": pattern.holidays_in,
    }


def _exceptions(conn: Connection, series_ids: Sequence[int]) -> dict[int, list[rec.Exception_]]:
    out: dict[int, list[rec.Exception_]] = {int(s): [] for s in series_ids}
    if not series_ids:
        return out
    rows = conn.execute(
        select(E.c.series_id, E.c.occurs_on, E.c.action, E.c.moved_to)
        .where(E.c.series_id.in_(sorted(out)))
        .order_by(E.c.series_id, E.c.occurs_on)
    )
    for row in rows:
        moved = rec.to_local(row.moved_to) if row.moved_to is not None else None
        out[row.series_id].append(rec.Exception_(row.occurs_on, row.action, moved))
    return out


def _load(viewer: Viewer, db: Databases, series_id: int) -> Series:
    with db.portal.connect() as conn:
        row = (
            conn.execute(
                select(P).where(
                    P.c.series_id == int(series_id), scope.partner_filter(P.c.partner_id, viewer)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise ScopeError(NOT_FOUND)
        exceptions = _exceptions(conn, [row["series_id"]])[row["series_id"]]
    pattern = _pattern_of(row)
    return Series(
        series_id=row["series_id"],
        partner_id=row["partner_id"],
        product_id=row["product_id"],
        pattern=pattern,
        rule=row["rrule"] or rec.rule_text(pattern),
        seats=int(row["seats"]),
        price=to_decimal(row["price"]),
        status=row["status"],
        generated_until=row["generated_until"],
        exceptions=exceptions,
        min_participants=int(row["min_participants"] or 0),
    )


def _horizon_end(now: datetime, horizon_days: int) -> date:
    return _today(now) + timedelta(days=int(horizon_days))


def _window_end(pattern: rec.Pattern, horizon: date) -> date:
    return min(pattern.ends_on, horizon) if pattern.ends_on else horizon


# --- preview and create ----------------------------------------------------------------------


@requires(DATES_READ)
def preview_series(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    pattern: rec.Pattern,
    seats: int,
    price: Decimal | str | float,
    now: datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    minimum: object = None,
) -> SeriesPreview:
    """The dates a save would create (and the skipped ones, with why), or InvalidInput.

    A series with an end (a last day or a count) may hold at most `MAX_OCCURRENCES` dates; an
    open one is written up to the horizon and extended daily."""
    now = naive_utc(now) if now else now_utc()
    require_product(viewer, db, product_id)
    seats_value, _price = check_values(seats=seats, price=price)
    check_minimum(minimum, seats=seats_value)
    rec.validate(pattern, today=_today(now))
    horizon = _horizon_end(now, horizon_days)
    bounded = rec.is_bounded(pattern)
    # The whole series when it ends (capped one past the limit), else the horizon.
    full = rec.expand(
        pattern,
        until=pattern.ends_on
        or (date(pattern.starts_on.year + rec.MAX_YEARS, 12, 31) if bounded else horizon),
        limit=rec.MAX_OCCURRENCES + 1 if bounded else None,
    )
    rec.check_size(full)
    window = [o for o in full.occurrences if o.day <= horizon]
    active = [o for o in window if not o.skipped and rec.to_utc(o.starts_at) > now]
    if not active and not [o for o in full.active if o.day > horizon]:
        raise InvalidInput("dates.no_occurrences")
    ranges = [(rec.to_utc(o.starts_at), rec.to_utc(o.ends_at)) for o in active]
    overlaps = overlapping(viewer, db, product_id=product_id, ranges=ranges)
    last_rule_day = full.occurrences[-1].day if full.occurrences else pattern.starts_on
    return SeriesPreview(
        occurrences=window,
        rule=rec.rule_text(pattern) if pattern.kind != rec.CUSTOM else (pattern.rrule or ""),
        to_create=len(active),
        overlaps=overlaps,
        open_ended=not bounded or last_rule_day > horizon,
    )


@requires(DATES_WRITE)
def create_series(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    pattern: rec.Pattern,
    seats: int,
    price: Decimal | str | float,
    now: datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    token: str | None = None,
    minimum: object = None,
) -> SeriesSaved:
    """Save the series and write its dates up to the horizon (same checks as the preview).

    `token` is the rendered form's idempotency token (data/ops/submissions.py): a second
    save of the same form is refused and creates nothing. `minimum` is the default
    Mindestteilnehmerzahl of its dates (empty or 0: none; at most the seats)."""
    now = naive_utc(now) if now else now_utc()
    preview = preview_series(
        viewer, db, product_id=product_id, pattern=pattern, seats=seats, price=price, now=now,
        horizon_days=horizon_days, minimum=minimum,
    )  # fmt: skip
    partner_id = require_product(viewer, db, product_id)
    seats_value, price_value = check_values(seats=seats, price=price)
    minimum_value = check_minimum(minimum, seats=seats_value)
    values = _pattern_values(pattern)
    if pattern.kind != rec.CUSTOM:
        values["rrule"] = rec.rule_text(pattern)
    with submissions.once(db, token, kind="series", user_id=viewer.user_id, now=now) as pconn:
        series_id = pconn.execute(
            insert(P)
            .values(
                partner_id=partner_id,
                product_id=int(product_id),
                seats=seats_value,
                price=price_value,
                min_participants=minimum_value,
                status=SERIES_ACTIVE,
                generated_until=None,
                created_by=viewer.user_id,
                created_at=now,
                updated_at=now,
                **values,
            )
            .returning(P.c.series_id)
        ).scalar_one()
        audit.record(
            pconn,
            viewer,
            action="series_created",
            entity="series",
            entity_id=series_id,
            partner_id=partner_id,
            details={"product_id": int(product_id), "rule": values["rrule"]},
            now=now,
        )
    # The pattern is committed: if writing its dates fails now, the job writes them later.
    result = generate_series(viewer, db, now=now, horizon_days=horizon_days, series_ids=[series_id])
    return SeriesSaved(series_id=series_id, created=result.created, overlaps=preview.overlaps)


# --- generation ------------------------------------------------------------------------------


def _due_query(viewer: Viewer, horizon: date, series_ids: Sequence[int] | None):
    query = select(P).where(
        P.c.status == SERIES_ACTIVE,
        or_(P.c.generated_until.is_(None), P.c.generated_until < horizon),
        scope.partner_filter(P.c.partner_id, viewer),
    )
    if series_ids is not None:
        query = query.where(P.c.series_id.in_([int(s) for s in series_ids] or [-1]))
    return query


@requires(DATES_READ)
def pending_series(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """How many of the viewer's active series the next generation would extend."""
    now = naive_utc(now) if now else now_utc()
    query = _due_query(viewer, _horizon_end(now, HORIZON_DAYS), None).subquery()
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(query)).scalar() or 0)


def _exception_days(
    conn: Connection, series_ids: Sequence[int]
) -> tuple[dict[int, set[date]], set[int]]:
    """Per series: the days an exception took out (skipped or moved); and the ids of the
    moved dates, which `_covered_days` must not count for the day they now fall on."""
    days: dict[int, set[date]] = {int(s): set() for s in series_ids}
    moved: set[int] = set()
    if not series_ids:
        return days, moved
    rows = conn.execute(
        select(E.c.series_id, E.c.occurs_on, E.c.action, E.c.date_id).where(
            E.c.series_id.in_(sorted(days))
        )
    )
    for series_id, occurs_on, action, date_id in rows:
        days[series_id].add(occurs_on)
        if action == rec.MOVE and date_id is not None:
            moved.add(int(date_id))
    return days, moved


def _covered_days(
    conn: Connection, series_ids: Sequence[int], since: datetime, moved_ids: set[int]
) -> dict[int, set[date]]:
    """Per series: the local days that already have a date (moved dates aside)."""
    out: dict[int, set[date]] = {int(s): set() for s in series_ids}
    rows = conn.execute(
        select(D.c.series_id, D.c.starts_at, D.c.date_id).where(
            D.c.series_id.in_(sorted(out)), D.c.starts_at >= since
        )
    )
    for series_id, starts_at, date_id in rows:
        if date_id not in moved_ids:
            out[series_id].add(rec.local_day(starts_at))
    return out


Planned = list[tuple[date, datetime, datetime]]  # (rule day, start, end), naive UTC


def _plan(row: Mapping, excluded: set[date], now: datetime, horizon: date) -> tuple[Planned, date]:
    """The occurrences to consider for one series and the day it is then generated to."""
    pattern = _pattern_of(row)
    end = _window_end(pattern, horizon)
    # Skipped and moved days are "done" already (`excluded`), as are holidays.
    pending = rec.pending(pattern, until=end, after=row["generated_until"], excluded=excluded)
    wanted = [o for o in pending if o[1] > now]
    # Does the rule go on after the window? (COUNT or an end day may have been reached.)
    done_to = FINISHED if rec.is_finished(pattern, end) else end
    return wanted, done_to


def _due_batch(
    db: Databases, viewer: Viewer, horizon: date, series_ids: Sequence[int] | None, after_id: int,
    size: int,
) -> tuple[list[Mapping], dict[int, set[date]], set[int]]:  # fmt: skip
    """The next due series after `after_id` with their exception days and moved date ids."""
    with db.portal.connect() as pconn:
        rows: list[Mapping] = list(
            pconn.execute(
                _due_query(viewer, horizon, series_ids)
                .where(P.c.series_id > after_id)
                .order_by(P.c.series_id)
                .limit(max(1, int(size)))
            ).mappings()
        )
        excluded, moved_ids = _exception_days(pconn, [r["series_id"] for r in rows])
    return rows, excluded, moved_ids


def _mark_generated(db: Databases, rows: list[Mapping], plans: Mapping[int, tuple]) -> None:
    """Move the batch's watermarks; only after its dates were committed in the shop."""
    # A batch's series mostly end up at the same day (the horizon, or FINISHED): one UPDATE
    # per distinct day rather than one per series.
    by_until: dict[date, list[int]] = {}
    for r in rows:
        until = plans[r["series_id"]][1]
        if until != r["generated_until"]:
            by_until.setdefault(until, []).append(r["series_id"])
    if not by_until:
        return
    with db.portal.begin() as pconn:
        for until, ids in by_until.items():
            pconn.execute(update(P).where(P.c.series_id.in_(ids)).values(generated_until=until))


@requires(DATES_WRITE)
def generate_series(
    viewer: Viewer,
    db: Databases,
    *,
    now: datetime | None = None,
    horizon_days: int = HORIZON_DAYS,
    series_ids: Sequence[int] | None = None,
    batch_series: int = BATCH_SERIES,
    on_batch: Callable[[int], None] | None = None,
) -> GenerateResult:
    """Write the missing dates of the viewer's active series up to today + horizon.

    Idempotent and crash-safe (see the module doc). `on_batch(series)` is called after each
    batch's shop commit, before its `generated_until` moves (the job's progress line).
    """
    now = naive_utc(now) if now else now_utc()
    horizon = _horizon_end(now, horizon_days)
    owners = scope.product_partner_map(viewer, db)
    created = handled = skipped = 0
    after_id = 0
    while True:
        rows, excluded, moved_ids = _due_batch(
            db, viewer, horizon, series_ids, after_id, batch_series
        )
        if not rows:
            break
        after_id = rows[-1]["series_id"]
        rows = [r for r in rows if r["product_id"] in owners]
        plans = _plans(rows, excluded, now, horizon)
        skipped += len(rows) - len(plans)
        rows = [r for r in rows if r["series_id"] in plans]
        created += _write_batch(db, rows, plans, moved_ids, now)
        webhooks.emit_series_dates(db, series_ids=list(plans), owners=owners, now=now)
        handled += len(rows)
        if on_batch is not None:
            on_batch(len(rows))
        _mark_generated(db, rows, plans)
    return GenerateResult(series=handled, created=created, skipped=skipped)


def _plans(
    rows: list[Mapping], excluded: Mapping[int, set[date]], now: datetime, horizon: date
) -> dict[int, tuple[Planned, date]]:
    """Each series' plan; a stored pattern that cannot be expanded (a row written around the
    checks) is skipped and logged, so one bad row cannot stop or hang the nightly job."""
    plans: dict[int, tuple[Planned, date]] = {}
    for r in rows:
        try:
            plans[r["series_id"]] = _plan(r, excluded[r["series_id"]], now, horizon)
        except InvalidInput as exc:
            log.warning("series %s skipped: its pattern is invalid (%s)", r["series_id"], exc.key)
    return plans


def _write_batch(
    db: Databases,
    rows: list[Mapping],
    plans: Mapping[int, tuple[Planned, date]],
    moved_ids: set[int],
    now: datetime,
) -> int:
    """Insert the batch's missing dates in one shop transaction; after a lost race, again."""
    wanted = {sid: occ for sid, (occ, _done) in plans.items() if occ}
    if not wanted:
        return 0
    since = min(occ[0][1] for occ in wanted.values()) - timedelta(days=1)
    by_id = {r["series_id"]: r for r in rows}
    # Kept out of the rows so the insert binds the two timestamps as one parameter.
    same = {"status": DATE_ACTIVE, "created_at": now, "updated_at": now}
    for attempt in range(3):
        try:
            with shop_writes.shop_transaction(db.magento) as conn:
                covered = _covered_days(conn, list(wanted), since, moved_ids)
                inserts: list[dict[str, object]] = []
                for series_id, occurrences in wanted.items():
                    row = by_id[series_id]
                    product_id, seats, price = row["product_id"], row["seats"], row["price"]
                    done = covered[series_id]
                    inserts.extend(
                        {
                            "product_id": product_id,
                            "starts_at": start,
                            "ends_at": end,
                            "seats_total": seats,
                            "price": price,
                            "series_id": series_id,
                        }
                        for day, start, end in occurrences
                        if day not in done
                    )
                for chunk in sql.chunks(inserts, INSERT_CHUNK):
                    shop_writes.insert_course_dates(conn, chunk, same=same)
            return len(inserts)
        except IntegrityError:
            # Another generator inserted some of these meanwhile: re-read and insert the rest.
            log.info("series generation lost a race (attempt %s); re-reading", attempt + 1)
    raise RuntimeError("series generation kept colliding with another writer")


# --- reading ---------------------------------------------------------------------------------


@requires(DATES_READ)
def get_series(viewer: Viewer, db: Databases, *, series_id: int) -> Series:
    """One of the viewer's series with its exceptions; ScopeError for another's."""
    return _load(viewer, db, series_id)


SERIES_COLUMNS = [
    "series_id",
    "product_id",
    "kind",
    "rrule",
    "starts_on",
    "start_time",
    "duration_minutes",
    "seats",
    "price",
    "ends_on",
    "count",
    "holidays_in",
    "status",
    "generated_until",
    "min_participants",
]


@requires(DATES_READ)
def list_series(
    viewer: Viewer, db: Databases, *, product_id: int | None = None, active_only: bool = False
) -> pd.DataFrame:
    """The viewer's series, newest first."""
    query = select(*(P.c[c] for c in SERIES_COLUMNS)).where(
        scope.partner_filter(P.c.partner_id, viewer)
    )
    if product_id is not None:
        query = query.where(P.c.product_id == int(product_id))
    if active_only:
        query = query.where(P.c.status == SERIES_ACTIVE)
    with db.portal.connect() as conn:
        rows = [dict(r) for r in conn.execute(query.order_by(P.c.series_id.desc())).mappings()]
    for row in rows:
        row["price"] = to_decimal(row["price"])
    return pd.DataFrame(rows, columns=SERIES_COLUMNS)


# --- exceptions: move one, skip one ------------------------------------------------------------


def _date_of_day(conn: Connection, series: Series, day: date) -> Mapping | None:
    """The series' date for the occurrence on `day` (a moved one through its exception)."""
    moved = {e.day: e for e in series.exceptions if e.action == rec.MOVE}
    if day in moved:
        return None  # handled by the caller through the exception's date_id
    start = datetime.combine(day - timedelta(days=1), time(0))
    end = datetime.combine(day + timedelta(days=2), time(0))
    for row in conn.execute(
        select(D).where(D.c.series_id == series.series_id, D.c.starts_at.between(start, end))
    ).mappings():
        if rec.local_day(row["starts_at"]) == day:
            return row
    return None


def _occurs_on(series: Series, day: date) -> bool:
    found = rec.build_rule(series.pattern).after(datetime.combine(day, time(0)), inc=True)
    return found is not None and found.date() == day


@requires(DATES_WRITE)
def move_occurrence(
    viewer: Viewer,
    db: Databases,
    *,
    series_id: int,
    day: date,
    new_start: datetime,
    now: datetime | None = None,
) -> int:
    """Move the occurrence of `day` to `new_start` (Berlin wall clock or aware); its date id.

    The date keeps its duration, seats and price; bookings on it keep it (the ledger's event
    time follows). A day the series has not generated yet gets its date now."""
    now = naive_utc(now) if now else now_utc()
    series = _load(viewer, db, series_id)
    if series.status != SERIES_ACTIVE:
        raise InvalidInput("dates.series_cancelled")
    if not _occurs_on(series, day):
        raise InvalidInput("dates.no_such_occurrence", day=day.strftime("%d.%m.%Y"))
    with db.portal.connect() as pconn:
        moved = pconn.execute(
            select(E.c.date_id).where(E.c.series_id == series_id, E.c.occurs_on == day)
        ).first()
    if moved is not None and moved[0] is None:
        raise InvalidInput("dates.occurrence_skipped")
    with db.magento.connect() as conn:
        existing = _date_of_day(conn, series, day)
    date_id = moved[0] if moved is not None else (existing["date_id"] if existing else None)
    if date_id is not None:
        try:
            update_date(viewer, db, date_id=date_id, starts_at=new_start, now=now)
        except IntegrityError:
            raise InvalidInput("dates.collision") from None
        return int(date_id)
    start_utc = rec.to_utc(new_start)
    end_utc = start_utc + timedelta(minutes=series.pattern.duration_minutes)
    if start_utc <= now:
        raise InvalidInput("dates.in_past")
    try:
        with db.portal.begin() as pconn:
            with shop_writes.shop_transaction(db.magento) as conn:
                date_id = shop_writes.insert_course_date(
                    conn,
                    product_id=series.product_id,
                    starts_at=start_utc,
                    ends_at=end_utc,
                    seats_total=series.seats,
                    price=series.price,
                    status=DATE_ACTIVE,
                    series_id=series.series_id,
                    created_at=now,
                    updated_at=now,
                )
            pconn.execute(
                insert(E).values(
                    series_id=series.series_id,
                    occurs_on=day,
                    action=rec.MOVE,
                    moved_to=start_utc,
                    date_id=date_id,
                    created_by=viewer.user_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise InvalidInput("dates.collision") from None
    return int(date_id)


@requires(DATES_WRITE)
def skip_occurrence(
    viewer: Viewer,
    db: Databases,
    *,
    series_id: int,
    day: date,
    confirm: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
) -> CancelResult:
    """Skip the occurrence of `day`: its date (if generated) is cancelled, with confirmation and
    customer emails when booked; the series never generates that day again."""
    now = naive_utc(now) if now else now_utc()
    series = _load(viewer, db, series_id)
    if not _occurs_on(series, day):
        raise InvalidInput("dates.no_such_occurrence", day=day.strftime("%d.%m.%Y"))
    with db.portal.connect() as pconn:
        known = pconn.execute(
            select(E.c.action, E.c.date_id).where(E.c.series_id == series_id, E.c.occurs_on == day)
        ).first()
    with db.magento.connect() as conn:
        existing = _date_of_day(conn, series, day)
    date_id = known.date_id if known is not None else (existing["date_id"] if existing else None)

    def record(pconn: Connection) -> None:
        if known is None:
            pconn.execute(
                insert(E).values(
                    series_id=series_id,
                    occurs_on=day,
                    action=rec.SKIP,
                    date_id=date_id,
                    created_by=viewer.user_id,
                    created_at=now,
                )
            )

    return cancel_dates(
        viewer,
        db,
        partner_id=series.partner_id,
        date_ids=[date_id] if date_id is not None else [],
        confirm=confirm,
        reason=reason,
        now=now,
        within=record,
    )


# --- bulk changes, split, cancel ---------------------------------------------------------------


def _future_dates(conn: Connection, series_id: int, now: datetime) -> list[Mapping]:
    return list(
        conn.execute(
            select(D)
            .where(D.c.series_id == series_id, D.c.status == DATE_ACTIVE, D.c.starts_at > now)
            .order_by(D.c.starts_at)
            .with_for_update()
        ).mappings()
    )


@dataclass(frozen=True)
class _BulkChange:
    """What a bulk edit sets on every future date (None: left as it is)."""

    start_time: time | None
    duration_minutes: int | None
    seats: int | None
    price: Decimal | None
    minimum: int | None = None

    def pattern_values(self, now: datetime) -> dict[str, object]:
        values: dict[str, object] = {"updated_at": now}
        if self.start_time is not None:
            values["start_time"] = self.start_time.replace(second=0, microsecond=0)
        if self.duration_minutes is not None:
            values["duration_minutes"] = self.duration_minutes
        if self.seats is not None:
            values["seats"] = self.seats
        if self.price is not None:
            values["price"] = self.price
        if self.minimum is not None:
            values["min_participants"] = self.minimum
        return values


def _bulk_change(
    *,
    start_time: time | None,
    duration_minutes: int | None,
    seats: object,
    price: object,
    minimum: object = None,
    series: Series | None = None,
) -> _BulkChange:
    seats_value, price_value = check_values(seats=seats, price=price)
    if duration_minutes is not None and not (0 < int(duration_minutes) <= rec.MAX_DURATION_MINUTES):
        raise InvalidInput("dates.duration_invalid")
    nothing = (start_time, duration_minutes, seats, price, minimum)
    if all(v is None for v in nothing):
        raise InvalidInput("dates.nothing_to_change")
    # The minimum (new, or the series' own) must fit the seats the dates will have.
    seats_after = seats_value or (series.seats if series else None)
    minimum_value = None if minimum is None else check_minimum(minimum, seats=seats_after)
    if minimum is None and series is not None and seats_value is not None:
        check_minimum(series.min_participants, seats=seats_value)
    minutes = int(duration_minutes) if duration_minutes is not None else None
    return _BulkChange(start_time, minutes, seats_value, price_value, minimum_value)


def _new_times(row: Mapping, bulk: _BulkChange, *, keeps_start: bool) -> tuple[datetime, datetime]:
    """The date's start and end after the edit; a moved date keeps its own start time."""
    start, end = row["starts_at"], row["ends_at"]
    if bulk.start_time is not None and not keeps_start:
        start = rec.to_utc(rec.local_start(rec.local_day(start), bulk.start_time))
    if bulk.duration_minutes is not None:
        end = start + timedelta(minutes=bulk.duration_minutes)
    elif start != row["starts_at"]:
        end = start + (row["ends_at"] - row["starts_at"])
    return start, end


@dataclass
class _DatePlan:
    """The shop changes of a bulk edit and the dates whose start moves."""

    changes: list[dict[str, object]] = field(default_factory=list)
    time_changed: list[int] = field(default_factory=list)
    # (row before, new start, new end) of moved dates with bookings: their customers hear of it
    moves: list[tuple[Mapping, datetime, datetime]] = field(default_factory=list)


def _plan_dates(
    dates: Sequence[Mapping],
    bulk: _BulkChange,
    *,
    moved_ids: set[int],
    sold: Mapping[int, int],
    now: datetime,
) -> _DatePlan:
    plan = _DatePlan()
    for row in dates:
        change: dict[str, object] = {"date_id": row["date_id"]}
        start, end = _new_times(row, bulk, keeps_start=row["date_id"] in moved_ids)
        if (start, end) != (row["starts_at"], row["ends_at"]):
            if start <= now:
                raise InvalidInput("dates.in_past")
            change.update(starts_at=start, ends_at=end)
            if start != row["starts_at"]:
                plan.time_changed.append(row["date_id"])
                if sold.get(row["date_id"], 0) > 0:
                    plan.moves.append((row, start, end))
        if bulk.seats is not None:
            if bulk.seats < sold.get(row["date_id"], 0):
                raise InvalidInput("dates.seats_below_sold", sold=sold.get(row["date_id"], 0))
            change["seats_total"] = bulk.seats
        if bulk.price is not None:
            change["price"] = bulk.price
        if len(change) > 1:
            plan.changes.append(change)
    return plan


def _notify_moves(pconn: Connection, conn: Connection, plan: _DatePlan, *, partner_id: int) -> int:
    """Booked customers hear of the new time, in the same transactions."""
    messages = 0
    for row, start, end in plan.moves:
        messages += notify_moved(
            pconn,
            conn,
            date_id=row["date_id"],
            old_starts_at=row["starts_at"],
            new_starts_at=start,
            new_ends_at=end,
            partner_id=partner_id,
            revision=row["updated_at"],
        )
    return messages


@requires(DATES_WRITE)
def bulk_edit(
    viewer: Viewer,
    db: Databases,
    *,
    series_id: int,
    start_time: time | None = None,
    duration_minutes: int | None = None,
    seats: int | None = None,
    price: Decimal | str | float | None = None,
    from_day: date | None = None,
    now: datetime | None = None,
    minimum: object = None,
) -> BulkResult:
    """Change all future dates of a series (from `from_day` on: "this and following", which
    splits the series first) in one transaction; nothing changes if any date fails.
    A new `minimum` becomes the series' default and replaces the own minimum of its future
    dates (data/dates/_minimum_store.py)."""
    now = naive_utc(now) if now else now_utc()
    series = _load(viewer, db, series_id)
    if series.status != SERIES_ACTIVE:
        raise InvalidInput("dates.series_cancelled")
    bulk = _bulk_change(
        start_time=start_time, duration_minutes=duration_minutes, seats=seats, price=price,
        minimum=minimum, series=series,
    )  # fmt: skip
    split_from = None
    if from_day is not None and from_day > series.pattern.starts_on:
        split_from = series.series_id
        series = _load(
            viewer, db, split_series(viewer, db, series_id=series_id, from_day=from_day, now=now)
        )
    pattern_changes = bulk.pattern_values(now)
    moved_ids = {int(i) for i in _moved_date_ids(db, series.series_id)}
    try:
        with db.portal.begin() as pconn:
            pconn.execute(
                update(P).where(P.c.series_id == series.series_id).values(**pattern_changes)
            )
            audit.record(
                pconn,
                viewer,
                action="series_bulk_edit",
                entity="series",
                entity_id=series.series_id,
                partner_id=series.partner_id,
                details={k: str(v) for k, v in pattern_changes.items() if k != "updated_at"},
                now=now,
            )
            with shop_writes.shop_transaction(db.magento) as conn:
                dates = _future_dates(conn, series.series_id, now)
                sold = _sold_by_date(conn, [r["date_id"] for r in dates])
                plan = _plan_dates(dates, bulk, moved_ids=moved_ids, sold=sold, now=now)
                shop_writes.update_course_dates(conn, changes=plan.changes, now=now)
                order_ids = order_ids_on(conn, plan.time_changed)
                messages = _notify_moves(pconn, conn, plan, partner_id=series.partner_id)
            if bulk.minimum is not None:
                minimum_store.drop_own(pconn, [r["date_id"] for r in dates])
    except IntegrityError:
        raise InvalidInput("dates.collision") from None
    refreshed = refresh_ledger(db, order_ids, now)
    minimum_only = bulk.minimum is not None and not plan.changes
    return BulkResult(
        series_id=series.series_id,
        changed=len(dates) if minimum_only else len(plan.changes),
        orders_refreshed=refreshed,
        split_from=split_from,
        messages=messages,
    )


def _moved_date_ids(db: Databases, series_id: int) -> list[int]:
    with db.portal.connect() as pconn:
        return [
            int(i)
            for i in pconn.execute(
                select(E.c.date_id).where(
                    E.c.series_id == series_id, E.c.action == rec.MOVE, E.c.date_id.is_not(None)
                )
            ).scalars()
        ]


def _sold_by_date(conn: Connection, date_ids: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for item in booked_items(conn, list(date_ids)):
        out[item["date_id"]] = out.get(item["date_id"], 0) + tickets(item["net_tickets"])
    return out


@requires(DATES_WRITE)
def split_series(
    viewer: Viewer, db: Databases, *, series_id: int, from_day: date, now: datetime | None = None
) -> int:
    """ "This and following": a new series takes over from `from_day`; the old one ends the day
    before. The old series' dates and exceptions from that day on move to the new one."""
    now = naive_utc(now) if now else now_utc()
    series = _load(viewer, db, series_id)
    pattern = series.pattern
    if from_day <= pattern.starts_on:
        raise InvalidInput("dates.split_first_day")
    if from_day < _today(now):
        raise InvalidInput("dates.in_past")
    # Occurrences before the split day: what a COUNT leaves for the new series.
    before = rec.expand(pattern, until=from_day - timedelta(days=1)).occurrences
    remaining = None
    if pattern.count is not None:
        remaining = pattern.count - len(before)
        if remaining <= 0:
            raise InvalidInput("dates.split_after_end")
    new_pattern = replace(pattern, starts_on=from_day, count=remaining)
    if pattern.kind == rec.CUSTOM:
        new_pattern = replace(new_pattern, count=None) if remaining is None else new_pattern
    old_values: dict[str, object] = {
        "ends_on": from_day - timedelta(days=1),
        "count": None,
        "updated_at": now,
    }
    if pattern.kind == rec.CUSTOM:
        # A custom rule's own end stays in its text; the old part ends by its last day.
        old_values["rrule"] = _strip_end(pattern.rrule or "")
    since = rec.to_utc(rec.local_start(from_day, time(0)))
    with db.portal.begin() as pconn:
        values = _pattern_values(new_pattern)
        values["rrule"] = (
            rec.rule_text(new_pattern) if pattern.kind != rec.CUSTOM else values["rrule"]
        )
        new_id = pconn.execute(
            insert(P)
            .values(
                partner_id=series.partner_id,
                product_id=series.product_id,
                seats=series.seats,
                price=series.price,
                min_participants=series.min_participants,
                status=SERIES_ACTIVE,
                generated_until=series.generated_until,
                split_from=series.series_id,
                created_by=viewer.user_id,
                created_at=now,
                updated_at=now,
                **values,
            )
            .returning(P.c.series_id)
        ).scalar_one()
        if pattern.kind != rec.CUSTOM:
            old_values["rrule"] = rec.rule_text(
                replace(pattern, ends_on=from_day - timedelta(days=1), count=None)
            )
        pconn.execute(update(P).where(P.c.series_id == series.series_id).values(**old_values))
        pconn.execute(
            update(E)
            .where(E.c.series_id == series.series_id, E.c.occurs_on >= from_day)
            .values(series_id=new_id)
        )
        with shop_writes.shop_transaction(db.magento) as conn:
            rows = conn.execute(
                select(D.c.date_id).where(D.c.series_id == series.series_id, D.c.starts_at >= since)
            ).scalars()
            shop_writes.update_course_dates(
                conn, changes=[{"date_id": i, "series_id": new_id} for i in rows], now=now
            )
    return int(new_id)


def _strip_end(rule: str) -> str:
    parts = [p for p in rule.split(";") if not p.upper().startswith(("COUNT=", "UNTIL="))]
    return ";".join(parts)


@requires(DATES_WRITE)
def cancel_series(
    viewer: Viewer,
    db: Databases,
    *,
    series_id: int,
    confirm: bool = False,
    reason: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> CancelResult:
    """Cancel the series' future dates and stop it; past dates stay. Booked dates need
    `confirm`; each booked customer gets the `date_cancelled` email (once). With `dry_run`
    nothing changes: the result says what a cancel would touch."""
    now = naive_utc(now) if now else now_utc()
    series = _load(viewer, db, series_id)
    with db.magento.connect() as conn:
        date_ids = [
            int(i)
            for i in conn.execute(
                select(D.c.date_id).where(
                    D.c.series_id == series.series_id,
                    D.c.status == DATE_ACTIVE,
                    D.c.starts_at > now,
                )
            ).scalars()
        ]

    def stop(pconn: Connection) -> None:
        pconn.execute(
            update(P)
            .where(P.c.series_id == series.series_id)
            .values(status=SERIES_CANCELLED, updated_at=now)
        )

    return cancel_dates(
        viewer,
        db,
        partner_id=series.partner_id,
        date_ids=date_ids,
        confirm=confirm,
        reason=reason,
        now=now,
        within=stop,
        dry_run=dry_run,
    )
