"""The partner's team: members with a role, invitations by email, each member's own
notification choices.

The owner (TEAM_MANAGE) invites by email and role; the mail (template `team_invitation`,
through the outbox in the same transaction) carries a single-use link valid for
INVITATION_VALID. Only the link's SHA-256 is kept. The invited person opens the link, chooses
a username and a password, and is a member from then on. Changing a role takes effect at the
member's next click (the login reads the role on every run); removing a member deactivates the
account and ends its sessions at once.

Before the join there is no viewer: the link's token is the credential, so `invitation_of`
and `accept_invitation` take the token (tests/access/test_scope.py lists them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from core import links
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput, is_email, normalize_phone
from data.access import sessions
from data.access.permissions import MEMBER_ROLES, ROLE_OWNER, TEAM_MANAGE, requires
from data.access.users import MAX_USERNAME_LENGTH, User, check_new_password, hash_password
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import CHANNEL_EMAIL, queue_many
from data.ops import audit
from data.portal_schema import (
    ROLE_PARTNER,
    invitations,
    member_prefs,
    partners,
    users,
)

INVITATION_VALID = timedelta(days=7)
TEMPLATE = "team_invitation"
MEMBER_COLUMNS = ["user_id", "username", "display_name", "email", "member_role", "last_login_at"]
INVITATION_COLUMNS = ["email", "member_role", "created_at", "expires_at"]
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True)
class Invitation:
    """What the join form shows: whose team, for which address and role."""

    partner_name: str
    email: str
    member_role: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _partner_id(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError("team.choose_partner")
    return viewer.partner_id


def _role(member_role: str) -> str:
    if member_role not in MEMBER_ROLES:
        raise InvalidInput("team.unknown_role")
    return member_role


@requires(TEAM_MANAGE)
def list_members(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """The partner's active logins with their roles (a login from before teams: owner)."""
    partner_id = _partner_id(viewer)
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(*(users.c[c] for c in MEMBER_COLUMNS))
            .where(users.c.partner_id == partner_id, users.c.active.is_(True))
            .order_by(users.c.display_name, users.c.user_id)
        ).all()
    frame = pd.DataFrame([r._asdict() for r in rows], columns=MEMBER_COLUMNS)
    frame["member_role"] = frame["member_role"].fillna(ROLE_OWNER)
    return frame


@requires(TEAM_MANAGE)
def open_invitations(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> pd.DataFrame:
    """Invitations of the partner not yet used and not expired, newest first."""
    partner_id = _partner_id(viewer)
    now = now or now_utc()
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(*(invitations.c[c] for c in INVITATION_COLUMNS))
            .where(
                invitations.c.partner_id == partner_id,
                invitations.c.used_at.is_(None),
                invitations.c.expires_at > now,
            )
            .order_by(invitations.c.created_at.desc(), invitations.c.email)
        ).all()
    return pd.DataFrame([r._asdict() for r in rows], columns=INVITATION_COLUMNS)


@requires(TEAM_MANAGE)
def invite_member(
    viewer: Viewer,
    db: Databases,
    *,
    email: str,
    member_role: str,
    now: datetime | None = None,
) -> str:
    """Mail an invitation (queued in the outbox with its cause); returns the address.

    A newer invitation to the same address replaces an older unused one, so only the last
    mail works.
    """
    viewer.require_writer()
    partner_id = _partner_id(viewer)
    address = (email or "").strip().lower()
    if not is_email(address):
        raise InvalidInput("validation.email", value=address[:60])
    role = _role(member_role)
    now = now or now_utc()
    token = sessions.new_token()
    with db.portal.begin() as conn:
        taken = conn.execute(
            select(users.c.user_id).where(
                users.c.partner_id == partner_id,
                users.c.active.is_(True),
                users.c.email == address,
            )
        ).first()
        if taken is not None:
            raise InvalidInput("team.already_member", email=address)
        conn.execute(
            delete(invitations).where(
                invitations.c.partner_id == partner_id,
                invitations.c.email == address,
                invitations.c.used_at.is_(None),
            )
        )
        conn.execute(
            insert(invitations).values(
                token_hash=_hash(token),
                partner_id=partner_id,
                email=address,
                member_role=role,
                invited_by=viewer.user_id,
                created_at=now,
                expires_at=now + INVITATION_VALID,
            )
        )
        partner_name, inviter, locale = _names(conn, partner_id, viewer.user_id)
        message = {
            "channel": CHANNEL_EMAIL,
            "template": TEMPLATE,
            "recipient": address,
            "locale": locale,
            "payload": {
                "contact_name": address,  # whom the invitation is for
                "partner_name": partner_name,
                "inviter_name": inviter,
                "member_role": role,
                "invitation_url": links.invitation_url(token),
                "valid_days": INVITATION_VALID.days,
            },
            "dedupe_key": f"{TEMPLATE}:{_hash(token)[:32]}",
            "partner_id": partner_id,
        }
        queue_many(conn, [message], now=now)  # dated by the caller's clock
        audit.record(
            conn,
            viewer,
            action="member_invited",
            entity="partner",
            entity_id=partner_id,
            partner_id=partner_id,
            details={"email": address, "member_role": role},
        )
    return address


