"""Payouts: what Miomente owes each partner per month of the events, line by line.

Computing (`compute_payouts`, the `compute-payouts` job, staff only)
-------------------------------------------------------------------
For a month (Berlin calendar month of the course dates) every partner with booked items in
that month, or with a change to an item an approved/paid payout already settled, gets one
payout (unique per partner and month). Each line is one order item, copied from the booking
ledger with the amount that counts as revenue (`data.money.rules`), the partner's VAT rate
of the shop item (`sales_order_item.tax_percent`, read from the shop by item id), the
commission rate (`data.money.commission`) and the rounded commission.

What an item still needs settling is always `revenue now - everything other payouts already
settled for it`. So:

- a rerun reproduces the same lines and writes nothing (lines and totals are compared first);
- a draft payout is recomputed freely; approved and paid payouts are never touched;
- a refund, cancellation or rejection after the item's payout was approved becomes a
  *correction* line (negative) in the partner's next payout that is still a draft; an
  increase likewise (positive). Corrections flow forward only: from payouts of earlier months.

A run streams by partner: it first reads what is small for the whole period (the period's
payouts, open deficits, correction candidates, and per partner a count of ledger rows to
settle), then reads, plans and writes one chunk of partners at a time (at most PARTNER_CHUNK
partners and LEDGER_CHUNK ledger rows; a bigger partner is a chunk alone), one write
transaction per chunk. Ledger rows before a settlement start are left out in SQL, so a ledger
with years of history is not read. Memory stays at one chunk's rows whatever the marketplace's
size (2,000 partners: `bench/bench_demo_seed.py --payouts`).

Negative payouts (Verrechnung)
------------------------------
A month with only corrections (a refund after the payout was paid, no new sales) gives a
negative payout: it is approved with its (negative) credit note and nothing is transferred, so
the partner owes Miomente that amount. It is set off against the partner's next payout:

- when a month's draft is computed, every approved/paid payout of the partner of an *earlier*
  month with amount < 0 that no other payout offsets yet is carried into it
  (`miomente_payout_offsets`, one row per offset deficit, primary key on the offset payout, so
  a deficit is offset exactly once); `carried` (≤ 0) is their sum and
  amount = gross − commission_gross + carried;
- if the amount is still negative, that payout in turn is carried into the next one once it is
  approved: a chain, the deficit is never lost and never counted twice;
- only a partner that has a payout in the month anyway (lines: sales or corrections) takes the
  carry; an open deficit alone creates no payout — it waits for a month with something to
  settle, so no empty credit notes that only repeat an old figure are issued;
- dropping or recomputing a draft drops or recomputes its offsets with it; approved and paid
  payouts keep theirs.

Settlement start
----------------
Items whose course day (Berlin) lies before the partner's settlement start were settled
outside the portal (before it went live): they never enter a payout — not as sale lines, not
as late-paid items, not as corrections. The start is the later of the global
MIOMENTE_SETTLEMENT_START (core/settings) and the partner's own `settlement_start` (set by
staff on the Partner page); neither set: everything is settled. Revenue figures still count
these items (data/money/rules.py).

Status: draft -> approved (staff; issues the credit note, see data/money/documents.py) -> paid
(staff, with the transfer date). Every change is in the audit log.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from accounting import money
from accounting.workdays import expected_payout_date, month_start
from core import periods, sql
from core.clock import now_utc
from core.db import Databases
from core.money import ZERO, to_money, to_rate
from core.settings import load_accounting
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import MONEY_READ, requires
from data.access.viewer import Viewer
from data.money._credit_notes import berlin_day, carried_from, current_document, model_line
from data.money.commission import RateBook
from data.money.documents import issue_for_payout
from data.money.rules import payable_amount, payable_amount_sql, payable_filter
from data.ops import audit
from data.portal_schema import (
    LINE_CORRECTION,
    LINE_SALE,
    PAYOUT_APPROVED,
    PAYOUT_DRAFT,
    PAYOUT_PAID,
    PAYOUT_STATUSES,
    bookings,
    documents,
    partners,
    payout_lines,
    payout_offsets,
    payouts,
)
from data.shop import schema as m

FROZEN = (PAYOUT_APPROVED, PAYOUT_PAID)
STAFF_ONLY = "access.payouts_staff_only"
# A compute run reads, plans and writes a chunk of partners at a time: at most this many
# partners (one write transaction) and, unless one partner alone has more, ledger rows.
PARTNER_CHUNK = 250
LEDGER_CHUNK = 20_000
LIST_COLUMNS = [
    "payout_id",
    "partner_id",
    "partner",
    "period",
    "status",
    "lines",
    "gross",
    "commission_net",
    "commission_vat",
    "commission_gross",
    "amount",
    "expected_date",
    "approved_at",
    "paid_on",
    "document_id",
    "document_number",
]
LINE_COLUMNS = [
    "line_id",
    "item_id",
    "order_id",
    "increment_id",
    "event_at",
    "course",
    "tickets",
    "kind",
    "gross",
    "vat_rate",
    "commission_rate",
    "commission_net",
]
# What a line is made of; two computations are equal when these are.
_LINE_FIELDS = (
    "item_id",
    "order_id",
    "increment_id",
    "product_id",
    "course",
    "event_at",
    "tickets",
    "kind",
    "gross",
    "vat_rate",
    "commission_rate",
    "commission_net",
)
_TOTAL_FIELDS = (
    "vat_case",
    "lines",
    "gross",
    "commission_net",
    "commission_vat_rate",
    "commission_vat",
    "commission_gross",
    "carried",
    "amount",
    "expected_date",
)


# =============================================================================================
# compute
# =============================================================================================


@dataclass(frozen=True)
class ComputeResult:
    period: date
    partners: int  # partners with a payout for the period after the run
    created: int  # payouts created
    updated: int  # draft payouts recomputed with changed lines
    unchanged: int  # draft payouts the run left as they were
    removed: int  # draft payouts dropped (nothing left to settle)
    frozen: int  # partners whose payout for the period is approved or paid: not touched
    lines: int  # lines of the period's draft payouts after the run
    corrections: int  # of which corrections
    seconds: float = 0.0


@dataclass
class _Plan:
    partner_id: int
    lines: list[dict] = field(default_factory=list)


def _ledger_columns() -> list:
    return [
        bookings.c.item_id,
        bookings.c.order_id,
        bookings.c.increment_id,
        bookings.c.partner_id,
        bookings.c.product_id,
        bookings.c.course,
        bookings.c.event_at,
        bookings.c.tickets,
        bookings.c.gross,
        bookings.c.refunded,
        bookings.c.status,
        bookings.c.order_state,
    ]


def _month_items(
    conn: Connection, viewer: Viewer, bounds: periods.Period, chunk: Sequence[int], starts: _Starts
) -> list[Mapping]:
    query = select(*_ledger_columns()).where(
        sql.int_in(bookings.c.partner_id, chunk),
        bookings.c.event_at >= bounds.start,
        bookings.c.event_at < bounds.end,
        starts.where(bookings.c.partner_id, bookings.c.event_at, chunk),
        scope.partner_filter(bookings.c.partner_id, viewer),
    )
    return list(conn.execute(query).mappings())


def _settled_elsewhere(
    conn: Connection, viewer: Viewer, item_ids: Sequence[int], period: date
) -> dict[int, tuple[Decimal, Decimal]]:
    """item -> (sum of gross, last vat rate) over lines of payouts of other periods."""
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for chunk in sql.chunks(sorted(item_ids)):
        query = (
            select(
                payout_lines.c.item_id,
                func.sum(payout_lines.c.gross),
                func.max(payout_lines.c.vat_rate),
            )
            .select_from(payout_lines.join(payouts))
            .where(
                payout_lines.c.item_id.in_(chunk),
                payouts.c.period != period,
                scope.partner_filter(payouts.c.partner_id, viewer),
            )
            .group_by(payout_lines.c.item_id)
        )
        for item_id, gross, vat_rate in conn.execute(query):
            out[item_id] = (Decimal(gross), Decimal(vat_rate))
    return out


# How far back an item that was not payable in its own month (unpaid order) is still picked up.
LATE_MONTHS = 12


def _late_filter(viewer: Viewer, bounds: periods.Period, period: date) -> list[ColumnElement]:
    """Items of earlier months that no other payout settled and that are payable now: their
    order was still unpaid when their own month was paid out. They join this payout.

    NOT EXISTS, not NOT IN: an anti-join on every backend (PostgreSQL falls back to a per-row
    scan of the subquery once its hash no longer fits `work_mem`)."""
    line_elsewhere = (
        select(payout_lines.c.item_id)
        .select_from(payout_lines.join(payouts))
        .where(payout_lines.c.item_id == bookings.c.item_id, payouts.c.period != period)
        .exists()
    )
    since = (bounds.start - timedelta(days=31 * LATE_MONTHS)).replace(day=1)
    return [
        bookings.c.event_at >= since,
        bookings.c.event_at < bounds.start,
        payable_filter(),
        ~line_elsewhere,
        scope.partner_filter(bookings.c.partner_id, viewer),
    ]


def _late_items(
    conn: Connection,
    viewer: Viewer,
    bounds: periods.Period,
    period: date,
    chunk: Sequence[int],
    starts: _Starts,
) -> list[Mapping]:
    query = select(*_ledger_columns()).where(
        sql.int_in(bookings.c.partner_id, chunk),
        starts.where(bookings.c.partner_id, bookings.c.event_at, chunk),
        *_late_filter(viewer, bounds, period),
    )
    return list(conn.execute(query).mappings())


def _correction_candidates(
    conn: Connection, viewer: Viewer, period: date, starts: _Starts
) -> list[Mapping]:
    """Ledger rows of items settled by approved/paid payouts of earlier months whose revenue
    now differs from everything settled for them so far (in any other payout). Few: read once
    per run for all partners."""
    settled = (
        select(
            payout_lines.c.item_id.label("item_id"),
            func.sum(payout_lines.c.gross).label("settled"),
        )
        .select_from(payout_lines.join(payouts))
        .where(
            payouts.c.period != period,
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
        .group_by(payout_lines.c.item_id)
        .subquery()
    )
    frozen_items = (
        select(payout_lines.c.item_id)
        .select_from(payout_lines.join(payouts))
        .where(
            payouts.c.status.in_(FROZEN),
            payouts.c.period < period,
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
    )

    query = (
        select(*_ledger_columns())
        .select_from(bookings.join(settled, settled.c.item_id == bookings.c.item_id))
        .where(
            bookings.c.item_id.in_(frozen_items),
            payable_amount_sql() != settled.c.settled,
            starts.where(bookings.c.partner_id, bookings.c.event_at),
            scope.partner_filter(bookings.c.partner_id, viewer),
        )
    )
    return _after_start(conn.execute(query).mappings(), starts)


def _shop_vat_rates(db: Databases, item_ids: Sequence[int]) -> dict[int, Decimal]:
    """The partner's VAT rate per shop item (Magento's tax_percent), by primary key."""
    out: dict[int, Decimal] = {}
    item = m.sales_order_item
    with db.magento_read.connect() as conn:
        for chunk in sql.chunks(sorted(set(item_ids))):
            for item_id, percent in conn.execute(
                select(item.c.item_id, item.c.tax_percent).where(item.c.item_id.in_(chunk))
            ):
                out[item_id] = to_rate(percent, money.DEFAULT_VAT_RATE)
    return out


def _partner_cases(conn: Connection, partner_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in sql.chunks(sorted(partner_ids)):
        for pid, country, vat_id, small in conn.execute(
            select(
                partners.c.partner_id,
                partners.c.country_id,
                partners.c.vat_id,
                partners.c.small_business,
            ).where(partners.c.partner_id.in_(chunk))
        ):
            out[pid] = money.vat_case(country, vat_id, bool(small))
    return out


def _existing(conn: Connection, viewer: Viewer, period: date) -> dict[int, Mapping]:
    """The period's payouts per partner (one row per partner at most)."""
    return {
        r["partner_id"]: r
        for r in conn.execute(
            select(payouts).where(
                payouts.c.period == period, scope.partner_filter(payouts.c.partner_id, viewer)
            )
        ).mappings()
    }


