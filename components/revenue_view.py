"""The revenue dashboard (Buchhaltung → Umsatz) for the viewer's scope.

Period picker (month, quarter, year, a range of months) and the month basis (booking date or
event date) at the top; then the period's figures with their change against the previous
period and the same period last year, revenue by month and by year (Plotly, German number
formats), revenue per course (chart and table) and, for staff who see all partners, the top
partners with the commission earned. Figures come from data.money.revenue (cached for a minute per
viewer and arguments); this module runs no SQL. Definitions: data/money/revenue.py.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from babel.dates import format_date

from components import widgets
from components.cache import cached
from components.i18n import (
    day,
    each_distinct,
    locale,
    money,
    money_column,
    month_label,
    number,
    percent,
    t,
)
from components.session import PageContext
from core import periods
from data.bookings import ledger
from data.money import revenue
from data.money.revenue import Change, MonthSpan, Summary
from data.money.rollup import BASIS_BOOKED, BASIS_EVENT

KINDS = ("month", "quarter", "year", "range")
MONTHS_BACK = 36  # months offered by the month pickers
YEARS_BACK = 5
CHART_MONTHS = 24
TOP_COURSES_CHART = 10
_BABEL = {"de": "de_DE", "en": "en_GB"}
ACCENT, MUTED = "#c2185b", "#d9a3b8"


# --- small helpers -----------------------------------------------------------------------------


def _separators() -> str:
    """Plotly's decimal and thousands separators for the session's language."""
    return ",." if locale() == "de" else ".,"


def _short_month(month: date) -> str:
    return format_date(month, format="MMM yyyy", locale=_BABEL[locale()])


def _quarter_label(span: MonthSpan) -> str:
    return t("revenue.quarter_label", quarter=(span.first.month - 1) // 3 + 1, year=span.first.year)


def _signed_money(value) -> str:
    text = money(abs(value))
    return f"+{text}" if value > 0 else (f"−{text}" if value < 0 else text)


def _signed_number(value) -> str:
    return f"+{number(value)}" if value > 0 else (f"−{number(-value)}" if value < 0 else "0")


def _delta(ch: Change | None, *, is_money: bool) -> tuple[str, str]:
    if ch is None:
        return "–", "–"
    absolute = _signed_money(ch.absolute) if is_money else _signed_number(ch.absolute)
    return absolute, percent(ch.relative, signed=True) if ch.relative is not None else "–"


def _figure(height: int = 320, *, money_on: str = "y") -> go.Figure:
    """An empty chart in the session's number format, with euros on the `money_on` axis."""
    fig = go.Figure()
    fig.update_layout(
        separators=_separators(),
        height=height,
        margin=dict(l=8, r=8, t=8, b=8),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        hoverlabel=dict(namelength=-1),
    )
    money_axis = dict(tickformat=",.0f", rangemode="tozero")
    if locale() == "de":
        money_axis["ticksuffix"] = " €"
    else:
        money_axis["tickprefix"] = "€"
    (fig.update_yaxes if money_on == "y" else fig.update_xaxes)(**money_axis)
    fig.update_yaxes(automargin=True)
    return fig


def _show(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False}, key=key)


# --- the period picker -------------------------------------------------------------------------


def _months_back(today: date, count: int) -> list[date]:
    return MonthSpan.last_months(count, ending=today).months()[::-1]


