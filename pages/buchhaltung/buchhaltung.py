"""Buchhaltung: revenue, payouts and credit notes of the viewer's scope, one tab each.

The tabs are rendered by components (revenue_view, payout_views) so that the staff page
Auszahlungen can reuse them; each tab is guarded, so one failing tab leaves the others usable.
"""

from __future__ import annotations

import streamlit as st

from components import payout_views, revenue_view
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()

revenue_tab, payouts_tab, documents_tab = st.tabs(
    [t("accounting.tab_revenue"), t("accounting.tab_payouts"), t("accounting.tab_documents")]
)
with revenue_tab:
    run_guarded("accounting/revenue", lambda: revenue_view.render(ctx))
with payouts_tab:
    run_guarded("accounting/payouts", lambda: payout_views.render_payouts(ctx))
with documents_tab:
    run_guarded("accounting/documents", lambda: payout_views.render_documents(ctx))
