"""Termine → "Kalender abonnieren": the partner's subscription address (data/dates/ical_feed.py)
in a copy field, made on request, renewable (the old address stops working) and endable."""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.i18n import day, t
from components.session import PageContext
from core import links
from data.dates import ical_feed


def _renew(ctx: PageContext) -> None:
    ical_feed.renew_feed(ctx.viewer, ctx.db)


def _end(ctx: PageContext) -> None:
    ical_feed.end_feed(ctx.viewer, ctx.db)


def render_subscription(ctx: PageContext, where: Any) -> None:
    """A popover beside the .ics download; nothing for staff looking at every partner."""
    if ctx.viewer.partner_id is None:
        return
    with where.popover(t("ical_feed.title"), icon=":material/event_repeat:", width="stretch"):
        feed = ical_feed.current_feed(ctx.viewer, ctx.db)
        if feed is None:
            st.caption(t("ical_feed.intro"))
            st.button(t("ical_feed.create"), key="ical_feed_create", on_click=_renew, args=(ctx,))
            return
        st.caption(t("ical_feed.how"))
        # st.code has a copy button: the address is copied with one tap.
        st.code(links.ical_feed_url(feed.token), language=None, wrap_lines=True)
        st.caption(t("ical_feed.secret", day=day(feed.created_at.date())))
        renew_col, end_col = st.columns(2)
        renew_col.button(t("ical_feed.renew"), key="ical_feed_renew", on_click=_renew, args=(ctx,))
        end_col.button(t("ical_feed.end"), key="ical_feed_end", on_click=_end, args=(ctx,))
