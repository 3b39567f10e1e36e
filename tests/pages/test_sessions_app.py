"""Login sessions through the real app (AppTest): a cookie copied from a browser and replayed.

AppTest cannot send cookies, so the browser's cookies are injected where components/session.py
reads them (`_browser_cookies`, i.e. `st.context.cookies`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from components import session
from core.db import Databases
from core.links import RESET_PARAM
from core.settings import Settings
from data.access.users import hash_password
from data.portal_schema import outbox, sessions, users
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, new_app
from tests.support.worlds import PASSWORD, build_world

COOKIE = Settings.cookie_name  # the dataclass default: the name the app uses
LOGIN_TITLE = "Miomente Partner-Portal"
OVERVIEW_TITLE = "Guten Tag, Alpha Team"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    tmp = tmp_path_factory.mktemp("sessions_app")
    with fresh_databases("sqlite", tmp) as db, app_environment(db, tmp):
        build_world(db)
        yield db


@pytest.fixture(autouse=True)
def no_sessions_left(world: Databases) -> Iterator[None]:
    yield
    with world.portal.begin() as conn:
        conn.execute(sessions.delete())


def _logged_in(password: str = PASSWORD) -> tuple[AppTest, str]:
    """A browser tab after a login through the form, and the cookie value it was given."""
    at = new_app()
    at.run()
    at.text_input(key="login_username").input("alpha")
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert at.title[0].value == OVERVIEW_TITLE
    return at, at.session_state[session.SESSION_KEY]


def _reload_with(cookie: object, page: str | None = None) -> AppTest:
    """A new tab (a reload, or another browser) that sends `cookie`."""
    at = new_app()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(session, "_browser_cookies", lambda: {COOKIE: cookie})
        at.run()
        if page is not None and at.title[0].value != LOGIN_TITLE:
            at.switch_page(f"pages/{page}")
            at.run()
    assert_clean(at)
    return at


def _shows_login(at: AppTest) -> bool:
    return at.title[0].value == LOGIN_TITLE and "auth_user_id" not in at.session_state


def test_the_cookie_restores_the_login_after_a_reload(world: Databases) -> None:
    _, cookie = _logged_in()
    assert _reload_with(cookie).title[0].value == OVERVIEW_TITLE


def test_a_cookie_replayed_after_logout_shows_the_login_form(world: Databases) -> None:
    at, cookie = _logged_in()
    at.button(key="logout_button").click().run()
    assert _shows_login(at)
    assert _shows_login(_reload_with(cookie))


def test_an_expired_session_shows_the_login_form(world: Databases) -> None:
    _, cookie = _logged_in()
    with world.portal.begin() as conn:
        conn.execute(update(sessions).values(expires_at=datetime(2000, 1, 1)))
    assert _shows_login(_reload_with(cookie))


@pytest.mark.parametrize(
    "cookie",
    [
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VybmFtZSI6ImFscGhhIiwiZXhwX2RhdGUiOjRlOX0.",
        "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6InN0YWZmIn0.Zm9yZ2Vk",
        "%%%garbage%%%",
        "x" * 43,
        "",
        "ä" * 5000,
    ],
    ids=["alg-none", "forged-hs256", "garbage", "unknown-id", "empty", "long"],
)
def test_a_forged_or_malformed_cookie_shows_the_login_form(world: Databases, cookie: str) -> None:
    at = _reload_with(cookie)
    assert _shows_login(at)
    assert not at.error  # the login form, not an error page


def test_a_password_change_ends_the_other_browsers_but_not_this_one(world: Databases) -> None:
    _, stolen = _logged_in()
    elsewhere = _reload_with(stolen)  # an open tab in the other browser
    at, here = _logged_in()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    new = "Kochen-mit-2-Löffeln"
    at.text_input(key="pw_current").input(PASSWORD)
    at.text_input(key="pw_new").input(new)
    at.text_input(key="pw_repeat").input(new)
    at.button(key="FormSubmitter:password_change-Passwort ändern").click().run()
    try:
        assert [s.value for s in at.success] == [
            "Passwort geändert. Andere beendete Anmeldungen: 1."
        ]
        assert _shows_login(_reload_with(stolen))
        assert _shows_login(elsewhere.run())  # the open tab ends at its next click
        assert _reload_with(here).title[0].value == OVERVIEW_TITLE
    finally:
        with world.portal.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.user_id == ALPHA)
                .values(password_hash=hash_password(PASSWORD))
            )


def test_a_weak_new_password_is_explained_in_german(world: Databases) -> None:
    at, _ = _logged_in()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    at.text_input(key="pw_current").input(PASSWORD)
    at.text_input(key="pw_new").input("kochenundbacken")
    at.text_input(key="pw_repeat").input("kochenundbacken")
    at.button(key="FormSubmitter:password_change-Passwort ändern").click().run()
    assert [e.value for e in at.error] == [
        "Das neue Passwort braucht mindestens zwei Zeichenarten: Buchstaben, Ziffern oder "
        "Sonderzeichen."
    ]
    assert not at.success


def test_logout_everywhere_ends_this_and_every_other_login(world: Databases) -> None:
    _, other = _logged_in()
    at, here = _logged_in()
    at.switch_page("pages/konto/einstellungen.py")
    at.run()
    at.button(key="logout_everywhere").click().run()
    assert _shows_login(at)
    assert _shows_login(_reload_with(other))
    assert _shows_login(_reload_with(here))


def test_staff_sends_a_reset_link_and_the_partner_sets_a_password_with_it(
    world: Databases,
) -> None:
    _, before = _logged_in()
    staff = new_app(user_id=STAFF)
    staff.run()
    staff.switch_page("pages/verwaltung/partner.py")
    staff.run()
    staff.selectbox(key="partners_commission_partner").select(1).run()
    staff.selectbox(key="partners_reset_account").select(ALPHA).run()
    staff.button(key="partners_reset_send").click().run()
    assert_clean(staff)
    assert [s.value for s in staff.success][-1].startswith("Link an ")
    with world.portal.connect() as conn:
        payload = conn.execute(
            select(outbox.c.payload).where(outbox.c.template == "password_reset")
        ).scalar()
    token = parse_qs(urlsplit(payload["reset_url"]).query)[RESET_PARAM][0]

    at = new_app()
    at.query_params[RESET_PARAM] = token
    at.run()
    new = "Kochen-mit-2-Löffeln"
    try:
        at.text_input(key="reset_new").input(new)
        at.text_input(key="reset_repeat").input(new)
        at.button(key="FormSubmitter:password_reset-Passwort speichern").click().run()
        assert_clean(at)
        assert [s.value for s in at.success] == [
            "Ihr neues Passwort ist gespeichert. Bitte melden Sie sich jetzt damit an."
        ]
        assert _shows_login(_reload_with(before))  # every earlier login ended
        _logged_in(new)
        again = new_app()  # the same link a second time
        again.query_params[RESET_PARAM] = token
        again.run()
        assert [e.value for e in again.error] == [
            "Dieser Link ist abgelaufen oder wurde schon benutzt. Bitte lassen Sie sich vom "
            "Miomente-Team einen neuen schicken."
        ]
        assert again.text_input(key="login_username")  # the login form follows
    finally:
        with world.portal.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.user_id == ALPHA)
                .values(password_hash=hash_password(PASSWORD))
            )