def _names(conn: Connection, partner_id: int, user_id: int) -> tuple[str, str, str]:
    """The partner's name, the inviter's name and language (staff: Miomente, German)."""
    partner_name = conn.execute(
        select(partners.c.name).where(partners.c.partner_id == partner_id)
    ).scalar()
    inviter = conn.execute(
        select(users.c.display_name, users.c.locale).where(users.c.user_id == user_id)
    ).first()
    if inviter is None:
        return str(partner_name or ""), "Miomente", "de"
    return str(partner_name or ""), str(inviter.display_name), str(inviter.locale)


def _open(conn: Connection, token: object, now: datetime):
    if not sessions.is_token(token):
        return None
    assert isinstance(token, str)
    return conn.execute(
        select(invitations, partners.c.name.label("partner_name"))
        .join(partners, partners.c.partner_id == invitations.c.partner_id)
        .where(
            invitations.c.token_hash == _hash(token),
            invitations.c.used_at.is_(None),
            invitations.c.expires_at > now,
            partners.c.active.is_(True),
        )
    ).first()


def invitation_of(
    db: Databases, *, token: object, now: datetime | None = None
) -> Invitation | None:
    """The invitation the link opens, or None (unknown, used, expired, partner inactive)."""
    with db.portal.connect() as conn:
        row = _open(conn, token, now or now_utc())
    return None if row is None else Invitation(row.partner_name, row.email, row.member_role)


