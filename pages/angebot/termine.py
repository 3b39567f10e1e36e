"""Termine: the partner's course dates as list and calendar, single dates, series, iCal.

The page keeps the quick actions on top ("Neuer Termin", the iCal file); each tab (the chosen
one kept across reruns) is rendered by a component (dates_list, calendar_view, series_view) and
guarded, so one failing tab leaves the others usable. Only the open tab runs; the choices made
in the others are kept until they are opened again.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from components import calendar_view, dates_list, minimum_view, series_view, widgets
from components.cache import viewer_courses
from components.date_form import new_date_dialog
from components.downloads import prepare_button
from components.i18n import number, t
from components.ical_feed_view import render_subscription
from components.layout import run_guarded
from components.session import page_context
from core import recurrence as rec
from core.clock import now_utc
from core.ical import build_ics
from core.validation import InvalidInput
from data.dates import course_dates as cd

VIEW_KEY = "dates_view"

ctx = page_context()

courses = viewer_courses(ctx)
if courses.empty:
    st.info(t("dates.no_courses"), icon=":material/event_busy:")
    st.stop()
today = rec.local_day(now_utc())

new_col, ics_col, feed_col = st.columns(3)
if new_col.button(t("dates.new_date"), icon=":material/add:", key="new_date", width="stretch"):
    new_date_dialog(ctx)


def _write_ics(out) -> None:
    """The viewer's dates from a month ago to 400 days ahead, built only when asked."""
    window = cd.list_dates(
        ctx.viewer,
        ctx.db,
        start=now_utc() - timedelta(days=31),
        end=now_utc() + timedelta(days=400),
    )
    if cd.truncated(window):  # an incomplete calendar file would mislead: refuse, say why
        raise InvalidInput("limits.ical_more", n=number(len(window)))
    out.write(build_ics(window.to_dict("records"), name=t("dates.ical_name")))


with ics_col:
    prepare_button(
        key="ical",
        file_name="miomente-termine.ics",
        mime="text/calendar",
        build=_write_ics,
        selection=today,
        label=t("files.ical"),
    )

render_subscription(ctx, feed_col)

# Dates below their Mindestteilnehmerzahl wait for the partner's answer above everything else.
run_guarded("dates/minimums", lambda: minimum_view.render_questions(ctx))

# Stateful tabs (key + on_change): the tab the user chose stays open across an action's rerun
# and its flash message (skip a date on "Serien" and "Serien" stays open).
list_tab, calendar_tab, series_tab, refunds_tab = st.tabs(
    [t("dates.tab_list"), t("dates.tab_calendar"), t("dates.tab_series"), t("dates.tab_refunds")],
    key=VIEW_KEY,
    on_change="rerun",
)
# Only the open tab runs (`.open` of stateful tabs): the calendar, the series and the
# refunds cost nothing while the list is shown, and the other way round. A closed tab's
# choices (the list's filters, the calendar's month, a half-filled series) are kept for when
# it is opened again: Streamlit forgets the value of a widget that a run does not draw.
for tab, choices in (
    (list_tab, dates_list.LIST_CHOICES),
    (calendar_tab, calendar_view.CHOICES),
    (series_tab, series_view.CHOICES),
):
    if not tab.open:
        widgets.keep(choices)
if list_tab.open:
    with list_tab:
        run_guarded("dates/list", lambda: dates_list.render_list(ctx, courses, today))
        run_guarded("dates/minimum_settings", lambda: minimum_view.render_settings(ctx))
if calendar_tab.open:
    with calendar_tab:
        run_guarded("dates/calendar", lambda: calendar_view.render_calendar(ctx, today))
if series_tab.open:
    with series_tab:
        run_guarded("dates/series", lambda: series_view.render_series(ctx, courses, today))
if refunds_tab.open:
    with refunds_tab:
        run_guarded("dates/refunds", lambda: dates_list.render_refunds(ctx))
