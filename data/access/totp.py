"""Two-factor login with time-based codes (TOTP): enrolment, the login's second step,
single-use recovery codes, and the staff reset.

Who: a user enrols their own account (the viewer's); only staff reset someone's second factor,
never their own (a staff member's is reset by another staff member), and every reset leaves an
audit row. The login's second step runs after the password and before the server-side session
exists, so `login_step` and `is_enabled` take the user id the password check returned, not a
viewer (tests/access/test_scope.py lists them). Wrong codes count like wrong passwords: the
fifth in a row locks the second step for 15 minutes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from core import secretbox
from core import totp as codes
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput
from data.access.users import LOCKOUT, MAX_FAILED_ATTEMPTS
from data.access.viewer import ScopeError, Viewer
from data.ops import audit
from data.portal_schema import ROLE_STAFF, recovery_codes, totp, users

_PURPOSE = "totp-secret"


class CodeOutcome(enum.Enum):
    OK = "ok"
    RECOVERY = "recovery"  # signed in with a recovery code, now used up
    EMPTY = "empty"
    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True)
class CodeResult:
    outcome: CodeOutcome
    locked_until: datetime | None = None  # naive UTC
    recovery_left: int | None = None


@dataclass(frozen=True)
class Enrollment:
    """What the enrolment screen shows: the secret for typing, the otpauth URI for the QR."""

    secret: str
    uri: str


@dataclass(frozen=True)
class TwoFactorStatus:
    enabled: bool
    recovery_left: int


def _seal(secret: str, user_id: int) -> str:
    return secretbox.seal(secret, purpose=_PURPOSE, bound_to=str(user_id))


def _unseal(sealed: str, user_id: int) -> str:
    return secretbox.open_sealed(sealed, purpose=_PURPOSE, bound_to=str(user_id))


def _recovery_left(conn: Connection, user_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(recovery_codes)
            .where(recovery_codes.c.user_id == user_id, recovery_codes.c.used_at.is_(None))
        ).scalar_one()
    )


def _confirmed(conn: Connection, user_id: int):
    return conn.execute(
        select(totp).where(totp.c.user_id == user_id, totp.c.confirmed_at.is_not(None))
    ).first()


def is_enabled(db: Databases, *, user_id: int) -> bool:
    """Whether the login asks this user for a code (enrolment confirmed)."""
    with db.portal.connect() as conn:
        return _confirmed(conn, user_id) is not None


def status(viewer: Viewer, db: Databases) -> TwoFactorStatus:
    """The viewer's own account: 2FA on or off, and how many recovery codes are left."""
    with db.portal.connect() as conn:
        enabled = _confirmed(conn, viewer.user_id) is not None
        left = _recovery_left(conn, viewer.user_id) if enabled else 0
    return TwoFactorStatus(enabled=enabled, recovery_left=left)


def start_enrollment(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> Enrollment:
    """A fresh secret for the viewer's own account, not yet in force (the first correct code
    confirms it). A second start replaces an unconfirmed one; a confirmed one must be turned
    off (or reset by staff) first."""
    viewer.require_writer()
    now = now or now_utc()
    secret = codes.new_secret()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(totp.c.confirmed_at, users.c.username)
            .select_from(users.outerjoin(totp, totp.c.user_id == users.c.user_id))
            .where(users.c.user_id == viewer.user_id)
        ).first()
        if row is None:
            raise ScopeError()
        if row.confirmed_at is not None:
            raise InvalidInput("totp.already_enabled")
        conn.execute(delete(totp).where(totp.c.user_id == viewer.user_id))
        conn.execute(
            insert(totp).values(
                user_id=viewer.user_id, secret=_seal(secret, viewer.user_id), created_at=now
            )
        )
    return Enrollment(secret=secret, uri=codes.provisioning_uri(secret, account=row.username))


def confirm_enrollment(
    viewer: Viewer, db: Databases, *, code: str, now: datetime | None = None
) -> list[str]:
    """The first correct code turns 2FA on; returns the ten recovery codes (shown once)."""
    viewer.require_writer()
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(totp).where(totp.c.user_id == viewer.user_id).with_for_update()
        ).first()
        if row is None or row.confirmed_at is not None:
            raise InvalidInput("totp.no_enrollment")
        step = codes.matching_step(_unseal(row.secret, viewer.user_id), code, at=now)
        if step is None:
            raise InvalidInput("totp.code_wrong")
        conn.execute(
            update(totp)
            .where(totp.c.user_id == viewer.user_id)
            .values(confirmed_at=now, last_used_step=step, failed_attempts=0, locked_until=None)
        )
        fresh = _replace_recovery_codes(conn, viewer.user_id, now=now)
        audit.record(conn, viewer, action="totp_enabled", entity="user", entity_id=viewer.user_id)
    return fresh


def _replace_recovery_codes(conn: Connection, user_id: int, *, now: datetime) -> list[str]:
    fresh = codes.new_recovery_codes()
    conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
    conn.execute(
        insert(recovery_codes),
        [
            {"user_id": user_id, "code_hash": codes.recovery_hash(user_id, c), "created_at": now}
            for c in fresh
        ],
    )
    return fresh


def _check(conn: Connection, row, code: str, *, now: datetime) -> CodeOutcome:
    """A code against the row (already locked for update): a TOTP code of a step not used
    before, or an unused recovery code. Counts nothing."""
    user_id = int(row.user_id)
    if codes.looks_like_totp(code):
        step = codes.matching_step(_unseal(row.secret, user_id), code, at=now)
        if step is None or (row.last_used_step is not None and step <= row.last_used_step):
            return CodeOutcome.INVALID
        conn.execute(update(totp).where(totp.c.user_id == user_id).values(last_used_step=step))
        return CodeOutcome.OK
    if codes.looks_like_recovery(code):
        used = conn.execute(
            update(recovery_codes)
            .where(
                recovery_codes.c.user_id == user_id,
                recovery_codes.c.code_hash == codes.recovery_hash(user_id, code),
                recovery_codes.c.used_at.is_(None),
            )
            .values(used_at=now)
        ).rowcount
        return CodeOutcome.RECOVERY if used == 1 else CodeOutcome.INVALID
    return CodeOutcome.INVALID


