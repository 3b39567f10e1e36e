"""The partner's decision (`data.bookings.decisions.decide`), on SQLite and on MariaDB + PostgreSQL.

The world of tests/support/worlds.py: partner A (Kochschule Alpha) and partner B (Weinschule Beta)
share order 1003; 1001 is A's alone, 2001 and 2002 (complete) B's, 1004 is cancelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from core.db import Databases
from core.validation import InvalidInput
from data import portal_schema as p
from data.access.viewer import ScopeError
from data.bookings import orders
from data.bookings.decisions import DecisionResult, decide
from data.shop import schema as m
from data.shop import writes as shop_writes
from messaging.render import TEMPLATES, render
from tests.conftest import fresh_databases
from tests.support.orders import (
    ALPHA,
    BETA,
    NOW,
    REASON,
    STAFF,
    _add_dates,
    _add_order,
    _count,
    _decision_messages,
    _history,
    _messages,
    _order,
    _snapshot,
)
from tests.support.worlds import build_world

# --- decide: the common paths ----------------------------------------------------------------


def test_confirming_a_single_partner_order_confirms_it_in_the_shop(shop: Databases) -> None:
    before = len(_history(shop, 1001))
    result = decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result == DecisionResult(decided=[5001], refused=[], orders_changed=[1001])

    assert tuple(_order(shop, 1001)) == ("processing", m.STATUS_CONFIRMED)
    history = _history(shop, 1001)
    assert len(history) == before + 1
    comment, status, notified, entity = history[-1]
    assert comment.startswith("Partnerportal: Kochschule Alpha hat 1 Buchung bestätigt")
    assert "Alle Partner haben entschieden" in comment
    assert (status, notified, entity) == (m.STATUS_CONFIRMED, 1, "order")

    [message] = _decision_messages(shop)
    assert message.template == "booking_confirmed" and message.partner_id == 1
    assert message.recipient == "anna.adler@example.org" and message.locale == "de"
    assert message.dedupe_key == "decision:5001"
    assert set(TEMPLATES["booking_confirmed"].required) <= set(message.payload)
    assert message.payload["order_number"] == "000001001"
    assert message.payload["tickets"] == 2
    assert message.payload["place"] == "Kochschule Alpha, Hafenstraße 1, 20457 Hamburg"
    rendered = render("booking_confirmed", locale="de", payload=message.payload)
    assert "Alpha Pasta-Werkstatt" in rendered.text

    with shop.portal.connect() as conn:
        decision = conn.execute(select(p.booking_decisions)).one()
        audit = conn.execute(
            select(p.audit_log).where(p.audit_log.c.action == "booking_confirmed")
        ).one()
        ledger = conn.execute(
            select(p.bookings.c.status, p.bookings.c.order_status).where(
                p.bookings.c.item_id == 5001
            )
        ).one()
    assert (decision.item_id, decision.order_id, decision.partner_id) == (5001, 1001, 1)
    assert (decision.decision, decision.decided_by, decision.decided_at) == ("confirmed", 10, NOW)
    assert (audit.user_id, audit.partner_id, audit.entity_id) == (10, 1, "5001")
    assert tuple(ledger) == (p.BOOKING_CONFIRMED, m.STATUS_CONFIRMED)

    detail = orders.get_order(ALPHA, shop, order_id=1001)
    assert detail is not None and detail.items[0].status == p.BOOKING_CONFIRMED


def test_a_shared_order_is_confirmed_when_both_partners_confirmed(shop: Databases) -> None:
    result = decide(ALPHA, shop, item_ids=[5003], decision="confirmed", now=NOW)
    assert result.decided == [5003] and result.orders_changed == [1003]
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_PENDING_PARTNER)
    comment = _history(shop, 1003)[-1].comment
    assert comment.startswith("Partnerportal: Kochschule Alpha hat 1 Buchung bestätigt")
    assert "Alle Partner" not in comment

    # Each partner sees its own part; B learns nothing of A's decision.
    alpha = orders.get_order(ALPHA, shop, order_id=1003)
    beta = orders.get_order(BETA, shop, order_id=1003)
    assert alpha is not None and beta is not None
    assert alpha.status == m.STATUS_CONFIRMED and alpha.status_label == "Vom Partner bestätigt"
    assert beta.status == m.STATUS_PENDING_PARTNER
    assert "Alpha" not in repr(beta)
    assert [e.kind for e in beta.timeline] == ["status"]

    result = decide(BETA, shop, item_ids=[5004], decision="confirmed", now=NOW)
    assert result.decided == [5004] and result.orders_changed == [1003]
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_CONFIRMED)
    assert "Alle Partner haben entschieden" in _history(shop, 1003)[-1].comment
    assert [(r.partner_id, r.template) for r in _decision_messages(shop)] == [
        (1, "booking_confirmed"),
        (2, "booking_confirmed"),
    ]
    with shop.portal.connect() as conn:
        ledger = dict(
            conn.execute(
                select(p.bookings.c.item_id, p.bookings.c.order_status).where(
                    p.bookings.c.order_id == 1003
                )
            ).all()
        )
    assert ledger == {5003: m.STATUS_CONFIRMED, 5004: m.STATUS_CONFIRMED}


def test_reject_with_reason_and_alternatives_tells_the_customer(shop: Databases) -> None:
    _add_dates(shop)
    result = decide(
        ALPHA,
        shop,
        item_ids=[5001],
        decision="rejected",
        reason=f"  {REASON}  ",
        alternatives=[14, 15, 14],
        now=NOW,
    )
    assert result.decided == [5001]
    assert tuple(_order(shop, 1001)) == ("canceled", m.STATUS_REJECTED)
    comment = _history(shop, 1001)[-1].comment
    assert f"Begründung: „{REASON}“" in comment and "Alternativtermine" in comment
    assert "erstatten" in comment

    [message] = _decision_messages(shop)
    assert message.template == "booking_rejected"
    payload = message.payload
    assert set(TEMPLATES["booking_rejected"].required) <= set(payload)
    assert payload["reason"] == REASON
    assert payload["refund_amount"] == "178.00"
    # Soonest first, each with the date's page.
    assert [(a["date_id"], a["url"]) for a in payload["alternatives"]] == [
        (15, "https://www.miomente.de/kurs/101?termin=15"),
        (14, "https://www.miomente.de/kurs/101?termin=14"),
    ]
    assert payload["alternatives"][0]["starts_at"] == (NOW + timedelta(days=3)).isoformat()
    rendered = render("booking_rejected", locale="de", payload=payload)
    assert "termin=15" in rendered.html and REASON in rendered.text

    with shop.portal.connect() as conn:
        decision = conn.execute(select(p.booking_decisions)).one()
    assert (decision.decision, decision.reason, decision.alternatives) == (
        "rejected",
        REASON,
        [15, 14],
    )
    detail = orders.get_order(ALPHA, shop, order_id=1001)
    assert detail is not None
    assert detail.items[0].status == p.BOOKING_REJECTED
    assert detail.items[0].decision is not None
    assert detail.items[0].decision.alternatives == (15, 14)
    assert REASON in detail.timeline[-2].text


def test_a_mixed_shared_order_goes_ahead_and_all_rejected_cancels_it(shop: Databases) -> None:
    decide(ALPHA, shop, item_ids=[5003], decision="confirmed", now=NOW)
    decide(BETA, shop, item_ids=[5004], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 1003)) == ("processing", m.STATUS_CONFIRMED)
    assert "Teilweise abgelehnt" in _history(shop, 1003)[-1].comment
    beta = orders.get_order(BETA, shop, order_id=1003)
    assert beta is not None
    assert (beta.status, beta.state) == (m.STATUS_REJECTED, "canceled")
    assert beta.items[0].status == p.BOOKING_REJECTED

    _add_order(shop, 3001, [(7001, 101, 13), (7002, 201, 21)])
    decide(ALPHA, shop, item_ids=[7001], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 3001)) == ("processing", m.STATUS_PENDING_PARTNER)
    decide(BETA, shop, item_ids=[7002], decision="rejected", reason=REASON, now=NOW)
    assert tuple(_order(shop, 3001)) == ("canceled", m.STATUS_REJECTED)


def test_bulk_confirm_across_two_orders(shop: Databases) -> None:
    result = decide(ALPHA, shop, item_ids=[5003, 5001, 5003], decision="confirmed", now=NOW)
    assert sorted(result.decided) == [5001, 5003] and result.refused == []
    assert result.orders_changed == [1001, 1003]
    assert _order(shop, 1001).status == m.STATUS_CONFIRMED
    assert _order(shop, 1003).status == m.STATUS_PENDING_PARTNER
    assert sorted(r.dedupe_key for r in _decision_messages(shop)) == [
        "decision:5001",
        "decision:5003",
    ]


def test_two_items_of_one_order_are_one_shop_write(shop: Databases) -> None:
    _add_order(shop, 3002, [(7011, 101, 13), (7012, 102, 12)])
    before = len(_history(shop, 3002))
    result = decide(ALPHA, shop, item_ids=[7011, 7012], decision="confirmed", now=NOW)
    assert result.decided == [7011, 7012] and result.orders_changed == [3002]
    history = _history(shop, 3002)
    assert len(history) == before + 1
    assert "hat 2 Buchungen bestätigt" in history[-1].comment
    assert _order(shop, 3002).status == m.STATUS_CONFIRMED


def test_staff_decide_as_a_partner_but_not_for_all(shop: Databases) -> None:
    with pytest.raises(ScopeError):
        decide(STAFF, shop, item_ids=[5001], decision="confirmed", now=NOW)
    result = decide(STAFF.view_as(1), shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result.decided == [5001]
    with shop.portal.connect() as conn:
        assert conn.execute(select(p.booking_decisions.c.decided_by)).scalar() == 30


# --- decide: refusals and invalid input --------------------------------------------------------


def test_unknown_and_other_partners_items_are_not_found(shop: Databases) -> None:
    before = _snapshot(shop)
    result = decide(ALPHA, shop, item_ids=[5004, 5101, 999_999], decision="confirmed", now=NOW)
    assert result.decided == [] and result.orders_changed == []
    assert result.refused == [
        (5004, "orders.not_found"),
        (5101, "orders.not_found"),
        (999_999, "orders.not_found"),
    ]
    assert _snapshot(shop) == before


@pytest.mark.parametrize(
    ("reason", "alternatives", "key"),
    [
        (None, [], "orders.reason_required"),
        ("   ", [], "orders.reason_required"),
        ("x" * 501, [], "orders.reason_too_long"),
        (REASON, [14, 15, 19, 13], "orders.too_many_alternatives"),
        (REASON, [16], "orders.alternative_invalid"),  # another course
        (REASON, [17], "orders.alternative_invalid"),  # in the past
        (REASON, [18], "orders.alternative_invalid"),  # cancelled
        (REASON, [21], "orders.alternative_invalid"),  # partner B's course
        (REASON, [999], "orders.alternative_invalid"),  # does not exist
        (REASON, [11], "orders.alternative_invalid"),  # the rejected date itself
        (REASON, [14, 17], "orders.alternative_invalid"),  # one bad spoils all
    ],
)
def test_invalid_rejections_write_nothing(
    shop: Databases, reason: str | None, alternatives: list[int], key: str
) -> None:
    _add_dates(shop)
    before = _snapshot(shop)
    with pytest.raises(InvalidInput) as caught:
        decide(
            ALPHA,
            shop,
            item_ids=[5001],
            decision="rejected",
            reason=reason,
            alternatives=alternatives,
            now=NOW,
        )
    assert caught.value.key == key
    assert _snapshot(shop) == before


def test_a_reason_of_500_characters_and_three_alternatives_are_fine(shop: Databases) -> None:
    _add_dates(shop)
    result = decide(
        ALPHA,
        shop,
        item_ids=[5001],
        decision="rejected",
        reason="x" * 500,
        alternatives=[19, 14, 15],
        now=NOW,
    )
    assert result.decided == [5001]
    [message] = _decision_messages(shop)
    assert [a["date_id"] for a in message.payload["alternatives"]] == [15, 14, 19]


def test_unknown_decision_is_invalid(shop: Databases) -> None:
    with pytest.raises(InvalidInput) as caught:
        decide(ALPHA, shop, item_ids=[5001], decision="maybe", now=NOW)
    assert caught.value.key == "orders.unknown_decision"


def test_cancelled_complete_and_refunded_orders_are_refused(shop: Databases) -> None:
    _add_order(shop, 3003, [(7021, 101, 13)])
    with shop.magento.begin() as conn:
        conn.execute(
            update(m.sales_order_item)
            .where(m.sales_order_item.c.item_id == 7021)
            .values(qty_refunded=1, amount_refunded=50)
        )
    before = _snapshot(shop)
    alpha = decide(ALPHA, shop, item_ids=[5005, 7021], decision="confirmed", now=NOW)
    assert alpha.refused == [(5005, "orders.refused_state"), (7021, "orders.refused_state")]
    beta = decide(BETA, shop, item_ids=[5102], decision="rejected", reason=REASON, now=NOW)
    assert beta.refused == [(5102, "orders.refused_state")] and beta.decided == []
    assert _snapshot(shop) == before


def test_deciding_twice_gives_one_decision_and_one_email(shop: Databases) -> None:
    first = decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    after_first = _snapshot(shop)
    second = decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    third = decide(ALPHA, shop, item_ids=[5001], decision="rejected", reason=REASON)
    assert first.decided == [5001]
    assert second == DecisionResult(refused=[(5001, "orders.already_decided")])
    assert third.refused == [(5001, "orders.already_decided")]
    assert _snapshot(shop) == after_first
    assert len(_decision_messages(shop)) == 1


def test_a_state_change_before_the_lock_rolls_the_portal_back(
    shop: Databases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shop cancelled the order between the first check and the lock."""
    real = shop_writes.lock_order

    def cancelled_meanwhile(conn, *, order_id):
        conn.execute(
            update(m.sales_order)
            .where(m.sales_order.c.entity_id == order_id)
            .values(state="canceled", status="canceled")
        )
        return real(conn, order_id=order_id)

    monkeypatch.setattr(shop_writes, "lock_order", cancelled_meanwhile)
    before = _snapshot(shop)
    result = decide(ALPHA, shop, item_ids=[5001], decision="confirmed", now=NOW)
    assert result == DecisionResult(refused=[(5001, "orders.refused_state")])
    assert _snapshot(shop) == before  # the shop's own change was rolled back with ours


