"""Buchhaltung: revenue, payouts and credit notes of the viewer's scope, one tab each.

The tabs are rendered by components (revenue_view, payout_views) so that the staff page
Auszahlungen can reuse them; each tab is guarded, so one failing tab leaves the others usable.
`?gutschrift=<number>` (the link in the credit-note mail, core/links.py) shows that credit note
above the tabs and opens its payout.
"""

from __future__ import annotations

import streamlit as st

from components import payout_views, revenue_view
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context
from core import links

ctx = page_context()

linked = payout_views.linked_credit_note(ctx, st.query_params.get(links.CREDIT_NOTE_PARAM))
revenue_tab, payouts_tab, documents_tab = st.tabs(
    [t("accounting.tab_revenue"), t("accounting.tab_payouts"), t("accounting.tab_documents")],
    default=t("accounting.tab_payouts") if linked else None,
)
with revenue_tab:
    run_guarded("accounting/revenue", lambda: revenue_view.render(ctx))
with payouts_tab:
    run_guarded(
        "accounting/payouts",
        lambda: payout_views.render_payouts(ctx, payout_id=linked.payout_id if linked else None),
    )
with documents_tab:
    run_guarded(
        "accounting/documents",
        lambda: payout_views.render_documents(
            ctx, document_id=linked.document_id if linked else None
        ),
    )
