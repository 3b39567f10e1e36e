"""The booking ledger: what a sync copies, the status rules, the watermark, notifications.

Runs on SQLite and on the production shape (shop on MariaDB, portal on PostgreSQL). The
databases are built once per module and refilled with the two-partner world for each test.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from core import links
from core.db import Databases, make_engine
from core.settings import Settings
from data import portal_schema as p
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings import ledger
from data.comms.notifications import save_prefs
from data.shop import schema as m
from messaging.render import render
from tests.support.shop import Customer, Item, add_items, add_order
from tests.support.worlds import B, build_world

PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")
# The ledger takes its clock as `now=`: the world and every sync run on this fixed moment (a
# Wednesday mid-month, 12:00 in Berlin), whatever the day; the job, on the real clock, runs
# long after it.
NOW = datetime(2025, 11, 19, 11, 0, 0)
WORLD_ITEMS = {5001, 5002, 5003, 5004, 5005, 5101, 5102}
SHOP_TABLES = (
    m.sales_order_status_history,
    m.sales_order_payment,
    m.sales_order_address,
    m.sales_order_item,
    m.sales_order,
    m.rating_option_vote,
    m.review_detail,
    m.review,
    m.miomente_course_date,
    m.catalog_product_entity_varchar,
    m.catalog_product_entity_int,
    m.catalog_product_entity_decimal,
    m.catalog_product_entity_text,
    m.catalog_product_entity,
)


@pytest.fixture
def db(module_databases: Databases) -> Databases:
    """The world of tests/support/worlds.py on emptied databases, at NOW; the ledger not synced."""
    with module_databases.magento.begin() as conn:
        for table in SHOP_TABLES:
            conn.execute(delete(table))
    with module_databases.portal.begin() as conn:
        for table in reversed(p.metadata.sorted_tables):
            conn.execute(delete(table))
    build_world(module_databases, sync=False, now=NOW)
    return module_databases


def _order(
    db: Databases,
    order_id: int,
    items: list[tuple[int, int, int, int, str]],
    *,
    created: datetime,
    updated: datetime | None = None,
    status: str = m.STATUS_PENDING_PARTNER,
    state: str = "processing",
    name: tuple[str, str] = ("Nora", "Neu"),
) -> None:
    """An order with items (item_id, product_id, date_id, qty, unit price)."""
    with db.magento.begin() as conn:
        add_order(
            conn,
            order_id=order_id,
            items=[Item(*item) for item in items],
            created_at=created,
            updated_at=updated,
            status=status,
            state=state,
            customer=Customer(*name, f"{name[0].lower()}@example.org"),
        )


def _change(db: Databases, order_id: int, at: datetime, **values: object) -> None:
    with db.magento.begin() as conn:
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == order_id)
            .values(updated_at=at, **values)
        )


def _change_item(db: Databases, item_id: int, **values: object) -> None:
    with db.magento.begin() as conn:
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == item_id)
            .values(**values)
        )


def _ledger(db: Databases) -> dict[int, dict]:
    with db.portal.connect() as conn:
        return {r["item_id"]: dict(r) for r in conn.execute(select(p.bookings)).mappings()}


def _messages(db: Databases) -> list[dict]:
    query = (
        select(p.outbox)
        .where(p.outbox.c.template == ledger.NOTIFY_TEMPLATE)
        .order_by(p.outbox.c.dedupe_key)
    )
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def _watermark(db: Databases) -> tuple[datetime, int]:
    with db.portal.connect() as conn:
        row = conn.execute(select(p.sync_state.c.watermark_at, p.sync_state.c.watermark_id)).one()
    return row[0], row[1]


# --- the status rules -----------------------------------------------------------------------------

CONFIRMED, REJECTED = p.DECISION_CONFIRMED, p.DECISION_REJECTED
RULES = [
    # state, status, ordered, canceled, refunded, decision -> partner status
    ("processing", m.STATUS_PENDING_PARTNER, 2, 0, 0, None, p.BOOKING_NEW),
    ("new", "pending", 1, 0, 0, None, p.BOOKING_NEW),
    ("pending_payment", "pending_payment", 1, 0, 0, None, p.BOOKING_NEW),
    ("holded", "holded", 1, 0, 0, None, p.BOOKING_NEW),
    ("payment_review", "fraud", 1, 0, 0, None, p.BOOKING_NEW),
    ("processing", "processing", 1, 0, 0, None, p.BOOKING_NEW),
    ("processing", m.STATUS_PENDING_PARTNER, 2, 0, 0, CONFIRMED, p.BOOKING_CONFIRMED),
    ("processing", m.STATUS_CONFIRMED, 2, 0, 0, None, p.BOOKING_CONFIRMED),
    ("processing", m.STATUS_PENDING_PARTNER, 2, 0, 0, REJECTED, p.BOOKING_REJECTED),
    ("canceled", m.STATUS_REJECTED, 2, 2, 0, None, p.BOOKING_REJECTED),
    ("canceled", m.STATUS_REJECTED, 2, 2, 0, REJECTED, p.BOOKING_REJECTED),
    # a shared order another partner rejected: this partner had confirmed its item
    ("canceled", m.STATUS_REJECTED, 2, 2, 0, CONFIRMED, p.BOOKING_CANCELLED),
    ("complete", "complete", 2, 0, 0, REJECTED, p.BOOKING_REJECTED),
    ("canceled", "canceled", 2, 2, 0, None, p.BOOKING_CANCELLED),
    ("canceled", "canceled", 2, 2, 0, CONFIRMED, p.BOOKING_CANCELLED),
    ("processing", m.STATUS_CONFIRMED, 2, 2, 0, None, p.BOOKING_CANCELLED),  # item cancelled
    ("closed", "closed", 2, 0, 2, CONFIRMED, p.BOOKING_REFUNDED),
    ("closed", "closed", 2, 0, 0, None, p.BOOKING_REFUNDED),
    ("processing", m.STATUS_CONFIRMED, 2, 0, 2, CONFIRMED, p.BOOKING_REFUNDED),  # item refunded
    ("processing", m.STATUS_CONFIRMED, 3, 1, 2, None, p.BOOKING_REFUNDED),  # the rest refunded
    ("complete", "complete", 2, 0, 2, None, p.BOOKING_REFUNDED),
    # partial refunds keep the booking's status; tickets and refunded show the part
    ("processing", m.STATUS_PENDING_PARTNER, 2, 0, 1, None, p.BOOKING_NEW),
    ("processing", m.STATUS_CONFIRMED, 2, 0, 1, None, p.BOOKING_CONFIRMED),
    ("complete", "complete", 3, 1, 1, None, p.BOOKING_COMPLETED),
    ("complete", "complete", 2, 0, 0, None, p.BOOKING_COMPLETED),
    ("complete", "complete", 2, 0, 0, CONFIRMED, p.BOOKING_COMPLETED),
]


@pytest.mark.parametrize(
    ("state", "status", "ordered", "canceled", "refunded", "decision", "expected"), RULES
)
def test_partner_status_rules(
    state: str,
    status: str,
    ordered: int,
    canceled: int,
    refunded: int,
    decision: str | None,
    expected: str,
) -> None:
    # Quantities arrive as DECIMAL(12,4) from MariaDB/PostgreSQL, sometimes as float from SQLite.
    for kind in (Decimal, float):
        assert (
            ledger.partner_status(
                order_state=state,
                order_status=status,
                qty_ordered=kind(ordered),
                qty_canceled=kind(canceled),
                qty_refunded=kind(refunded),
                decision=decision,
            )
            == expected
        )


def test_partner_status_without_quantities() -> None:
    status = ledger.partner_status(
        order_state=None,
        order_status=None,
        qty_ordered=None,
        qty_canceled=None,
        qty_refunded=None,
        decision=None,
    )
    assert status == p.BOOKING_NEW


# --- copying ------------------------------------------------------------------------------------


def test_the_first_sync_copies_exactly_the_partners_items(db: Databases) -> None:
    with db.magento.begin() as conn:
        # An item of a product no partner owns, and the child row of a bundle: both skipped.
        add_items(
            conn,
            order_id=1001,
            items=[
                Item(5901, 999, sku="GUTSCHEIN", price=0),
                Item(5902, 101, qty=2, price=0, parent_item_id=5001),
            ],
        )
    result = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert (result.orders, result.items, result.new_bookings, result.notified) == (6, 7, 7, 0)
    rows = _ledger(db)
    assert set(rows) == WORLD_ITEMS

    # The shared order 1003: one row per partner's item, each with only its own amount.
    alpha, beta = rows[5003], rows[5004]
    assert (alpha["partner_id"], alpha["gross"], alpha["order_id"]) == (1, Decimal("89"), 1003)
    assert (beta["partner_id"], beta["gross"], beta["order_id"]) == (2, B.amount, 1003)
    assert alpha["course"] == "Alpha Pasta-Werkstatt" and beta["course"] == B.course_names[0]

    first = rows[5001]
    assert first["increment_id"] == "000001001"
    assert (first["product_id"], first["sku"], first["date_id"]) == (101, "ALP-PASTA", 11)
    assert first["customer_name"] == "Anna Adler"
    assert first["customer_email"] == "anna.adler@example.org"
    assert first["search_text"] == "anna adler anna.adler@example.org 000001001"
    assert (first["tickets"], first["gross"], first["refunded"]) == (2, Decimal(178), 0)
    assert (first["order_state"], first["order_status"]) == ("processing", m.STATUS_PENDING_PARTNER)
    assert first["shop_updated_at"] == first["booked_at"]
    assert first["synced_at"] == NOW
    with db.magento.connect() as conn:
        starts = conn.execute(
            select(m.miomente_course_date.c.starts_at).where(m.miomente_course_date.c.date_id == 11)
        ).scalar()
        created = conn.execute(
            select(m.sales_order.c.created_at).where(m.sales_order.c.entity_id == 1001)
        ).scalar()
    assert (first["event_at"], first["booked_at"]) == (starts, created)

    statuses = {item_id: row["status"] for item_id, row in rows.items()}
    assert statuses == {
        5001: p.BOOKING_NEW,
        5002: p.BOOKING_CONFIRMED,
        5003: p.BOOKING_NEW,
        5004: p.BOOKING_NEW,
        5005: p.BOOKING_CANCELLED,
        5101: p.BOOKING_NEW,
        5102: p.BOOKING_COMPLETED,
    }
    # The last order read is the watermark; a second run finds nothing to do.
    assert _watermark(db)[1] == 2001
    again = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert (again.orders, again.items) == (0, 0)


def test_an_incremental_sync_picks_up_changes_refunds_and_new_orders(db: Databases) -> None:
    ledger.sync_ledger(SYSTEM, db, now=NOW)
    before = _ledger(db)
    later = NOW - timedelta(minutes=30)
    # 1001: confirmed, then one of its two tickets refunded.
    _change(db, 1001, later, status=m.STATUS_CONFIRMED, total_refunded=Decimal(89))
    _change_item(db, 5001, qty_refunded=1, amount_refunded=Decimal(89))
    # 1002: fully refunded, Magento closes the order.
    _change(db, 1002, later + timedelta(seconds=1), state="closed", status="closed")
    _change_item(db, 5002, qty_refunded=1, amount_refunded=Decimal(99))
    # A new order.
    _order(db, 1005, [(5006, 102, 12, 3, "99.00")], created=later + timedelta(seconds=2))

    result = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert (result.orders, result.items, result.new_bookings) == (3, 3, 1)
    rows = _ledger(db)
    assert set(rows) == WORLD_ITEMS | {5006}
    assert (rows[5001]["status"], rows[5001]["tickets"]) == (p.BOOKING_CONFIRMED, 1)
    assert (rows[5001]["gross"], rows[5001]["refunded"]) == (Decimal(178), Decimal(89))
    assert rows[5001]["shop_updated_at"] == later
    assert (rows[5002]["status"], rows[5002]["tickets"]) == (p.BOOKING_REFUNDED, 0)
    assert rows[5002]["order_state"] == "closed"
    assert (rows[5006]["status"], rows[5006]["tickets"], rows[5006]["gross"]) == (
        p.BOOKING_NEW,
        3,
        Decimal(297),
    )
    # Unchanged orders were not copied again.
    assert rows[5003] == before[5003]
    assert _watermark(db) == (later + timedelta(seconds=2), 1005)


def test_equal_timestamps_across_batches_and_a_failed_batch_lose_nothing(
    db: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.sync_ledger(SYSTEM, db, now=NOW)
    same = NOW - timedelta(hours=1)
    for order_id in (3005, 3001, 3003, 3002, 3004):  # ids out of order, one timestamp
        _order(db, order_id, [(order_id + 3000, 101, 13, 1, "89.00")], created=same)

    calls = {"n": 0}
    real_upsert = ledger._upsert

    def failing_upsert(conn, rows):  # the third batch dies mid-transaction
        calls["n"] += 1
        real_upsert(conn, rows)
        if calls["n"] == 3:
            raise RuntimeError("connection lost")

    monkeypatch.setattr(ledger, "_upsert", failing_upsert)
    with pytest.raises(RuntimeError, match="connection lost"):
        ledger.sync_ledger(SYSTEM, db, batch_size=1, now=NOW)
    # Two batches committed (with their messages), the third rolled back completely.
    assert _watermark(db) == (same, 3002)
    assert set(_ledger(db)) == WORLD_ITEMS | {6001, 6002}
    assert len(_messages(db)) == 2

    monkeypatch.setattr(ledger, "_upsert", real_upsert)
    result = ledger.sync_ledger(SYSTEM, db, batch_size=1, now=NOW)
    assert (result.orders, result.new_bookings, result.notified) == (3, 3, 3)
    assert set(_ledger(db)) == WORLD_ITEMS | {6001, 6002, 6003, 6004, 6005}
    assert _watermark(db) == (same, 3005)
    keys = [m_["dedupe_key"] for m_ in _messages(db)]
    assert keys == [f"new_booking:{item}:email:info@alpha.example" for item in range(6001, 6006)]


def test_an_order_committed_late_with_an_earlier_stamp_is_not_missed(db: Databases) -> None:
    ledger.sync_ledger(SYSTEM, db, now=NOW)
    # 1006 is stamped a second before `NOW` and read; 1007 was stamped two seconds before
    # NOW but its transaction committed only after that read.
    _order(db, 1006, [(5006, 101, 13, 1, "89.00")], created=NOW - timedelta(seconds=1))
    first = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert first.orders == 1
    # The watermark stays a few seconds behind the run, not at 1006.
    assert _watermark(db) == (NOW - timedelta(seconds=ledger.OVERLAP_SECONDS), 0)
    _order(db, 1007, [(5007, 102, 12, 1, "99.00")], created=NOW - timedelta(seconds=2))
    second = ledger.sync_ledger(SYSTEM, db, now=NOW + timedelta(seconds=1))
    assert set(_ledger(db)) >= {5006, 5007}
    assert second.new_bookings == 1
    # Once the moment has passed, the watermark catches up and a quiet shop costs nothing.
    ledger.sync_ledger(SYSTEM, db, now=NOW + timedelta(minutes=1))
    assert _watermark(db) == (NOW - timedelta(seconds=1), 1006)
    quiet = ledger.sync_ledger(SYSTEM, db, now=NOW + timedelta(minutes=2))
    assert quiet.orders == 0


def test_refresh_orders_reads_the_primary_and_applies_decisions(
    db: Databases, tmp_path: Path
) -> None:
    ledger.sync_ledger(SYSTEM, db, now=NOW)
    with db.portal.begin() as conn:
        for item_id, order_id, partner_id, decision in (
            (5001, 1001, 1, p.DECISION_CONFIRMED),
            (5003, 1003, 1, p.DECISION_REJECTED),
        ):
            conn.execute(
                insert(p.booking_decisions).values(
                    item_id=item_id,
                    order_id=order_id,
                    partner_id=partner_id,
                    decision=decision,
                    decided_by=10,
                    decided_at=NOW,
                )
            )
    _change(db, 1002, NOW - timedelta(minutes=1), state="canceled", status="canceled")
    # A replica that lags behind (here: empty): refresh_orders must not read it.
    replica = make_engine(f"sqlite:///{tmp_path / 'replica.sqlite'}")
    m.create_shop_schema(replica)
    lagging = replace(db, magento_read=replica)
    try:
        written = ledger.refresh_orders(SYSTEM, lagging, order_ids=[1001, 1003, 1002, 1001])
        assert ledger.sync_ledger(SYSTEM, lagging, now=NOW).orders == 0
    finally:
        replica.dispose()
    assert written == 4  # 5001, 5002, 5003 and B's 5004 in the shared order
    rows = _ledger(db)
    assert rows[5001]["status"] == p.BOOKING_CONFIRMED
    assert rows[5003]["status"] == p.BOOKING_REJECTED
    assert rows[5004]["status"] == p.BOOKING_NEW  # B's item of the shared order: B decides
    assert rows[5002]["status"] == p.BOOKING_CANCELLED
    assert ledger.refresh_orders(SYSTEM, db, order_ids=[]) == 0
    assert ledger.refresh_orders(SYSTEM, db, order_ids=[424242]) == 0
    # A copy newer than the order the shop shows now (a concurrent run wrote it) stays.
    with db.portal.begin() as conn:
        conn.execute(
            update(p.bookings)
            .where(p.bookings.c.item_id == 5102)
            .values(shop_updated_at=NOW + timedelta(hours=1), course="neuer")
        )
    assert ledger.refresh_orders(SYSTEM, db, order_ids=[2002]) == 0
    assert _ledger(db)[5102]["course"] == "neuer"


def test_two_syncs_at_once_copy_and_announce_each_booking_once(db: Databases) -> None:
    ledger.sync_ledger(SYSTEM, db, now=NOW)
    for n in range(12):
        created = NOW - timedelta(minutes=30) + timedelta(seconds=n // 3)  # equal stamps too
        _order(db, 3000 + n, [(7000 + n, 101 + n % 2, 13 - n % 2, 1, "89.00")], created=created)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(ledger.sync_ledger, SYSTEM, db, batch_size=2, now=NOW) for _ in "ab"]
        results = [run.result(timeout=60) for run in runs]
    assert sum(r.new_bookings for r in results) == 12
    assert sum(r.notified for r in results) == 12
    assert set(_ledger(db)) == WORLD_ITEMS | set(range(7000, 7012))
    assert len(_messages(db)) == 12
    assert _watermark(db) == (NOW - timedelta(minutes=30) + timedelta(seconds=3), 3011)


def test_ensure_fresh_syncs_at_most_every_max_age_seconds(db: Databases) -> None:
    assert ledger.ensure_fresh(PARTNER_A, db, now=NOW) is True
    assert set(_ledger(db)) == WORLD_ITEMS
    _order(db, 1005, [(5006, 102, 12, 1, "99.00")], created=NOW - timedelta(minutes=5))
    # Within max_age: nothing happens, not even a look at the shop.
    assert ledger.ensure_fresh(PARTNER_A, db, now=NOW + timedelta(seconds=3)) is False
    assert 5006 not in _ledger(db)
    assert ledger.ensure_fresh(STAFF, db, now=NOW + timedelta(seconds=6)) is True
    assert 5006 in _ledger(db)
    assert ledger.ensure_fresh(PARTNER_A, db, now=NOW + timedelta(seconds=7)) is False
    assert ledger.ensure_fresh(PARTNER_A, db, max_age_seconds=0, now=NOW + timedelta(seconds=7))


def test_a_new_booking_is_announced_once_to_each_recipient(db: Databases) -> None:
    save_prefs(
        PARTNER_A,
        db,
        prefs=[
            {
                "event": "new_booking",
                "email_enabled": True,
                "emails": "team@alpha.example, chef@alpha.example",
                "sms_enabled": True,
                "phone": "0151 23456789",
            }
        ],
    )
    # The first run copies history: nothing is announced, however recent.
    _order(db, 1005, [(5005 + 900, 101, 13, 1, "89.00")], created=NOW - timedelta(hours=1))
    assert ledger.sync_ledger(SYSTEM, db, now=NOW).notified == 0

    recent = NOW - timedelta(minutes=30)
    # A's and B's items in one new order; an old order seen only now; a new, cancelled one.
    _order(db, 1006, [(5007, 101, 13, 2, "89.00"), (5008, 201, 21, 1, "69.00")], created=recent)
    _order(
        db,
        1007,
        [(5009, 102, 12, 1, "99.00")],
        created=NOW - timedelta(days=3),
        updated=NOW - timedelta(minutes=10),
    )
    _order(
        db, 1008, [(5010, 101, 13, 1, "89.00")], created=recent, state="canceled", status="canceled"
    )
    result = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert (result.new_bookings, result.notified) == (4, 4)
    messages = _messages(db)
    assert [(m_["partner_id"], m_["channel"], m_["recipient"]) for m_ in messages] == [
        (1, "email", "chef@alpha.example"),
        (1, "email", "team@alpha.example"),
        (1, "sms", "+4915123456789"),
        (2, "email", "info@beta.example"),
    ]
    assert messages[0]["dedupe_key"] == "new_booking:5007:email:chef@alpha.example"
    assert {m_["locale"] for m_ in messages} == {"de"}
    with db.magento.connect() as conn:
        starts = conn.execute(
            select(m.miomente_course_date.c.starts_at).where(m.miomente_course_date.c.date_id == 13)
        ).scalar()
    assert messages[0]["payload"] == {
        "contact_name": "Kochschule Alpha",
        "customer_name": "Nora Neu",
        "course": "Kurs 101",
        "starts_at": starts.isoformat(),
        "tickets": 2,
        "total": "178.00",
        "order_number": "000001006",
        "order_url": links.order_url(1006),  # followed in tests/pages/test_links_followed.py
    }
    assert messages[0]["recipient_name"] == "Kochschule Alpha"
    beta = messages[3]["payload"]
    assert (beta["contact_name"], beta["total"], beta["tickets"]) == (B.partner_name, "69.00", 1)
    for message in messages:  # the template gets every key it needs
        render(message["template"], locale="de", payload=message["payload"], channel="email")
        render(message["template"], locale="de", payload=message["payload"], channel="sms")

    # Copying the order again (a change, a refresh) announces nothing twice.
    _change(db, 1006, NOW - timedelta(minutes=1), status=m.STATUS_PENDING_PARTNER)
    again = ledger.sync_ledger(SYSTEM, db, now=NOW)
    assert (again.orders, again.notified) == (1, 0)
    assert ledger.refresh_orders(SYSTEM, db, order_ids=[1006]) == 2
    assert len(_messages(db)) == 4
    # notify=False (e.g. a staff re-import) copies without announcing.
    _order(db, 1009, [(5011, 101, 13, 1, "89.00")], created=NOW - timedelta(minutes=1))
    quiet = ledger.sync_ledger(SYSTEM, db, now=NOW, notify=False)
    assert (quiet.new_bookings, quiet.notified) == (1, 0)


def test_only_the_system_copies_the_ledger(db: Databases) -> None:
    for viewer in (PARTNER_A, STAFF.view_as(1)):
        with pytest.raises(ScopeError):
            ledger.sync_ledger(viewer, db)
        with pytest.raises(ScopeError):
            ledger.refresh_orders(viewer, db, order_ids=[1001])
        with pytest.raises(ScopeError):
            ledger.pending_orders(viewer, db)
    assert _ledger(db) == {}
    assert ledger.sync_ledger(STAFF, db, now=NOW).items == len(WORLD_ITEMS)


# --- the job ------------------------------------------------------------------------------------


@pytest.fixture
def settings(db: Databases, tmp_path: Path) -> Settings:
    return Settings(
        magento_url=db.magento.url.render_as_string(hide_password=False),
        magento_read_url=None,
        portal_url=db.portal.url.render_as_string(hide_password=False),
        demo_dir=tmp_path / "demo",
        cookie_key="k" * 32,
    )


def test_the_sync_ledger_job(db: Databases, settings: Settings) -> None:
    from jobs.__main__ import main
    from jobs.registry import TASKS

    assert TASKS["sync-ledger"].entry == "jobs.sync_ledger:run"
    assert ledger.pending_orders(SYSTEM, db) == 6
    assert main(["run", "sync-ledger", "--dry-run"], settings=settings, db=db) == 0
    assert _ledger(db) == {}
    assert main(["run", "sync-ledger"], settings=settings, db=db) == 0
    assert set(_ledger(db)) == WORLD_ITEMS
    with db.portal.connect() as conn:
        runs = conn.execute(
            select(p.job_runs.c.processed, p.job_runs.c.dry_run, p.job_runs.c.status)
            .where(p.job_runs.c.task == "sync-ledger")
            .order_by(p.job_runs.c.run_id)
        ).all()
        synced = conn.execute(select(func.count()).select_from(p.bookings)).scalar()
    assert [tuple(r) for r in runs] == [(6, True, "ok"), (6, False, "ok")]
    assert synced == len(WORLD_ITEMS)
    # Each run re-reads the last ten minutes before the watermark: here the four orders
    # stamped at the same moment as the last one.
    assert ledger.pending_orders(SYSTEM, db) == 0
    assert ledger.pending_orders(SYSTEM, db, lookback_seconds=600) == 4
