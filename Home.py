"""Miomente Partner-Portal: the entry point (`streamlit run Home.py`).

Sets up the page, logs the user in (or restores them from the cookie), builds the menu for
their role and runs the chosen page inside a guard that turns crashes into a calm message.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import layout, navigation, session

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="Miomente Partner-Portal", page_icon=":material/school:",
                   layout="wide", initial_sidebar_state="auto")
layout.apply_style()

settings = session.settings()
db = session.databases()
auth = session.authenticator(settings)
user = session.current_user(db, auth)
if user is None:
    user = layout.login_form(db, auth, settings)
if user is None:
    navigation.hidden_menu()
    st.stop()

ctx = session.PageContext(db=db, user=user, viewer=session.viewer_for(user), settings=settings)
st.session_state["_page_context"] = ctx
page = navigation.menu(is_staff=user.viewer.is_staff)
layout.sidebar(ctx)
layout.view_as_banner(ctx)
with layout.friendly_errors(page.url_path or "?"):
    page.run()
