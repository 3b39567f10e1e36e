"""Password reset by a staff-sent link: single use, expiring, ends every session."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.db import Databases
from core.validation import InvalidInput
from data.access.resets import RESET_VALID, reset_link_valid, reset_password, send_reset_link
from data.access.sessions import resume_session, start_session
from data.access.users import LoginOutcome, authenticate
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import outbox, password_resets, users
from tests.support.worlds import PASSWORD, build_world

NOW = datetime(2026, 11, 25, 9, 0)
STAFF = Viewer(user_id=30, role="staff")
ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
NEW = "Kochen-mit-2-Löffeln"


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def _mailed_token(db: Databases) -> str:
    with db.portal.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.template == "password_reset")
            .order_by(outbox.c.message_id.desc())
        ).scalar()
    match = re.search(r"\?passwort=([A-Za-z0-9_-]+)$", payload["reset_url"])
    assert match, payload
    return match.group(1)


def test_the_link_sets_a_new_password_once_and_ends_every_session(db: Databases) -> None:
    session = start_session(db, user_id=10, lifetime=timedelta(days=7), now=NOW)
    assert "@" in send_reset_link(STAFF, db, user_id=10, now=NOW)
    token = _mailed_token(db)
    with db.portal.connect() as conn:  # only the hash is stored
        assert token not in conn.execute(select(password_resets.c.token_hash)).scalar()
    assert reset_link_valid(db, token=token, now=NOW)
    reset_password(db, token=token, new=NEW, repeated=NEW, now=NOW + timedelta(hours=1))
    assert resume_session(db, token=session, idle=timedelta(hours=8), now=NOW) is None
    assert authenticate(db, username="alpha", password=NEW).outcome is LoginOutcome.OK
    with pytest.raises(InvalidInput) as again:  # single use
        reset_password(db, token=token, new="Anders-und-2", repeated="Anders-und-2", now=NOW)
    assert again.value.key == "password.reset_invalid"
    assert authenticate(db, username="alpha", password=NEW).outcome is LoginOutcome.OK


def test_an_expired_or_replaced_link_does_nothing(db: Databases) -> None:
    send_reset_link(STAFF, db, user_id=10, now=NOW)
    old = _mailed_token(db)
    send_reset_link(STAFF, db, user_id=10, now=NOW)
    newer = _mailed_token(db)
    assert not reset_link_valid(db, token=old, now=NOW)  # the newer mail replaces it
    assert not reset_link_valid(db, token=newer, now=NOW + RESET_VALID)
    with pytest.raises(InvalidInput):
        reset_password(db, token=newer, new=NEW, repeated=NEW, now=NOW + RESET_VALID)
    assert authenticate(db, username="alpha", password=PASSWORD).outcome is LoginOutcome.OK


@pytest.mark.parametrize("token", ["", "x" * 43, "ä", None, "a" * 5000])
def test_a_made_up_link_is_refused(db: Databases, token: object) -> None:
    assert not reset_link_valid(db, token=token, now=NOW)
    with pytest.raises(InvalidInput):
        reset_password(db, token=token, new=NEW, repeated=NEW, now=NOW)


def test_a_weak_password_keeps_the_link_usable(db: Databases) -> None:
    send_reset_link(STAFF, db, user_id=10, now=NOW)
    token = _mailed_token(db)
    with pytest.raises(InvalidInput) as weak:
        reset_password(db, token=token, new="kurz", repeated="kurz", now=NOW)
    assert weak.value.key == "password.too_short"
    assert reset_link_valid(db, token=token, now=NOW)


def test_only_staff_send_links_and_only_to_active_accounts(db: Databases) -> None:
    with pytest.raises(ScopeError):
        send_reset_link(ALPHA, db, user_id=10, now=NOW)
    with db.portal.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == 10).values(active=False))
    with pytest.raises(InvalidInput):
        send_reset_link(STAFF, db, user_id=10, now=NOW)
