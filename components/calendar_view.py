"""A month or week calendar of course dates (an HTML table), and the Termine → Kalender tab that
shows the viewer's dates in it. On a phone all seven days fit: compact cells that show each
date's time only (course and seats are in the list), and no word is broken."""

from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd
import streamlit as st

from components import widgets
from components.i18n import day, number, t, time_of_day, weekday
from components.session import PageContext
from components.text import html_text
from core import recurrence as rec
from data.dates import course_dates as cd

# The calendar's choices, kept while another tab of Termine is open (widgets.keep).
CHOICES = ("cal_view", "cal_day", "cal_staff_day")
_CSS = (
    "<style>.mio-cal table{border-collapse:collapse;width:100%;table-layout:fixed}"
    ".mio-cal th,.mio-cal td{border:1px solid #ddd;vertical-align:top;padding:4px;"
    "font-size:.8rem;overflow-wrap:break-word}"
    ".mio-cal td.out{background:#f6f6f6;color:#999}.mio-cal .d{font-weight:600}"
    ".mio-cal .x{text-decoration:line-through;color:#999}"
    "@media (max-width:640px){.mio-cal th,.mio-cal td{padding:2px 1px;font-size:.7rem;"
    "text-align:center;overflow-wrap:normal}.mio-cal .c{display:none}"
    ".mio-cal .e{white-space:nowrap}}</style>"
)


def days_shown(view: str, anchor: date) -> list[date]:
    """The days of the week (Monday first) or of the month's whole weeks around `anchor`."""
    if view == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return [monday + timedelta(days=i) for i in range(7)]
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = first - timedelta(days=first.weekday())
    end = following + timedelta(days=(7 - following.weekday()) % 7)
    return [start + timedelta(days=i) for i in range((end - start).days)]


def _entry(row) -> str:
    """One date in its day's cell: the time, then (hidden on a phone) course and seats."""
    course = html_text(str(row.course or "")[:40])
    seats = t("dates.cal_seats", sold=int(row.seats_sold), total=int(row.seats_total))
    css = "e x" if row.status == "cancelled" else "e"
    return (
        f'<div class="{css}">{time_of_day(row.starts_at)}'
        f'<span class="c"> {course} · {seats}</span></div>'
    )


def calendar(
    frame: pd.DataFrame, *, view: str, anchor: date, counts: dict[date, int] | None = None
) -> None:
    """The dates of `frame` per day, or with `counts` only how many dates each day has."""
    days = days_shown(view, anchor)
    by_day: dict[date, list[str]] = {}
    for row in frame.itertuples():
        by_day.setdefault(rec.local_day(row.starts_at), []).append(_entry(row))
    for d, n in (counts or {}).items():
        by_day[d] = [f"<div>{t('calendar_counts.per_day', n=n)}</div>"]
    head = "".join(f"<th>{weekday(d)}</th>" for d in days[:7])
    body = []
    for begin in range(0, len(days), 7):
        cells = []
        for d in days[begin : begin + 7]:
            out = view == "month" and d.month != anchor.month
            entries = "".join(by_day.get(d, []))
            cells.append(
                f'<td class="{"out" if out else ""}"><div class="d">{d.day}.</div>{entries}</td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    st.markdown(
        f'{_CSS}<div class="mio-cal"><table><tr>{head}</tr>{"".join(body)}</table></div>',
        unsafe_allow_html=True,
    )


def render_calendar(ctx: PageContext, today: date) -> None:
    a, b = st.columns(2)
    view = a.segmented_control(
        t("dates.view"),
        ["month", "week"],
        format_func=lambda v: t(f"dates.view_{v}"),
        default="month",
        key="cal_view",
    )
    anchor = widgets.date_input(b, t("dates.cal_anchor"), value=today, key="cal_day")
    # A segmented control can be clicked back to no selection.
    view = view or "month"
    shown = days_shown(view, anchor)
    if ctx.viewer.sees_all:  # every partner: counts per day, one day's dates on request
        _counts_calendar(ctx, shown, view=view, anchor=anchor)
        return
    frame = cd.list_dates(
        ctx.viewer,
        ctx.db,
        start=rec.to_utc(rec.local_start(shown[0], time(0))),
        end=rec.to_utc(rec.local_start(shown[-1] + timedelta(days=1), time(0))),
    )
    if cd.truncated(frame):
        st.warning(
            t("limits.calendar_more", n=number(len(frame)), day=day(frame["starts_at"].iloc[-1])),
            icon=":material/filter_alt:",
        )
    calendar(frame, view=view, anchor=anchor)


def _bounds(first: date, last: date) -> tuple:
    """[first day 00:00, the day after `last` 00:00) in Berlin time, as UTC."""
    return (
        rec.to_utc(rec.local_start(first, time(0))),
        rec.to_utc(rec.local_start(last + timedelta(days=1), time(0))),
    )


def _counts_calendar(ctx: PageContext, shown: list[date], *, view: str, anchor: date) -> None:
    start, end = _bounds(shown[0], shown[-1])
    counts = cd.dates_per_day(ctx.viewer, ctx.db, start=start, end=end)
    st.caption(t("calendar_counts.caption"))
    calendar(pd.DataFrame(), view=view, anchor=anchor, counts=counts)
    days = sorted(counts)
    picked = widgets.selectbox(
        st,
        t("calendar_counts.pick_day"),
        days,
        index=None,
        format_func=lambda d: (
            f"{weekday(d)} {day(d)} · {t('calendar_counts.per_day', n=counts[d])}"
        ),
        placeholder=t("calendar_counts.pick_placeholder"),
        key="cal_staff_day",
    )
    if picked is None:
        return
    first, last = _bounds(picked, picked)
    dates = cd.list_dates(ctx.viewer, ctx.db, start=first, end=last, include_cancelled=False)
    if cd.truncated(dates):
        st.warning(
            t("limits.dates_more", n=number(len(dates)), day=day(dates["starts_at"].iloc[-1])),
            icon=":material/filter_alt:",
        )
    st.dataframe(
        pd.DataFrame(
            {
                t("dates.col_start"): [time_of_day(v) for v in dates["starts_at"]],
                t("dates.col_course"): dates["course"],
                t("dates.col_seats"): [
                    t("dates.cal_seats", sold=int(s), total=int(n))
                    for s, n in zip(dates["seats_sold"], dates["seats_total"], strict=True)
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )
