"""Two-factor helpers for tests: enrol a user of a test world and compute their codes with
pyotp from the secret stored (sealed) in the test database, as an authenticator app would."""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import insert, select

from core import secretbox
from core.db import Databases
from data.access import totp
from data.access.users import hash_password
from data.access.viewer import Viewer
from data.portal_schema import totp as totp_table
from data.portal_schema import users


def stored_secret(db: Databases, user_id: int, *, key: str | None = None) -> str:
    with db.portal.connect() as conn:
        sealed = conn.execute(
            select(totp_table.c.secret).where(totp_table.c.user_id == user_id)
        ).scalar_one()
    return secretbox.open_sealed(sealed, purpose="totp-secret", bound_to=str(user_id), key=key)


def code_for(db: Databases, user_id: int, at: datetime, *, key: str | None = None) -> str:
    """The code the user's app shows at `at` (naive UTC)."""
    from core.totp import step_of

    return pyotp.TOTP(stored_secret(db, user_id, key=key)).generate_otp(step_of(at))


def enrol(db: Databases, viewer: Viewer, *, at: datetime) -> list[str]:
    """Turn 2FA on for the viewer's account at `at`; returns the recovery codes."""
    totp.start_enrollment(viewer, db, now=at)
    return totp.confirm_enrollment(viewer, db, code=code_for(db, viewer.user_id, at), now=at)


def add_staff(db: Databases, *, user_id: int = 31, password: str = "geheim-123") -> Viewer:
    """A second staff member (the world has one)."""
    with db.portal.begin() as conn:
        conn.execute(
            insert(users).values(
                user_id=user_id,
                username=f"staff{user_id}",
                display_name=f"Staff {user_id}",
                partner_id=None,
                role="staff",
                email=f"staff{user_id}@miomente.example",
                password_hash=hash_password(password),
            )
        )
    return Viewer(user_id=user_id, role="staff")
