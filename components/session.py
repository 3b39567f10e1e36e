"""Per-session state: the databases, who is logged in, whom staff view as, the page context.

Login: our own German form checks the password and the lockout in the portal database
(data.access.users.authenticate); streamlit-authenticator keeps the signed re-authentication cookie,
so a reload on any page keeps the user logged in and on that page.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import streamlit_authenticator as stauth
from streamlit.delta_generator import DeltaGenerator

from components.i18n import t
from core.db import Databases, open_databases
from core.settings import Settings, load_settings
from data.access.users import User, load_user
from data.access.viewer import Viewer

log = logging.getLogger(__name__)

USER_KEY = "auth_user_id"
VIEW_AS_KEY = "view_as_partner_id"
# "set" after a login, "delete" after a logout, until the browser's cookies show it done.
_COOKIE_ACTION_KEY = "_auth_cookie_action"


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


def _cookie_key(settings: Settings) -> str:
    if settings.cookie_key:
        return settings.cookie_key
    # Demo mode only (load_settings insists on a key otherwise): a random key kept beside the
    # demo databases, so cookies survive an app restart but never a new demo directory.
    path: Path = settings.demo_dir / "cookie.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48), encoding="ascii")
    return path.read_text(encoding="ascii").strip()


def authenticator(settings: Settings) -> stauth.Authenticate:
    return stauth.Authenticate(
        {"usernames": {}},
        cookie_name=settings.cookie_name,
        cookie_key=_cookie_key(settings),
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
    )


def current_user(db: Databases, auth: stauth.Authenticate) -> User | None:
    """The logged-in user from this session, or from a valid cookie after a reload."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is not None:
        user = load_user(db, user_id=int(user_id))
        if user is None:  # deactivated or locked meanwhile
            st.session_state.pop(USER_KEY, None)
        return user
    token = auth.cookie_controller.get_cookie()
    if token and isinstance(token, dict):
        user = load_user(db, username=str(token.get("username", "")))
        if user is not None:
            remember(user)
            return user
    return None


def remember(user: User) -> None:
    st.session_state[USER_KEY] = user.user_id
    st.session_state.setdefault("locale", user.locale)


def start_cookie(user: User) -> None:
    """After a login: the next `sync_cookie` writes the signed re-authentication cookie."""
    st.session_state["username"] = user.username  # the cookie controller signs this name
    st.session_state["logout"] = None
    st.session_state[_COOKIE_ACTION_KEY] = "set"


def sync_cookie(auth: stauth.Authenticate, slot: DeltaGenerator) -> None:
    """Write or delete the cookie in one fixed, invisible place, repeated until it took.

    A browser-side component writes the cookie and reports `True` under its widget key
    ("set" / "delete") once its script ran; until then every run renders it again, so a
    click right after login cannot lose the cookie. The fixed slot at the top keeps the
    component from shifting (and briefly doubling) the page below it.
    """
    action = st.session_state.get(_COOKIE_ACTION_KEY)
    if action is None:
        return
    if st.session_state.get(action) is True:  # the component's report
        st.session_state.pop(_COOKIE_ACTION_KEY, None)
        return
    with slot:
        if action == "set" and st.session_state.get(USER_KEY) is not None:
            auth.cookie_controller.set_cookie()
        elif action == "delete":
            auth.cookie_controller.delete_cookie()


def logout() -> None:
    """Button callback: forget the user now; the cookie is deleted in the next script run."""
    for key in (USER_KEY, VIEW_AS_KEY, "username"):
        st.session_state.pop(key, None)
    st.session_state["logout"] = True
    st.session_state[_COOKIE_ACTION_KEY] = "delete"


def viewer_for(user: User) -> Viewer:
    viewer = user.viewer
    if viewer.is_staff:
        partner_id = st.session_state.get(VIEW_AS_KEY)
        return viewer.view_as(int(partner_id) if partner_id is not None else None)
    return viewer


def page_context() -> PageContext:
    """Set by Home.py before the page runs; pages call this instead of touching the session."""
    return st.session_state["_page_context"]