def login_step(
    db: Databases, *, user_id: int, code: str, now: datetime | None = None
) -> CodeResult:
    """The login's second step, after a correct password: a current code or a recovery code.

    A code is good once (its step is remembered); the fifth wrong code in a row locks this
    step for 15 minutes, as the password does.
    """
    code = (code or "").strip()
    if not code:
        return CodeResult(CodeOutcome.EMPTY)
    if len(code) > 40:
        return CodeResult(CodeOutcome.INVALID)
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(totp)
            .where(totp.c.user_id == user_id, totp.c.confirmed_at.is_not(None))
            .with_for_update()
        ).first()
        if row is None:
            return CodeResult(CodeOutcome.INVALID)
        if row.locked_until is not None and row.locked_until > now:
            return CodeResult(CodeOutcome.LOCKED, locked_until=row.locked_until)
        failed = 0 if row.locked_until is not None else row.failed_attempts
        outcome = _check(conn, row, code, now=now)
        if outcome in (CodeOutcome.OK, CodeOutcome.RECOVERY):
            conn.execute(
                update(totp)
                .where(totp.c.user_id == user_id)
                .values(failed_attempts=0, locked_until=None)
            )
            action = "login_totp" if outcome is CodeOutcome.OK else "login_recovery_code"
            audit.record(conn, user_id, action=action, entity="user", entity_id=user_id)
            left = _recovery_left(conn, user_id) if outcome is CodeOutcome.RECOVERY else None
            return CodeResult(outcome, recovery_left=left)
        failed += 1
        locked_until = now + LOCKOUT if failed >= MAX_FAILED_ATTEMPTS else None
        conn.execute(
            update(totp)
            .where(totp.c.user_id == user_id)
            .values(failed_attempts=0 if locked_until else failed, locked_until=locked_until)
        )
        action = "login_totp_locked" if locked_until else "login_totp_failed"
        audit.record(conn, user_id, action=action, entity="user", entity_id=user_id)
        if locked_until is not None:
            return CodeResult(CodeOutcome.LOCKED, locked_until=locked_until)
        return CodeResult(CodeOutcome.INVALID)


def disable(viewer: Viewer, db: Databases, *, code: str, now: datetime | None = None) -> None:
    """A partner turns 2FA off with a current code (or a recovery code). Staff cannot: for
    them it is required, and only another staff member resets it."""
    viewer.require_writer()
    if viewer.is_staff:
        raise ScopeError("totp.staff_cannot_disable")
    now = now or now_utc()
    with db.portal.begin() as conn:
        row = conn.execute(
            select(totp)
            .where(totp.c.user_id == viewer.user_id, totp.c.confirmed_at.is_not(None))
            .with_for_update()
        ).first()
        if row is None:
            raise InvalidInput("totp.not_enabled")
        if row.locked_until is not None and row.locked_until > now:
            raise InvalidInput("totp.locked")
        if _check(conn, row, code, now=now) is CodeOutcome.INVALID:
            raise InvalidInput("totp.code_wrong")
        _remove(conn, viewer.user_id)
        audit.record(conn, viewer, action="totp_disabled", entity="user", entity_id=viewer.user_id)


def _remove(conn: Connection, user_id: int) -> None:
    conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
    conn.execute(delete(totp).where(totp.c.user_id == user_id))


def accounts_with_2fa(
    viewer: Viewer, db: Databases, *, partner_id: int | None
) -> list[tuple[int, str]]:
    """Staff: the logins with 2FA of one partner, or (partner_id None) of the staff, without
    the viewer's own, as (user id, "Name (username)") for the reset."""
    viewer.require_staff()
    query = (
        select(users.c.user_id, users.c.display_name, users.c.username)
        .join(totp, totp.c.user_id == users.c.user_id)
        .where(
            totp.c.confirmed_at.is_not(None),
            users.c.active.is_(True),
            users.c.user_id != viewer.user_id,
        )
        .order_by(users.c.username)
    )
    if partner_id is None:
        query = query.where(users.c.role == ROLE_STAFF)
    else:
        query = query.where(users.c.partner_id == partner_id)
    with db.portal.connect() as conn:
        rows = conn.execute(query).all()
    return [(int(r.user_id), f"{r.display_name} ({r.username})") for r in rows]


def reset(viewer: Viewer, db: Databases, *, user_id: int, now: datetime | None = None) -> bool:
    """Staff: remove someone's second factor (lost phone and codes); they enrol again at the
    next login (staff must). Never one's own. True if there was one; always an audit row."""
    viewer.require_staff()
    if user_id == viewer.user_id:
        raise ScopeError("totp.reset_own")
    now = now or now_utc()
    with db.portal.begin() as conn:
        target = conn.execute(
            select(users.c.user_id, users.c.partner_id).where(users.c.user_id == user_id)
        ).first()
        if target is None:
            raise InvalidInput("totp.reset_no_user")
        had = conn.execute(select(totp.c.user_id).where(totp.c.user_id == user_id)).first()
        _remove(conn, user_id)
        audit.record(
            conn,
            viewer,
            action="totp_reset",
            entity="user",
            entity_id=user_id,
            partner_id=target.partner_id,
            details={"had_2fa": had is not None},
            now=now,
        )
    return had is not None
