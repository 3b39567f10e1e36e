"""Übersicht: what needs attention now and how business is going, for the viewer's scope."""

from __future__ import annotations

import streamlit as st

from components import news_view, overview_tables, paging
from components.cache import cached
from components.date_form import new_date_dialog
from components.demand_view import render_demand
from components.i18n import day, money, month_label, number, percent, t
from components.session import page_context
from components.text import md
from core import periods
from data import overview
from data.access.permissions import (
    DATES_READ,
    MONEY_READ,
    ORDERS_READ,
    REVIEWS_READ,
    WAITLIST_READ,
    allows,
)

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
today = periods.berlin_today()

if viewer.sees_all:
    subtitle = t("overview.subtitle_staff")
elif ctx.user.viewer.is_staff:
    subtitle = None  # the "view as" banner already names the partner
else:
    subtitle = t("overview.subtitle_partner", partner=md(ctx.user.partner_name))
if subtitle:
    st.caption(subtitle)
if not ctx.user.viewer.is_staff:
    news_view.newest_unread_card(ctx)  # the newest unread announcement, if any

# A team member sees the parts its role allows: Team no money, Buchhaltung only money.
sees = {
    "orders": allows(viewer, ORDERS_READ),
    "money": allows(viewer, MONEY_READ),
    "reviews": allows(viewer, REVIEWS_READ),
    "dates": allows(viewer, DATES_READ),
}
figures = [name for name, shown in sees.items() if shown]
cols = dict(zip(figures, st.columns(max(len(figures), 1)), strict=False))
if sees["orders"]:
    pending = cached(overview.pending_confirmations, viewer, db)
    cols["orders"].metric(
        t("overview.pending"), number(pending), help=t("overview.pending_help"), border=True
    )
if sees["money"]:
    revenue = cached(overview.revenue_this_month, viewer, db, today=today)
    last_month = periods.previous_month(today).first_day
    if revenue.last_until is not None:  # like for like: the same days of last month
        compared = t("overview.days_of", first=day(last_month), last=day(revenue.last_until))
    else:
        compared = month_label(last_month)
    cols["money"].metric(
        t("overview.revenue_month"),
        money(revenue.this_month),
        delta=t("overview.vs_last_month", change=percent(revenue.change, signed=True))
        if revenue.change is not None
        else None,
        # Streamlit colours by the delta's sign: a rise green, a fall red (never a green fall).
        delta_color="normal",
        help=t("overview.revenue_help", last=f"{compared}: {money(revenue.last_month)}"),
        border=True,
    )
if sees["reviews"]:
    rating = cached(overview.average_rating, viewer, db)
    cols["reviews"].metric(
        t("overview.rating"),
        t("overview.rating_value", stars=number(rating.average, digits=1))
        if rating.average is not None
        else t("overview.no_rating"),
        delta=t("overview.rating_count", n=number(rating.reviews)) if rating.reviews else None,
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
if sees["dates"]:
    week_totals = cached(overview.week_totals, viewer, db, today=today)
    cols["dates"].metric(
        t("overview.week_dates"),
        number(week_totals.dates),
        delta=t(
            "overview.week_seats",
            sold=number(week_totals.seats_sold),
            total=number(week_totals.seats_total),
        ),
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
else:
    st.stop()  # Buchhaltung: the week's dates and the demand are the team's business


span = periods.week_of(today)
st.subheader(t("overview.week_title", first=day(span.first_day), last=day(span.last_day)))
if not viewer.sees_all and st.button(
    t("dates.new_date"), icon=":material/add:", key="overview_new_date"
):
    new_date_dialog(ctx)
if week_totals.dates == 0:
    st.info(t("overview.week_empty"), icon=":material/event_available:")
else:
    page, size = paging.current("overview_week", default_size=overview.DEFAULT_PAGE_SIZE)
    week = cached(overview.week_page, viewer, db, today=today, page=page, page_size=size)
    if week.paged:
        st.caption(t("overview.paged", shown=number(len(week.rows)), total=number(week.total)))
    st.dataframe(
        overview_tables.week_table(week.rows, with_partner=viewer.sees_all),
        hide_index=True,
        width="stretch",
        column_config={
            t("overview.col_occupancy"): st.column_config.ProgressColumn(
                format="%d %%", min_value=0, max_value=100
            )
        },
    )
    if week.paged:
        paging.pager(week, key="overview_week", sizes=overview.PAGE_SIZES)

if allows(viewer, WAITLIST_READ):
    render_demand(ctx)

if viewer.sees_all:
    st.subheader(t("overview.partners_title"))
    page, size = paging.current("overview_partners", default_size=overview.DEFAULT_PAGE_SIZE)
    partners = cached(overview.partner_page, viewer, db, today=today, page=page, page_size=size)
    if partners.paged:
        st.caption(
            t(
                "overview.paged_partners",
                shown=number(len(partners.rows)),
                total=number(partners.total),
            )
        )
    st.dataframe(overview_tables.partner_table(partners.rows), hide_index=True, width="stretch")
    if partners.paged:
        paging.pager(partners, key="overview_partners", sizes=overview.PAGE_SIZES)
