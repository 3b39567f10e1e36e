"""Portal users: login with lockout, the viewer a user becomes, per-user preferences.

Login happens before there is a viewer, so `authenticate` and `load_user` are the data
layer's only functions without one (tests/test_scope.py lists them explicitly).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import Connection, select, update

from core.clock import now_utc
from core.db import Databases
from core.i18n import LOCALES
from core.validation import InvalidInput
from data.access import sessions
from data.access.permissions import role_permissions
from data.access.viewer import Viewer
from data.ops import audit
from data.portal_schema import ROLE_PARTNER, partners, users

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
# Longer input is refused before any lookup: no real username is this long, and bcrypt only
# reads 72 bytes of a password anyway.
MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 200
# A hash of a random string: checked against when the username is unknown, so that the
# response time does not reveal which usernames exist.
_DUMMY_HASH = b"$2b$12$CwTycUXWue0Thq9StjUM0uJ8.GdWrFTrzHpa1zHpEpZ8BcHdVFMsm"


class LoginOutcome(enum.Enum):
    OK = "ok"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class User:
    user_id: int
    username: str
    display_name: str
    email: str
    role: str
    partner_id: int | None
    partner_name: str | None
    locale: str
    # The partner user's role in its team (data/access/permissions.py); None: owner or staff.
    member_role: str | None = None

    @property
    def viewer(self) -> Viewer:
        """The user's scope and, for a team member, what the role allows."""
        permissions = role_permissions(self.member_role) if self.role == ROLE_PARTNER else None
        return Viewer(
            user_id=self.user_id,
            role=self.role,
            partner_id=self.partner_id,
            permissions=permissions,
        )


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime | None = None  # naive UTC


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def _password_matches(password: str, password_hash: bytes) -> bool:
    raw = password.encode("utf-8")
    if len(raw) > 72:  # bcrypt 5 refuses these; no stored password can be that long
        bcrypt.checkpw(b"x", password_hash)
        return False
    return bcrypt.checkpw(raw, password_hash)


def _user_query():
    return select(
        users.c.user_id,
        users.c.username,
        users.c.display_name,
        users.c.email,
        users.c.role,
        users.c.partner_id,
        partners.c.name.label("partner_name"),
        users.c.locale,
        users.c.member_role,
    ).select_from(users.outerjoin(partners, partners.c.partner_id == users.c.partner_id))


def load_user(
    db: Databases, *, user_id: int | None = None, username: str | None = None
) -> User | None:
    """An active, unlocked user by id or username (for re-authentication from the cookie)."""
    query = _user_query().where(users.c.active.is_(True))
    if user_id is not None:
        query = query.where(users.c.user_id == user_id)
    elif username is not None:
        query = query.where(users.c.username == username.strip().lower())
    else:
        return None
    now = now_utc()
    query = query.where((users.c.locked_until.is_(None)) | (users.c.locked_until <= now))
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    return User(**row) if row else None


def _audit(conn: Connection, *, user_id: int | None, action: str) -> None:
    audit.record(conn, user_id, action=action, entity="user", entity_id=user_id or None)


