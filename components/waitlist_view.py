"""Warteliste: courses with people waiting, the staff's phone sign-up, the partner's settings.

Each course card says how many seats wait and what they would bring ("12 Plätze warten —
1.068 € möglicher Umsatz"), who waits (per date, oldest first) and how many entries became
bookings; "Neuen Termin anlegen" opens the Termine form (components/date_form.py) with the
course chosen. Everything goes through data/demand/waitlist.py with the page's viewer; names,
emails and notes that customers gave are shown as text (`md`, or inside tables).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from components import menu_counts, widgets
from components.cache import viewer_courses
from components.confirm import done
from components.date_form import new_date_dialog
from components.feedback import show_refusal
from components.i18n import day, moment, money, number, percent, t
from components.session import PageContext
from components.text import md
from core.validation import InvalidInput
from data.access.viewer import ScopeError
from data.dates.course_dates import future_dates
from data.demand import waitlist as wl
from data.portal_schema import WAITLIST_ALL, WAITLIST_QUEUE

_ROUND = "_waitlist_round"  # bumped after a sign-up: the form starts empty again


def _when(date_id: int, starts_at: datetime | None) -> str:
    if not date_id:
        return t("waitlist.any_date")
    return moment(starts_at) if starts_at is not None and pd.notna(starts_at) else f"#{date_id}"


def dates_table(dates: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("waitlist.col_date"): [
                _when(int(d), s) for d, s in zip(dates["date_id"], dates["starts_at"], strict=True)
            ],
            t("waitlist.col_people"): [int(v) for v in dates["people"]],
            t("waitlist.col_seats"): [int(v) for v in dates["seats"]],
            t("waitlist.col_since"): [day(v) for v in dates["oldest_at"]],
        }
    )


def people_table(people: pd.DataFrame, starts: dict[int, datetime]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("waitlist.col_since"): [moment(v) for v in people["created_at"]],
            t("waitlist.col_name"): people["customer_name"].tolist(),
            t("waitlist.col_seats"): [int(v) for v in people["seats"]],
            t("waitlist.col_date"): [_when(int(d), starts.get(int(d))) for d in people["date_id"]],
            t("waitlist.col_email"): people["email"].tolist(),
            t("waitlist.col_phone"): people["phone"].fillna("").tolist(),
            t("waitlist.col_note"): people["note"].fillna("").tolist(),
            t("waitlist.col_notified"): [
                moment(v) if pd.notna(v) else "–" for v in people["notified_at"]
            ],
        }
    )


def _course_card(ctx: PageContext, course: dict, dates: pd.DataFrame, people: pd.DataFrame) -> None:
    pid = int(course["product_id"])
    with st.container(border=True):
        st.subheader(md(course["course"] or pid))
        revenue = course["possible_revenue"]
        st.markdown(
            t(
                "waitlist.course_summary",
                n=int(course["seats"]),
                revenue=money(revenue) if revenue is not None else "–",
            )
        )
        rate = course["conversion_rate"]
        st.caption(
            t(
                "waitlist.course_caption",
                people=int(course["people"]),
                since=day(course["oldest_at"]),
                rate=percent(rate) if rate is not None else "–",
                converted=int(course["converted"]),
                entries=int(course["entries"]),
            )
        )
        if st.button(
            t("waitlist.new_date"), icon=":material/add:", key=f"wl_new_{pid}", type="primary"
        ):
            new_date_dialog(ctx, pid)
        mine = dates[dates["product_id"] == pid]
        st.dataframe(dates_table(mine), hide_index=True, width="stretch")
        starts = {int(d): s for d, s in zip(mine["date_id"], mine["starts_at"], strict=True)}
        with st.expander(t("waitlist.people", n=int(course["people"]))):
            st.dataframe(
                people_table(people[people["product_id"] == pid], starts),
                hide_index=True,
                width="stretch",
            )


def render_courses(ctx: PageContext) -> None:
    """The cards of the courses with people waiting, most waiting seats first."""
    courses = wl.waiting_courses(ctx.viewer, ctx.db)
    waiting = courses[courses["people"] > 0] if not courses.empty else courses
    if waiting.empty:
        st.info(t("waitlist.empty"), icon=":material/hourglass_empty:")
        return
    revenue = sum((r for r in waiting["possible_revenue"] if r is not None), start=0)
    cols = st.columns(3)
    cols[0].metric(t("waitlist.metric_people"), number(int(waiting["people"].sum())), border=True)
    cols[1].metric(t("waitlist.metric_seats"), number(int(waiting["seats"].sum())), border=True)
    cols[2].metric(t("waitlist.metric_revenue"), money(revenue), border=True)
    dates = wl.waiting_dates(ctx.viewer, ctx.db)
    people = wl.list_entries(ctx.viewer, ctx.db, limit=5000)
    for course in waiting.to_dict("records"):
        _course_card(ctx, course, dates, people)


def _date_options(ctx: PageContext, product_id: int) -> dict[int, str]:
    options = {0: t("waitlist.any_date")}
    upcoming = future_dates(ctx.viewer, ctx.db, product_id=product_id, limit=50)
    for row in upcoming.to_dict("records"):
        options[int(row["date_id"])] = moment(row["starts_at"])
    return options


def render_signup(ctx: PageContext) -> None:
    """Staff enter a customer who called: course, date or any date, contact, seats, consent."""
    courses = viewer_courses(ctx)
    if courses.empty:
        st.info(t("dates.no_courses"))
        return
    names = dict(zip(courses["product_id"], courses["name"], strict=True))
    key = f"wl_{st.session_state.get(_ROUND, 0)}"
    pid = widgets.selectbox(
        st,
        t("waitlist.course"),
        list(names),
        format_func=lambda p: names.get(p) or str(p),
        key=f"{key}_course",
    )
    options = _date_options(ctx, int(pid))
    with st.form(f"{key}_form"):
        date_id = widgets.selectbox(
            st,
            t("waitlist.date"),
            list(options),
            format_func=lambda d: options.get(d, str(d)),
            key=f"{key}_date",
        )
        name = st.text_input(t("waitlist.name"), key=f"{key}_name")
        left, right = st.columns(2)
        email = left.text_input(t("waitlist.email"), key=f"{key}_email")
        phone = right.text_input(t("waitlist.phone"), key=f"{key}_phone")
        left, right = st.columns(2)
        seats = left.number_input(t("waitlist.seats"), value=1, step=1, key=f"{key}_seats")
        lang = widgets.selectbox(
            right,
            t("waitlist.locale"), ["de", "en"], format_func=lambda c: t(f"language.{c}"),
            key=f"{key}_locale",
        )  # fmt: skip
        note = st.text_input(t("waitlist.note"), key=f"{key}_note")
        consent = st.checkbox(t("waitlist.consent"), key=f"{key}_consent")
        submitted = st.form_submit_button(t("waitlist.add"), type="primary")
    if not submitted:
        return
    try:
        added = wl.add_entry(
            ctx.viewer, ctx.db, product_id=int(pid), customer_name=name, email=email,
            seats=int(seats), date_id=int(date_id or 0) or None, phone=phone, locale=lang,
            source="phone", consent=consent, note=note,
        )  # fmt: skip
    except (InvalidInput, ScopeError) as exc:
        show_refusal(exc)
        return
    st.session_state[_ROUND] = st.session_state.get(_ROUND, 0) + 1
    menu_counts.forget()  # the menu's "Warteliste (n)" counts the new entry at once
    message = "waitlist.merged" if added.merged else "waitlist.added"
    done(("success", t(message, name=md(" ".join(name.split())))))


def render_settings(ctx: PageContext) -> None:
    """Mode, hours before the next ones are told, months until an entry expires."""
    if ctx.viewer.partner_id is None:
        st.info(t("waitlist.choose_partner"))
        return
    current = wl.waitlist_settings(ctx.viewer, ctx.db)
    modes = [WAITLIST_ALL, WAITLIST_QUEUE]
    with st.form("wl_settings"):
        mode = st.radio(
            t("waitlist.mode"), modes, index=modes.index(current.mode),
            format_func=lambda m: t(f"waitlist.mode_{m}"), key="wl_mode",
        )  # fmt: skip
        hours = st.number_input(
            t("waitlist.wait_hours"), value=current.wait_hours, step=1, key="wl_hours",
            help=t("waitlist.wait_hours_help"),
        )  # fmt: skip
        months = st.number_input(
            t("waitlist.expiry_months"), value=current.expiry_months, step=1, key="wl_months"
        )
        saved = st.form_submit_button(t("waitlist.save_settings"), type="primary")
    if not saved:
        return
    try:
        wl.save_settings(
            ctx.viewer, ctx.db, mode=mode, wait_hours=int(hours), expiry_months=int(months)
        )
    except InvalidInput as exc:
        show_refusal(exc)
        return
    done(("success", t("waitlist.settings_saved")))


def unsubscribe_from_link(db, token: str) -> None:
    """The page a customer's link off the waitlist opens (no login)."""
    st.title(t("waitlist.unsubscribe_title"))
    result = wl.unsubscribe(db, token=token)
    if result is None:
        st.error(t("waitlist.unsubscribe_invalid"))
        return
    st.success(t("waitlist.unsubscribe_done", course=md(result.course or "")))
