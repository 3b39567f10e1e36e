"""Shared page furniture: login form, sidebar, headers, placeholders, friendly errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC

import streamlit as st

from components import session, team_view, two_factor_view
from components.cache import cached
from components.feedback import show_refusal
from components.i18n import locale, t
from components.search_picker import search_picker
from components.text import md
from core import i18n, links
from core.db import Databases
from core.settings import Settings
from core.validation import InvalidInput
from data.access.partners import SEARCH_LIMIT, choosable_names, search_choosable
from data.access.resets import reset_link_valid, reset_password
from data.access.totp import is_enabled
from data.access.users import LoginOutcome, User, authenticate, set_locale

log = logging.getLogger(__name__)

# Wider tap targets and less padding on phones (390 px); on a desktop a narrower margin, so a
# wide table's columns all fit. KPI cards (st.metric) never cut a figure off: the value's font
# follows the card's width (a container query), and label, value and delta wrap instead of
# ending in "…" when even that is not enough.
_CSS = """
<style>
@media (min-width: 641px) {
  .block-container { padding-left: 2rem; padding-right: 2rem; }
}
@media (max-width: 640px) {
  .block-container { padding: 1rem 0.75rem 3rem 0.75rem; }
}
div[data-testid="stMetric"] { container-type: inline-size; }
div[data-testid="stMetricValue"] { font-size: min(2.25rem, 15cqi); }
div[data-testid="stMetric"] .stMarkdownEllipsis,
div[data-testid="stMetric"] .stMarkdownEllipsis p {
  white-space: normal; overflow: visible; text-overflow: clip; overflow-wrap: anywhere;
}
</style>
"""

# On a narrow screen the sidebar lies over the page; Streamlit closes it after a click in the
# menu only on a phone's user agent, not in a narrow window (or a phone asking for the desktop
# site). This closes it whenever the window is as narrow as Streamlit's overlay breakpoint.
_CLOSE_MENU_ON_NAVIGATION = """
<script>
(() => {
  if (window.__mioMenuCloses) return;
  window.__mioMenuCloses = true;
  document.addEventListener("click", (event) => {
    if (!event.target.closest('[data-testid="stSidebarNavLink"]')) return;
    if (!window.matchMedia("(max-width: 768px)").matches) return;
    setTimeout(() => {
      const sidebar = document.querySelector('[data-testid="stSidebar"]');
      if (sidebar === null || sidebar.getAttribute("data-collapsed") !== "false") return;
      document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
    }, 0);
  }, true);
})();
</script>
"""


def apply_style() -> None:
    st.html(_CSS)


def _reset_form(db: Databases, token: str) -> bool:
    """The reset link's form. False once there is nothing (more) to do with the link: it was
    used just now or is invalid; then the login form follows below the message."""
    if not reset_link_valid(db, token=token):
        st.error(t("password.reset_invalid"))
        return False
    st.title(t("app.title"))
    with st.form("password_reset", clear_on_submit=True):
        st.subheader(t("password.reset_title"))
        st.caption(t("password.reset_intro") + " " + t("password.rules"))
        new = st.text_input(
            t("password.new"), type="password", key="reset_new", autocomplete="new-password"
        )
        repeated = st.text_input(
            t("password.repeat"), type="password", key="reset_repeat", autocomplete="new-password"
        )
        submitted = st.form_submit_button(t("password.reset_submit"), type="primary")
    if not submitted:
        return True
    try:
        reset_password(db, token=token, new=new, repeated=repeated)
    except InvalidInput as exc:
        show_refusal(exc)
        return True
    del st.query_params[links.RESET_PARAM]
    st.success(t("password.reset_done"))
    return False


def login_form(db: Databases, settings: Settings) -> User | None:
    """The German login form; returns the user once the password was right.

    A password-reset link (`?passwort=…`, core/links.py) shows its form instead.
    """
    token = st.query_params.get(links.RESET_PARAM)
    if token is not None and _reset_form(db, token):
        return None
    # The password was right, the second factor is still to come (components/two_factor_view.py).
    pending = two_factor_view.pending_user_id()
    if pending is not None:
        return two_factor_view.code_step(db, settings, pending)
    invitation = st.query_params.get(links.INVITATION_PARAM)
    if invitation is not None:
        joined = team_view.join_form(db, invitation)
        if isinstance(joined, User):  # a new member: logged in at once
            session.start_session(db, settings, joined)
            return joined
        if joined is None:
            return None
    box = st.empty()
    with box.container():
        st.title(t("app.title"))
        st.caption(t("app.tagline"))
        with st.form("login", clear_on_submit=False):
            st.subheader(t("login.title"))
            username = st.text_input(
                t("login.username"), key="login_username", autocomplete="username"
            )
            password = st.text_input(
                t("login.password"),
                type="password",
                key="login_password",
                autocomplete="current-password",
            )
            submitted = st.form_submit_button(t("login.submit"), type="primary", width="stretch")
        if settings.demo_mode:
            _demo_logins()
        if not submitted:
            return None
        result = authenticate(db, username=username, password=password)
        if result.outcome is not LoginOutcome.OK or result.user is None:
            _login_error(result)
            return None
    box.empty()
    if is_enabled(db, user_id=result.user.user_id):
        # No session yet: it starts only after the code (or a recovery code).
        two_factor_view.ask_for_code(result.user)
        st.rerun()
    session.start_session(db, settings, result.user)
    return result.user


def _login_error(result) -> None:
    if result.outcome is LoginOutcome.EMPTY:
        st.warning(t("login.empty"))
    elif result.outcome is LoginOutcome.TOO_LONG:
        st.error(t("login.too_long"))
    elif result.outcome is LoginOutcome.LOCKED:
        until = result.locked_until.replace(tzinfo=UTC)
        st.error(t("login.locked", time=i18n.time_of_day(until, locale())))
    else:
        st.error(t("login.invalid"))


def _demo_logins() -> None:
    from data.demo import DEMO_LOGINS, DEMO_PASSWORD
    from data.demo.team import DEMO_TEAM_LOGINS

    with st.expander(t("login.demo_title"), expanded=True):
        st.caption(t("login.demo_hint"))
        for username, password, role in DEMO_LOGINS:
            label = t("login.demo_staff") if role == "staff" else t("login.demo_partner")
            st.markdown(f"- **{label}:** `{username}` / `{password}`")
        for username, member_role in DEMO_TEAM_LOGINS:  # the Kochschule's team members
            label = f"{t('login.demo_partner')} · {team_view.role_label(member_role)}"
            st.markdown(f"- **{label}:** `{username}` / `{DEMO_PASSWORD}`")


def sidebar(ctx: session.PageContext) -> None:
    with st.sidebar:
        st.caption(t("login.signed_in_as", name=md(ctx.user.display_name)))
        if ctx.user.viewer.is_staff:
            _view_as(ctx)
        _language_switch(ctx)
        st.button(
            t("login.logout"),
            on_click=session.logout,
            icon=":material/logout:",
            width="stretch",
            key="logout_button",
        )
        if ctx.settings.demo_mode:
            st.caption(t("app.demo_banner"))
        st.html(_CLOSE_MENU_ON_NAVIGATION, unsafe_allow_javascript=True)


def _view_as(ctx: session.PageContext) -> None:
    """Staff choose a partner to view as by searching (2,000 partners are no select list)."""
    current = st.session_state.get(session.VIEW_AS_KEY)
    staff = ctx.user.viewer
    chosen = (
        cached(choosable_names, staff, ctx.db, partner_ids=(int(current),))
        if current is not None
        else {}
    )

    def search(text: str) -> dict[int, str]:
        found = cached(search_choosable, staff, ctx.db, text=text)
        return dict(zip(found["partner_id"], found["name"], strict=True))

    search_picker(
        st,
        t("view_as.label"),
        key="_view_as_choice",
        search=search,
        chosen=chosen,
        limit=SEARCH_LIMIT,
        none_label=t("view_as.all"),
        search_label=t("view_as.search"),
        placeholder=t("view_as.placeholder"),
        on_change=_store_view_as,
    )


def _store_view_as() -> None:
    st.session_state[session.VIEW_AS_KEY] = st.session_state.get("_view_as_choice")


def _language_switch(ctx: session.PageContext) -> None:
    labels = {"de": t("language.de"), "en": t("language.en")}
    choice = st.segmented_control(
        t("language.label"),
        list(labels),
        format_func=labels.get,
        default=locale(),
        key="_language_choice",
    )
    if choice and choice != locale():
        st.session_state["locale"] = choice
        set_locale(ctx.user.viewer, ctx.db, locale=choice)
        st.rerun()


def view_as_banner(ctx: session.PageContext) -> None:
    if ctx.user.viewer.is_staff and ctx.viewer.partner_id is not None:
        names = cached(
            choosable_names, ctx.user.viewer, ctx.db, partner_ids=(ctx.viewer.partner_id,)
        )
        st.info(
            t("view_as.active", partner=md(names.get(ctx.viewer.partner_id, "?"))),
            icon=":material/visibility:",
        )


def coming_soon() -> None:
    st.info(t("app.coming_soon"), icon=":material/construction:")


@contextmanager
def friendly_errors(where: str) -> Iterator[None]:
    """Log what the user cannot act on, with context, and show a calm German message."""
    try:
        yield
    except Exception:  # st.stop/st.rerun are BaseExceptions and pass through
        log.exception("unhandled error on %s", where)
        st.error(t("app.error"), icon=":material/error:")


def run_guarded(where: str, fn: Callable[[], None]) -> None:
    with friendly_errors(where):
        fn()