def _draft_lines(conn: Connection, drafts: Sequence[int]) -> dict[int, list[dict]]:
    """The lines of these draft payouts, per payout."""
    lines: dict[int, list[dict]] = defaultdict(list)
    for chunk in sql.chunks(drafts):
        for line in conn.execute(
            select(payout_lines).where(payout_lines.c.payout_id.in_(chunk))
        ).mappings():
            lines[line["payout_id"]].append(dict(line))
    return lines


def _line_key(line: Mapping) -> tuple:
    values = []
    for name in _LINE_FIELDS:
        value = line[name]
        if isinstance(value, Decimal):
            value = value.normalize()
        values.append(value)
    return tuple(values)


def _totals(
    lines: Sequence[Mapping], case: str, period: date, carried: Decimal = ZERO
) -> dict[str, object]:
    totals = money.settle((model_line(line) for line in lines), case, carried)
    return {
        "vat_case": case,
        "lines": len(lines),
        "gross": totals.gross,
        "commission_net": totals.commission_net,
        "commission_vat_rate": totals.commission_vat_rate,
        "commission_vat": totals.commission_vat,
        "commission_gross": totals.commission_gross,
        "carried": totals.carried,
        "amount": totals.payout,
        "expected_date": expected_payout_date(period),
    }


# An offset: (the negative payout it settles, that payout's amount).
_Offset = tuple[int, Decimal]