@pytest.mark.parametrize(
    ("decision", "reason", "status", "state"),
    [
        ("confirmed", None, m.STATUS_CONFIRMED, "processing"),
        ("rejected", REASON, m.STATUS_REJECTED, "canceled"),
    ],
)
def test_a_rerun_after_the_portal_commit_failed_converges(
    shop: Databases,
    monkeypatch: pytest.MonkeyPatch,
    decision: str,
    reason: str | None,
    status: str,
    state: str,
) -> None:
    """The window: the shop committed, then the portal's commit failed."""
    real = shop_writes.shop_transaction

    @contextmanager
    def crash_after_shop_commit(engine) -> Iterator:
        with real(engine) as conn:
            yield conn
        raise ConnectionError("portal connection lost")

    monkeypatch.setattr(shop_writes, "shop_transaction", crash_after_shop_commit)
    history_before = len(_history(shop, 1001))
    with pytest.raises(ConnectionError):
        decide(ALPHA, shop, item_ids=[5001], decision=decision, reason=reason, now=NOW)
    assert tuple(_order(shop, 1001)) == (state, status)
    assert _count(shop.portal, p.booking_decisions) == 0
    assert _decision_messages(shop) == []

    monkeypatch.setattr(shop_writes, "shop_transaction", real)
    result = decide(ALPHA, shop, item_ids=[5001], decision=decision, reason=reason, now=NOW)
    assert result.decided == [5001]
    assert tuple(_order(shop, 1001)) == (state, status)
    assert len(_history(shop, 1001)) == history_before + 2
    assert _count(shop.portal, p.booking_decisions) == 1
    assert len(_decision_messages(shop)) == 1


