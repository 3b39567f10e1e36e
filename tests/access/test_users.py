"""Login with lockout, on every backend."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import Databases
from data.access.users import LoginOutcome, authenticate, load_user
from data.portal_schema import audit_log, users
from tests.support.worlds import PASSWORD, build_world

NOW = datetime(2026, 11, 25, 9, 0)


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def test_right_password_logs_in_with_role_and_partner(db: Databases) -> None:
    result = authenticate(db, username=" ALPHA ", password=PASSWORD, now=NOW)
    assert result.outcome is LoginOutcome.OK
    assert result.user.viewer.partner_id == 1 and result.user.partner_name == "Kochschule Alpha"
    staff = authenticate(db, username="staff", password=PASSWORD, now=NOW).user
    assert staff.viewer.sees_all


def test_five_wrong_passwords_lock_for_fifteen_minutes(db: Databases) -> None:
    outcomes = [authenticate(db, username="alpha", password="nein", now=NOW) for _ in range(5)]
    assert [o.outcome for o in outcomes[:4]] == [LoginOutcome.INVALID] * 4
    assert outcomes[4].outcome is LoginOutcome.LOCKED
    assert outcomes[4].locked_until == NOW + timedelta(minutes=15)
    # Locked: even the right password is refused, and a cookie no longer restores the user.
    later = NOW + timedelta(minutes=14)
    assert (
        authenticate(db, username="alpha", password=PASSWORD, now=later).outcome
        is LoginOutcome.LOCKED
    )
    # After the lock: the right password works and the count starts afresh.
    after = NOW + timedelta(minutes=16)
    assert (
        authenticate(db, username="alpha", password=PASSWORD, now=after).outcome is LoginOutcome.OK
    )


def test_lock_is_shown_to_the_cookie_too(db: Databases) -> None:
    for _ in range(5):
        authenticate(db, username="beta", password="nein")
    assert load_user(db, username="beta") is None
    assert load_user(db, username="alpha") is not None


def test_a_success_resets_the_count(db: Databases) -> None:
    for _ in range(4):
        authenticate(db, username="alpha", password="nein", now=NOW)
    assert authenticate(db, username="alpha", password=PASSWORD, now=NOW).outcome is LoginOutcome.OK
    for _ in range(4):  # four more wrong ones after the success: not yet locked
        result = authenticate(db, username="alpha", password="nein", now=NOW)
    assert result.outcome is LoginOutcome.INVALID


@pytest.mark.parametrize(
    ("username", "password", "outcome"),
    [
        ("", "x", LoginOutcome.EMPTY),
        ("alpha", "", LoginOutcome.EMPTY),
        ("a" * 10_000, "x", LoginOutcome.TOO_LONG),
        ("alpha", "ä" * 10_000, LoginOutcome.TOO_LONG),
        ("alpha", "ä" * 80, LoginOutcome.INVALID),  # > 72 bytes: bcrypt's limit, still no crash
        ("' OR 1=1 --", "' OR 1=1 --", LoginOutcome.INVALID),
        ("niemand", PASSWORD, LoginOutcome.INVALID),
    ],
)
def test_bad_input_changes_nothing_it_should_not(
    db: Databases, username: str, password: str, outcome: LoginOutcome
) -> None:
    assert authenticate(db, username=username, password=password, now=NOW).outcome is outcome
    with db.portal.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar() == 3


def test_a_wrong_password_reads_exactly_like_an_unknown_username(db: Databases) -> None:
    """Nothing in the answer tells a guesser whether the name exists (no attempts left)."""
    for attempt in range(4):
        wrong = authenticate(db, username="alpha", password="nein", now=NOW)
        unknown = authenticate(db, username="niemand", password="nein", now=NOW)
        assert wrong == unknown, attempt


def test_logins_and_failures_are_audited(db: Databases) -> None:
    authenticate(db, username="alpha", password="nein", now=NOW)
    authenticate(db, username="alpha", password=PASSWORD, now=NOW)
    with db.portal.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.audit_id)).scalars()
        assert list(actions) == ["login_failed", "login"]
