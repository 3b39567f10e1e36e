"""A month or week calendar of course dates (HTML table; scrolls sideways on a phone), and the
Termine → Kalender tab that shows the viewer's dates in it."""

from __future__ import annotations

from datetime import date, time, timedelta

import pandas as pd
import streamlit as st

from components import widgets
from components.i18n import t, time_of_day, weekday
from components.session import PageContext
from components.text import html_text
from core import recurrence as rec
from data.dates import course_dates as cd

_CSS = (
    "<style>.mio-cal{overflow-x:auto}.mio-cal table{border-collapse:collapse;width:100%;"
    "min-width:560px;table-layout:fixed}.mio-cal th,.mio-cal td{border:1px solid #ddd;"
    "vertical-align:top;padding:4px;font-size:.8rem}.mio-cal td.out{background:#f6f6f6;"
    "color:#999}.mio-cal .d{font-weight:600}.mio-cal .x{text-decoration:line-through;"
    "color:#999}</style>"
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
    label = f"{time_of_day(row.starts_at)} {html_text(str(row.course or '')[:40])}"
    seats = t("dates.cal_seats", sold=int(row.seats_sold), total=int(row.seats_total))
    css = "x" if row.status == "cancelled" else ""
    return f'<div class="{css}">{label} · {seats}</div>'


def calendar(frame: pd.DataFrame, *, view: str, anchor: date) -> None:
    days = days_shown(view, anchor)
    by_day: dict[date, list[str]] = {}
    for row in frame.itertuples():
        by_day.setdefault(rec.local_day(row.starts_at), []).append(_entry(row))
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
    frame = cd.list_dates(
        ctx.viewer,
        ctx.db,
        start=rec.to_utc(rec.local_start(shown[0], time(0))),
        end=rec.to_utc(rec.local_start(shown[-1] + timedelta(days=1), time(0))),
    )
    calendar(frame, view=view, anchor=anchor)
