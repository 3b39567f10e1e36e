"""Übersicht: what needs attention now and how business is going, for the viewer's scope."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import news_view
from components.cache import cached
from components.date_form import new_date_dialog
from components.demand_view import render_demand
from components.i18n import (
    day,
    each_distinct,
    money,
    money_column,
    month_label,
    number,
    percent,
    t,
    weekday,
)
from components.session import page_context
from components.text import md
from core import periods
from core.clock import BERLIN
from data import overview
from data.access.partners import list_partners
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
week = pd.DataFrame()
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
    week = cached(overview.week_dates, viewer, db, today=today)
    sold, total = int(week["seats_sold"].sum()), int(week["seats_total"].sum())
    cols["dates"].metric(
        t("overview.week_dates"),
        number(len(week)),
        delta=t("overview.week_seats", sold=number(sold), total=number(total)),
        delta_color="off",
        delta_arrow="off",
        border=True,
    )
if not sees["dates"]:
    st.stop()  # Buchhaltung: the week's dates and the demand are the team's business
partners_list = cached(list_partners, viewer, db) if viewer.sees_all else None

span = periods.week_of(today)
st.subheader(t("overview.week_title", first=day(span.first_day), last=day(span.last_day)))
if not viewer.sees_all and st.button(
    t("dates.new_date"), icon=":material/add:", key="overview_new_date"
):
    new_date_dialog(ctx)
if week.empty:
    st.info(t("overview.week_empty"), icon=":material/event_available:")
else:
    columns: dict[str, object] = {}
    if viewer.sees_all:
        names = dict(zip(partners_list["partner_id"], partners_list["name"], strict=True))
        columns[t("overview.col_partner")] = [names.get(pid, "–") for pid in week["partner_id"]]
    local = pd.to_datetime(week["starts_at"]).dt.tz_localize("UTC").dt.tz_convert(BERLIN)
    table = pd.DataFrame(
        {
            **columns,
            # A column at a time: Berlin times vectorised, each day's label once.
            t("overview.col_day"): each_distinct(local.dt.date, lambda d: f"{weekday(d)} {day(d)}"),
            t("overview.col_time"): local.dt.strftime("%H:%M"),
            t("overview.col_course"): week["course"],
            t("overview.col_seats"): [
                f"{a} / {b}" for a, b in zip(week["seats_sold"], week["seats_total"], strict=True)
            ],
            t("overview.col_occupancy"): [
                round(100 * a / b) if b else 0
                for a, b in zip(week["seats_sold"], week["seats_total"], strict=True)
            ],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            t("overview.col_occupancy"): st.column_config.ProgressColumn(
                format="%d %%", min_value=0, max_value=100
            )
        },
    )

if allows(viewer, WAITLIST_READ):
    render_demand(ctx)

if viewer.sees_all:
    st.subheader(t("overview.partners_title"))
    partners = cached(overview.partner_table, viewer, db, today=today)
    st.dataframe(
        pd.DataFrame(
            {
                t("overview.col_partner"): partners["name"],
                t("overview.col_city"): partners["city"],
                t("overview.col_courses"): partners["courses"],
                t("overview.col_pending"): partners["pending"],
                t("overview.col_revenue"): money_column(partners["revenue_month"]),
                t("overview.col_rating"): each_distinct(
                    partners["rating"],
                    lambda v: number(v, digits=1) if v is not None and pd.notna(v) else "–",
                ),
            }
        ),
        hide_index=True,
        width="stretch",
    )
