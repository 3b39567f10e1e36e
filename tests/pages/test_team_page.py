"""The team through AppTest: the menu per role, the Team section on Einstellungen (de, en),
a member's own choices, and the join form an invitation link opens."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from components.navigation import PAGES
from core.db import Databases
from core.i18n import catalog
from data.access.permissions import ROLE_ACCOUNTING, ROLE_PERMISSIONS, ROLE_TEAM
from data.access.team import accept_invitation, invite_member, list_members
from data.access.viewer import Viewer
from data.portal_schema import outbox
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, app_environment, assert_clean, new_app
from tests.support.worlds import build_world

OWNER = Viewer(user_id=ALPHA, role="partner", partner_id=1)
SECRET = "Kochen-mit-2-Löffeln"


def _last_token(db: Databases) -> str:
    with db.portal.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload)
            .where(outbox.c.template == "team_invitation")
            .order_by(outbox.c.message_id.desc())
        ).scalar()
    match = re.search(r"\?einladung=([A-Za-z0-9_-]+)$", payload["invitation_url"])
    assert match
    return match.group(1)


def _join(db: Databases, role: str, username: str) -> int:
    invite_member(OWNER, db, email=f"{username}@example.org", member_role=role)
    user = accept_invitation(
        db,
        token=_last_token(db),
        username=username,
        display_name=username.title(),
        password=SECRET,
        repeated=SECRET,
    )
    return user.user_id


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Databases, dict[str, int]]]:
    tmp = tmp_path_factory.mktemp("team_app")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        members = {
            ROLE_TEAM: _join(db, ROLE_TEAM, "tina"),
            ROLE_ACCOUNTING: _join(db, ROLE_ACCOUNTING, "bea"),
        }
        yield db, members


EXPECTED_MENU = {
    ROLE_ACCOUNTING: {"overview", "accounting", "news", "settings"},
    ROLE_TEAM: {
        "overview",
        "orders",
        "dates",
        "waitlist",
        "date_requests",
        "reviews",
        "marketing",
        "news",
        "settings",
    },
}


@pytest.mark.parametrize("role", [ROLE_ACCOUNTING, ROLE_TEAM])
def test_the_menu_shows_what_the_role_allows_and_each_page_works(
    world: tuple[Databases, dict[str, int]], role: str
) -> None:
    _, members = world
    words = catalog("de")
    held = ROLE_PERMISSIONS[role]
    assert held is not None
    shown = {
        spec.key
        for spec in PAGES
        if not spec.staff_only and all(name in held for name in spec.needs)
    }
    assert shown == EXPECTED_MENU[role]
    for spec in PAGES:
        at = new_app(user_id=members[role])
        at.run()
        if spec.key in shown:
            at.switch_page(f"pages/{spec.file}")
            at.run()
            assert_clean(at)
            errors = " ".join(str(e.value) for e in at.error)
            # No part of a page the role may open runs into the data layer's refusal.
            assert words["app.error"] not in errors, (role, spec.key)
            assert "Berechtigung" not in errors, (role, spec.key, errors)
        else:  # not even registered: a typed URL finds no page either
            with pytest.raises(ValueError):
                at.switch_page(f"pages/{spec.file}")


def test_the_overview_splits_money_from_the_daily_business(
    world: tuple[Databases, dict[str, int]],
) -> None:
    _, members = world
    words = catalog("de")
    labels = {}
    for role in (ROLE_ACCOUNTING, ROLE_TEAM):
        at = new_app(user_id=members[role])
        at.run()
        assert_clean(at)
        labels[role] = {m.label for m in at.metric}
    assert labels[ROLE_ACCOUNTING] == {words["overview.revenue_month"]}
    assert words["overview.revenue_month"] not in labels[ROLE_TEAM]
    assert words["overview.pending"] in labels[ROLE_TEAM]


@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_owner_invites_from_the_team_section(
    world: tuple[Databases, dict[str, int]], locale: str
) -> None:
    words = catalog(locale)
    at = new_app(user_id=ALPHA, locale=locale)
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    text = assert_clean(at)
    assert words["team.title"] in text and "Tina" in text and "Bea" in text
    at.text_input(key="team_invite_email").input(f"neu-{locale}@example.org")
    at.selectbox(key="team_invite_role").select(words["team.role_accounting"])
    next(b for b in at.button if b.label == words["team.invite_submit"]).click().run()
    text = assert_clean(at)
    assert words["team.invited"].format(email=f"neu-{locale}@example.org") in text
    assert f"neu-{locale}@example.org ({words['team.role_accounting']})" in text


def test_a_member_sees_only_their_own_choices(world: tuple[Databases, dict[str, int]]) -> None:
    _, members = world
    words = catalog("de")
    at = new_app(user_id=members[ROLE_TEAM])
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    text = assert_clean(at)
    assert words["team.my_title"] in text
    assert words["team.invite_title"] not in text
    at.checkbox(key="my_new_booking_email_enabled").check()
    at.text_input(key="my_quiet_from").input("21:00")
    at.text_input(key="my_quiet_until").input("07:00")
    next(b for b in at.button if b.label == words["team.my_save"]).click().run()
    assert [s.value for s in at.success] == [words["notifications.saved"]]
    # Buchhaltung: its own choices, not the partner's notification or SMS settings.
    at = new_app(user_id=members[ROLE_ACCOUNTING])
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    text = assert_clean(at)
    headings = [h.value for h in at.subheader]
    assert words["team.my_title"] in headings and words["notifications.title"] not in headings


def test_the_owner_removes_a_member(world: tuple[Databases, dict[str, int]]) -> None:
    db, _ = world
    gone = _join(db, ROLE_TEAM, "gustav")
    words = catalog("de")
    at = new_app(user_id=ALPHA)
    at.run()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    at.button(key=f"team_remove_{gone}").click().run()
    at.button(key=f"team_remove_yes_{gone}").click().run()
    text = assert_clean(at)
    assert words["team.removed"].format(name="Gustav", n=0) in text
    assert "gustav" not in set(list_members(OWNER, db)["username"])


def test_the_invitation_link_opens_the_join_form_and_logs_in(
    world: tuple[Databases, dict[str, int]],
) -> None:
    db, _ = world
    invite_member(OWNER, db, email="jana@example.org", member_role=ROLE_TEAM)
    token = _last_token(db)
    words = catalog("de")
    at = new_app()
    at.query_params["einladung"] = token
    at.run()
    text = assert_clean(at)
    assert words["team.join_title"].format(partner="Kochschule Alpha") in text
    at.text_input(key="join_name").input("Jana")
    at.text_input(key="join_username").input("jana")
    at.text_input(key="join_password").input(SECRET)
    at.text_input(key="join_repeat").input(SECRET)
    next(b for b in at.button if b.label == words["team.join_submit"]).click().run()
    assert_clean(at)
    assert [t.value for t in at.title] == [words["overview.greeting"].format(name="Jana")]
    # The link is used up: opened again, it says so and the login follows.
    again = new_app()
    again.query_params["einladung"] = token
    again.run()
    text = assert_clean(again)
    assert words["team.invitation_invalid"] in text
    assert words["login.title"] in text
