"""The menu's counts: open date requests, waiting people and unread news, e.g.
"Terminanfragen (3)".

Read on every script run, so each is one small indexed count, remembered for half a minute
per viewer (a partner sees its own, staff everyone's or the viewed partner's). A failing
count never breaks the menu: it is logged and the label stays without a number.
"""

from __future__ import annotations

import logging

import streamlit as st

from components.session import PageContext
from core.db import Databases
from data.access.permissions import WAITLIST_READ, allows
from data.access.viewer import Viewer
from data.demand.date_requests import open_requests
from data.demand.waitlist import waiting_people
from data.news.announcements import unread_count

log = logging.getLogger(__name__)
TTL_SECONDS = 30


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=2000)
def _counts(viewer: Viewer, db_key: str, _db: Databases) -> dict[str, int]:
    # A team member's role may not see the waitlist (Buchhaltung): no count, no refusal.
    waiting = allows(viewer, WAITLIST_READ)
    return {
        "date_requests": open_requests(viewer, _db) if waiting else 0,
        "waitlist": waiting_people(viewer, _db) if waiting else 0,
        # Staff write the news: their menu counts none.
        "news": 0 if viewer.is_staff else unread_count(viewer, _db),
    }


def menu_counts(ctx: PageContext) -> dict[str, int]:
    """Page key -> count for the menu's labels; empty when the counts cannot be read."""
    try:
        db_key = ctx.db.portal.url.render_as_string(hide_password=True)
        return _counts(ctx.viewer, db_key, ctx.db)
    except Exception:  # the menu must come up even when a count fails
        log.exception("menu counts failed for user %s", ctx.user.user_id)
        return {}


def forget() -> None:
    """After an answer or a sign-up: the next run shows the new counts at once."""
    _counts.clear()