# --- shop_writes ----------------------------------------------------------------------------


def test_shop_writes_check_the_state_and_accept_a_repeat(shop: Databases) -> None:
    with shop_writes.shop_transaction(shop.magento) as conn:
        with pytest.raises(shop_writes.ShopStateError) as caught:
            shop_writes.change_order_status(
                conn,
                order_id=1004,
                allowed_states=("processing",),
                new_status=m.STATUS_CONFIRMED,
                comment="x",
                notified=False,
                now=NOW,
            )
        assert (caught.value.key, caught.value.params) == (
            "orders.refused_state",
            {"state": "canceled"},
        )
        change = shop_writes.change_order_status(
            conn,
            order_id=1002,  # already confirmed
            allowed_states=(),
            new_status=m.STATUS_CONFIRMED,
            comment="noch einmal",
            notified=False,
            now=NOW,
        )
        assert not change.changed and change.history_id is not None
        note = shop_writes.add_order_comment(conn, order_id=1001, comment="Notiz", now=NOW)
        assert (note.state, note.status) == ("processing", m.STATUS_PENDING_PARTNER)
        with pytest.raises(shop_writes.ShopStateError):
            shop_writes.lock_order(conn, order_id=424_242)
    with shop.magento.connect() as conn:
        updated = conn.execute(
            select(m.sales_order.c.updated_at).where(m.sales_order.c.entity_id == 1001)
        ).scalar()
    assert updated == NOW
    assert _history(shop, 1001)[-1].comment == "Notiz"


