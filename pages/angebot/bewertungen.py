"""Bewertungen: a partner's reviews at a glance, the list, and the answers to them.

The views are a segmented control over `VIEWS` (key → renderer): the figures, the list with
the answers, and the review requests after the course (settings, sent, response rate). A
link to one review (`?bewertung=`) opens the list with it on top.
Staff over all partners see every review; answering is the partner's (staff view as one to
read its answers, never to write them).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components import review_requests_view, reviews_view
from components.i18n import t
from components.layout import run_guarded
from components.session import PageContext, page_context

ctx = page_context()

VIEWS: dict[str, Callable[[PageContext], None]] = {
    "overview": reviews_view.render_overview,
    "list": reviews_view.render_list,
    "requests": review_requests_view.render,
}
# The labels are the options (no format_func), as on the other pages with views.
labels = {t(f"reviews.view_{key}"): key for key in VIEWS}
default = "list" if reviews_view.requested_review() is not None else next(iter(VIEWS))
chosen = st.segmented_control(
    t("reviews.view"), list(labels), default=t(f"reviews.view_{default}"), key="reviews_view",
    label_visibility="collapsed",
)  # fmt: skip
view = labels.get(chosen or "", default)
run_guarded(f"reviews/{view}", lambda: VIEWS[view](ctx))
