"""Termine: the partner's course dates as list and calendar, single dates, series, iCal.

Thin: widgets, calls into data.course_dates / data.series, rendering through components.
Every refusal the partner can act on is a German sentence from the data layer's key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import streamlit as st

from components.calendar_view import calendar, days_shown
from components.date_form import new_date_dialog, show_flash
from components.i18n import day, moment, money, t, time_of_day
from components.session import page_context
from core import recurrence as rec
from core.ical import build_ics
from core.validation import InvalidInput
from data import course_dates as cd
from data import series as sr
from data.catalog import list_courses
from data.viewer import ScopeError

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
st.title(t("nav.dates"))
show_flash()


def _refused(exc: Exception) -> None:
    if isinstance(exc, InvalidInput):
        st.error(t(exc.key, **exc.params), icon=":material/error:")
    else:
        st.error(t("dates.not_found"), icon=":material/block:")


def _flash(kind: str, message: str) -> None:
    st.session_state.setdefault("_dates_flash", []).append((kind, message))


courses = list_courses(viewer, db)
if courses.empty:
    st.info(t("dates.no_courses"), icon=":material/event_busy:")
    st.stop()
names = dict(zip(courses["product_id"], courses["name"], strict=True))
today = rec.local_day(datetime.now(UTC))

new_col, ics_col = st.columns(2)
if new_col.button(t("dates.new_date"), icon=":material/add:", key="new_date", width="stretch"):
    new_date_dialog(ctx)
window = cd.list_dates(
    viewer,
    db,
    start=datetime.now(UTC) - timedelta(days=31),
    end=datetime.now(UTC) + timedelta(days=400),
)
ics_col.download_button(
    t("dates.ical"),
    build_ics(window.to_dict("records"), name=t("dates.ical_name")),
    file_name="miomente-termine.ics",
    mime="text/calendar",
    icon=":material/calendar_add_on:",
    key="ical",
    width="stretch",
)

tab_list, tab_calendar, tab_series, tab_refunds = st.tabs(
    [t("dates.tab_list"), t("dates.tab_calendar"), t("dates.tab_series"), t("dates.tab_refunds")]
)


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("dates.col_start"): [moment(v) for v in frame["starts_at"]],
            t("dates.col_end"): [time_of_day(v) for v in frame["ends_at"]],
            t("dates.col_course"): frame["course"],
            t("dates.col_seats"): [
                t("dates.cal_seats", sold=int(s), total=int(n))
                for s, n in zip(frame["seats_sold"], frame["seats_total"], strict=True)
            ],
            t("dates.col_waitlist"): frame["waitlist"],
            t("dates.col_price"): [money(v) for v in frame["price"]],
            t("dates.col_status"): [t(f"dates.status_{s}") for s in frame["status"]],
            t("dates.col_series"): ["" if pd.isna(v) else f"#{int(v)}" for v in frame["series_id"]],
        }
    )


# --- list -----------------------------------------------------------------------------------------

with tab_list:
    left, mid, right = st.columns([2, 2, 1])
    course_filter = left.selectbox(
        t("dates.course"),
        [None, *names],
        format_func=lambda pid: t("dates.all_courses") if pid is None else names[pid],
        key="list_course",
    )
    span = mid.date_input(
        t("dates.range"),
        value=(today, today + timedelta(days=90)),
        format="DD.MM.YYYY",
        key="list_range",
    )
    show_cancelled = right.toggle(t("dates.show_cancelled"), value=False, key="list_cancelled")
    first, last = (span[0], span[-1]) if isinstance(span, tuple | list) and span else (today, today)
    bounds = (
        rec.to_utc(rec.local_start(first, time(0))),
        rec.to_utc(rec.local_start(last + timedelta(days=1), time(0))),
    )
    dates = cd.list_dates(
        viewer, db, start=bounds[0], end=bounds[1], product_id=course_filter,
        include_cancelled=show_cancelled,
    )  # fmt: skip
    if dates.empty:
        st.info(t("dates.empty"), icon=":material/event_busy:")
    else:
        st.dataframe(_table(dates), hide_index=True, width="stretch")

    editable = dates[(dates["status"] == "active") & (dates["starts_at"] > datetime.now())]
    labels = {int(r.date_id): f"{moment(r.starts_at)} · {r.course}" for r in editable.itertuples()}
    if labels:
        st.subheader(t("dates.edit_title"))
        picked = st.selectbox(
            t("dates.pick_date"), list(labels), format_func=labels.get, key="edit_pick"
        )
        current = cd.get_date(viewer, db, date_id=picked)
        local = rec.to_local(current.starts_at)
        with st.form(f"edit_{picked}"):
            a, b, c = st.columns(3)
            new_day = a.date_input(t("dates.day"), value=local.date(), format="DD.MM.YYYY")
            new_start = b.time_input(t("dates.start_time"), value=local.time())
            new_end = c.time_input(t("dates.end_time"), value=rec.to_local(current.ends_at).time())
            d, e = st.columns(2)
            seats = d.number_input(t("dates.seats"), value=current.seats_total, step=1)
            price = e.number_input(
                t("dates.price"), value=float(current.price), step=1.0, format="%.2f"
            )
            saved = st.form_submit_button(t("dates.save_changes"), type="primary")
        if saved:
            try:
                result = cd.update_date(
                    viewer,
                    db,
                    date_id=picked,
                    starts_at=datetime.combine(new_day, new_start),
                    ends_at=datetime.combine(new_day, new_end),
                    seats=int(seats),
                    price=Decimal(str(price)).quantize(Decimal("0.01")),
                )
                if result.messages:
                    st.success(t("dates.date_saved_told", n=result.messages))
                else:
                    st.success(t("dates.date_saved"))
                if result.overlaps:
                    st.warning(t("dates.overlap", n=len(result.overlaps)))
            except (InvalidInput, ScopeError) as exc:
                _refused(exc)

        reason = st.text_input(t("dates.cancel_reason"), key="cancel_reason", max_chars=500)
        confirming = st.session_state.get("_confirm_cancel_date") == picked
        if st.button(t("dates.cancel_date"), key="cancel_date", icon=":material/event_busy:"):
            try:
                outcome = cd.cancel_date(viewer, db, date_id=picked, reason=reason or None)
                if outcome.needs_confirmation:
                    st.session_state["_confirm_cancel_date"] = picked
                    confirming = True
                elif outcome.cancelled:
                    _flash("success", t("dates.cancelled", n=len(outcome.cancelled)))
                    st.rerun()
            except (InvalidInput, ScopeError) as exc:
                _refused(exc)
        if confirming:
            booked = cd.date_bookings(viewer, db, date_id=picked)
            st.warning(
                t(
                    "dates.confirm_cancel",
                    bookings=len(booked),
                    tickets=int(booked["tickets"].sum()),
                    amount=money(sum(booked["amount"], Decimal(0))),
                ),
                icon=":material/warning:",
            )
            if st.button(t("dates.confirm_cancel_button"), type="primary", key="cancel_confirm"):
                outcome = cd.cancel_date(
                    viewer, db, date_id=picked, confirm=True, reason=reason or None
                )
                st.session_state.pop("_confirm_cancel_date", None)
                _flash(
                    "success",
                    t("dates.cancelled_told", n=len(outcome.cancelled), mails=outcome.messages),
                )
                st.rerun()

# --- calendar -------------------------------------------------------------------------------------

with tab_calendar:
    a, b = st.columns(2)
    view = a.segmented_control(
        t("dates.view"),
        ["month", "week"],
        format_func=lambda v: t(f"dates.view_{v}"),
        default="month",
        key="cal_view",
    )
    anchor = b.date_input(t("dates.cal_anchor"), value=today, format="DD.MM.YYYY", key="cal_day")
    shown = days_shown(view or "month", anchor)
    frame = cd.list_dates(
        viewer,
        db,
        start=rec.to_utc(rec.local_start(shown[0], time(0))),
        end=rec.to_utc(rec.local_start(shown[-1] + timedelta(days=1), time(0))),
    )
    calendar(frame, view=view or "month", anchor=anchor)

# --- series ---------------------------------------------------------------------------------------

WEEKDAY_LABELS = {w: t(f"dates.weekday_{w.lower()}") for w in rec.WEEKDAYS}

with tab_series:
    st.subheader(t("dates.new_series"))
    course = st.selectbox(t("dates.course"), list(names), format_func=names.get, key="s_course")
    kind = st.selectbox(
        t("dates.kind"), list(rec.KINDS), format_func=lambda k: t(f"dates.kind_{k}"), key="s_kind"
    )
    weekdays: list[str] = []
    month_day = position = position_weekday = short = rrule_text = None
    if kind == rec.WEEKLY:
        weekdays = st.multiselect(
            t("dates.weekdays"), list(rec.WEEKDAYS), format_func=WEEKDAY_LABELS.get,
            default=["TU"], key="s_weekdays",
        )  # fmt: skip
    elif kind == rec.MONTHLY_DAY:
        month_day = int(st.number_input(t("dates.month_day"), value=1, step=1, key="s_month_day"))
        short = st.radio(
            t("dates.short_months"),
            [None, rec.SHORT_SKIP, rec.SHORT_LAST],
            format_func=lambda v: t(f"dates.short_{v or 'unset'}"),
            key="s_short",
            horizontal=True,
        )
    elif kind == rec.MONTHLY_POSITION:
        a, b = st.columns(2)
        position = a.selectbox(
            t("dates.position"), list(rec.POSITIONS),
            format_func=lambda v: t("dates.position_last") if v == -1 else f"{v}.",
            key="s_position",
        )  # fmt: skip
        position_weekday = b.selectbox(
            t("dates.weekday"), list(rec.WEEKDAYS), format_func=WEEKDAY_LABELS.get,
            key="s_pos_weekday",
        )  # fmt: skip
    elif kind == rec.CUSTOM:
        rrule_text = st.text_input(
            t("dates.rrule"), placeholder="FREQ=WEEKLY;BYDAY=TU,TH", key="s_rrule"
        )
    a, b, c = st.columns(3)
    interval = int(a.number_input(t("dates.interval"), value=1, step=1, key="s_interval"))
    starts_on = b.date_input(
        t("dates.first_day"), value=today + timedelta(days=1), format="DD.MM.YYYY", key="s_start"
    )
    start_time = c.time_input(t("dates.start_time"), value=time(18, 0), key="s_time")
    a, b, c = st.columns(3)
    duration = int(a.number_input(t("dates.duration"), value=180, step=15, key="s_duration"))
    seats_new = int(b.number_input(t("dates.seats"), value=10, step=1, key="s_seats"))
    price_new = c.number_input(
        t("dates.price"), value=float(courses.set_index("product_id")["price"].get(course) or 0),
        step=1.0, format="%.2f", key="s_price",
    )  # fmt: skip
    end_kind = st.radio(
        t("dates.ends"),
        ["date", "count", "never"],
        format_func=lambda v: t(f"dates.ends_{v}"),
        horizontal=True,
        key="s_end",
    )
    ends_on = count = None
    if end_kind == "date":
        ends_on = st.date_input(
            t("dates.last_day"), value=date(today.year, 12, 31), format="DD.MM.YYYY",
            key="s_ends_on",
        )  # fmt: skip
    elif end_kind == "count":
        count = int(st.number_input(t("dates.count"), value=10, step=1, key="s_count"))
    state = st.selectbox(
        t("dates.holidays"),
        [None, *rec.BUNDESLAENDER],
        format_func=lambda v: t("dates.holidays_none") if v is None else t(f"dates.state_{v}"),
        key="s_holidays",
    )
    pattern = rec.Pattern(
        kind=kind,
        starts_on=starts_on,
        start_time=start_time,
        duration_minutes=duration,
        interval=interval,
        weekdays=tuple(weekdays),
        month_day=month_day,
        short_months=short,
        position=position,
        position_weekday=position_weekday,
        rrule=rrule_text,
        ends_on=ends_on,
        count=count,
        holidays_in=state,
    )
    offer = {"seats": seats_new, "price": Decimal(str(price_new)).quantize(Decimal("0.01"))}
    p_col, s_col = st.columns(2)
    if p_col.button(t("dates.preview"), key="s_preview", width="stretch"):
        st.session_state["_series_preview"] = pattern
    if st.session_state.get("_series_preview") == pattern:
        try:
            preview = sr.preview_series(viewer, db, product_id=course, pattern=pattern, **offer)
            st.caption(t("dates.preview_count", n=preview.to_create, rule=preview.rule))
            if preview.open_ended:
                st.caption(t("dates.preview_open"))
            rows = [
                {
                    t("dates.col_start"): f"{day(o.starts_at)} {o.starts_at.strftime('%H:%M')}",
                    t("dates.col_status"): (
                        t("dates.preview_holiday", name=o.holiday)
                        if o.holiday
                        else t("dates.preview_new")
                    ),
                }
                for o in preview.occurrences
            ]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=240)
            if preview.overlaps:
                st.warning(t("dates.overlap", n=len(preview.overlaps)), icon=":material/warning:")
        except (InvalidInput, ScopeError) as exc:
            _refused(exc)
    if s_col.button(t("dates.save_series"), type="primary", key="s_save", width="stretch"):
        try:
            saved_series = sr.create_series(viewer, db, product_id=course, pattern=pattern, **offer)
            st.session_state.pop("_series_preview", None)
            st.success(t("dates.series_saved", n=saved_series.created))
            if saved_series.overlaps:
                st.warning(t("dates.overlap", n=len(saved_series.overlaps)))
        except (InvalidInput, ScopeError) as exc:
            _refused(exc)

    all_series = sr.list_series(viewer, db, active_only=True)
    if not all_series.empty:
        st.divider()
        st.subheader(t("dates.series_title"))
        series_labels = {
            int(r.series_id): t(
                "dates.series_label",
                id=int(r.series_id),
                course=names.get(r.product_id, str(r.product_id)),
                rule=r.rrule,
            )
            for r in all_series.itertuples()
        }
        chosen = st.selectbox(
            t("dates.pick_series"), list(series_labels), format_func=series_labels.get,
            key="series_pick",
        )  # fmt: skip
        current_series = sr.get_series(viewer, db, series_id=chosen)
        upcoming = cd.list_dates(
            viewer, db, series_id=chosen, start=datetime.now(UTC), include_cancelled=False
        )
        st.caption(t("dates.series_upcoming", n=len(upcoming)))

        with st.expander(t("dates.bulk_title"), icon=":material/edit_calendar:"):
            scope_choice = st.radio(
                t("dates.bulk_scope"),
                ["all", "from"],
                format_func=lambda v: t(f"dates.bulk_scope_{v}"),
                horizontal=True,
                key="bulk_scope",
            )
            from_day = None
            if scope_choice == "from":
                from_day = st.date_input(
                    t("dates.bulk_from"), value=today + timedelta(days=7), format="DD.MM.YYYY",
                    key="bulk_from",
                )  # fmt: skip
            a, b, c = st.columns(3)
            bulk_time = a.time_input(
                t("dates.start_time"), value=current_series.pattern.start_time, key="bulk_time"
            )
            bulk_seats = int(
                b.number_input(t("dates.seats"), value=current_series.seats, key="bulk_seats")
            )
            bulk_price = c.number_input(
                t("dates.price"), value=float(current_series.price), step=1.0, format="%.2f",
                key="bulk_price",
            )  # fmt: skip
            if st.button(t("dates.bulk_apply"), type="primary", key="bulk_apply"):
                new_price = Decimal(str(bulk_price)).quantize(Decimal("0.01"))
                try:
                    result = sr.bulk_edit(
                        viewer,
                        db,
                        series_id=chosen,
                        start_time=bulk_time
                        if bulk_time != current_series.pattern.start_time
                        else None,
                        seats=bulk_seats if bulk_seats != current_series.seats else None,
                        price=new_price if new_price != current_series.price else None,
                        from_day=from_day,
                    )
                    if result.messages:
                        st.success(t("dates.bulk_done_told", n=result.changed, m=result.messages))
                    else:
                        st.success(t("dates.bulk_done", n=result.changed))
                except (InvalidInput, ScopeError) as exc:
                    _refused(exc)

        occurrence_labels = {
            rec.local_day(r.starts_at): moment(r.starts_at) for r in upcoming.itertuples()
        }
        with st.expander(t("dates.move_title"), icon=":material/move_item:"):
            if occurrence_labels:
                move_day = st.selectbox(
                    t("dates.pick_occurrence"), list(occurrence_labels),
                    format_func=occurrence_labels.get, key="move_day",
                )  # fmt: skip
                a, b = st.columns(2)
                target_day = a.date_input(
                    t("dates.new_day"), value=move_day, format="DD.MM.YYYY", key="move_to_day"
                )
                target_time = b.time_input(
                    t("dates.start_time"), value=current_series.pattern.start_time,
                    key="move_to_time",
                )  # fmt: skip
                m_col, s_col2 = st.columns(2)
                if m_col.button(t("dates.move"), key="move_apply", width="stretch"):
                    try:
                        sr.move_occurrence(
                            viewer, db, series_id=chosen, day=move_day,
                            new_start=datetime.combine(target_day, target_time),
                        )  # fmt: skip
                        _flash("success", t("dates.moved"))
                        st.rerun()
                    except (InvalidInput, ScopeError) as exc:
                        _refused(exc)
                confirm_skip = st.session_state.get("_confirm_skip") == (chosen, move_day)
                if s_col2.button(t("dates.skip"), key="skip_apply", width="stretch"):
                    try:
                        outcome = sr.skip_occurrence(viewer, db, series_id=chosen, day=move_day)
                        if outcome.needs_confirmation:
                            st.session_state["_confirm_skip"] = (chosen, move_day)
                            confirm_skip = True
                        else:
                            _flash("success", t("dates.cancelled", n=len(outcome.cancelled)))
                            st.rerun()
                    except (InvalidInput, ScopeError) as exc:
                        _refused(exc)
                if confirm_skip:
                    day_ids = {
                        rec.local_day(r.starts_at): int(r.date_id) for r in upcoming.itertuples()
                    }
                    booked = cd.date_bookings(viewer, db, date_id=day_ids.get(move_day, 0))
                    st.warning(
                        t(
                            "dates.confirm_cancel",
                            bookings=len(booked),
                            tickets=int(booked["tickets"].sum()),
                            amount=money(sum(booked["amount"], Decimal(0))),
                        ),
                        icon=":material/warning:",
                    )
                    if st.button(
                        t("dates.confirm_cancel_button"), type="primary", key="skip_confirm"
                    ):
                        outcome = sr.skip_occurrence(
                            viewer, db, series_id=chosen, day=move_day, confirm=True
                        )
                        st.session_state.pop("_confirm_skip", None)
                        _flash(
                            "success",
                            t("dates.cancelled_told", n=len(outcome.cancelled),
                              mails=outcome.messages),
                        )  # fmt: skip
                        st.rerun()
            else:
                st.caption(t("dates.empty"))

        with st.expander(t("dates.cancel_series_title"), icon=":material/cancel:"):
            series_reason = st.text_input(
                t("dates.cancel_reason"), key="series_reason", max_chars=500
            )
            confirm_series = st.session_state.get("_confirm_cancel_series") == chosen
            if st.button(t("dates.cancel_series"), key="series_cancel"):
                try:
                    outcome = sr.cancel_series(
                        viewer, db, series_id=chosen, reason=series_reason or None
                    )
                    if outcome.needs_confirmation:
                        st.session_state["_confirm_cancel_series"] = chosen
                        confirm_series = True
                    else:
                        _flash(
                            "success", t("dates.series_cancelled_done", n=len(outcome.cancelled))
                        )
                        st.rerun()
                except (InvalidInput, ScopeError) as exc:
                    _refused(exc)
            if confirm_series:
                preview_cancel = sr.cancel_series(viewer, db, series_id=chosen)
                st.warning(
                    t(
                        "dates.confirm_cancel",
                        bookings=preview_cancel.bookings,
                        tickets=preview_cancel.tickets,
                        amount=money(preview_cancel.refund_total),
                    ),
                    icon=":material/warning:",
                )
                if st.button(
                    t("dates.confirm_cancel_button"), type="primary", key="series_cancel_confirm"
                ):
                    outcome = sr.cancel_series(
                        viewer, db, series_id=chosen, confirm=True, reason=series_reason or None
                    )
                    st.session_state.pop("_confirm_cancel_series", None)
                    _flash(
                        "success",
                        t("dates.cancelled_told", n=len(outcome.cancelled), mails=outcome.messages),
                    )
                    st.rerun()

# --- refunds due ----------------------------------------------------------------------------------

with tab_refunds:
    st.caption(t("dates.refunds_hint"))
    due = cd.refunds_due(viewer, db)
    if due.empty:
        st.info(t("dates.refunds_none"), icon=":material/check_circle:")
    else:
        st.metric(t("dates.refunds_total"), money(sum(due["amount_due"], Decimal(0))))
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