def pick_span(today: date, *, key: str) -> tuple[MonthSpan, str]:
    """The period and month basis the user chose (defaults: this month, by booking date)."""
    left, right = st.columns(2)
    with left:
        kind = st.segmented_control(
            t("revenue.period"),
            KINDS,
            format_func=lambda k: t(f"revenue.kind_{k}"),
            default="month",
            key=f"{key}_kind",
        )
    with right:
        basis = st.segmented_control(
            t("revenue.basis"),
            (BASIS_BOOKED, BASIS_EVENT),
            format_func=lambda b: t(f"revenue.basis_{b}"),
            default=BASIS_BOOKED,
            key=f"{key}_basis",
        )
    kind, basis = kind or "month", basis or BASIS_BOOKED  # a deselected control keeps the default
    months = _months_back(today, MONTHS_BACK)
    if kind == "month":
        month = widgets.selectbox(
            st, t("revenue.month"), months, format_func=month_label, key=f"{key}_m"
        )
        return MonthSpan.month(month), basis
    if kind == "quarter":
        quarters = list(dict.fromkeys(MonthSpan.quarter(m) for m in months))
        span = widgets.selectbox(
            st, t("revenue.quarter"), quarters, format_func=_quarter_label, key=f"{key}_q"
        )
        return span, basis
    if kind == "year":
        years = [today.year - step for step in range(YEARS_BACK)]
        year = widgets.selectbox(st, t("revenue.year"), years, key=f"{key}_y")
        return MonthSpan.year(date(year, 1, 1)), basis
    first_col, last_col = st.columns(2)
    first = widgets.selectbox(
        first_col,
        t("revenue.from_month"),
        months,
        index=11,
        format_func=month_label,
        key=f"{key}_from",
    )
    last = widgets.selectbox(
        last_col, t("revenue.to_month"), months, index=0, format_func=month_label, key=f"{key}_to"
    )
    if last < first:
        st.caption(t("revenue.range_swapped"))
        first, last = last, first
    return MonthSpan(first, last), basis


# --- the sections ------------------------------------------------------------------------------


def _span_text(span: MonthSpan) -> str:
    if span.length == 1:
        return month_label(span.first)
    return f"{month_label(span.first)} – {month_label(span.last)}"


def _compared_text(span: MonthSpan, until: date | None) -> str:
    """The compared period as the user reads it: whole months, or the days up to `until`."""
    if until is None:
        return _span_text(span)
    return f"{day(span.first)} – {day(until)}"


def _metrics(summary: Summary, *, staff: bool) -> None:
    cur = summary.current
    # A twelve-month span has one comparison (last year), named as such.
    vs, vs_key = (
        (summary.vs_year_ago, "revenue.vs_year_ago")
        if summary.previous_is_year_ago
        else (summary.vs_previous, "revenue.vs_previous")
    )
    figures = [
        ("revenue", money(cur.revenue), vs("revenue"), None),
        ("tickets", number(cur.tickets), vs("tickets"), None),
        ("orders", number(cur.orders), vs("orders"), t("revenue.orders_help")),
        ("average_order", money(cur.average_order), vs("average_order"), None),
    ]
    if staff:
        figures.append(
            ("commission", money(cur.commission), vs("commission"), t("revenue.commission_help"))
        )
    # Two per row: readable on a 390 px phone, where columns stack anyway.
    for begin in range(0, len(figures), 2):
        cols = st.columns(2)
        for col, (name, value, ch, help_text) in zip(
            cols, figures[begin : begin + 2], strict=False
        ):
            relative = ch.relative if ch is not None else None
            col.metric(
                t(f"revenue.{name}"),
                value,
                delta=t(vs_key, change=percent(relative, signed=True))
                if relative is not None
                else None,
                # Coloured by the delta's sign: a fall is red, never green.
                delta_color="normal",
                help=help_text,
                border=True,
            )


