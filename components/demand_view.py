"""Nachfrage on the Übersicht: a card per course that people want more of, with a one-click
extra date (the "Neuer Termin" dialog prefilled with the suggested day, time and seats).

The data is `data.demand.demand.course_demand`, a page of `PAGE_SIZE` cards at a time (staff
may narrow it to one partner), cached like the page's other figures.
"""

from __future__ import annotations

from datetime import date, time

import pandas as pd
import streamlit as st

from components import widgets
from components.cache import cached, viewer_partners
from components.date_form import new_date_dialog
from components.i18n import day, locale, money, number, t
from components.session import PageContext
from components.text import md
from core import i18n
from data.demand.demand import FROM_REQUESTS, course_demand

PAGE_SIZE = 6
COLUMNS = 3  # side by side from tablet width; Streamlit stacks them on a phone
OFFSET_KEY = "demand_offset"
PARTNER_KEY = "demand_partner"
MIN_SEATS = 10  # the Termine form's usual size; more when more people want the course


def _partner_filter(ctx: PageContext) -> int | None:
    """Staff who see every partner may narrow the cards to one."""
    if not ctx.viewer.sees_all:
        return None
    partners = viewer_partners(ctx)
    names = dict(zip(partners["partner_id"], partners["name"], strict=True))
    chosen = widgets.selectbox(
        st,
        t("demand.overview.partner"),
        [None, *names],
        format_func=lambda pid: t("demand.overview.all_partners") if pid is None else names[pid],
        key=PARTNER_KEY,
        on_change=lambda: st.session_state.pop(OFFSET_KEY, None),
    )
    return None if chosen is None else int(chosen)


def _suggestion_text(row: dict) -> str:
    when: date | None = row["suggested_day"]
    start: time | None = row["suggested_time"]
    if when is None or start is None:
        return t("demand.overview.no_suggestion")
    return t(
        "demand.overview.suggestion",
        weekday=i18n.weekday_name(when.weekday(), locale()),
        day=day(when),
        time=start.strftime("%H:%M"),
        why=t(f"demand.overview.from_{row['suggested_from']}"),
    )


def _parts(row: dict) -> list[str]:
    """Where the demand comes from; a source with nothing in it is left out."""
    parts = []
    if int(row["waiting_seats"]):
        parts.append(t("demand.overview.waiting", seats=int(row["waiting_seats"]),
                       people=int(row["waiting_people"])))  # fmt: skip
    if int(row["requests"]):
        parts.append(t("demand.overview.requested", asked=int(row["requested_people"]),
                       requests=int(row["requests"])))  # fmt: skip
    return parts


def _card(ctx: PageContext, row: dict, partner: str | None) -> None:
    pid = int(row["product_id"])
    with st.container(border=True):
        st.markdown(f"**{md(row['course'])}**")
        if partner is not None:
            st.caption(md(partner))
        revenue = row["expected_revenue"]
        st.markdown(
            t(
                "demand.overview.summary",
                n=int(row["demand"]),
                revenue=money(revenue) if revenue is not None and pd.notna(revenue) else "–",
            )
        )
        st.caption(" · ".join(_parts(row)))
        st.markdown(_suggestion_text(row))
        if st.button(
            t("demand.overview.create"),
            icon=":material/add:",
            key=f"demand_new_{pid}",
            type="primary" if row["suggested_from"] == FROM_REQUESTS else "secondary",
            width="stretch",
        ):
            new_date_dialog(
                ctx, pid, on=row["suggested_day"], start=row["suggested_time"],
                seats=max(MIN_SEATS, int(row["demand"])),
            )  # fmt: skip


def _pager(total: int, offset: int) -> None:
    if total <= PAGE_SIZE:
        return
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center")
    last = min(offset + PAGE_SIZE, total)
    middle.caption(t("demand.overview.range", first=number(offset + 1), last=number(last),
                     total=number(total)))  # fmt: skip
    if left.button(t("demand.overview.previous"), key="demand_prev", disabled=offset == 0):
        st.session_state[OFFSET_KEY] = max(offset - PAGE_SIZE, 0)
        st.rerun()
    if right.button(t("demand.overview.next"), key="demand_next", disabled=last >= total):
        st.session_state[OFFSET_KEY] = offset + PAGE_SIZE
        st.rerun()


def render_demand(ctx: PageContext) -> None:
    """The Nachfrage section: heading, (staff) partner filter, cards, paging."""
    st.subheader(t("demand.overview.title"))
    st.caption(t("demand.overview.help"))
    partner_id = _partner_filter(ctx)
    offset = int(st.session_state.get(OFFSET_KEY, 0))
    page = cached(
        course_demand, ctx.viewer, ctx.db, partner_id=partner_id, limit=PAGE_SIZE, offset=offset
    )
    if page.total and page.courses.empty:  # fewer courses than before: back to the start
        st.session_state[OFFSET_KEY] = 0
        st.rerun()
    if page.courses.empty:
        st.info(t("demand.overview.empty"), icon=":material/trending_flat:")
        return
    names: dict[int, str] = {}
    if ctx.viewer.sees_all:
        partners = viewer_partners(ctx)
        names = dict(zip(partners["partner_id"], partners["name"], strict=True))
    rows = page.courses.to_dict("records")
    for start in range(0, len(rows), COLUMNS):
        cols = st.columns(COLUMNS)
        for col, row in zip(cols, rows[start : start + COLUMNS], strict=False):
            with col:
                _card(ctx, row, names.get(int(row["partner_id"])) if names else None)
    _pager(page.total, offset)
