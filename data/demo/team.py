"""The demo's team at the Kochschule: the owner `kochschule`, `kochschule-buchhaltung`
(Buchhaltung) and `kochschule-team` (Team), all with the demo password, each with their own
notification choices, so the Team section and the menu per role show on first start."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from core.db import Databases
from data import portal_schema as p
from data.access.permissions import ROLE_ACCOUNTING, ROLE_OWNER, ROLE_TEAM

OWNER = "kochschule"
MEMBERS = (
    # username, display name, email, role, events by email, quiet hours, daily digest
    ("kochschule-buchhaltung", "Petra Sommer", "buchhaltung@kochschule.example",
     ROLE_ACCOUNTING, ("payout",), None, True),
    ("kochschule-team", "Jonas Weber", "team@kochschule.example",
     ROLE_TEAM, ("new_booking", "booking_cancelled", "waitlist"), ("21:00", "07:00"), False),
)  # fmt: skip

# Shown on the login screen's demo table, below DEMO_LOGINS: (username, member role).
DEMO_TEAM_LOGINS = tuple((member[0], member[3]) for member in MEMBERS)


def add_demo_team(db: Databases, *, now: datetime) -> int:
    """Add the Kochschule's two members (the owner's password hash: "demo"); returns how many."""
    with db.portal.begin() as conn:
        owner = conn.execute(
            select(p.users.c.user_id, p.users.c.partner_id, p.users.c.password_hash).where(
                p.users.c.username == OWNER
            )
        ).one()
        conn.execute(
            update(p.users).where(p.users.c.user_id == owner.user_id).values(member_role=ROLE_OWNER)
        )
        for username, name, email, role, events, quiet, digest in MEMBERS:
            user_id = conn.execute(
                insert(p.users)
                .values(
                    username=username,
                    display_name=name,
                    email=email,
                    password_hash=owner.password_hash,
                    role=p.ROLE_PARTNER,
                    partner_id=owner.partner_id,
                    member_role=role,
                    created_at=now,
                )
                .returning(p.users.c.user_id)
            ).scalar_one()
            conn.execute(
                insert(p.member_prefs),
                [
                    {
                        "user_id": user_id,
                        "event": event,
                        "email_enabled": True,
                        "sms_enabled": False,
                        "quiet_from": quiet[0] if quiet else None,
                        "quiet_until": quiet[1] if quiet else None,
                        "daily_digest": digest,
                        "updated_at": now,
                    }
                    for event in events
                ],
            )
    return len(MEMBERS)
