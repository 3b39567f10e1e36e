"""Marketing: the Qualitäts-Score, keyword ideas, the price position and the Ratgeber.

A segmented control picks one view; only the visible view runs. A link to a Ratgeber page
(`?ratgeber=<slug>`, from the checklist or a mail) opens the Ratgeber view first.
"""

from __future__ import annotations

import streamlit as st

from components import marketing_more, score_view
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()

VIEWS = {
    "score": score_view.render_scores,
    "keywords": marketing_more.render_keywords,
    "price": marketing_more.render_price_position,
    "guides": marketing_more.render_guides,
}
start = "guides" if marketing_more.wants_guide() else "score"
chosen = st.segmented_control(
    t("score.views"), list(VIEWS), default=start, key=f"marketing_view_{start}",
    format_func=lambda v: t(f"score.view_{v}"), label_visibility="collapsed",
)  # fmt: skip
view = chosen if chosen in VIEWS else start
run_guarded(f"marketing/{view}", lambda: VIEWS[view](ctx))