def _comparison(summary: Summary, *, staff: bool) -> None:
    st.subheader(t("revenue.comparison_title"))
    rows = [("revenue", True), ("tickets", False), ("orders", False), ("average_order", True)]
    if staff:
        rows.append(("commission", True))
    one = summary.previous_is_year_ago  # twelve months: "Vorperiode" would repeat "Vorjahr"
    records = []
    for name, is_money in rows:
        fmt = money if is_money else number
        record = {
            t("revenue.col_figure"): t(f"revenue.{name}"),
            t("revenue.col_current"): fmt(getattr(summary.current, name)),
        }
        if not one:
            prev_abs, prev_pct = _delta(summary.vs_previous(name), is_money=is_money)
            record[t("revenue.col_previous")] = fmt(getattr(summary.previous, name))
            record[f"{t('revenue.col_change')} "] = prev_abs
            record[f"{t('revenue.col_change_pct')} "] = prev_pct
        year_abs, year_pct = _delta(summary.vs_year_ago(name), is_money=is_money)
        record[t("revenue.col_year_ago")] = fmt(getattr(summary.year_ago, name))
        record[f"{t('revenue.col_change')}  "] = year_abs
        record[f"{t('revenue.col_change_pct')}  "] = year_pct
        records.append(record)
    st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch")
    year_ago = _compared_text(summary.span.year_earlier(), summary.year_ago_until)
    if one:
        st.caption(t("revenue.comparison_caption_year", year_ago=year_ago))
    else:
        previous = _compared_text(summary.span.previous(), summary.previous_until)
        st.caption(t("revenue.comparison_caption", previous=previous, year_ago=year_ago))


