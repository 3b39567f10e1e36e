"""Role checks: staff-only and system-only work refuses every other viewer, in the data layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from core.db import Databases
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.bookings import ledger
from data.comms import outbox
from data.money import commission, documents, payouts
from data.ops import job_runs
from data.portal_schema import audit_log, commission_rates
from data.portal_schema import job_runs as job_runs_table

PARTNER = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")
STAFF_AS_PARTNER = STAFF.view_as(1)
NOW = datetime(2026, 11, 25, 12, 0)


def test_require_staff_lets_staff_through_and_refuses_a_partner() -> None:
    STAFF.require_staff()
    STAFF_AS_PARTNER.require_staff()
    SYSTEM.require_staff()
    with pytest.raises(ScopeError) as refused:
        PARTNER.require_staff(commission.STAFF_ONLY)
    assert refused.value.key == "access.commission_staff_only"
    with pytest.raises(ScopeError) as refused:
        PARTNER.view_as(2)
    assert refused.value.key == "access.view_as_staff_only"


def test_require_system_needs_the_whole_portal_in_view() -> None:
    SYSTEM.require_system()
    STAFF.require_system()
    for viewer in (PARTNER, STAFF_AS_PARTNER):
        with pytest.raises(ScopeError) as refused:
            viewer.require_system(job_runs.SYSTEM_ONLY)
        assert refused.value.key == "access.system_only"


# What a partner might call from a crafted request; each is staff's or the jobs' work only.
STAFF_ONLY: dict[str, Callable[[Viewer, Databases], object]] = {
    "set_contract_rate": lambda v, db: commission.set_contract_rate(
        v, db, partner_id=1, rate="10", now=NOW
    ),
    "set_course_rate": lambda v, db: commission.set_course_rate(
        v, db, product_id=101, rate="10", valid_from=date(2026, 1, 1), now=NOW
    ),
    "compute_payouts": lambda v, db: payouts.compute_payouts(
        v, db, period=date(2026, 10, 1), now=NOW
    ),
    "approve_payouts": lambda v, db: payouts.approve_payouts(v, db, payout_ids=[1], now=NOW),
    "mark_paid": lambda v, db: payouts.mark_paid(
        v, db, payout_ids=[1], paid_on=date(2026, 11, 6), now=NOW
    ),
    "issue_for_payout": lambda v, db: documents.issue_for_payout(v, db, payout_id=1, now=NOW),
    "reissue_document": lambda v, db: documents.reissue_document(v, db, document_id=1, now=NOW),
    "credit_notes_for_export": lambda v, db: documents.credit_notes_for_export(
        v, db, payout_ids=[1]
    ),
    "resend": lambda v, db: outbox.resend(v, db, message_id=1),
}
SYSTEM_ONLY: dict[str, Callable[[Viewer, Databases], object]] = {
    "sync_ledger": lambda v, db: ledger.sync_ledger(v, db),
    "refresh_orders": lambda v, db: ledger.refresh_orders(v, db, order_ids=[1003], now=NOW),
    "claim_due": lambda v, db: outbox.claim_due(v, db, now=NOW),
    "start_run": lambda v, db: job_runs.start_run(v, db, task="send-outbox", now=NOW),
}


def _written(db: Databases) -> tuple[int, ...]:
    with db.portal.connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (audit_log, commission_rates, job_runs_table)
        )


@pytest.mark.parametrize("name", sorted(STAFF_ONLY))
def test_a_partner_calling_staff_work_gets_scope_error_and_nothing_changes(
    world: Databases, name: str
) -> None:
    before = _written(world)
    with pytest.raises(ScopeError):
        STAFF_ONLY[name](PARTNER, world)
    assert _written(world) == before


@pytest.mark.parametrize("name", sorted(SYSTEM_ONLY))
def test_system_work_refuses_a_partner_and_staff_viewing_as_one(
    world: Databases, name: str
) -> None:
    before = _written(world)
    for viewer in (PARTNER, STAFF_AS_PARTNER):
        with pytest.raises(ScopeError):
            SYSTEM_ONLY[name](viewer, world)
    assert _written(world) == before
