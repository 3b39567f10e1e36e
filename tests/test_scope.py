"""Tenant safety: no data function lets one partner see another partner's rows or money.

Every public function in `data/` whose first parameter is `viewer` is discovered and called
for partner A in two worlds: one with partner B (who shares order 1003 with A) and one
without B. The results must be identical, so no row, count or amount of B reaches A; the
same holds the other way round, and for staff viewing the portal as A. A new data function
is covered without editing this file; a public data function without a viewer must be
listed in UNSCOPED with the reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import json
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import data
from core.db import Databases
from core.recurrence import Pattern
from data.viewer import ScopeError, Viewer
from tests.conftest import fresh_databases
from tests.worlds import B, build_world

NOW = datetime(2026, 11, 25, 12, 0)
_WEEKLY = Pattern(
    kind="weekly",
    starts_on=date(2026, 12, 7),
    start_time=time(10, 0),
    duration_minutes=120,
    weekdays=("MO",),
    count=3,
)
# Modules of data/ that hold no viewer-facing functions at all.
NOT_QUERIES = {"data.demo", "data.magento_schema", "data.portal_schema", "data.viewer"}
# Public functions that by nature run without a viewer.
UNSCOPED = {
    "data.users.authenticate": "login happens before there is a viewer",
    "data.users.load_user": "re-authentication from the cookie, before there is a viewer",
    "data.users.hash_password": "pure function",
    "data.scope.product_filter": "builds the filter from ids the caller scoped",
    "data.scope.partner_filter": "builds the filter from the viewer it is given",
    "data.catalog.product_names": "a subquery joined into scoped queries",
    "data.bookings.parse_params": "pure: query string -> filters; list_bookings applies the viewer",
    "data.bookings.to_params": "pure: filters -> query string",
    "data.ledger.partner_status": "pure: order state + decision -> booking status",
    "data.shop_writes.shop_transaction": "the caller's Magento transaction; the caller is scoped",
    "data.shop_writes.lock_order": "inside the caller's transaction; the caller is scoped",
    "data.shop_writes.change_order_status": "inside the caller's transaction; the caller is scoped",
    "data.shop_writes.add_order_comment": "inside the caller's transaction; the caller is scoped",
    "data.shop_writes.insert_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop_writes.insert_course_date": "inside the caller's transaction; caller is scoped",
    "data.shop_writes.lock_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop_writes.update_course_dates": "inside the caller's transaction; caller is scoped",
    "data.shop_writes.cancel_course_dates": "inside the caller's transaction; caller is scoped",
    "data.outbox.queue_message": "runs inside the caller's transaction; the caller is scoped",
    "data.outbox.queue_many": "runs inside the caller's transaction; the caller is scoped",
    "data.orders.money": "pure: amount -> Decimal in cents",
    "data.orders.qty": "pure: quantity -> Decimal",
    "data.orders.item_query": "a query the caller filters by the products it scoped",
    "data.orders.status_labels": "the shop's status labels, the same for everyone",
    "data.orders.item_decisions": "decisions of item ids the caller already scoped",
    "data.revenue_rules.counts_as_revenue": "pure: booking status -> counts or not",
    "data.revenue_rules.revenue_amount": "pure: status and amounts -> revenue",
    "data.revenue_rules.revenue_filter": "builds a WHERE clause the caller scopes",
    "data.revenue_rules.revenue_amount_sql": "builds an expression the caller scopes",
    "data.revenue_rules.payable_amount": "pure: status, order state and amounts -> payable",
    "data.revenue_rules.payable_filter": "builds a WHERE clause the caller scopes",
    "data.revenue_rules.payable_amount_sql": "builds an expression the caller scopes",
    "data.payouts.berlin_day": "pure: UTC moment -> Berlin date",
    "data.payouts.last_month": "pure: today -> first day of last month",
    "data.documents.format_number": "pure: year and sequence -> GS-YYYY-NNNNN",
    "data.documents.reference": "pure: period and partner name -> transfer reference",
    "data.documents.build_note": "inside the caller's transaction; the caller is scoped",
    "data.revenue.change": "pure: two figures -> absolute and relative change",
    "data.revenue_rollup.is_empty": "whether the shared roll-ups were ever filled; returns no data",
    "data.revenue_rollup.berlin_month": "pure: timestamp -> Berlin month",
    "data.revenue_rollup.keys_of": "pure: ledger rows -> roll-up keys",
    "data.revenue_rollup.ledger_keys": "inside the ledger's write transaction (system scope)",
    "data.revenue_rollup.kept_current": "inside the ledger's write transaction (system scope)",
    "data.revenue_rollup.refresh_rollups": "inside the ledger's write transaction (system scope)",
    "data.revenue_rollup.rebuild_rollups": "maintenance in the caller's transaction: migration",
}
# Arguments for viewer functions that need more than (viewer, db).
SAMPLE_KWARGS: dict[str, dict[str, object]] = {
    "data.users.set_locale": {"locale": "de"},
    "data.outbox.mark_sent": {"results": [(1, "x"), (2, "y")]},
    "data.outbox.mark_failed": {"message_id": 2, "error": "x", "retry_at": None},
    "data.outbox.get_message": {"message_id": 2},
    "data.outbox.resend": {"message_id": 2},
    "data.outbox.release": {"message_ids": [1, 2], "retry_at": NOW, "reason": "x"},
    "data.notifications.recipients": {"event": "new_booking"},
    "data.course_dates.future_dates": {"product_id": 101},
    "data.orders.get_order": {"order_id": 1003},
    "data.decisions.decide": {"item_ids": [5003], "decision": "confirmed", "now": NOW},
    "data.ledger.refresh_orders": {"order_ids": [1003], "now": NOW},
    "data.ledger.ensure_fresh": {"max_age_seconds": 0},
    "data.bookings.export_csv": {"out": io.BytesIO()},
    "data.bookings.export_xlsx": {"out": io.BytesIO()},
    "data.jobs.start_run": {"task": "send-outbox", "now": NOW},
    "data.jobs.finish_run": {"run_id": 1, "status": "ok", "now": NOW},
    "data.jobs.close_interrupted": {"task": "send-outbox", "before_run_id": 1, "now": NOW},
    "data.commission.set_course_rate": {"product_id": 201, "rate": "30", "valid_from": NOW.date()},
    "data.commission.contract_rate": {"partner_id": 1},
    "data.commission.set_contract_rate": {"partner_id": 2, "rate": "22", "now": NOW},
    "data.payouts.compute_payouts": {"period": NOW.date(), "now": NOW},
    "data.payouts.is_settled": {"period": NOW.date()},
    "data.payouts.approve_payouts": {"payout_ids": [1, 2], "now": NOW},
    "data.payouts.mark_paid": {"payout_ids": [1, 2], "paid_on": NOW.date(), "now": NOW},
    "data.payouts.get_payout": {"payout_id": 1},
    "data.payouts.list_lines": {"payout_id": 1},
    "data.documents.issue_for_payout": {"payout_id": 1, "now": NOW},
    "data.documents.reissue_document": {"document_id": 1, "now": NOW},
    "data.documents.document_pdf": {"document_id": 1},
    "data.documents.credit_notes_for_export": {"payout_ids": [1, 2]},
    "data.documents.sepa_export": {"payout_ids": [1, 2], "execution_date": NOW.date()},
    "data.documents.datev_export": {"payout_ids": [1, 2], "now": NOW},
    "data.notifications.save_prefs": {
        "prefs": [{"event": "payout", "emails": "buchhaltung@example.org", "phone": ""}]
    },
    # Termine: reads on the world's dates; writes aimed at ids that are nobody's (refused for
    # every viewer) or idempotent (seats unchanged, cancel without confirmation of a booked date).
    "data.course_dates.get_date": {"date_id": 13},
    "data.course_dates.date_bookings": {"date_id": 11},
    "data.course_dates.overlapping": {
        "product_id": 101,
        "ranges": [(datetime(2000, 1, 1), datetime(2100, 1, 1))],
    },
    "data.course_dates.create_date": {
        "product_id": 999,
        "starts_at": datetime(2030, 1, 8, 18),
        "ends_at": datetime(2030, 1, 8, 21),
        "seats": 10,
        "price": "50",
    },
    "data.course_dates.update_date": {"date_id": 13, "seats": 12},
    "data.course_dates.cancel_date": {"date_id": 11},
    "data.series.preview_series": {
        "product_id": 101,
        "pattern": _WEEKLY,
        "seats": 10,
        "price": "50",
        "now": NOW,
    },
    "data.series.create_series": {
        "product_id": 999,
        "pattern": _WEEKLY,
        "seats": 10,
        "price": "50",
        "now": NOW,
    },
    "data.series.generate_series": {"now": NOW},
    "data.series.pending_series": {"now": NOW},
    "data.series.get_series": {"series_id": 999},
    "data.series.bulk_edit": {"series_id": 999, "seats": 5, "now": NOW},
    "data.series.split_series": {"series_id": 999, "from_day": date(2026, 12, 14), "now": NOW},
    "data.series.cancel_series": {"series_id": 999, "now": NOW},
    "data.series.skip_occurrence": {"series_id": 999, "day": date(2026, 12, 7), "now": NOW},
    "data.series.move_occurrence": {
        "series_id": 999,
        "day": date(2026, 12, 7),
        "new_start": datetime(2026, 12, 8, 10),
        "now": NOW,
    },
}

# Functions that answer for the staff member, not for the partner staff are viewing as, and
# staff-only actions that a partner is refused.
STAFF_OWN = {"data.users.set_locale", "data.partners.choosable_partners", "data.outbox.resend"}
# Staff-only payout actions: a partner is refused, staff viewing as A act on A's rows.
STAFF_OWN |= {
    "data.commission.set_course_rate",
    "data.commission.set_contract_rate",
    "data.payouts.compute_payouts",
    "data.payouts.approve_payouts",
    "data.payouts.mark_paid",
    "data.documents.issue_for_payout",
    "data.documents.reissue_document",
    "data.documents.credit_notes_for_export",
    "data.documents.sepa_export",
    "data.documents.datev_export",
}

PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
PARTNER_B = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


def _public_functions() -> Iterator[tuple[str, Callable]]:
    for info in pkgutil.iter_modules(data.__path__, prefix="data."):
        if info.name in NOT_QUERIES:
            continue
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                yield f"{module.__name__}.{name}", fn


def _viewer_functions() -> list[tuple[str, Callable]]:
    return [
        (qualname, fn)
        for qualname, fn in _public_functions()
        if next(iter(inspect.signature(fn).parameters), None) == "viewer"
    ]


def test_every_public_data_function_takes_the_viewer_first() -> None:
    missing = [
        qualname
        for qualname, fn in _public_functions()
        if next(iter(inspect.signature(fn).parameters), None) != "viewer"
        and qualname not in UNSCOPED
    ]
    assert missing == [], f"data functions without a viewer: {missing}"
    assert len(_viewer_functions()) >= 8


def _normal(value: object) -> object:
    """A comparable, JSON-able form of whatever a data function returns."""
    if isinstance(value, pd.DataFrame):
        records = value.astype(object).where(value.notna(), None).to_dict("records")
        return sorted((_normal(r) for r in records), key=lambda r: json.dumps(r, sort_keys=True))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _normal(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_normal(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set) else items
    if isinstance(value, Decimal | float):
        return str(Decimal(str(value)).normalize())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


def _results(
    db: Databases, viewer: Viewer, *, skip: frozenset[str] = frozenset()
) -> dict[str, object]:
    out: dict[str, object] = {}
    for qualname, fn in _viewer_functions():
        if qualname in skip:
            continue
        try:
            out[qualname] = _normal(fn(viewer, db, **SAMPLE_KWARGS.get(qualname, {})))
        except ScopeError as exc:
            out[qualname] = f"refused: {exc}"
    return out


@pytest.fixture(scope="module", params=["sqlite", "server"])
def worlds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Three pairs of databases: both partners, A only, B only."""
    made: dict[str, Databases] = {}
    stack = []
    try:
        for keep in ("AB", "A", "B"):
            tmp: Path = tmp_path_factory.mktemp(f"world_{keep}")
            ctx = fresh_databases(request.param, tmp)
            db = ctx.__enter__()
            stack.append(ctx)
            build_world(db, partners=keep)
            made[keep] = db
        yield made
    finally:
        for ctx in reversed(stack):
            ctx.__exit__(None, None, None)


