"""Neuigkeiten: partners read what Miomente announces; staff write, schedule and withdraw.

Staff over all partners get three views (write with preview, the list with reads, the feed
as a partner sees it); a partner, and staff viewing as one, see the feed.
"""

from __future__ import annotations

import streamlit as st

from components import news_view
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()

if ctx.viewer.is_staff and ctx.viewer.partner_id is None:
    views = {t(f"news.tab_{key}"): key for key in ("write", "list", "feed")}
    chosen = st.segmented_control(
        t("news.view"), list(views), default=next(iter(views)), key="news_view",
        label_visibility="collapsed",
    )  # fmt: skip
    view = views.get(chosen or "", "write")
    if view == "list":
        run_guarded("news/list", lambda: news_view.render_list(ctx))
    elif view == "feed":
        run_guarded("news/feed", lambda: news_view.render_feed(ctx))
    else:
        run_guarded("news/write", lambda: news_view.render_editor(ctx))
else:
    run_guarded("news/feed", lambda: news_view.render_feed(ctx))
