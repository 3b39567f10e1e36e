"""Termine → Liste and → Erstattungen: the filtered list of dates, editing or cancelling one
future date, and the refunds that cancelled dates left due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from components import paging, widgets
from components.cache import cached
from components.confirm import ask_first, confirm_action, done, flash
from components.date_feedback import (
    REFUSALS,
    bookings_note,
    cancelled_text,
    confirm_label,
    overlap_warning,
    refused,
)
from components.day_field import LAST_DAY, check_day, day_input
from components.feedback import show_refusal
from components.i18n import day, moment, money, number, t, time_of_day
from components.minimum_view import current_minimum, progress_column
from components.search_picker import search_picker
from components.session import PageContext
from core import periods
from core import recurrence as rec
from core.clock import now_utc
from core.money import ZERO, to_decimal
from core.validation import InvalidInput
from data.dates import course_dates as cd
from data.marketing.keywords import PICKER_LIMIT, find_courses

LIST_KEY = "dates_list"
CONFIRM_KEY = "_confirm_cancel_date"
MOVE_KEY = "_confirm_move_date"  # (date_id, start, end, seats, price) awaiting a yes
# The list's choices, kept while another tab of Termine is open (widgets.keep).
LIST_CHOICES = (
    "list_course",
    "list_course_search",
    "list_range",
    "list_cancelled",
    f"{LIST_KEY}_page_size",
    "edit_pick",
)


def _table(frame: pd.DataFrame, minimums: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("dates.col_start"): [moment(v) for v in frame["starts_at"]],
            t("dates.col_end"): [time_of_day(v) for v in frame["ends_at"]],
            t("dates.col_course"): frame["course"],
            t("dates.col_seats"): [
                t("dates.cal_seats", sold=int(s), total=int(n))
                for s, n in zip(frame["seats_sold"], frame["seats_total"], strict=True)
            ],
            t("minimums.col_minimum"): minimums,
            t("dates.col_waitlist"): frame["waitlist"],
            t("dates.col_price"): [money(v) for v in frame["price"]],
            t("dates.col_status"): [t(f"dates.status_{s}") for s in frame["status"]],
            t("dates.col_series"): ["" if pd.isna(v) else f"#{int(v)}" for v in frame["series_id"]],
        }
    )


def course_picker(ctx: PageContext, where: Any, courses: pd.DataFrame, *, key: str) -> int | None:
    """A course filter: a select of the viewer's courses when they are few, search as you type
    when there are many (staff: every course of the marketplace)."""
    if len(courses) <= PICKER_LIMIT:
        names = dict(zip(courses["product_id"], courses["name"], strict=True))
        return widgets.selectbox(
            where,
            t("dates.course"),
            [None, *names],
            format_func=lambda pid: t("dates.all_courses") if pid is None else names[pid],
            key=key,
        )
    current = st.session_state.get(key)
    known = courses.set_index("product_id")["name"]

    def search(text: str) -> dict[int, str]:
        found = cached(find_courses, ctx.viewer, ctx.db, text=text, limit=PICKER_LIMIT)
        return {
            int(p): n or f"#{p}" for p, n in zip(found["product_id"], found["name"], strict=True)
        }

    return search_picker(
        where,
        t("dates.course"),
        key=key,
        search=search,
        chosen={int(current): str(known.get(current, f"#{current}"))} if current else {},
        limit=PICKER_LIMIT,
        none_label=t("dates.all_courses"),
        placeholder=t("marketing_more.search_hint"),
    )


def render_list(ctx: PageContext, courses: pd.DataFrame, today: date) -> None:
    left, mid, right = st.columns([2, 2, 1])
    course_filter = course_picker(ctx, left, courses, key="list_course")
    span = widgets.date_input(
        mid,
        t("dates.range"),
        value=(today, today + timedelta(days=90)),
        key="list_range",
    )
    show_cancelled = right.toggle(t("dates.show_cancelled"), value=False, key="list_cancelled")
    # While the partner is still picking the range, the widget holds only its first day.
    first, last = (span[0], span[-1]) if isinstance(span, tuple | list) and span else (today, today)
    start = rec.to_utc(rec.local_start(first, time(0)))
    end = rec.to_utc(rec.local_start(last + timedelta(days=1), time(0)))
    selection = (course_filter, first, last, show_cancelled)
    page, size = paging.current(LIST_KEY, selection=selection, default_size=cd.DEFAULT_PAGE_SIZE)
    # One page from the data layer with its SQL count: staff see every partner's dates, and a
    # 90-day range holds 140,000 of them at a marketplace's size.
    result = cd.page_dates(
        ctx.viewer,
        ctx.db,
        start=start,
        end=end,
        product_id=course_filter,
        include_cancelled=show_cancelled,
        page=page,
        page_size=size,
    )
    dates = result.rows
    if dates.empty:
        st.info(t("dates.empty"), icon=":material/event_busy:")
    else:
        if result.paged:
            st.caption(
                t("dates.paged", shown=number(len(dates)), total=number(result.total)),
            )
        st.dataframe(_table(dates, progress_column(ctx, dates)), hide_index=True, width="stretch")
        if result.paged:
            paging.pager(result, key=LIST_KEY, sizes=cd.PAGE_SIZES)

    now = now_utc()  # starts_at is naive UTC
    editable = dates[(dates["status"] == "active") & (dates["starts_at"] > now)]
    labels = {int(r.date_id): f"{moment(r.starts_at)} · {r.course}" for r in editable.itertuples()}
    if not labels:
        return
    st.subheader(t("dates.edit_title"))
    picked = widgets.selectbox(
        st, t("dates.pick_date"), list(labels), format_func=labels.get, key="edit_pick"
    )
    _edit_form(ctx, picked)
    _cancel(ctx, picked)


def _edit_form(ctx: PageContext, date_id: int) -> None:
    current = cd.get_date(ctx.viewer, ctx.db, date_id=date_id)
    minimum_now = current_minimum(ctx, date_id)
    local = rec.to_local(current.starts_at)
    # The form key names the date, so picking another one starts from its own values.
    with st.form(f"edit_{date_id}"):
        a, b, c = st.columns(3)
        # Any day reaches the server and one outside today..LAST_DAY is refused below (the
        # data layer refuses a start in the past to the minute); see components/day_field.py.
        new_day = day_input(a, t("dates.day"), value=local.date()) or local.date()
        new_start = b.time_input(t("dates.start_time"), value=local.time())
        new_end = c.time_input(t("dates.end_time"), value=rec.to_local(current.ends_at).time())
        d, e, f = st.columns(3)
        seats = d.number_input(t("dates.seats"), value=current.seats_total, step=1)
        price = widgets.money_input(
            e, t("dates.price"), value=current.price, key=f"edit_price_{date_id}"
        )
        minimum = f.number_input(
            t("minimums.field"), value=minimum_now, step=1, key=f"edit_minimum_{date_id}",
            help=t("minimums.field_help"),
        )  # fmt: skip
        st.caption(t("date_range.hint", last=day(LAST_DAY)))
        saved = st.form_submit_button(t("dates.save_changes"), type="primary")
    try:
        check_day(new_day, first=periods.berlin_today())
    except InvalidInput as exc:
        if saved:
            show_refusal(exc)
        saved = False
    if saved and price is not None:  # a price that is no amount is explained at its field
        edit = _Edit(
            date_id,
            datetime.combine(new_day, new_start),
            datetime.combine(new_day, new_end),
            int(seats),
            str(to_decimal(price)),  # exact: the data layer refuses 0,004
            int(minimum),
        )
        _submit(ctx, current, edit, minimum_now)
    _confirm_move(ctx, date_id)


@dataclass(frozen=True)
class _Edit:
    """What the form asked for (local wall-clock times); hashable, kept while asking first."""

    date_id: int
    starts_at: datetime
    ends_at: datetime
    seats: int
    price: str
    minimum: int = 0


def _submit(ctx: PageContext, current: cd.CourseDate, edit: _Edit, minimum_now: int) -> None:
    """Save, unless nothing changed (say so) or a booked date moves (ask first)."""
    starts, ends = rec.to_utc(edit.starts_at), rec.to_utc(edit.ends_at)
    same_time = (starts, ends) == (current.starts_at, current.ends_at)
    if same_time and (edit.seats, to_decimal(edit.price), edit.minimum) == (
        current.seats_total,
        to_decimal(current.price),
        minimum_now,
    ):
        show_refusal(InvalidInput("dates.nothing_to_change"), warning=True)
        return
    if starts != current.starts_at and current.seats_sold > 0:
        ask_first(MOVE_KEY, edit)
        return
    _save(ctx, edit)


def _save(ctx: PageContext, edit: _Edit) -> None:
    try:
        result = cd.update_date(
            ctx.viewer,
            ctx.db,
            date_id=edit.date_id,
            starts_at=edit.starts_at,
            ends_at=edit.ends_at,
            seats=edit.seats,
            price=edit.price,
            minimum=edit.minimum,
        )
    except REFUSALS as exc:
        st.session_state.pop(MOVE_KEY, None)
        refused(exc)
        return
    st.session_state.pop(MOVE_KEY, None)
    saved = t("dates.date_saved_told", n=result.messages) if result.messages else None
    overlap = [("warning", overlap_warning(ctx, result.overlaps))] if result.overlaps else []
    done(("success", saved or t("dates.date_saved")), *overlap)


def _confirm_move(ctx: PageContext, date_id: int) -> None:
    """The question before a booked date moves: old and new time, how many customers hear."""
    edit = st.session_state.get(MOVE_KEY)
    if not isinstance(edit, _Edit) or edit.date_id != date_id:
        return

    def warning() -> str:
        current = cd.get_date(ctx.viewer, ctx.db, date_id=date_id)
        booked = cd.date_bookings(ctx.viewer, ctx.db, date_id=date_id)
        told = booked[(booked["tickets"] > 0) & (booked["customer_email"].fillna("") != "")]
        return t(
            "dates.confirm_move",
            old=moment(current.starts_at),
            new=moment(rec.to_utc(edit.starts_at)),
            n=len(told),
        )

    st.warning(warning(), icon=":material/warning:")
    if st.button(t("dates.confirm_move_button"), type="primary", key="move_confirm"):
        _save(ctx, edit)


def _cancel(ctx: PageContext, date_id: int) -> None:
    """Cancelling a date always asks first, saying what it does to its bookings."""
    reason = st.text_input(t("dates.cancel_reason"), key="cancel_reason", max_chars=500)
    if st.button(t("dates.cancel_date"), key="cancel_date", icon=":material/event_busy:"):
        ask_first(CONFIRM_KEY, date_id)
    if st.session_state.get(CONFIRM_KEY) != date_id:
        return
    try:
        would = cd.cancel_date(ctx.viewer, ctx.db, date_id=date_id, dry_run=True)
    except REFUSALS as exc:
        st.session_state.pop(CONFIRM_KEY, None)
        refused(exc)
        return

    def cancel_confirmed() -> None:
        outcome = cd.cancel_date(
            ctx.viewer, ctx.db, date_id=date_id, confirm=True, reason=reason or None
        )
        flash("success", cancelled_text(outcome))

    confirm_action(
        CONFIRM_KEY,
        date_id,
        warning=lambda: (
            t("clicks.cancel_dates_ask", n=len(would.date_ids)) + " " + bookings_note(would)
        ),
        button_label=confirm_label(would),
        button_key="cancel_confirm",
        on_confirm=cancel_confirmed,
    )


def render_refunds(ctx: PageContext) -> None:
    st.caption(t("dates.refunds_hint"))
    due = cd.refunds_due(ctx.viewer, ctx.db)
    if due.empty:
        st.info(t("dates.refunds_none"), icon=":material/check_circle:")
        return
    st.metric(t("dates.refunds_total"), money(sum(due["amount_due"], ZERO)))
    st.dataframe(
        pd.DataFrame(
            {
                t("dates.col_start"): [moment(v) for v in due["starts_at"]],
                t("dates.col_course"): due["course"],
                t("dates.col_order"): due["increment_id"],
                t("dates.col_customer"): due["customer_name"],
                t("dates.col_tickets"): due["tickets"],
                t("dates.col_amount"): [money(v) for v in due["amount_due"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
