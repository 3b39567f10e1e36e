"""Miomente Partner-Portal: the page script (`streamlit run portal.py` serves it).

Sets up the page, logs the user in (or restores them from the cookie), builds the menu for
their role, draws the chosen page's title and the messages the last action left (the flash),
and runs the page. Anything unexpected is logged with its context and shown as a calm
message, never as a traceback.
"""

from __future__ import annotations

import logging
import time

import streamlit as st

from components import (
    confirm,
    layout,
    menu_counts,
    navigation,
    session,
    two_factor_view,
    waitlist_view,
    widgets,
)
from components.i18n import t
from components.text import md
from core import links
from core.settings import ConfigError

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("miomente.app")
# One line per script run with its server-side time (bench/bench_pages.py reads them).
timing = logging.getLogger("miomente.timing")


def main() -> None:
    try:
        settings = session.settings()
    except ConfigError as exc:
        log.error("configuration error: %s", exc)
        st.error(t("app.config_error", details=md(exc)), icon=":material/settings_alert:")
        st.stop()
    navigation.hidden_menu()  # before the slow part: no raw file names in the sidebar meanwhile
    db = session.databases()
    if (token := st.query_params.get(links.WAITLIST_UNSUBSCRIBE_PARAM)) is not None:
        waitlist_view.unsubscribe_from_link(db, token)  # a customer's link: no login
        return
    cookie_slot = st.container()  # the cookie components live here, above everything else
    user = session.current_user(db, settings)
    if user is None:
        user = layout.login_form(db, settings)
    session.sync_cookie(settings, cookie_slot)
    if user is None or two_factor_view.staff_gate(db, settings, user):
        return
    ctx = session.PageContext(db=db, user=user, viewer=session.viewer_for(user), settings=settings)
    st.session_state["_page_context"] = ctx
    page = navigation.menu(
        is_staff=user.viewer.is_staff,
        counts=menu_counts.menu_counts(ctx),
        permissions=user.viewer.permissions,
    )
    layout.sidebar(ctx)
    st.title(navigation.spec_of(page).title(name=md(user.display_name)))
    layout.view_as_banner(ctx)
    confirm.show_flash()
    two_factor_view.recovery_notice()
    with layout.friendly_errors(f"page {page.url_path} for user {user.user_id}"):
        page.run()


# A slimmer menu (256 px, its labels fit) leaves wide tables their columns at 1280 px.
st.set_page_config(
    page_title="Miomente Partner-Portal",
    page_icon=":material/school:",
    layout="wide",
    initial_sidebar_state=256,
)
started = time.perf_counter()
try:
    layout.apply_style()
    widgets.localize_streamlit()  # Streamlit's own English texts in the session's language
    with layout.friendly_errors("app start"):
        main()
finally:  # also when st.rerun/st.stop end the run early
    timing.info("script run %.1f ms", (time.perf_counter() - started) * 1000)
