"""Two-factor login on every backend, on a fixed clock: enrolment, the login step (window,
reuse, lockout), recovery codes, turning it off, and the staff reset with its audit row."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import Databases
from core.validation import InvalidInput
from data.access import totp
from data.access.totp import CodeOutcome
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import audit_log, recovery_codes
from data.portal_schema import totp as totp_table
from tests.support.two_factor import add_staff, code_for, enrol, stored_secret
from tests.support.worlds import build_world

NOW = datetime(2026, 11, 25, 9, 0, 10)
STEP = timedelta(seconds=30)
ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def test_enrolment_needs_a_first_correct_code(db: Databases) -> None:
    started = totp.start_enrollment(ALPHA, db, now=NOW)
    assert started.uri.startswith("otpauth://totp/") and "alpha" in started.uri
    # The secret is stored sealed, never as typed.
    with db.portal.connect() as conn:
        sealed = conn.execute(select(totp_table.c.secret)).scalar_one()
    assert started.secret not in sealed and stored_secret(db, 10) == started.secret
    assert not totp.is_enabled(db, user_id=10)
    with pytest.raises(InvalidInput) as wrong:
        totp.confirm_enrollment(ALPHA, db, code="000000", now=NOW)
    assert wrong.value.key == "totp.code_wrong"
    fresh = totp.confirm_enrollment(ALPHA, db, code=code_for(db, 10, NOW), now=NOW)
    assert len(set(fresh)) == 10
    assert totp.is_enabled(db, user_id=10)
    assert totp.status(ALPHA, db) == totp.TwoFactorStatus(enabled=True, recovery_left=10)
    with db.portal.connect() as conn:
        hashes = conn.execute(select(recovery_codes.c.code_hash)).scalars().all()
    assert len(hashes) == 10 and not set(fresh) & set(hashes)
    with pytest.raises(InvalidInput):
        totp.start_enrollment(ALPHA, db, now=NOW)


def test_login_step_window_and_reuse(db: Databases) -> None:
    enrol(db, ALPHA, at=NOW - 4 * STEP)
    assert totp.login_step(db, user_id=10, code="", now=NOW).outcome is CodeOutcome.EMPTY
    # The previous step's code (the phone 30 s behind) is accepted ...
    late = code_for(db, 10, NOW - STEP)
    assert totp.login_step(db, user_id=10, code=late, now=NOW).outcome is CodeOutcome.OK
    # ... but never twice, and no older code after it.
    assert totp.login_step(db, user_id=10, code=late, now=NOW).outcome is CodeOutcome.INVALID
    older = code_for(db, 10, NOW - 2 * STEP)
    assert totp.login_step(db, user_id=10, code=older, now=NOW - STEP).outcome is (
        CodeOutcome.INVALID
    )
    # The next step's code (the phone ahead) works; two steps ahead does not.
    ahead = code_for(db, 10, NOW + STEP)
    assert totp.login_step(db, user_id=10, code=ahead, now=NOW).outcome is CodeOutcome.OK
    far = code_for(db, 10, NOW + 3 * STEP)
    assert totp.login_step(db, user_id=10, code=far, now=NOW).outcome is CodeOutcome.INVALID


def test_five_wrong_codes_lock_for_fifteen_minutes(db: Databases) -> None:
    enrol(db, ALPHA, at=NOW - 10 * STEP)
    results = [totp.login_step(db, user_id=10, code="000000", now=NOW) for _ in range(5)]
    assert [r.outcome for r in results[:4]] == [CodeOutcome.INVALID] * 4
    assert results[4].outcome is CodeOutcome.LOCKED
    assert results[4].locked_until == NOW + timedelta(minutes=15)
    # Locked: even the right code is refused ...
    later = NOW + timedelta(minutes=14)
    right = code_for(db, 10, later)
    assert totp.login_step(db, user_id=10, code=right, now=later).outcome is CodeOutcome.LOCKED
    # ... and after the lock it works again.
    after = NOW + timedelta(minutes=16)
    assert (
        totp.login_step(db, user_id=10, code=code_for(db, 10, after), now=after).outcome
        is CodeOutcome.OK
    )
    with db.portal.connect() as conn:
        actions = conn.execute(select(audit_log.c.action)).scalars().all()
    assert actions.count("login_totp_failed") == 4 and "login_totp_locked" in actions


def test_a_user_without_2fa_has_no_code_step(db: Databases) -> None:
    assert not totp.is_enabled(db, user_id=20)
    assert totp.login_step(db, user_id=20, code="123456", now=NOW).outcome is (CodeOutcome.INVALID)


def test_recovery_codes_are_single_use(db: Databases) -> None:
    fresh = enrol(db, ALPHA, at=NOW)
    first = totp.login_step(db, user_id=10, code=fresh[0].upper(), now=NOW)
    assert first == totp.CodeResult(CodeOutcome.RECOVERY, recovery_left=9)
    again = totp.login_step(db, user_id=10, code=fresh[0], now=NOW)
    assert again.outcome is CodeOutcome.INVALID
    # Another user's codes do not open this account.
    other = enrol(db, BETA, at=NOW)
    assert totp.login_step(db, user_id=10, code=other[0], now=NOW).outcome is (CodeOutcome.INVALID)
    assert totp.status(ALPHA, db).recovery_left == 9


def test_a_partner_turns_it_off_with_a_code_staff_cannot(db: Databases) -> None:
    enrol(db, ALPHA, at=NOW - 4 * STEP)
    with pytest.raises(InvalidInput):
        totp.disable(ALPHA, db, code="000000", now=NOW)
    assert totp.is_enabled(db, user_id=10)
    totp.disable(ALPHA, db, code=code_for(db, 10, NOW), now=NOW)
    assert not totp.is_enabled(db, user_id=10)
    assert totp.status(ALPHA, db) == totp.TwoFactorStatus(enabled=False, recovery_left=0)
    enrol(db, STAFF, at=NOW)
    with pytest.raises(ScopeError) as refused:
        totp.disable(STAFF, db, code=code_for(db, 30, NOW + STEP), now=NOW + STEP)
    assert refused.value.key == "totp.staff_cannot_disable"


def test_staff_reset_with_audit_never_their_own(db: Databases) -> None:
    enrol(db, ALPHA, at=NOW)
    enrol(db, STAFF, at=NOW)
    other = add_staff(db)
    assert totp.accounts_with_2fa(STAFF, db, partner_id=1) == [(10, "Alpha Team (alpha)")]
    # The staff list leaves out the viewer's own account.
    assert totp.accounts_with_2fa(STAFF, db, partner_id=None) == []
    assert totp.accounts_with_2fa(other, db, partner_id=None) == [(30, "Miomente Staff (staff)")]
    assert totp.reset(STAFF, db, user_id=10, now=NOW) is True
    assert not totp.is_enabled(db, user_id=10)
    with pytest.raises(ScopeError) as own:
        totp.reset(STAFF, db, user_id=30, now=NOW)
    assert own.value.key == "totp.reset_own"
    assert totp.is_enabled(db, user_id=30)
    assert totp.reset(other, db, user_id=30, now=NOW) is True
    assert not totp.is_enabled(db, user_id=30)
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.user_id, audit_log.c.entity_id, audit_log.c.partner_id).where(
                audit_log.c.action == "totp_reset"
            )
        ).all()
    assert sorted((r.user_id, str(r.entity_id), r.partner_id) for r in rows) == [
        (30, "10", 1),
        (31, "30", None),
    ]


def test_a_partner_cannot_reset_or_list(db: Databases) -> None:
    enrol(db, BETA, at=NOW)
    with pytest.raises(ScopeError):
        totp.reset(ALPHA, db, user_id=20, now=NOW)
    with pytest.raises(ScopeError):
        totp.accounts_with_2fa(ALPHA, db, partner_id=2)
    assert totp.is_enabled(db, user_id=20)