def test_partner_a_sees_nothing_of_b(worlds: dict[str, Databases]) -> None:
    with_b = _results(worlds["AB"], PARTNER_A)
    without_b = _results(worlds["A"], PARTNER_A)
    for qualname in with_b:
        assert with_b[qualname] == without_b[qualname], f"{qualname} leaks partner B's data"
    text = json.dumps(with_b, ensure_ascii=False)
    for marker in (B.partner_name, *B.course_names, B.customer_email, str(B.amount)):
        assert marker not in text


def test_partner_b_sees_nothing_of_a(worlds: dict[str, Databases]) -> None:
    with_a = _results(worlds["AB"], PARTNER_B)
    without_a = _results(worlds["B"], PARTNER_B)
    for qualname in with_a:
        assert with_a[qualname] == without_a[qualname], f"{qualname} leaks partner A's data"
    assert "Kochschule Alpha" not in json.dumps(with_a, ensure_ascii=False)


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("backend", ["sqlite", "server"])
def test_staff_viewing_as_a_sees_what_a_sees(backend: str, tmp_path: Path) -> None:
    # The functions include writes (a decision, a cancelled date) that record who acted. So:
    # two identical fresh worlds, A acts in both first, then staff-as-A reads one and A the
    # other, both from the same state.
    worlds = {}
    with (
        fresh_databases(backend, _dir(tmp_path / "as_a")) as worlds["as_a"],
        fresh_databases(backend, _dir(tmp_path / "own")) as worlds["own"],
    ):
        for db in worlds.values():
            build_world(db)
            _results(db, PARTNER_A)
        # Staff's own actions (computing payouts …) would change what A then reads.
        as_a = _results(worlds["as_a"], STAFF.view_as(1), skip=frozenset(STAFF_OWN))
        own = _results(worlds["own"], PARTNER_A)
    for qualname in as_a:
        assert as_a[qualname] == own[qualname], qualname


def test_staff_sees_both_partners(worlds: dict[str, Databases]) -> None:
    everything = json.dumps(_results(worlds["AB"], STAFF), ensure_ascii=False)
    assert B.partner_name in everything
    assert "Kochschule Alpha" in everything


def test_a_partner_cannot_view_as_another() -> None:
    with pytest.raises(ScopeError):
        PARTNER_A.view_as(2)