def authenticate(
    db: Databases, *, username: str, password: str, now: datetime | None = None
) -> LoginResult:
    """Check a login. Wrong passwords count; the fifth in a row locks the account for 15 min."""
    username = (username or "").strip().lower()
    password = password or ""
    if not username or not password:
        return LoginResult(LoginOutcome.EMPTY)
    if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return LoginResult(LoginOutcome.TOO_LONG)
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(
                users.c.user_id,
                users.c.password_hash,
                users.c.failed_attempts,
                users.c.locked_until,
            )
            .where(users.c.username == username, users.c.active.is_(True))
            .with_for_update()
        ).first()
        if row is None:
            _password_matches(password, _DUMMY_HASH)
            return LoginResult(LoginOutcome.INVALID)
        if row.locked_until is not None and row.locked_until > now:
            return LoginResult(LoginOutcome.LOCKED, locked_until=row.locked_until)
        # An expired lock starts a fresh count.
        failed = 0 if row.locked_until is not None else row.failed_attempts
        if _password_matches(password, row.password_hash.encode("ascii")):
            conn.execute(
                update(users)
                .where(users.c.user_id == row.user_id)
                .values(failed_attempts=0, locked_until=None, last_login_at=now)
            )
            _audit(conn, user_id=row.user_id, action="login")
            user = (
                conn.execute(_user_query().where(users.c.user_id == row.user_id)).mappings().one()
            )
            return LoginResult(LoginOutcome.OK, user=User(**user))
        failed += 1
        if failed >= MAX_FAILED_ATTEMPTS:
            locked_until = now + LOCKOUT
            conn.execute(
                update(users)
                .where(users.c.user_id == row.user_id)
                .values(failed_attempts=0, locked_until=locked_until)
            )
            _audit(conn, user_id=row.user_id, action="login_locked")
            return LoginResult(LoginOutcome.LOCKED, locked_until=locked_until)
        conn.execute(
            update(users)
            .where(users.c.user_id == row.user_id)
            .values(failed_attempts=failed, locked_until=None)
        )
        _audit(conn, user_id=row.user_id, action="login_failed")
        # The same result as for an unknown username: no count of attempts left, which would
        # tell a guesser that the name exists.
        return LoginResult(LoginOutcome.INVALID)


def set_locale(viewer: Viewer, db: Databases, *, locale: str) -> None:
    """Remember the viewer's language; it follows the user to the next login."""
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    with db.portal.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == viewer.user_id).values(locale=locale))


MIN_PASSWORD_LENGTH = 10


def check_new_password(password: str, *, username: str) -> None:
    """Refuse a weak new password with the reason (locale keys password.*)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password.too_short", n=MIN_PASSWORD_LENGTH)
    if len(password.encode("utf-8")) > 72:  # bcrypt reads no further
        raise InvalidInput("password.too_long", n=72)
    if username and username.lower() in password.lower():
        raise InvalidInput("password.contains_username")
    classes = (str.isalpha, str.isdigit, lambda c: not c.isalnum())
    if sum(any(test(c) for c in password) for test in classes) < 2:
        raise InvalidInput("password.one_class")


def change_password(
    viewer: Viewer,
    db: Databases,
    *,
    current: str,
    new: str,
    repeated: str,
    keep_token: str | None = None,
) -> int:
    """The viewer's own password; ends every other session (a stolen cookie among them).

    Returns how many other sessions ended. `keep_token` is this browser's session, which
    stays logged in.
    """
    with db.portal.begin() as conn:
        row = conn.execute(
            select(users.c.username, users.c.password_hash)
            .where(users.c.user_id == viewer.user_id, users.c.active.is_(True))
            .with_for_update()
        ).first()
        if row is None:
            raise InvalidInput("password.current_wrong")
        if len(current) > MAX_PASSWORD_LENGTH or not _password_matches(
            current, row.password_hash.encode("ascii")
        ):
            raise InvalidInput("password.current_wrong")
        if new != repeated:
            raise InvalidInput("password.mismatch")
        check_new_password(new, username=row.username)
        if new == current:
            raise InvalidInput("password.unchanged")
        conn.execute(
            update(users)
            .where(users.c.user_id == viewer.user_id)
            .values(password_hash=hash_password(new), failed_attempts=0, locked_until=None)
        )
        ended = sessions.revoke_sessions(conn, user_id=viewer.user_id, keep_token=keep_token)
        _audit(conn, user_id=viewer.user_id, action="password_changed")
    return ended


def account_list(viewer: Viewer, db: Databases, *, partner_id: int) -> list[tuple[int, str]]:
    """Staff: a partner's active logins as (user id, "Name (username)"), for the reset link."""
    viewer.require_staff("access.staff_only")
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(users.c.user_id, users.c.display_name, users.c.username)
            .where(users.c.partner_id == partner_id, users.c.active.is_(True))
            .order_by(users.c.username)
        ).all()
    return [(int(r.user_id), f"{r.display_name} ({r.username})") for r in rows]