# --- concurrency ----------------------------------------------------------------------------


def _race(*calls) -> list:
    """Run the calls at the same moment in threads; their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def server_shop(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("server", tmp_path) as db:
        build_world(db)
        yield db


def test_two_clicks_at_once_decide_once_on_the_servers(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(5):
        order_id, item_id = 4000 + round_, 8000 + round_
        _add_order(db, order_id, [(item_id, 101, 13)])
        results = _race(
            lambda i=item_id: decide(ALPHA, db, item_ids=[i], decision="confirmed"),
            lambda i=item_id: decide(
                STAFF.view_as(1), db, item_ids=[i], decision="rejected", reason=REASON
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(len(r.decided) for r in results) == [0, 1], results
        loser = next(r for r in results if not r.decided)
        assert loser.refused == [(item_id, "orders.already_decided")]
        assert _count(db.portal, p.booking_decisions, p.booking_decisions.c.item_id == item_id) == 1
        assert len(_messages(db, p.outbox.c.dedupe_key == f"decision:{item_id}")) == 1
        assert len(_history(db, order_id)) == 1
        winner = next(r for r in results if r.decided)
        expected = m.STATUS_CONFIRMED if winner is results[0] else m.STATUS_REJECTED
        assert _order(db, order_id).status == expected


@pytest.fixture
def slow_portal_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between the shop's commit and the portal's, where races hide."""
    real = shop_writes.shop_transaction

    @contextmanager
    def slow(engine) -> Iterator:
        with real(engine) as conn:
            yield conn
        time.sleep(0.2)

    monkeypatch.setattr(shop_writes, "shop_transaction", slow)


