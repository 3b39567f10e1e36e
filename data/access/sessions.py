"""Login sessions kept in the portal database, so that every one of them can be ended.

The browser's cookie holds a random id (`new_token`); the table holds only its SHA-256. A
session ends when its row goes: at logout, "überall abmelden", a password change, or when it
was idle or alive too long. A copied cookie replayed after that finds no row and logs nobody
in. A deactivated user's sessions end at their next use.

Before the login there is no viewer: the cookie's id is the only credential, so `start`,
`resume` and `end` take the token, not a viewer (tests/access/test_scope.py lists them).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from core.clock import now_utc
from core.db import Databases
from data.access.viewer import Viewer
from data.ops import audit
from data.portal_schema import sessions, users

# 32 random bytes, URL-safe base64 without padding: exactly 43 characters.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# `last_seen_at` is written at most this often, not on every click of every user.
_TOUCH_EVERY = timedelta(minutes=1)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_token(token: object) -> bool:
    """Only our own ids reach the database; a forged JWT, `alg: none` or garbage does not."""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def start_session(
    db: Databases, *, user_id: int, lifetime: timedelta, now: datetime | None = None
) -> str:
    """After a correct password: a new session; returns the token for the cookie."""
    now = now or now_utc()
    token = new_token()
    with db.portal.begin() as conn:
        conn.execute(
            insert(sessions).values(
                token_hash=_hash(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
    return token


def resume_session(
    db: Databases, *, token: object, idle: timedelta, now: datetime | None = None
) -> int | None:
    """The user id of a live session, or None (unknown, ended, idle too long, too old, or the
    user was deactivated)."""
    if not is_token(token):
        return None
    assert isinstance(token, str)
    now = now or now_utc()
    key = _hash(token)
    with db.portal.begin() as conn:
        row = conn.execute(
            select(sessions, users.c.active)
            .join(users, users.c.user_id == sessions.c.user_id)
            .where(sessions.c.token_hash == key)
        ).first()
        if row is None:
            return None
        if not row.active or row.expires_at <= now or row.last_seen_at + idle <= now:
            conn.execute(delete(sessions).where(sessions.c.token_hash == key))
            return None
        if now - row.last_seen_at >= _TOUCH_EVERY:
            conn.execute(
                update(sessions).where(sessions.c.token_hash == key).values(last_seen_at=now)
            )
        return int(row.user_id)


def end_session(db: Databases, *, token: object) -> None:
    """Logout: this browser's session ends; its cookie is worthless from now on."""
    if not is_token(token):
        return
    assert isinstance(token, str)
    with db.portal.begin() as conn:
        user_id = conn.execute(
            delete(sessions)
            .where(sessions.c.token_hash == _hash(token))
            .returning(sessions.c.user_id)
        ).scalar()
        if user_id is not None:
            audit.record(conn, int(user_id), action="logout", entity="user", entity_id=user_id)


def revoke_sessions(conn: Connection, *, user_id: int, keep_token: str | None = None) -> int:
    """In the caller's transaction: end the user's sessions, except `keep_token`'s."""
    query = delete(sessions).where(sessions.c.user_id == user_id)
    if is_token(keep_token):
        assert isinstance(keep_token, str)
        query = query.where(sessions.c.token_hash != _hash(keep_token))
    return int(conn.execute(query).rowcount or 0)


def end_all_sessions(viewer: Viewer, db: Databases) -> int:
    """ "Überall abmelden": every session of the viewer's own account ends, this one too."""
    with db.portal.begin() as conn:
        ended = revoke_sessions(conn, user_id=viewer.user_id)
        audit.record(
            conn,
            viewer,
            action="logout_everywhere",
            entity="user",
            entity_id=viewer.user_id,
            details={"sessions": ended},
        )
    return ended


def count_sessions(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """How many unexpired sessions the viewer's own account has (shown under Einstellungen)."""
    now = now or now_utc()
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(sessions.c.token_hash).where(
                sessions.c.user_id == viewer.user_id, sessions.c.expires_at > now
            )
        ).all()
    return len(rows)
