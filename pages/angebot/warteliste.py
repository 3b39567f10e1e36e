"""Warteliste: who waits for which course and date, the phone sign-up, the settings.

Each tab is rendered by components/waitlist_view.py and guarded, so one failing tab leaves
the others usable.
"""

from __future__ import annotations

import streamlit as st

from components import waitlist_view
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()

courses_tab, signup_tab, settings_tab = st.tabs(
    [t("waitlist.tab_courses"), t("waitlist.tab_signup"), t("waitlist.tab_settings")]
)
with courses_tab:
    run_guarded("waitlist/courses", lambda: waitlist_view.render_courses(ctx))
with signup_tab:
    run_guarded("waitlist/signup", lambda: waitlist_view.render_signup(ctx))
with settings_tab:
    run_guarded("waitlist/settings", lambda: waitlist_view.render_settings(ctx))