@pytest.mark.usefixtures("slow_portal_commit")
def test_two_partners_deciding_a_shared_order_at_once_confirm_it(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(3):
        order_id = 4100 + round_
        a_item, b_item = 8100 + 2 * round_, 8101 + 2 * round_
        _add_order(db, order_id, [(a_item, 101, 13), (b_item, 201, 21)])
        results = _race(
            lambda i=a_item: decide(ALPHA, db, item_ids=[i], decision="confirmed"),
            lambda i=b_item: decide(BETA, db, item_ids=[i], decision="confirmed"),
        )
        assert [r.decided for r in results] == [[a_item], [b_item]], results
        assert tuple(_order(db, order_id)) == ("processing", m.STATUS_CONFIRMED)
        assert len(_history(db, order_id)) in (2, 3)  # two comments, maybe one converge row


@pytest.mark.usefixtures("slow_portal_commit")
def test_two_tabs_deciding_two_items_of_one_order_at_once(server_shop: Databases) -> None:
    db = server_shop
    for round_ in range(3):
        order_id = 4200 + round_
        first, second = 8200 + 2 * round_, 8201 + 2 * round_
        _add_order(db, order_id, [(first, 101, 13), (second, 102, 12)])
        results = _race(
            lambda i=first: decide(ALPHA, db, item_ids=[i], decision="rejected",
                                   reason=REASON),
            lambda i=second: decide(ALPHA, db, item_ids=[i], decision="rejected",
                                    reason=REASON),
        )  # fmt: skip
        assert [r.decided for r in results] == [[first], [second]], results
        assert tuple(_order(db, order_id)) == ("canceled", m.STATUS_REJECTED)


def test_two_clicks_at_once_decide_once_on_sqlite(tmp_path: Path) -> None:
    with fresh_databases("sqlite", tmp_path) as db:
        build_world(db)
        results = _race(
            lambda: decide(ALPHA, db, item_ids=[5001], decision="confirmed"),
            lambda: decide(ALPHA, db, item_ids=[5001], decision="confirmed"),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(len(r.decided) for r in results) == [0, 1]
        assert len(_decision_messages(db)) == 1
        assert len(_history(db, 1001)) == 2
