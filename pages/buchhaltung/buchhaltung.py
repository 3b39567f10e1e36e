"""Buchhaltung: revenue, payouts and credit notes of the viewer's scope, one tab each.

The tabs are rendered by components (revenue_view, payout_views) so that the staff page
Auszahlungen can reuse them; each tab is guarded, so one failing tab leaves the others usable.
Only the open tab runs (tabs with state, `on_change="rerun"`): switching the revenue period
never reads payouts or credit notes, and the open tab is kept across reruns by its key.
`?gutschrift=<number>` (the link in the credit-note mail, core/links.py) shows that credit note
above the tabs and opens its payout.
"""

from __future__ import annotations

import streamlit as st

from components import payout_views, revenue_view, widgets
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context
from core import links

TAB_KEY = "accounting_tab"
_LINKED_KEY = "_accounting_linked"  # the credit-note number whose payout tab was opened

ctx = page_context()

number = st.query_params.get(links.CREDIT_NOTE_PARAM)
linked = payout_views.linked_credit_note(ctx, number)
labels = [t("accounting.tab_revenue"), t("accounting.tab_payouts"), t("accounting.tab_documents")]
if linked and st.session_state.get(_LINKED_KEY) != number:
    # A newly followed link opens the payouts tab once; afterwards the user's choice holds.
    st.session_state[_LINKED_KEY] = number
    st.session_state[TAB_KEY] = labels[1]
if st.session_state.get(TAB_KEY) not in labels:  # e.g. the language changed since
    st.session_state.pop(TAB_KEY, None)
revenue_tab, payouts_tab, documents_tab = st.tabs(labels, key=TAB_KEY, on_change="rerun")
# Only the open tab runs; the revenue period chosen stays for when its tab is opened again
# (Streamlit forgets the value of a widget a run does not draw).
if not revenue_tab.open:
    widgets.keep(revenue_view.CHOICES)
if revenue_tab.open:
    with revenue_tab:
        run_guarded("accounting/revenue", lambda: revenue_view.render(ctx))
if payouts_tab.open:
    with payouts_tab:
        run_guarded(
            "accounting/payouts",
            lambda: payout_views.render_payouts(
                ctx, payout_id=linked.payout_id if linked else None
            ),
        )
if documents_tab.open:
    with documents_tab:
        run_guarded(
            "accounting/documents",
            lambda: payout_views.render_documents(
                ctx, document_id=linked.document_id if linked else None
            ),
        )
