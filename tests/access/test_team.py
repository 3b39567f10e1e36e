"""The partner's team: invitations (single use, 7 days), roles, removal ending sessions at
once, and each member's own notification choices."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import Databases
from core.validation import InvalidInput
from data.access.permissions import MONEY_READ, NO_PERMISSION, ROLE_ACCOUNTING, ROLE_TEAM
from data.access.sessions import resume_session, start_session
from data.access.team import (
    INVITATION_VALID,
    accept_invitation,
    change_role,
    invitation_of,
    invite_member,
    list_members,
    my_prefs,
    open_invitations,
    remove_member,
    save_my_prefs,
)
from data.access.users import LoginOutcome, authenticate, load_user
from data.access.viewer import ScopeError, Viewer
from data.comms.notifications import held_until, recipients
from data.money.payouts import list_payouts
from data.portal_schema import invitations, outbox
from tests.support.worlds import build_world

NOW = datetime(2026, 11, 25, 9, 0)  # 10:00 in Berlin
OWNER = Viewer(user_id=10, role="partner", partner_id=1)
OTHER_OWNER = Viewer(user_id=20, role="partner", partner_id=2)
SECRET = "Kochen-mit-2-Löffeln"
IDLE = timedelta(hours=8)


@pytest.fixture
def db(databases: Databases) -> Databases:
    build_world(databases)
    return databases


def _mailed_token(db: Databases) -> str:
    with db.portal.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.template == "team_invitation")
            .order_by(outbox.c.message_id.desc())
        ).scalar()
    match = re.search(r"\?einladung=([A-Za-z0-9_-]+)$", payload["invitation_url"])
    assert match, payload
    return match.group(1)


def _join(db: Databases, role: str, *, username: str, now: datetime = NOW) -> int:
    invite_member(OWNER, db, email=f"{username}@example.org", member_role=role, now=now)
    user = accept_invitation(
        db,
        token=_mailed_token(db),
        username=username,
        display_name=username.title(),
        password=SECRET,
        repeated=SECRET,
        now=now,
    )
    return user.user_id


def test_an_invitation_is_mailed_and_opens_once(db: Databases) -> None:
    assert invite_member(OWNER, db, email="Tom@Example.org", member_role=ROLE_TEAM, now=NOW) == (
        "tom@example.org"
    )
    token = _mailed_token(db)
    with db.portal.connect() as conn:  # only the hash is stored
        assert token not in conn.execute(select(invitations.c.token_hash)).scalar()
    found = invitation_of(db, token=token, now=NOW)
    assert found is not None and found.email == "tom@example.org"
    assert found.member_role == ROLE_TEAM and found.partner_name == "Kochschule Alpha"
    assert list(open_invitations(OWNER, db, now=NOW)["email"]) == ["tom@example.org"]
    user = accept_invitation(
        db,
        token=token,
        username="Tom",
        display_name="Tom",
        password=SECRET,
        repeated=SECRET,
        now=NOW + timedelta(days=1),
    )
    assert user.viewer.permissions is not None and MONEY_READ not in user.viewer.permissions
    assert authenticate(db, username="tom", password=SECRET).outcome is LoginOutcome.OK
    loaded = load_user(db, username="tom")
    assert loaded is not None and loaded.member_role == ROLE_TEAM and loaded.partner_id == 1
    with pytest.raises(InvalidInput) as again:  # single use
        accept_invitation(
            db,
            token=token,
            username="tom2",
            display_name="T",
            password=SECRET,
            repeated=SECRET,
            now=NOW,
        )
    assert again.value.key == "team.invitation_invalid"
    assert invitation_of(db, token=token, now=NOW) is None
    assert open_invitations(OWNER, db, now=NOW).empty


def test_an_invitation_expires_after_seven_days(db: Databases) -> None:
    invite_member(OWNER, db, email="late@example.org", member_role=ROLE_TEAM, now=NOW)
    token = _mailed_token(db)
    assert invitation_of(db, token=token, now=NOW + INVITATION_VALID - timedelta(minutes=1))
    late = NOW + INVITATION_VALID
    assert invitation_of(db, token=token, now=late) is None
    with pytest.raises(InvalidInput) as refused:
        accept_invitation(
            db,
            token=token,
            username="late",
            display_name="Late",
            password=SECRET,
            repeated=SECRET,
            now=late,
        )
    assert refused.value.key == "team.invitation_invalid"
    assert load_user(db, username="late") is None


def test_a_newer_invitation_replaces_the_older_one(db: Databases) -> None:
    invite_member(OWNER, db, email="x@example.org", member_role=ROLE_TEAM, now=NOW)
    first = _mailed_token(db)
    invite_member(OWNER, db, email="x@example.org", member_role=ROLE_ACCOUNTING, now=NOW)
    assert invitation_of(db, token=first, now=NOW) is None
    second = invitation_of(db, token=_mailed_token(db), now=NOW)
    assert second is not None and second.member_role == ROLE_ACCOUNTING


def test_bad_input_changes_nothing(db: Databases) -> None:
    for email, role, key in (
        ("kein-mail", ROLE_TEAM, "validation.email"),
        ("a@example.org", "chef", "team.unknown_role"),
    ):
        with pytest.raises(InvalidInput) as refused:
            invite_member(OWNER, db, email=email, member_role=role, now=NOW)
        assert refused.value.key == key
    assert open_invitations(OWNER, db, now=NOW).empty
    invite_member(OWNER, db, email="y@example.org", member_role=ROLE_TEAM, now=NOW)
    token = _mailed_token(db)
    with pytest.raises(InvalidInput) as taken:  # alpha is A's owner's username
        accept_invitation(
            db,
            token=token,
            username="alpha",
            display_name="Y",
            password=SECRET,
            repeated=SECRET,
            now=NOW,
        )
    assert taken.value.key == "team.username_taken"
    assert invitation_of(db, token=token, now=NOW) is not None  # still usable


def test_only_the_owner_manages_the_team(db: Databases) -> None:
    member = _join(db, ROLE_TEAM, username="tina")
    team = load_user(db, user_id=member)
    assert team is not None
    for call in (
        lambda: invite_member(team.viewer, db, email="z@example.org", member_role="team"),
        lambda: list_members(team.viewer, db),
        lambda: remove_member(team.viewer, db, user_id=10),
    ):
        with pytest.raises(ScopeError) as refused:
            call()
        assert refused.value.key == NO_PERMISSION
    # Another partner's owner cannot touch A's member.
    with pytest.raises(ScopeError):
        remove_member(OTHER_OWNER, db, user_id=member)
    with pytest.raises(InvalidInput):  # the owner cannot remove itself
        remove_member(OWNER, db, user_id=10)
    assert set(list_members(OWNER, db)["username"]) == {"alpha", "tina"}
    assert set(list_members(OTHER_OWNER, db)["username"]) == {"beta"}


def test_a_role_change_applies_at_the_next_load(db: Databases) -> None:
    member = _join(db, ROLE_ACCOUNTING, username="bea")
    user = load_user(db, user_id=member)
    assert user is not None
    assert list_payouts(user.viewer, db) is not None  # Buchhaltung sees payouts
    change_role(OWNER, db, user_id=member, member_role=ROLE_TEAM, now=NOW)
    user = load_user(db, user_id=member)
    assert user is not None
    with pytest.raises(ScopeError) as refused:  # a Team member calling a payout function
        list_payouts(user.viewer, db)
    assert refused.value.key == NO_PERMISSION


def test_removing_a_member_ends_their_sessions_at_once(db: Databases) -> None:
    member = _join(db, ROLE_TEAM, username="rolf")
    first = start_session(db, user_id=member, lifetime=timedelta(days=7), now=NOW)
    second = start_session(db, user_id=member, lifetime=timedelta(days=7), now=NOW)
    owner = start_session(db, user_id=10, lifetime=timedelta(days=7), now=NOW)
    assert resume_session(db, token=first, idle=IDLE, now=NOW) == member
    assert remove_member(OWNER, db, user_id=member, now=NOW) == 2
    assert resume_session(db, token=first, idle=IDLE, now=NOW) is None
    assert resume_session(db, token=second, idle=IDLE, now=NOW) is None
    assert resume_session(db, token=owner, idle=IDLE, now=NOW) == 10
    assert authenticate(db, username="rolf", password=SECRET).outcome is LoginOutcome.INVALID
    assert load_user(db, user_id=member) is None


def test_each_member_chooses_events_and_the_role_filters_them(db: Databases) -> None:
    team_id = _join(db, ROLE_TEAM, username="tim")
    books_id = _join(db, ROLE_ACCOUNTING, username="bruno")
    every = [
        {"event": e, "email_enabled": True, "sms_enabled": False} for e in ("new_booking", "payout")
    ]
    for user_id in (team_id, books_id):
        user = load_user(db, user_id=user_id)
        assert user is not None
        save_my_prefs(user.viewer, db, events=every, now=NOW)
    system_a = Viewer(user_id=0, role="staff").view_as(1)
    booking = {r.address for r in recipients(system_a, db, event="new_booking", now=NOW)}
    payout = {r.address for r in recipients(system_a, db, event="payout", now=NOW)}
    assert "tim@example.org" in booking and "bruno@example.org" not in booking
    assert "bruno@example.org" in payout and "tim@example.org" not in payout
    # Nobody of partner B hears of A's events.
    system_b = Viewer(user_id=0, role="staff").view_as(2)
    assert not {"tim@example.org", "bruno@example.org"} & {
        r.address for r in recipients(system_b, db, event="new_booking", now=NOW)
    }


def test_quiet_hours_and_the_digest_hold_a_members_messages(db: Databases) -> None:
    member = _join(db, ROLE_TEAM, username="quinn")
    user = load_user(db, user_id=member)
    assert user is not None
    events = [{"event": "new_booking", "email_enabled": True, "sms_enabled": True}]
    with pytest.raises(InvalidInput) as no_phone:
        save_my_prefs(user.viewer, db, events=events, now=NOW)
    assert no_phone.value.key == "validation.sms_needs_phone"
    with pytest.raises(InvalidInput):
        save_my_prefs(user.viewer, db, events=[], quiet_from="25:00", quiet_until="07:00")
    save_my_prefs(
        user.viewer,
        db,
        events=events,
        phone="0151 23456789",
        quiet_from="21:00",
        quiet_until="07:00",
        now=NOW,
    )
    prefs = my_prefs(user.viewer, db)
    assert prefs.phone == "+4915123456789" and prefs.quiet_from == "21:00"
    evening = datetime(2026, 11, 25, 21, 30)  # 22:30 Berlin: quiet until 07:00 = 06:00 UTC
    held = [
        r
        for r in recipients(OWNER, db, event="new_booking", now=evening)
        if "quinn" in r.address or r.channel == "sms"
    ]
    assert {r.send_after for r in held} == {datetime(2026, 11, 26, 6, 0)}
    assert {r.channel for r in held} == {"email", "sms"}
    assert held_until(NOW, quiet_from="21:00", quiet_until="07:00") is None
    assert held_until(NOW, quiet_from=None, quiet_until=None, digest=True) == datetime(
        2026, 11, 26, 6, 0
    )
