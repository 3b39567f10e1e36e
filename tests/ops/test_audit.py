"""The one audit writer: rows as the audit log has always held them, on every backend."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from core.db import Databases
from data.access.viewer import SYSTEM, Viewer
from data.ops import audit
from data.portal_schema import audit_log

STAFF = Viewer(user_id=30, role="staff")
PARTNER = Viewer(user_id=10, role="partner", partner_id=1)
AT = datetime(2026, 11, 25, 12, 30)


def _rows(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.audit_id)).mappings().all()
    return [dict(row) for row in rows]


def test_record_writes_who_what_which_and_when(portal_databases: Databases) -> None:
    with portal_databases.portal.begin() as conn:
        audit.record(
            conn,
            STAFF,
            action="payout_approved",
            entity="payout",
            entity_id=7,
            partner_id=1,
            details={"document": "GS-2026-00001"},
            note="Freigabe",
            now=AT,
        )
    [row] = _rows(portal_databases)
    assert {k: v for k, v in row.items() if k != "audit_id"} == {
        "at": AT,
        "user_id": 30,
        "partner_id": 1,
        "action": "payout_approved",
        "entity": "payout",
        "entity_id": "7",
        "details": {"document": "GS-2026-00001"},
        "note": "Freigabe",
    }


def test_without_time_or_details_the_database_stamps_and_details_stay_null(
    portal_databases: Databases,
) -> None:
    with portal_databases.portal.begin() as conn:
        audit.record(conn, 42, action="login", entity="user", entity_id=42)  # no viewer yet
        audit.record(conn, PARTNER, action="outbox_resend", entity="outbox")
    login, resend = _rows(portal_databases)
    assert (login["user_id"], login["entity_id"], login["partner_id"]) == (42, "42", None)
    assert login["at"] is not None and resend["at"] is not None
    assert (resend["user_id"], resend["entity_id"]) == (10, None)
    with portal_databases.portal.connect() as conn:
        # SQL NULL, not the JSON value null: "no details" is searchable as IS NULL.
        assert conn.execute(
            select(audit_log.c.audit_id).where(audit_log.c.details.is_(None))
        ).scalars().all() == [login["audit_id"], resend["audit_id"]]


def test_record_many_writes_a_batch_of_mixed_entries_in_order(
    portal_databases: Databases,
) -> None:
    entries = [
        audit.Entry("payout_paid", "payout", 1, partner_id=1, details={"paid_on": "2026-11-06"}),
        audit.Entry("payout_paid", "payout", 2, partner_id=2),
        audit.Entry("booking_rejected", "order_item", 5003, partner_id=1, note="ausgebucht"),
    ]
    with portal_databases.portal.begin() as conn:
        audit.record_many(conn, SYSTEM, entries, now=AT)
        audit.record_many(conn, SYSTEM, [], now=AT)
    rows = _rows(portal_databases)
    assert [(r["action"], r["entity_id"], r["partner_id"]) for r in rows] == [
        ("payout_paid", "1", 1),
        ("payout_paid", "2", 2),
        ("booking_rejected", "5003", 1),
    ]
    assert [r["details"] for r in rows] == [{"paid_on": "2026-11-06"}, None, None]
    assert [r["note"] for r in rows] == [None, None, "ausgebucht"]
    assert {r["user_id"] for r in rows} == {0} and {r["at"] for r in rows} == {AT}


def test_the_row_rolls_back_with_the_change_it_describes(portal_databases: Databases) -> None:
    with pytest.raises(RuntimeError), portal_databases.portal.begin() as conn:
        audit.record(conn, STAFF, action="series_created", entity="series", entity_id=3, now=AT)
        raise RuntimeError("the change failed after its audit row")
    assert _rows(portal_databases) == []
