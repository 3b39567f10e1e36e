"""Bewertungen: the views of the partner's reviews, chosen with a segmented control.

Each view is a component's `render(ctx)`, guarded, so a failing view leaves the page usable.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import review_requests_view
from components.i18n import t
from components.layout import run_guarded
from components.session import PageContext, page_context

ctx = page_context()

VIEWS: dict[str, Callable[[PageContext], None]] = {
    "requests": review_requests_view.render,
}

chosen = st.segmented_control(
    t("reviews.views.label"),
    list(VIEWS),
    format_func=lambda key: t(f"reviews.views.{key}"),
    default="requests",
    key="reviews_view",
    label_visibility="collapsed",
)
view = chosen or "requests"  # a deselected control keeps the first view
run_guarded(f"reviews/{view}", lambda: VIEWS[view](ctx))
