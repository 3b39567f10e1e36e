"""Per-session state: the databases, who is logged in, whom staff view as, the page context.

Login: our own German form checks the password and the lockout in the portal database
(data.access.users.authenticate) and starts a server-side session (data.access.sessions); the
cookie holds only the session's random id, so a reload on any page keeps the user logged in
and on that page, and ending the session on the server ends every copy of the cookie.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components import session_cookie
from components.i18n import t
from core.db import Databases, open_databases
from core.settings import Settings, load_settings
from data.access import sessions
from data.access.sessions import end_all_sessions, end_session, resume_session
from data.access.users import User, load_user
from data.access.viewer import Viewer

log = logging.getLogger(__name__)

USER_KEY = "auth_user_id"
# The raw session id of this browser (the table has only its hash): checked on every run.
SESSION_KEY = "_auth_session"
VIEW_AS_KEY = "view_as_partner_id"
# "set" after a login, "delete" after a logout, until the browser's cookies show it done.
_COOKIE_ACTION_KEY = "_auth_cookie_action"
# The one-time code the page exchanges for the cookie (components/session_cookie.py).
_HANDOFF_KEY = "_auth_cookie_handoff"
_COOKIE_FAILURES_KEY = "_auth_cookie_failures"


@dataclass(frozen=True)
class PageContext:
    """What every page needs: the databases, the user, the viewer (scope) and the settings."""

    db: Databases
    user: User
    viewer: Viewer
    settings: Settings


@st.cache_resource(show_spinner=False)
def _databases(settings: Settings) -> Databases:
    if settings.demo_mode:
        from data.demo import ensure_demo  # demo-only code stays out of production imports

        return ensure_demo(settings)
    return open_databases(
        magento_url=settings.magento_url or "",
        portal_url=settings.portal_url or "",
        magento_read_url=settings.magento_read_url,
    )


def settings() -> Settings:
    return load_settings()


def databases() -> Databases:
    """The open databases; in demo mode built first, once, behind a German progress message."""
    current = settings()
    if not current.demo_mode:
        return _databases(current)
    # The spinner shows only if the call takes longer than half a second: on a first start.
    with st.spinner(t("app.demo_preparing"), show_time=True):
        return _databases(current)


def _browser_cookies() -> Mapping[str, str]:
    """The cookies the browser sent with this session's request (tests replace this)."""
    return st.context.cookies


def _idle(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_idle_hours)


def live_user(db: Databases, settings: Settings, token: str) -> int | None:
    """The user id of the live server-side session `token` (the idle and lifetime rules of
    `settings`), else None; the page's login check and the streamed downloads share it."""
    return resume_session(db, token=token, idle=_idle(settings))


def _forget() -> None:
    for key in (USER_KEY, VIEW_AS_KEY, SESSION_KEY):
        st.session_state.pop(key, None)


def current_user(db: Databases, settings: Settings) -> User | None:
    """The logged-in user: from this browser tab's session, or from the cookie after a reload.

    Either way the server-side session must still be live: a session ended elsewhere (logout,
    "überall abmelden", a password change, deactivation) ends this tab too at its next click.
    Anything in the cookie that is not a live session id — forged, expired, `alg: none`,
    garbage — simply leads to the login form.
    """
    token = st.session_state.get(SESSION_KEY)
    user_id = st.session_state.get(USER_KEY)
    if token is None and user_id is not None:
        # Only server code puts a user here without a session (tests, as after a login).
        user = load_user(db, user_id=int(user_id))
        if user is None:
            _forget()
        return user
    if token is None and not st.session_state.get("logout"):
        token = _browser_cookies().get(settings.cookie_name)
    if token is None:
        return None
    resumed = live_user(db, settings, str(token))
    user = load_user(db, user_id=resumed) if resumed is not None else None
    if user is None:
        _forget()
        return None
    remember(user, token=str(token))
    return user


