"""Server-side login sessions: what a copied cookie can still do after each way a session ends."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from core.db import Databases
from core.validation import InvalidInput
from data.access.sessions import (
    count_sessions,
    end_all_sessions,
    end_session,
    resume_session,
    start_session,
)
from data.access.users import authenticate, change_password, check_new_password
from data.access.viewer import Viewer
from data.portal_schema import sessions, users
from tests.support.worlds import PASSWORD, build_world

NOW = datetime(2026, 11, 25, 9, 0)
IDLE, LIFETIME = timedelta(hours=8), timedelta(days=7)
ALPHA_ID = 10
ALPHA = Viewer(user_id=ALPHA_ID, role="partner", partner_id=1)


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def _login(db: Databases, *, now: datetime = NOW) -> str:
    return start_session(db, user_id=ALPHA_ID, lifetime=LIFETIME, now=now)


def _resume(db: Databases, token: object, *, now: datetime = NOW) -> int | None:
    return resume_session(db, token=token, idle=IDLE, now=now)


def test_a_session_resumes_and_only_its_hash_is_stored(db: Databases) -> None:
    token = _login(db)
    assert _resume(db, token, now=NOW + timedelta(hours=1)) == ALPHA_ID
    with db.portal.connect() as conn:
        stored = conn.execute(select(sessions.c.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def test_a_cookie_replayed_after_logout_opens_nothing(db: Databases) -> None:
    token = _login(db)
    other = _login(db)
    end_session(db, token=token)
    assert _resume(db, token) is None
    assert _resume(db, other) == ALPHA_ID  # logout ends this browser's session only


def test_logout_everywhere_ends_every_session_of_the_account(db: Databases) -> None:
    first, second = _login(db), _login(db)
    beta = start_session(db, user_id=20, lifetime=LIFETIME, now=NOW)
    assert count_sessions(ALPHA, db, now=NOW) == 2
    assert end_all_sessions(ALPHA, db) == 2
    assert _resume(db, first) is None and _resume(db, second) is None
    assert _resume(db, beta) == 20  # another user's login is untouched


def test_idle_and_absolute_limits_end_a_session(db: Databases) -> None:
    idle = _login(db)
    assert _resume(db, idle, now=NOW + IDLE + timedelta(seconds=1)) is None
    # A session used every few hours still ends at its absolute lifetime.
    busy = _login(db)
    moment = NOW
    while moment + timedelta(hours=4) < NOW + LIFETIME:
        moment += timedelta(hours=4)
        assert _resume(db, busy, now=moment) == ALPHA_ID
    assert _resume(db, busy, now=NOW + LIFETIME) is None
    assert _resume(db, busy, now=moment) is None  # ended for good, not only at that instant


def _jwt(header: dict, payload: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


@pytest.mark.parametrize(
    "cookie",
    [
        _jwt({"alg": "none", "typ": "JWT"}, {"username": "alpha", "exp_date": 4e9}),
        _jwt({"alg": "HS256"}, {"username": "staff", "exp_date": 4e9}) + "c2lnbmF0dXJl",
        "",
        "x" * 43,
        "ä" * 43,
        "'; DROP TABLE miomente_sessions; --",
        "a" * 10_000,
        None,
        123,
    ],
    ids=[
        "alg-none",
        "forged-hs256",
        "empty",
        "unknown-id",
        "non-ascii",
        "sql",
        "long",
        "none",
        "int",
    ],
)
def test_a_forged_or_malformed_cookie_is_no_session(db: Databases, cookie: object) -> None:
    _login(db)
    assert _resume(db, cookie) is None
    end_session(db, token=cookie)  # a logout with garbage neither fails nor ends anything
    assert count_sessions(ALPHA, db, now=NOW) == 1


def test_a_password_change_ends_the_other_sessions_not_this_one(db: Databases) -> None:
    here, stolen = _login(db), _login(db)
    new = "Kochen-mit-2-Löffeln"
    assert change_password(ALPHA, db, current=PASSWORD, new=new, repeated=new, keep_token=here) == 1
    assert _resume(db, stolen) is None
    assert _resume(db, here) == ALPHA_ID
    assert authenticate(db, username="alpha", password=new, now=NOW).user is not None
    assert authenticate(db, username="alpha", password=PASSWORD, now=NOW).user is None


@pytest.mark.parametrize(
    ("current", "new", "repeated", "key"),
    [
        ("falsch", "Kochen-mit-2", "Kochen-mit-2", "password.current_wrong"),
        (PASSWORD, "Kochen-mit-2", "Kochen-mit-3", "password.mismatch"),
        (PASSWORD, "kurz-1", "kurz-1", "password.too_short"),
        (PASSWORD, "alpha-12345", "alpha-12345", "password.contains_username"),
        (PASSWORD, "kochenundbacken", "kochenundbacken", "password.one_class"),
        (PASSWORD, "1234567890123", "1234567890123", "password.one_class"),
        (PASSWORD, "ä1" * 40, "ä1" * 40, "password.too_long"),
    ],
    ids=["wrong-current", "mismatch", "short", "username", "letters-only", "digits-only", "long"],
)
def test_a_refused_password_change_changes_nothing(
    db: Databases, current: str, new: str, repeated: str, key: str
) -> None:
    other = _login(db)
    with db.portal.connect() as conn:
        before = conn.execute(select(users.c.password_hash).where(users.c.user_id == 10)).scalar()
    with pytest.raises(InvalidInput) as refused:
        change_password(ALPHA, db, current=current, new=new, repeated=repeated)
    assert refused.value.key == key
    with db.portal.connect() as conn:
        after = conn.execute(select(users.c.password_hash).where(users.c.user_id == 10)).scalar()
    assert after == before
    assert _resume(db, other) == ALPHA_ID


def test_a_deactivated_users_session_ends(db: Databases) -> None:
    token = _login(db)
    with db.portal.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == ALPHA_ID).values(active=False))
    assert _resume(db, token) is None
    with db.portal.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == ALPHA_ID).values(active=True))
    assert _resume(db, token) is None  # ended, not merely suspended


def test_the_strength_check_accepts_a_decent_password() -> None:
    check_new_password("Sommer-Kochkurs-2027", username="alpha")
