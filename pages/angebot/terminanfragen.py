"""Terminanfragen: customers' wishes for extra dates, answered by the partner (issue 12).

Open requests grouped by course and day with the working days left, answered by accepting,
proposing another date or rejecting; the answered ones; the partner's rules. Staff see every
partner's requests (or one partner's, viewing as it).
"""

from __future__ import annotations

import streamlit as st

from components.date_requests_view import render_answered, render_open, render_rules
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()
st.caption(t("date_requests.intro", n=5))
open_tab, answered_tab, rules_tab = st.tabs(
    [t("date_requests.tab_open"), t("date_requests.tab_answered"), t("date_requests.tab_rules")]
)
with open_tab:
    run_guarded("date_requests/open", lambda: render_open(ctx))
with answered_tab:
    run_guarded("date_requests/answered", lambda: render_answered(ctx))
with rules_tab:
    run_guarded("date_requests/rules", lambda: render_rules(ctx))