def _open_deficits(conn: Connection, viewer: Viewer, period: date) -> dict[int, list[_Offset]]:
    """partner -> the approved/paid negative payouts of earlier months that no payout offsets
    yet, or that the partner's payout of `period` itself offsets (so a rerun finds the same)."""
    this_month = select(payouts.c.payout_id).where(payouts.c.period == period)
    query = (
        select(payouts.c.partner_id, payouts.c.payout_id, payouts.c.amount)
        .select_from(
            payouts.outerjoin(
                payout_offsets, payout_offsets.c.offsets_payout_id == payouts.c.payout_id
            )
        )
        .where(
            payouts.c.status.in_(FROZEN),
            payouts.c.period < period,
            payouts.c.amount < 0,
            payout_offsets.c.payout_id.is_(None) | payout_offsets.c.payout_id.in_(this_month),
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
        .order_by(payouts.c.partner_id, payouts.c.payout_id)
    )
    out: dict[int, list[_Offset]] = defaultdict(list)
    for pid, payout_id, amount in conn.execute(query):
        out[pid].append((payout_id, to_money(amount)))
    return out


def _existing_offsets(conn: Connection, payout_ids: Sequence[int]) -> dict[int, list[_Offset]]:
    """payout -> its offsets, ordered like `_open_deficits`."""
    out: dict[int, list[_Offset]] = defaultdict(list)
    for chunk in sql.chunks(sorted(payout_ids)):
        for payout_id, offsets_id, amount in conn.execute(
            select(
                payout_offsets.c.payout_id,
                payout_offsets.c.offsets_payout_id,
                payout_offsets.c.amount,
            )
            .where(payout_offsets.c.payout_id.in_(chunk))
            .order_by(payout_offsets.c.offsets_payout_id)
        ):
            out[payout_id].append((offsets_id, to_money(amount)))
    return out


def _offset_rows(payout_id: int, offsets: Sequence[_Offset]) -> list[dict]:
    return [
        {"payout_id": payout_id, "offsets_payout_id": offsets_id, "amount": amount}
        for offsets_id, amount in offsets
    ]


def _same_totals(row: Mapping, totals: Mapping) -> bool:
    for name in _TOTAL_FIELDS:
        a, b = row[name], totals[name]
        if isinstance(a, Decimal) or isinstance(b, Decimal):
            if Decimal(a) != Decimal(b):
                return False
        elif a != b:
            return False
    return True


@dataclass(frozen=True)
class _Starts:
    """The settlement starts (module doc): the global one and the partners' own."""

    global_start: date | None
    own: dict[int, date]  # partner -> its own start, for the partners that have one

    @classmethod
    def load(cls, conn: Connection, global_start: date | None) -> _Starts:
        query = select(partners.c.partner_id, partners.c.settlement_start).where(
            partners.c.settlement_start.is_not(None)
        )
        return cls(global_start, {pid: start for pid, start in conn.execute(query)})

    def of(self, partner_id: int) -> date | None:
        """The partner's start: the later of the two; None when neither is set."""
        starts = [d for d in (self.global_start, self.own.get(partner_id)) if d is not None]
        return max(starts) if starts else None

    def keeps(self, row: Mapping) -> bool:
        """Whether the row's course day (Berlin) is on or after its partner's start."""
        start = self.of(row["partner_id"])
        if start is None:
            return True
        day = berlin_day(row["event_at"])
        return day is not None and day >= start

    def where(
        self, partner: ColumnElement, event_at: ColumnElement, chunk: Sequence[int] | None = None
    ) -> ColumnElement[bool]:
        """`keeps` in SQL, for rows of the partners in `chunk` (None: of any partner): a course
        day on or after the start is a course time on or after Berlin's midnight of it. Ledger
        rows before the start are never read (the demo's ledger reaches two years back)."""
        own = self.own if chunk is None else {p: self.own[p] for p in chunk if p in self.own}
        by_start: dict[date, list[int]] = defaultdict(list)
        for pid in own:
            by_start[self.of(pid) or own[pid]].append(pid)
        others: ColumnElement[bool] = true()
        if self.global_start is not None:
            others = event_at >= periods.days(self.global_start, self.global_start).start
        if own:
            others = and_(~sql.int_in(partner, own), others)
        return or_(
            others,
            *(
                and_(sql.int_in(partner, ids), event_at >= periods.days(start, start).start)
                for start, ids in sorted(by_start.items())
            ),
        )


def _after_start(rows: Iterable[Mapping], starts: _Starts) -> list[Mapping]:
    """The rows whose course day (Berlin) is on or after their partner's settlement start."""
    return [row for row in rows if starts.keeps(row)]


@dataclass
class _Run:
    """What a run reads once for every partner in scope: few rows each (payouts, not lines)."""

    viewer: Viewer
    period: date
    bounds: periods.Period
    starts: _Starts
    existing: dict[int, Mapping]  # partner -> the period's payout
    deficits: dict[int, list[_Offset]]  # partner -> open negative payouts to carry
    corrections: dict[int, list[Mapping]]  # partner (not frozen) -> its correction candidates
    frozen_partners: set[int]

    def drafts(self, partner_ids: Iterable[int]) -> dict[int, int]:
        """partner -> its draft payout of the period, for those of `partner_ids` that have one."""
        out = {}
        for pid in partner_ids:
            row = self.existing.get(pid)
            if row is not None and row["status"] == PAYOUT_DRAFT:
                out[pid] = row["payout_id"]
        return out


def _read_run(conn: Connection, viewer: Viewer, period: date, start: date | None) -> _Run:
    starts = _Starts.load(conn, start)
    existing = _existing(conn, viewer, period)
    frozen_partners = {pid for pid, r in existing.items() if r["status"] in FROZEN}
    corrections: dict[int, list[Mapping]] = defaultdict(list)
    for row in _correction_candidates(conn, viewer, period, starts):
        if row["partner_id"] not in frozen_partners:
            corrections[row["partner_id"]].append(row)
    return _Run(
        viewer=viewer,
        period=period,
        bounds=periods.month_of(period),
        starts=starts,
        existing=existing,
        deficits=_open_deficits(conn, viewer, period),
        corrections=corrections,
        frozen_partners=frozen_partners,
    )


def _partner_chunks(conn: Connection, run: _Run) -> list[list[int]]:
    """Every partner the run computes (ledger rows to settle, corrections, or a draft to
    recompute or drop), in order, cut into chunks of at most PARTNER_CHUNK partners and
    LEDGER_CHUNK ledger rows (a partner with more is a chunk of its own): one chunk's rows are
    what the run holds at a time. Counted per partner from the ledger's index."""
    weights: dict[int, int] = defaultdict(int)
    month = (
        bookings.c.event_at >= run.bounds.start,
        bookings.c.event_at < run.bounds.end,
        scope.partner_filter(bookings.c.partner_id, run.viewer),
    )
    late = _late_filter(run.viewer, run.bounds, run.period)
    for where in (month, late):
        query = (
            select(bookings.c.partner_id, func.count())
            .where(*where, run.starts.where(bookings.c.partner_id, bookings.c.event_at))
            .group_by(bookings.c.partner_id)
        )
        for pid, count in conn.execute(query):
            if pid not in run.frozen_partners:
                weights[pid] += int(count)
    for pid, found in run.corrections.items():
        weights[pid] += len(found)
    out: list[list[int]] = []
    chunk: list[int] = []
    rows = 0
    for pid in sorted(set(weights) | set(run.drafts(run.existing))):
        weight = weights.get(pid, 0)
        if chunk and (len(chunk) >= PARTNER_CHUNK or rows + weight > LEDGER_CHUNK):
            out.append(chunk)
            chunk, rows = [], 0
        chunk.append(pid)
        rows += weight
    if chunk:
        out.append(chunk)
    return out


@dataclass
class _Inputs:
    """What a run reads for one chunk of partners before it writes their payouts."""

    candidates: dict[int, Mapping]  # item id -> ledger row of a partner not frozen
    settled: dict[int, tuple[Decimal, Decimal]]  # item id -> (settled elsewhere, its VAT rate)
    existing: dict[int, Mapping]  # partner -> the period's payout
    existing_lines: dict[int, list[dict]]  # payout -> its lines
    existing_offsets: dict[int, list[_Offset]]  # payout -> its offsets
    deficits: dict[int, list[_Offset]]  # partner -> open negative payouts to carry
    frozen_partners: set[int]
    partner_ids: set[int]
    cases: dict[int, str]
    rates: RateBook


def _read_inputs(conn: Connection, run: _Run, chunk: Sequence[int]) -> _Inputs:
    """The inputs of the partners in `chunk` (none of them frozen)."""
    viewer, period, starts = run.viewer, run.period, run.starts
    month_rows = _month_items(conn, viewer, run.bounds, chunk, starts)
    corrections = [row for pid in chunk for row in run.corrections.get(pid, [])]
    late = _late_items(conn, viewer, run.bounds, period, chunk, starts)
    candidates: dict[int, Mapping] = {}
    for row in _after_start([*month_rows, *corrections, *late], starts):
        candidates[row["item_id"]] = row
    settled = _settled_elsewhere(conn, viewer, list(candidates), period)
    drafts = run.drafts(chunk)
    partner_ids = {r["partner_id"] for r in candidates.values()} | set(drafts)
    ids = [run.existing[pid]["payout_id"] for pid in chunk if pid in run.existing]
    return _Inputs(
        candidates=candidates,
        settled=settled,
        existing=run.existing,
        existing_lines=_draft_lines(conn, list(drafts.values())),
        existing_offsets=_existing_offsets(conn, ids),
        deficits=run.deficits,
        frozen_partners=run.frozen_partners,
        partner_ids=partner_ids,
        cases=_partner_cases(conn, list(partner_ids)),
        rates=RateBook.load(conn, partner_ids),
    )


def _vat_rates(db: Databases, inputs: _Inputs) -> dict[int, Decimal]:
    """VAT rates: reuse what a line of the item already says; ask the shop for the rest."""
    known_vat: dict[int, Decimal] = {i: v for i, (_g, v) in inputs.settled.items()}
    for lines in inputs.existing_lines.values():
        for line in lines:
            known_vat[line["item_id"]] = Decimal(line["vat_rate"])
    missing = [i for i in inputs.candidates if i not in known_vat]
    shop_vat = _shop_vat_rates(db, missing) if missing else {}
    return {i: known_vat.get(i, shop_vat.get(i, money.DEFAULT_VAT_RATE)) for i in inputs.candidates}


def _plan_line(inputs: _Inputs, item_id: int, shop_rate: Decimal) -> dict | None:
    """The line that settles what the item still needs, or None when nothing is due."""
    row = inputs.candidates[item_id]
    before = inputs.settled.get(item_id, (ZERO, ZERO))[0]
    payable = payable_amount(row["status"], row["order_state"], row["gross"], row["refunded"])
    due = to_money(payable - before)
    if due == 0:
        return None
    pid = row["partner_id"]
    commission_rate = inputs.rates.rate(pid, row["product_id"], berlin_day(row["event_at"]))
    return {
        "item_id": item_id,
        "order_id": row["order_id"],
        "increment_id": row["increment_id"],
        "product_id": row["product_id"],
        "course": row["course"],
        "event_at": row["event_at"],
        "tickets": int(row["tickets"] or 0),
        "kind": LINE_CORRECTION if item_id in inputs.settled else LINE_SALE,
        "gross": due,
        "vat_rate": money.line_vat_rate(inputs.cases[pid], shop_rate),
        "commission_rate": commission_rate,
        "commission_net": money.commission(due, commission_rate),
    }


def _plans(inputs: _Inputs, vat: Mapping[int, Decimal]) -> dict[int, _Plan]:
    plans: dict[int, _Plan] = {pid: _Plan(pid) for pid in inputs.partner_ids}
    for item_id in sorted(inputs.candidates):
        line = _plan_line(inputs, item_id, vat[item_id])
        if line is not None:
            plans[inputs.candidates[item_id]["partner_id"]].lines.append(line)
    return plans


@dataclass
class _Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class _NewPayouts:
    """Payouts of partners without one yet, inserted together at the end of a chunk."""

    rows: list[dict] = field(default_factory=list)
    lines: list[list[dict]] = field(default_factory=list)
    offsets: list[list[_Offset]] = field(default_factory=list)

    def insert(self, conn: Connection) -> int:
        if not self.rows:
            return 0
        ids = conn.execute(
            insert(payouts).returning(
                payouts.c.payout_id, payouts.c.partner_id, sort_by_parameter_order=True
            ),
            self.rows,
        ).all()
        rows, offset_rows = [], []
        for (payout_id, pid), lines, offsets in zip(ids, self.lines, self.offsets, strict=True):
            rows += [{**line, "payout_id": payout_id, "partner_id": pid} for line in lines]
            offset_rows += _offset_rows(payout_id, offsets)
        conn.execute(insert(payout_lines), rows)
        if offset_rows:
            conn.execute(insert(payout_offsets), offset_rows)
        return len(self.rows)


def _unchanged(inputs: _Inputs, row: Mapping, plan: _Plan, totals: Mapping, offsets: list) -> bool:
    old = inputs.existing_lines.get(row["payout_id"], [])
    return (
        sorted(map(_line_key, old)) == sorted(map(_line_key, plan.lines))
        and _same_totals(row, totals)
        and inputs.existing_offsets.get(row["payout_id"], []) == offsets
    )


def _write_partner(
    conn: Connection,
    inputs: _Inputs,
    plan: _Plan,
    *,
    period: date,
    now: datetime,
    new: _NewPayouts,
    tally: _Tally,
) -> None:
    pid = plan.partner_id
    row = inputs.existing.get(pid)
    if not plan.lines:
        if row is not None and row["status"] == PAYOUT_DRAFT:
            tally.removed += _drop_draft(conn, row["payout_id"])
        return
    # Only a partner with something to settle takes the carry (module doc).
    offsets = inputs.deficits.get(pid, [])
    carried = sum((amount for _id, amount in offsets), ZERO)
    totals = _totals(plan.lines, inputs.cases[pid], period, carried)
    if row is None:
        new.rows.append(
            {
                "partner_id": pid,
                "period": period,
                "status": PAYOUT_DRAFT,
                "computed_at": now,
                "created_at": now,
                **totals,
            }
        )
        new.lines.append(plan.lines)
        new.offsets.append(offsets)
    elif _unchanged(inputs, row, plan, totals, offsets):
        tally.unchanged += 1
    elif _replace_draft(conn, row["payout_id"], plan.lines, totals, pid, now, offsets):
        tally.updated += 1


def _period_counts(db: Databases, viewer: Viewer, period: date) -> tuple[int, int, int]:
    """(partners with a payout for the period, lines of its drafts, of which corrections)."""
    with db.portal.connect() as conn:
        count_query = (
            select(
                func.count(func.distinct(payouts.c.partner_id)),
                func.count(payout_lines.c.line_id),
                func.count(payout_lines.c.line_id).filter(payout_lines.c.kind == LINE_CORRECTION),
            )
            .select_from(payouts.outerjoin(payout_lines))
            .where(
                payouts.c.period == period,
                payouts.c.status == PAYOUT_DRAFT,
                scope.partner_filter(payouts.c.partner_id, viewer),
            )
        )
        _drafts, line_count, correction_count = conn.execute(count_query).one()
        partner_count = conn.execute(
            select(func.count())
            .select_from(payouts)
            .where(payouts.c.period == period, scope.partner_filter(payouts.c.partner_id, viewer))
        ).scalar_one()
    return int(partner_count), int(line_count or 0), int(correction_count or 0)


@requires(MONEY_READ)
def compute_payouts(
    viewer: Viewer,
    db: Databases,
    *,
    period: date,
    now: datetime | None = None,
    settlement_start: date | None = None,
) -> ComputeResult:
    """Build or recompute the month's draft payouts of every partner in the viewer's scope.

    `settlement_start`: the global start (module doc); default MIOMENTE_SETTLEMENT_START."""
    viewer.require_staff(STAFF_ONLY)
    started = time.perf_counter()
    now = now or now_utc()
    period = month_start(period)
    start = settlement_start or load_accounting().settlement_start
    with db.portal.connect() as conn:
        run = _read_run(conn, viewer, period, start)
        chunks = _partner_chunks(conn, run)
    tally = _Tally()
    # A chunk of partners at a time: read, plan, write (one transaction), then the next. What
    # a chunk writes (this period's payouts of its partners) is nothing another chunk reads.
    for chunk in chunks:
        with db.portal.connect() as conn:
            inputs = _read_inputs(conn, run, chunk)
        plans = _plans(inputs, _vat_rates(db, inputs))
        with db.portal.begin() as conn:
            new = _NewPayouts()
            for pid in sorted(plans):
                _write_partner(
                    conn, inputs, plans[pid], period=period, now=now, new=new, tally=tally
                )
            tally.created += new.insert(conn)
        del inputs, plans
    partner_count, line_count, correction_count = _period_counts(db, viewer, period)
    return ComputeResult(
        period=period,
        partners=partner_count,
        created=tally.created,
        updated=tally.updated,
        unchanged=tally.unchanged,
        removed=tally.removed,
        frozen=len(run.frozen_partners),
        lines=line_count,
        corrections=correction_count,
        seconds=time.perf_counter() - started,
    )


def _drop_draft(conn: Connection, payout_id: int) -> int:
    # Still a draft? (A staff member may have approved it since the run read it.)
    locked = conn.execute(
        update(payouts)
        .where(payouts.c.payout_id == payout_id, payouts.c.status == PAYOUT_DRAFT)
        .values(lines=0)
    ).rowcount
    if not locked:
        return 0
    # Its offsets go with it: those deficits are open again for a later payout.
    conn.execute(delete(payout_offsets).where(payout_offsets.c.payout_id == payout_id))
    conn.execute(delete(payout_lines).where(payout_lines.c.payout_id == payout_id))
    conn.execute(delete(payouts).where(payouts.c.payout_id == payout_id))
    return 1


def _replace_draft(
    conn: Connection,
    payout_id: int,
    lines: Sequence[Mapping],
    totals: Mapping,
    partner_id: int,
    now: datetime,
    offsets: Sequence[_Offset] = (),
) -> bool:
    locked = conn.execute(
        update(payouts)
        .where(payouts.c.payout_id == payout_id, payouts.c.status == PAYOUT_DRAFT)
        .values(computed_at=now, **totals)
    ).rowcount
    if not locked:
        return False
    conn.execute(delete(payout_lines).where(payout_lines.c.payout_id == payout_id))
    conn.execute(
        insert(payout_lines),
        [{**line, "payout_id": payout_id, "partner_id": partner_id} for line in lines],
    )
    conn.execute(delete(payout_offsets).where(payout_offsets.c.payout_id == payout_id))
    if offsets:
        conn.execute(insert(payout_offsets), _offset_rows(payout_id, offsets))
    return True


def last_month(today: date | None = None) -> date:
    """The first day of the month before `today` (Berlin): the month the job settles."""
    return periods.previous_month(today or periods.berlin_today()).first_day


@requires(MONEY_READ)
def is_settled(viewer: Viewer, db: Databases, *, period: date) -> bool:
    """Whether the month has payouts in the viewer's scope and none of them is a draft."""
    query = (
        select(
            func.count(),
            func.sum(case((payouts.c.status == PAYOUT_DRAFT, 1), else_=0)),
        )
        .select_from(payouts)
        .where(
            payouts.c.period == month_start(period),
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
    )
    with db.portal.connect() as conn:
        total, drafts = conn.execute(query).one()
    return bool(total) and not drafts


# =============================================================================================
# status: draft -> approved -> paid
# =============================================================================================


@dataclass(frozen=True)
class TransitionResult:
    done: list[int]  # payout ids that changed
    skipped: list[int]  # not in scope or not in the required status
    documents: list[str] = field(default_factory=list)  # credit notes issued on the way


@requires(MONEY_READ)
def approve_payouts(
    viewer: Viewer, db: Databases, *, payout_ids: Sequence[int], now: datetime | None = None
) -> TransitionResult:
    """Staff: draft -> approved, issuing each payout's credit note in the same transaction.

    Each payout is its own transaction, so a bulk approval keeps what it achieved if one
    fails; a second click (or a second tab) finds the payout approved and skips it.
    """
    viewer.require_staff(STAFF_ONLY)
    now = now or now_utc()
    done, skipped, numbers = [], [], []
    for payout_id in dict.fromkeys(int(p) for p in payout_ids):
        number = issue_for_payout(viewer, db, payout_id=payout_id, now=now)
        if number is None:
            skipped.append(payout_id)
        else:
            done.append(payout_id)
            numbers.append(number)
    return TransitionResult(done, skipped, numbers)


@requires(MONEY_READ)
def mark_paid(
    viewer: Viewer,
    db: Databases,
    *,
    payout_ids: Sequence[int],
    paid_on: date | None,
    now: datetime | None = None,
) -> TransitionResult:
    """Staff: approved -> paid on `paid_on` (the transfer's date; not in the future)."""
    viewer.require_staff(STAFF_ONLY)
    now = now or now_utc()
    if paid_on is None:
        raise InvalidInput("payouts.paid_on_missing")
    if paid_on > periods.berlin_today(now.replace(tzinfo=UTC)):
        raise InvalidInput("payouts.paid_on_future")
    ids = list(dict.fromkeys(int(p) for p in payout_ids))
    done: list[int] = []
    with db.portal.begin() as conn:
        for chunk in sql.chunks(ids):
            rows = conn.execute(
                update(payouts)
                .where(
                    payouts.c.payout_id.in_(chunk),
                    payouts.c.status == PAYOUT_APPROVED,
                    scope.partner_filter(payouts.c.partner_id, viewer),
                )
                .values(status=PAYOUT_PAID, paid_on=paid_on, paid_by=viewer.user_id, paid_at=now)
                .returning(payouts.c.payout_id, payouts.c.partner_id)
            ).all()
            done += [r[0] for r in rows]
            if rows:
                audit.record_many(
                    conn,
                    viewer,
                    [
                        audit.Entry(
                            action="payout_paid",
                            entity="payout",
                            entity_id=payout_id,
                            partner_id=pid,
                            details={"paid_on": paid_on.isoformat()},
                        )
                        for payout_id, pid in rows
                    ],
                    now=now,
                )
    return TransitionResult(sorted(done), [p for p in ids if p not in set(done)])


# =============================================================================================
# reading
# =============================================================================================


@dataclass(frozen=True)
class PayoutFilter:
    """Which payouts a list shows: a month, a status, one partner (staff), and free text
    (partner name or credit-note number, for the search-as-you-type picker)."""

    period: date | None = None
    status: str | None = None
    partner_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class PayoutPage:
    rows: pd.DataFrame  # LIST_COLUMNS, the page's payouts only
    total: int  # payouts in the selection (SQL count)
    amount: Decimal  # their summed payout amount (SQL sum)
    page: int  # 1..pages
    page_size: int
    pages: int  # >= 1, also for an empty selection


PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SEARCH_LIMIT = 20  # results of the picker's search
MAX_SEARCH = 100  # characters of search text


def _list_where(viewer: Viewer, selection: PayoutFilter) -> list:
    where = [scope.partner_filter(payouts.c.partner_id, viewer)]
    if selection.period is not None:
        where.append(payouts.c.period == month_start(selection.period))
    if selection.status:
        if selection.status not in PAYOUT_STATUSES:
            raise InvalidInput("payouts.unknown_status")
        where.append(payouts.c.status == selection.status)
    if selection.partner_id is not None:
        where.append(payouts.c.partner_id == int(selection.partner_id))
    return where


def _list_query(where: Sequence) -> Select:
    current = current_document()
    return (
        select(
            payouts.c.payout_id,
            payouts.c.partner_id,
            partners.c.name.label("partner"),
            payouts.c.period,
            payouts.c.status,
            payouts.c.lines,
            payouts.c.gross,
            payouts.c.commission_net,
            payouts.c.commission_vat,
            payouts.c.commission_gross,
            payouts.c.amount,
            payouts.c.expected_date,
            payouts.c.approved_at,
            payouts.c.paid_on,
            current.c.document_id,
            documents.c.number.label("document_number"),
        )
        .select_from(
            payouts.join(partners, partners.c.partner_id == payouts.c.partner_id)
            .outerjoin(current, current.c.payout_id == payouts.c.payout_id)
            .outerjoin(documents, documents.c.document_id == current.c.document_id)
        )
        .where(*where)
        .order_by(payouts.c.period.desc(), partners.c.name, payouts.c.payout_id)
    )


@requires(MONEY_READ)
def list_payouts(
    viewer: Viewer,
    db: Databases,
    *,
    period: date | None = None,
    status: str | None = None,
    partner_id: int | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Payouts in scope, newest month first; filters by month, status and (staff) partner.
    Lists for people are paged (`page_payouts`); this serves exports and small scopes."""
    where = _list_where(viewer, PayoutFilter(period, status, partner_id))
    query = _list_query(where).limit(max(1, min(int(limit), 50_000)))
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=LIST_COLUMNS)


@requires(MONEY_READ)
def page_payouts(
    viewer: Viewer,
    db: Databases,
    *,
    selection: PayoutFilter = PayoutFilter(),
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> PayoutPage:
    """One page of the selection, with its count and summed amount from SQL aggregates; a
    page beyond the end is the last page."""
    if page_size not in PAGE_SIZES:
        raise InvalidInput("validation.page_size", value=str(page_size)[:20], sizes="25, 50, 100")
    where = _list_where(viewer, selection)
    totals = select(func.count(), func.coalesce(func.sum(payouts.c.amount), 0)).where(*where)
    with db.portal.connect() as conn:
        count, amount = conn.execute(totals.select_from(payouts)).one()
        pages = max(1, -(-int(count) // page_size))
        page = min(max(1, int(page)), pages)
        query = _list_query(where).limit(page_size).offset((page - 1) * page_size)
        rows = conn.execute(query).mappings().all() if count else []
    return PayoutPage(
        pd.DataFrame(rows, columns=LIST_COLUMNS),
        int(count),
        to_money(amount),
        page,
        page_size,
        pages,
    )


@requires(MONEY_READ)
def selected_payout_ids(
    viewer: Viewer, db: Databases, *, selection: PayoutFilter = PayoutFilter()
) -> list[int]:
    """Every payout id of the selection (for "all of the selection" actions), newest first."""
    query = (
        select(payouts.c.payout_id)
        .select_from(payouts.join(partners, partners.c.partner_id == payouts.c.partner_id))
        .where(*_list_where(viewer, selection))
        .order_by(payouts.c.period.desc(), partners.c.name, payouts.c.payout_id)
    )
    with db.portal.connect() as conn:
        return [int(r[0]) for r in conn.execute(query)]


@requires(MONEY_READ)
def find_payouts(
    viewer: Viewer,
    db: Databases,
    *,
    text: str,
    selection: PayoutFilter = PayoutFilter(),
    limit: int = SEARCH_LIMIT,
) -> pd.DataFrame:
    """Search as you type: payouts of the selection whose partner name or credit-note number
    contains `text` (case-insensitive), at most `limit` (newest first)."""
    needle = " ".join(str(text).split())[:MAX_SEARCH].lower()
    where = _list_where(viewer, selection)
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        current = current_document()
        where.append(
            or_(
                func.lower(partners.c.name).like(pattern, escape="\\"),
                payouts.c.payout_id.in_(
                    select(current.c.payout_id)
                    .join(documents, documents.c.document_id == current.c.document_id)
                    .where(func.lower(documents.c.number).like(pattern, escape="\\"))
                ),
            )
        )
    query = _list_query(where).limit(max(1, min(int(limit), 100)))
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=LIST_COLUMNS)


@requires(MONEY_READ)
def payout_periods(viewer: Viewer, db: Databases) -> list[date]:
    """Months that have payouts in scope, newest first (for the period filter)."""
    query = (
        select(payouts.c.period)
        .where(scope.partner_filter(payouts.c.partner_id, viewer))
        .group_by(payouts.c.period)
        .order_by(payouts.c.period.desc())
    )
    with db.portal.connect() as conn:
        return [r[0] for r in conn.execute(query)]


@dataclass(frozen=True)
class Payout:
    payout_id: int
    partner_id: int
    partner: str
    period: date
    status: str
    vat_case: str
    lines: int
    gross: Decimal
    commission_net: Decimal
    commission_vat_rate: Decimal
    commission_vat: Decimal
    commission_gross: Decimal
    carried: Decimal  # ≤ 0: earlier negative payouts offset against this one
    amount: Decimal
    expected_date: date
    approved_at: datetime | None
    paid_on: date | None
    carried_from: tuple[str, ...] = ()  # credit-note numbers of the offset negative payouts
    # First days of the months (Berlin) its lines' course dates fall in, oldest first: late-paid
    # items and corrections come from earlier months than `period`.
    line_months: tuple[date, ...] = ()

    @property
    def other_months(self) -> bool:
        """Whether its lines come from other months than the payout's own."""
        return any(m != self.period for m in self.line_months)


def _line_months(conn: Connection, payout_id: int) -> tuple[date, ...]:
    query = select(payout_lines.c.event_at).where(payout_lines.c.payout_id == payout_id)
    days = {berlin_day(moment) for moment in conn.execute(query).scalars()}
    return tuple(sorted({d.replace(day=1) for d in days if d is not None}))


@requires(MONEY_READ)
def get_payout(viewer: Viewer, db: Databases, *, payout_id: int) -> Payout | None:
    derived = ("partner", "carried_from", "line_months")
    fields = [f for f in Payout.__dataclass_fields__ if f not in derived]
    query = (
        select(*(payouts.c[f] for f in fields), partners.c.name.label("partner"))
        .select_from(payouts.join(partners, partners.c.partner_id == payouts.c.partner_id))
        .where(
            payouts.c.payout_id == payout_id,
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        numbers = carried_from(conn, payout_id) if row["carried"] else ()
        months = _line_months(conn, payout_id)
    return Payout(
        **{f: row[f] for f in [*fields, "partner"]}, carried_from=numbers, line_months=months
    )


@requires(MONEY_READ)
def list_lines(viewer: Viewer, db: Databases, *, payout_id: int) -> pd.DataFrame:
    """The payout's lines (order number, event, course, gross, commission), in scope."""
    query = (
        select(*(payout_lines.c[c] for c in LINE_COLUMNS))
        .select_from(payout_lines.join(payouts))
        .where(
            payout_lines.c.payout_id == payout_id,
            scope.partner_filter(payouts.c.partner_id, viewer),
        )
        .order_by(payout_lines.c.event_at, payout_lines.c.increment_id, payout_lines.c.item_id)
    )
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=LINE_COLUMNS)