def _by_month(ctx: PageContext, span: MonthSpan, basis: str, *, key: str) -> None:
    chart_span = MonthSpan.last_months(max(CHART_MONTHS, span.length), ending=span.last)
    frame = cached(revenue.monthly, ctx.viewer, ctx.db, span=chart_span, basis=basis)
    st.subheader(t("revenue.by_month_title"))
    chosen = [span.first <= m <= span.last for m in frame["month"]]
    fig = _figure()
    fig.add_bar(
        x=[_short_month(m) for m in frame["month"]],
        y=[float(v) for v in frame["revenue"]],
        marker_color=[ACCENT if c else MUTED for c in chosen],
        customdata=[
            [month_label(m), money(v), number(n)]
            for m, v, n in zip(frame["month"], frame["revenue"], frame["tickets"], strict=True)
        ],
        hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>"
        + t("revenue.tickets")
        + ": %{customdata[2]}<extra></extra>",
        name=t("revenue.revenue"),
    )
    fig.update_xaxes(type="category")
    _show(fig, f"{key}_chart_month")
    st.caption(t("revenue.by_month_caption"))
    with st.expander(t("revenue.month_table")):
        st.dataframe(
            pd.DataFrame(
                {
                    t("revenue.col_month"): [month_label(m) for m in frame["month"]][::-1],
                    t("revenue.revenue"): [money(v) for v in frame["revenue"]][::-1],
                    t("revenue.tickets"): [number(v) for v in frame["tickets"]][::-1],
                    t("revenue.orders"): [number(v) for v in frame["orders"]][::-1],
                    t("revenue.average_order"): [money(v) for v in frame["average_order"]][::-1],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def _by_year(ctx: PageContext, span: MonthSpan, basis: str, *, key: str) -> None:
    frame = cached(
        revenue.yearly,
        ctx.viewer,
        ctx.db,
        first_year=span.last.year - 2,
        last_year=span.last.year,
        basis=basis,
    )
    st.subheader(t("revenue.by_year_title"))
    fig = _figure(height=260)
    fig.add_bar(
        x=[str(y) for y in frame["year"]],
        y=[float(v) for v in frame["revenue"]],
        marker_color=ACCENT,
        customdata=[
            [money(v), number(n)] for v, n in zip(frame["revenue"], frame["tickets"], strict=True)
        ],
        hovertemplate="%{x}<br>%{customdata[0]}<br>"
        + t("revenue.tickets")
        + ": %{customdata[1]}<extra></extra>",
        name=t("revenue.revenue"),
    )
    fig.update_xaxes(type="category")
    _show(fig, f"{key}_chart_year")


def _by_course(ctx: PageContext, span: MonthSpan, basis: str, *, key: str) -> None:
    frame = cached(revenue.by_course, ctx.viewer, ctx.db, span=span, basis=basis)
    st.subheader(t("revenue.by_course_title"))
    if frame.empty:
        st.info(t("revenue.empty"), icon=":material/bar_chart:")
        return
    top = frame.head(TOP_COURSES_CHART).iloc[::-1]
    fig = _figure(height=max(220, 36 * len(top) + 60), money_on="x")
    fig.add_bar(
        x=[float(v) for v in top["revenue"]],
        y=list(top["course"]),
        orientation="h",
        marker_color=ACCENT,
        customdata=[[money(v)] for v in top["revenue"]],
        hovertemplate="%{y}<br>%{customdata[0]}<extra></extra>",
        name=t("revenue.revenue"),
    )
    _show(fig, f"{key}_chart_course")
    st.dataframe(
        pd.DataFrame(
            {
                # Column-wise: staff see every partner's courses (5,500 at a marketplace's
                # size); shares, tickets and orders repeat, each is formatted once.
                t("revenue.col_course"): frame["course"],
                t("revenue.revenue"): money_column(frame["revenue"]),
                t("revenue.col_share"): each_distinct(frame["share"], percent),
                t("revenue.tickets"): each_distinct(frame["tickets"], number),
                t("revenue.orders"): each_distinct(frame["orders"], number),
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _top_partners(ctx: PageContext, span: MonthSpan, basis: str, *, key: str) -> None:
    frame = cached(revenue.by_partner, ctx.viewer, ctx.db, span=span, basis=basis)
    st.subheader(t("revenue.partners_title"))
    if frame.empty:
        st.info(t("revenue.empty"), icon=":material/bar_chart:")
        return
    st.caption(t("revenue.partners_caption"))
    top = frame.iloc[::-1]
    fig = _figure(height=max(220, 36 * len(top) + 60), money_on="x")
    fig.add_bar(
        x=[float(v) for v in top["revenue"]],
        y=list(top["name"]),
        orientation="h",
        marker_color=ACCENT,
        name=t("revenue.revenue"),
        customdata=[
            [money(v), money(c)] for v, c in zip(top["revenue"], top["commission"], strict=True)
        ],
        hovertemplate="%{y}<br>"
        + t("revenue.revenue")
        + ": %{customdata[0]}<br>"
        + t("revenue.commission")
        + ": %{customdata[1]}<extra></extra>",
    )
    _show(fig, f"{key}_chart_partners")
    st.dataframe(
        pd.DataFrame(
            {
                t("revenue.col_partner"): frame["name"],
                t("revenue.revenue"): [money(v) for v in frame["revenue"]],
                t("revenue.col_share"): [percent(v) for v in frame["share"]],
                t("revenue.orders"): [number(v) for v in frame["orders"]],
                t("revenue.average_order"): [money(v) for v in frame["average_order"]],
                t("revenue.col_rate"): [
                    percent(v / 100 if v is not None else None) for v in frame["commission_rate"]
                ],
                t("revenue.commission"): [money(v) for v in frame["commission"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )


# The period picker's widgets under the page's key: kept while another tab is open.
CHOICES = tuple(f"revenue_{part}" for part in ("kind", "basis", "m", "q", "y", "from", "to"))


def render(ctx: PageContext, *, key: str = "revenue") -> None:
    """The whole Umsatz tab for `ctx.viewer`."""
    viewer, db = ctx.viewer, ctx.db
    ledger.ensure_fresh(viewer, db)  # new bookings show within seconds, as in Bestellungen
    today = periods.berlin_today()
    span, basis = pick_span(today, key=key)
    caption = t(
        "revenue.span_caption",
        first=day(span.first),
        last=day(periods.month_of(span.last).last_day),
        basis=t(f"revenue.basis_{basis}"),
    )
    if span.first <= today <= periods.month_of(span.last).last_day:
        caption += " " + t("revenue.running_month")
    st.caption(caption)
    summary = cached(revenue.summary, viewer, db, span=span, basis=basis, today=today)
    staff = viewer.sees_all
    _metrics(summary, staff=staff)
    if summary.current.items == 0:
        st.info(t("revenue.empty"), icon=":material/bar_chart:")
    _comparison(summary, staff=staff)
    _by_month(ctx, span, basis, key=key)
    _by_year(ctx, span, basis, key=key)
    if staff:
        _top_partners(ctx, span, basis, key=key)
    _by_course(ctx, span, basis, key=key)