def remember(user: User, *, token: str | None = None) -> None:
    st.session_state[USER_KEY] = user.user_id
    if token is not None:
        st.session_state[SESSION_KEY] = token
    st.session_state.setdefault("locale", user.locale)


def start_session(db: Databases, settings: Settings, user: User) -> None:
    """After a login: a new server-side session; the next `sync_cookie` writes its cookie."""
    lifetime = timedelta(days=settings.session_lifetime_days)
    token = sessions.start_session(db, user_id=user.user_id, lifetime=lifetime)
    remember(user, token=token)
    st.session_state["logout"] = None
    _cookie_action("set")


def session_token() -> str | None:
    """This browser's session id (kept when the password changes, ended by logout)."""
    return st.session_state.get(SESSION_KEY)


def sync_cookie(settings: Settings, slot: DeltaGenerator) -> None:
    """Have the server write or delete the cookie, from one fixed, invisible place.

    After a login the page posts a one-time code to the portal's own route, which answers
    with the cookie (`HttpOnly`, `SameSite=Lax`, `Secure` outside demo mode, which runs on
    plain http://localhost); after a logout it asks the other route to delete it. See
    components/session_cookie.py. Until the component reports success every run draws it
    again, so a click right after the login cannot lose the cookie; a failed attempt gets a
    fresh code. The fixed slot at the top keeps the component from shifting the page.
    """
    action = st.session_state.get(_COOKIE_ACTION_KEY)
    token = st.session_state.get(SESSION_KEY)
    if action is None or (action == "set" and token is None):
        st.session_state.pop(_COOKIE_ACTION_KEY, None)
        return
    code = st.session_state.get(_HANDOFF_KEY)
    if code is None:
        code = session_cookie.offer(token) if action == "set" else secrets.token_urlsafe(16)
        st.session_state[_HANDOFF_KEY] = code
    url = session_cookie.OPEN_PATH if action == "set" else session_cookie.LOGOUT_PATH
    with slot:
        done = session_cookie.sync(url=url, code=code, nonce=f"{action}:{code}")
    if done is not None:
        _cookie_reported(action, ok=done)


def _cookie_reported(action: str, *, ok: bool) -> None:
    """Done, or a fresh code for another try; after three failures (no cookie route: the app
    was started without portal.py) the tab stays logged in without a cookie."""
    st.session_state.pop(_HANDOFF_KEY, None)
    failures = 0 if ok else st.session_state.get(_COOKIE_FAILURES_KEY, 0) + 1
    st.session_state[_COOKIE_FAILURES_KEY] = failures
    if ok or failures >= 3:
        st.session_state.pop(_COOKIE_ACTION_KEY, None)
        st.session_state.pop(_COOKIE_FAILURES_KEY, None)
    if failures >= 3:
        log.warning("the server did not %s the session cookie (started without portal.py?)", action)


def _cookie_action(action: str) -> None:
    st.session_state[_COOKIE_ACTION_KEY] = action
    st.session_state.pop(_HANDOFF_KEY, None)
    st.session_state.pop(_COOKIE_FAILURES_KEY, None)


def logout() -> None:
    """Button callback: end the server-side session now; the cookie goes in the next run."""
    token = st.session_state.get(SESSION_KEY)
    if token is not None:
        end_session(databases(), token=token)
    _forget()
    st.session_state["logout"] = True
    _cookie_action("delete")


def logout_everywhere(ctx: PageContext) -> int:
    """ "Überall abmelden": every session of this account ends, this browser's too."""
    ended = end_all_sessions(ctx.viewer, ctx.db)
    _forget()
    st.session_state["logout"] = True
    _cookie_action("delete")
    return ended


def viewer_for(user: User) -> Viewer:
    viewer = user.viewer
    if viewer.is_staff:
        partner_id = st.session_state.get(VIEW_AS_KEY)
        return viewer.view_as(int(partner_id) if partner_id is not None else None)
    return viewer


def page_context() -> PageContext:
    """Set by Home.py before the page runs; pages call this instead of touching the session."""
    return st.session_state["_page_context"]