def accept_invitation(
    db: Databases,
    *,
    token: object,
    username: str,
    display_name: str,
    password: str,
    repeated: str,
    now: datetime | None = None,
) -> User:
    """Join through the link: a new login of the partner with the invited role. Uses the
    link up; returns the user, whom the caller logs in."""
    now = now or now_utc()
    username = (username or "").strip().lower()
    display_name = (display_name or "").strip()
    if not _USERNAME.fullmatch(username) or len(username) > MAX_USERNAME_LENGTH:
        raise InvalidInput("team.username_invalid")
    if not display_name or len(display_name) > 200:
        raise InvalidInput("team.name_missing")
    if password != repeated:
        raise InvalidInput("password.mismatch")
    check_new_password(password, username=username)
    with db.portal.begin() as conn:
        row = _open(conn, token, now)
        if row is None:
            raise InvalidInput("team.invitation_invalid")
        if conn.execute(select(users.c.user_id).where(users.c.username == username)).first():
            raise InvalidInput("team.username_taken")
        used = conn.execute(
            update(invitations)
            .where(
                invitations.c.invitation_id == row.invitation_id, invitations.c.used_at.is_(None)
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:  # a second tab with the same link was quicker
            raise InvalidInput("team.invitation_invalid")
        user_id = conn.execute(
            insert(users)
            .values(
                username=username,
                display_name=display_name,
                email=row.email,
                password_hash=hash_password(password),
                role=ROLE_PARTNER,
                partner_id=row.partner_id,
                member_role=row.member_role,
                last_login_at=now,
            )
            .returning(users.c.user_id)
        ).scalar_one()
        conn.execute(
            update(invitations)
            .where(invitations.c.invitation_id == row.invitation_id)
            .values(user_id=user_id)
        )
        audit.record(
            conn,
            int(user_id),
            action="member_joined",
            entity="user",
            entity_id=int(user_id),
            partner_id=row.partner_id,
            details={"member_role": row.member_role},
        )
    return User(
        user_id=int(user_id),
        username=username,
        display_name=display_name,
        email=row.email,
        role=ROLE_PARTNER,
        partner_id=int(row.partner_id),
        partner_name=str(row.partner_name),
        locale="de",
        member_role=row.member_role,
    )


def _member(conn: Connection, viewer: Viewer, user_id: int):
    """Another active login of the viewer's partner, locked for the change."""
    partner_id = _partner_id(viewer)
    if user_id == viewer.user_id:
        raise InvalidInput("team.not_yourself")
    row = conn.execute(
        select(users.c.user_id, users.c.member_role)
        .where(
            users.c.user_id == user_id,
            users.c.partner_id == partner_id,
            users.c.active.is_(True),
        )
        .with_for_update()
    ).first()
    if row is None:
        raise ScopeError("team.no_member")
    return row


@requires(TEAM_MANAGE)
def change_role(
    viewer: Viewer, db: Databases, *, user_id: int, member_role: str, now: datetime | None = None
) -> None:
    """Give a member another role; it applies from the member's next click."""
    viewer.require_writer()
    role = _role(member_role)
    with db.portal.begin() as conn:
        _member(conn, viewer, user_id)
        conn.execute(update(users).where(users.c.user_id == user_id).values(member_role=role))
        audit.record(
            conn,
            viewer,
            action="member_role_changed",
            entity="user",
            entity_id=user_id,
            partner_id=viewer.partner_id,
            details={"member_role": role},
        )


@requires(TEAM_MANAGE)
def remove_member(
    viewer: Viewer, db: Databases, *, user_id: int, now: datetime | None = None
) -> int:
    """Deactivate a member's login and end its sessions at once; returns how many ended."""
    viewer.require_writer()
    with db.portal.begin() as conn:
        _member(conn, viewer, user_id)
        conn.execute(update(users).where(users.c.user_id == user_id).values(active=False))
        ended = sessions.revoke_sessions(conn, user_id=user_id)
        audit.record(
            conn,
            viewer,
            action="member_removed",
            entity="user",
            entity_id=user_id,
            partner_id=viewer.partner_id,
            details={"sessions": ended},
        )
    return ended


# --- each member's own notification choices ------------------------------------------------

PREF_COLUMNS = ["event", "email_enabled", "sms_enabled"]


@dataclass(frozen=True)
class MemberPrefs:
    """One member's choices: events by channel, one phone, quiet hours, daily digest."""

    events: pd.DataFrame  # PREF_COLUMNS, one row per event of notifications.EVENTS
    phone: str = ""
    quiet_from: str = ""  # "21:00" Berlin, empty: none
    quiet_until: str = ""
    daily_digest: bool = False


def my_prefs(viewer: Viewer, db: Databases) -> MemberPrefs:
    """The viewer's own choices (defaults for events never saved: nothing by mail or SMS, the
    partner's notification settings reach the team's shared addresses anyway)."""
    from data.comms.notifications import EVENTS

    with db.portal.connect() as conn:
        rows = {
            r.event: r
            for r in conn.execute(
                select(member_prefs).where(member_prefs.c.user_id == viewer.user_id)
            )
        }
    events = pd.DataFrame(
        [
            {
                "event": event,
                "email_enabled": bool(rows[event].email_enabled) if event in rows else False,
                "sms_enabled": bool(rows[event].sms_enabled) if event in rows else False,
            }
            for event in EVENTS
        ],
        columns=PREF_COLUMNS,
    )
    any_row = next(iter(rows.values()), None)
    if any_row is None:
        return MemberPrefs(events)
    return MemberPrefs(
        events,
        phone=any_row.phone or "",
        quiet_from=any_row.quiet_from or "",
        quiet_until=any_row.quiet_until or "",
        daily_digest=bool(any_row.daily_digest),
    )


def _clock(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not _CLOCK.fullmatch(value):
        raise InvalidInput("team.quiet_hours_invalid", value=value[:10])
    return value


def save_my_prefs(
    viewer: Viewer,
    db: Databases,
    *,
    events: Sequence[Mapping[str, object]],
    phone: str = "",
    quiet_from: str = "",
    quiet_until: str = "",
    daily_digest: bool = False,
    now: datetime | None = None,
) -> None:
    """Store the viewer's own choices: all valid, or InvalidInput and nothing saved."""
    from data.comms.notifications import EVENTS

    if viewer.partner_id is None or viewer.is_staff:
        raise ScopeError("team.partners_only")
    viewer.require_writer()
    number = normalize_phone(phone) if (phone or "").strip() else None
    start, end = _clock(quiet_from), _clock(quiet_until)
    if (start is None) != (end is None):
        raise InvalidInput("team.quiet_hours_both")
    rows = []
    for row in events:
        event = str(row.get("event"))
        if event not in EVENTS:
            raise InvalidInput("validation.unknown_event")
        sms = bool(row.get("sms_enabled"))
        if sms and number is None:
            raise InvalidInput("validation.sms_needs_phone", event=event)
        rows.append(
            {
                "user_id": viewer.user_id,
                "event": event,
                "email_enabled": bool(row.get("email_enabled")),
                "sms_enabled": sms,
                "phone": number,
                "quiet_from": start,
                "quiet_until": end,
                "daily_digest": bool(daily_digest),
                "updated_at": now or now_utc(),
            }
        )
    with db.portal.begin() as conn:
        conn.execute(delete(member_prefs).where(member_prefs.c.user_id == viewer.user_id))
        if rows:
            conn.execute(insert(member_prefs), rows)
        audit.record(
            conn,
            viewer,
            action="member_prefs_saved",
            entity="user",
            entity_id=viewer.user_id,
            partner_id=viewer.partner_id,
        )
