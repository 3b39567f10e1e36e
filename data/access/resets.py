"""Password reset by a link that staff send: single use, valid for RESET_VALID, mailed through
the outbox (template `password_reset`).

Only the link's token opens the form; the table keeps its SHA-256. Setting the new password
uses the link up, ends every session of the account and lifts a lockout. A newer link
replaces an older unused one, so only the last mail works.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from core import links
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput
from data.access import sessions
from data.access.users import check_new_password, hash_password
from data.access.viewer import Viewer
from data.comms.outbox import CHANNEL_EMAIL, queue_message
from data.ops import audit
from data.portal_schema import password_resets, users

RESET_VALID = timedelta(hours=24)
TEMPLATE = "password_reset"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def send_reset_link(
    viewer: Viewer, db: Databases, *, user_id: int, now: datetime | None = None
) -> str:
    """Staff: mail the user a new reset link (queued in the outbox); returns the address."""
    viewer.require_staff("access.staff_only")
    now = now or now_utc()
    token = sessions.new_token()
    with db.portal.begin() as conn:
        user = conn.execute(
            select(users).where(users.c.user_id == user_id, users.c.active.is_(True))
        ).first()
        if user is None:
            raise InvalidInput("password.reset_no_user")
        conn.execute(
            delete(password_resets).where(
                password_resets.c.user_id == user_id, password_resets.c.used_at.is_(None)
            )
        )
        conn.execute(
            password_resets.insert().values(
                token_hash=_hash(token),
                user_id=user_id,
                created_by=viewer.user_id,
                created_at=now,
                expires_at=now + RESET_VALID,
            )
        )
        queue_message(
            conn,
            channel=CHANNEL_EMAIL,
            template=TEMPLATE,
            recipient=user.email,
            recipient_name=user.display_name,
            locale=user.locale,
            payload={
                "contact_name": user.display_name,
                "username": user.username,
                "reset_url": links.password_reset_url(token),
                "valid_hours": int(RESET_VALID.total_seconds() // 3600),
            },
            dedupe_key=f"{TEMPLATE}:{_hash(token)[:32]}",
            partner_id=user.partner_id,
        )
        audit.record(conn, viewer, action="password_reset_sent", entity="user", entity_id=user_id)
    return str(user.email)


def _open_reset(conn: Connection, token: object, now: datetime):
    if not sessions.is_token(token):
        return None
    assert isinstance(token, str)
    return conn.execute(
        select(password_resets.c.token_hash, password_resets.c.user_id, users.c.username)
        .join(users, users.c.user_id == password_resets.c.user_id)
        .where(
            password_resets.c.token_hash == _hash(token),
            password_resets.c.used_at.is_(None),
            password_resets.c.expires_at > now,
            users.c.active.is_(True),
        )
    ).first()


def reset_link_valid(db: Databases, *, token: object, now: datetime | None = None) -> bool:
    """Whether the link still opens the form (unused, not expired, the account active)."""
    with db.portal.connect() as conn:
        return _open_reset(conn, token, now or now_utc()) is not None


def reset_password(
    db: Databases, *, token: object, new: str, repeated: str, now: datetime | None = None
) -> None:
    """Set the new password through the link; uses the link up and ends every session."""
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = _open_reset(conn, token, now)
        if row is None:
            raise InvalidInput("password.reset_invalid")
        if new != repeated:
            raise InvalidInput("password.mismatch")
        check_new_password(new, username=row.username)
        used = conn.execute(
            update(password_resets)
            .where(
                password_resets.c.token_hash == row.token_hash, password_resets.c.used_at.is_(None)
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # a second tab with the same link was quicker
            raise InvalidInput("password.reset_invalid")
        conn.execute(
            update(users)
            .where(users.c.user_id == row.user_id)
            .values(password_hash=hash_password(new), failed_attempts=0, locked_until=None)
        )
        sessions.revoke_sessions(conn, user_id=row.user_id)
        audit.record(
            conn, row.user_id, action="password_reset", entity="user", entity_id=row.user_id
        )
