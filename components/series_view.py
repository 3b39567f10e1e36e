"""Termine → Serien: a new series (pattern, preview, save) and the partner's active series
(edit all or later dates at once, move or skip one date, cancel the whole series).

Cancelling booked dates (skip one, or the series) asks first through components.confirm.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from components import widgets
from components.confirm import ask_first, confirm_action, done, flash, form_token, new_form
from components.date_feedback import (
    REFUSALS,
    bookings_note,
    cancelled_text,
    confirm_label,
    date_cancel_warning,
    overlap_warning,
    refused,
)
from components.day_field import check_day, day_input
from components.i18n import day, locale, moment, t
from components.session import PageContext
from components.text import md
from core import i18n, periods
from core import recurrence as rec
from core.clock import now_utc
from data.dates import course_dates as cd
from data.dates import series as sr
from data.dates.course_dates import DUPLICATE
from data.dates.series import Series

PREVIEW_KEY = "_series_preview"
# (course, its price as shown): the price field shows that course's own price until typed in
_PRICE_FOR_KEY = "_series_price_course"
CONFIRM_SKIP_KEY = "_confirm_skip"
CONFIRM_CANCEL_KEY = "_confirm_cancel_series"
SAVED_KEY = "_series_saved"  # the fields of the series saved last: saving them again is off
SERIES_FORM = "new_series"
# The new series' fields and the chosen series, kept while another tab is open (widgets.keep).
CHOICES = (
    "s_course", "s_kind", "s_weekdays", "s_month_day", "s_short", "s_position", "s_pos_weekday",
    "s_rrule", "s_interval", "s_start", "s_time", "s_duration", "s_seats", "s_price", "s_end",
    "s_ends_on", "s_count", "s_minimum", "s_holidays",
    "series_pick",
)  # fmt: skip


def _weekday_label(code: str) -> str:
    return t(f"dates.weekday_{code.lower()}")


def render_series(ctx: PageContext, courses: pd.DataFrame, today: date) -> None:
    names = dict(zip(courses["product_id"], courses["name"], strict=True))
    st.subheader(t("dates.new_series"))
    course, pattern, offer = _new_series_fields(courses, names, today)
    _preview_and_save(ctx, course, pattern, offer)

    all_series = sr.list_series(ctx.viewer, ctx.db, active_only=True)
    if all_series.empty:
        return
    st.divider()
    st.subheader(t("dates.series_title"))
    series_labels = {
        int(r.series_id): t(
            "dates.series_label",
            id=int(r.series_id),
            course=names.get(r.product_id, str(r.product_id)),
            rule=_describe_row(r),
        )
        for r in all_series.itertuples()
    }
    chosen = widgets.selectbox(
        st,
        t("dates.pick_series"),
        list(series_labels),
        format_func=series_labels.get,
        key="series_pick",
    )
    current = sr.get_series(ctx.viewer, ctx.db, series_id=chosen)
    upcoming = cd.list_dates(
        ctx.viewer, ctx.db, series_id=chosen, start=now_utc(), include_cancelled=False
    )
    st.caption(describe(current.rule, current.pattern, exceptions=current.exceptions))
    st.caption(t("dates.series_upcoming", n=len(upcoming)))
    _bulk_edit(ctx, current, today)
    _move_or_skip(ctx, current, upcoming)
    _cancel_series(ctx, chosen)


def describe(rule: str, pattern: rec.Pattern, *, exceptions: Sequence[rec.Exception_] = ()) -> str:
    """The series' rule in words, in the session's language (never the RRULE itself)."""
    return rec.describe(
        rule, locale(), at=pattern.start_time, starts_on=pattern.starts_on,
        holidays_in=pattern.holidays_in, exceptions=exceptions,
    )  # fmt: skip


def _describe_row(row: Any) -> str:
    """A row of data.dates.series.list_series in words."""
    start = row.start_time
    at = time.fromisoformat(start) if isinstance(start, str) else start
    holidays = row.holidays_in if isinstance(row.holidays_in, str) else None
    return rec.describe(
        str(row.rrule), locale(), at=at, starts_on=row.starts_on, holidays_in=holidays
    )


def _new_series_fields(
    courses: pd.DataFrame, names: dict[int, str], today: date
) -> tuple[int, rec.Pattern, dict[str, object]]:
    """The new-series widgets; the course, the pattern they describe and seats/price."""
    course = widgets.selectbox(
        st, t("dates.course"), list(names), format_func=names.get, key="s_course"
    )
    kind = widgets.selectbox(
        st,
        t("dates.kind"),
        list(rec.KINDS),
        format_func={k: t(f"dates.kind_{k}") for k in rec.KINDS}.get,
        key="s_kind",
    )
    weekdays: list[str] = []
    month_day = position = position_weekday = short = rrule_text = None
    if kind == rec.WEEKLY:
        weekdays = widgets.multiselect(
            st,
            t("dates.weekdays"),
            list(rec.WEEKDAYS),
            format_func={d: _weekday_label(d) for d in rec.WEEKDAYS}.get,
            default=["TU"],
            key="s_weekdays",
        )
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
        position = widgets.selectbox(
            a,
            t("dates.position"),
            list(rec.POSITIONS),
            format_func=lambda v: t("dates.position_last") if v == -1 else f"{v}.",
            key="s_position",
        )
        position_weekday = widgets.selectbox(
            b,
            t("dates.weekday"),
            list(rec.WEEKDAYS),
            format_func={d: _weekday_label(d) for d in rec.WEEKDAYS}.get,
            key="s_pos_weekday",
        )
    elif kind == rec.CUSTOM:
        rrule_text = st.text_input(
            t("dates.rrule"), placeholder="FREQ=WEEKLY;BYDAY=TU,TH", key="s_rrule"
        )
    a, b, c = st.columns(3)
    interval = int(a.number_input(t("dates.interval"), value=1, step=1, key="s_interval"))
    starts_on = day_input(
        b, t("dates.first_day"), value=today + timedelta(days=1), key="s_start"
    ) or today + timedelta(days=1)
    start_time = c.time_input(t("dates.start_time"), value=time(18, 0), key="s_time")
    a, b, c = st.columns(3)
    duration = int(a.number_input(t("dates.duration"), value=180, step=15, key="s_duration"))
    seats = int(b.number_input(t("dates.seats"), value=10, step=1, key="s_seats"))
    default_price = courses.set_index("product_id")["price"].get(course) or 0
    shown = i18n.amount(Decimal(str(default_price)), locale())
    before = st.session_state.get(_PRICE_FOR_KEY)
    if before is not None and before[0] != course and st.session_state.get("s_price") == before[1]:
        # Another course brings its own price (a field keyed once keeps its first value); a
        # price the partner typed stays theirs.
        st.session_state.pop("s_price", None)
    st.session_state[_PRICE_FOR_KEY] = (course, shown)
    price = widgets.money_input(c, t("dates.price"), value=default_price, key="s_price")
    end_kind = st.radio(
        t("dates.ends"),
        ["date", "count", "never"],
        format_func={v: t(f"dates.ends_{v}") for v in ("date", "count", "never")}.get,
        horizontal=True,
        key="s_end",
    )
    ends_on = count = None
    if end_kind == "date":
        ends_on = widgets.date_input(
            st,
            t("dates.last_day"),
            value=date(today.year, 12, 31),
            key="s_ends_on",
        )
    elif end_kind == "count":
        count = int(st.number_input(t("dates.count"), value=10, step=1, key="s_count"))
    minimum = int(
        st.number_input(
            t("minimums.field"),
            value=0,
            step=1,
            key="s_minimum",
            help=t("minimums.series_field_help"),
        )
    )
    state = widgets.selectbox(
        st,
        t("dates.holidays"),
        [None, *rec.BUNDESLAENDER],
        format_func={
            v: t("dates.holidays_none") if v is None else t(f"dates.state_{v}")
            for v in [None, *rec.BUNDESLAENDER]
        }.get,
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
    # Exact, not rounded: the data layer refuses a fraction of a cent (0,004 €).
    return course, pattern, {"seats": seats, "price": price, "minimum": minimum}


def _preview_and_save(
    ctx: PageContext, course: int, pattern: rec.Pattern, offer: dict[str, object]
) -> None:
    if offer["price"] is None:  # no amount: explained at the price field
        return
    p_col, s_col = st.columns(2)
    if p_col.button(t("dates.preview"), key="s_preview", width="stretch"):
        st.session_state[PREVIEW_KEY] = pattern
    # The preview stays while the fields describe the same pattern; any change hides it.
    previewed = st.session_state.get(PREVIEW_KEY) == pattern
    if previewed:
        try:
            _preview(ctx, course, pattern, offer)
        except REFUSALS as exc:
            refused(exc)
    _save(ctx, s_col, course, pattern, offer)


def _save(
    ctx: PageContext,
    col,
    course: int,
    pattern: rec.Pattern,
    offer: dict[str, object],
) -> None:
    """The save button, once: the form's token makes a second submit of the same form (a
    double click, racing reruns) create nothing; once saved, the button stays disabled until a
    field changes."""
    fields = (course, pattern, tuple(sorted(offer.items())))
    saved_already = st.session_state.get(SAVED_KEY) == fields
    clicked = col.button(
        t("dates.save_series"), type="primary", key="s_save", width="stretch",
        disabled=saved_already,
    )  # fmt: skip
    if saved_already:
        st.caption(t("clicks.series_saved_already"))
    if not clicked or saved_already:
        return
    try:
        check_day(pattern.starts_on, first=periods.berlin_today())
        saved = sr.create_series(
            ctx.viewer, ctx.db, product_id=course, pattern=pattern,
            token=form_token(SERIES_FORM), **offer,
        )  # fmt: skip
    except REFUSALS as exc:
        if exc.key == DUPLICATE:  # the first click's run saved it and was cut short
            st.session_state[SAVED_KEY] = fields
            new_form(SERIES_FORM)
            done(("info", t(DUPLICATE)))
        refused(exc)
        return
    st.session_state.pop(PREVIEW_KEY, None)
    st.session_state[SAVED_KEY] = fields
    new_form(SERIES_FORM)
    # Named once: the page runs again without the preview that named them before.
    overlap = [("warning", overlap_warning(ctx, saved.overlaps))] if saved.overlaps else []
    done(("success", t("dates.series_saved", n=saved.created)), *overlap)


def _preview(ctx: PageContext, course: int, pattern: rec.Pattern, offer: dict[str, object]) -> None:
    preview = sr.preview_series(ctx.viewer, ctx.db, product_id=course, pattern=pattern, **offer)
    rule = describe(preview.rule, pattern)
    st.caption(t("dates.preview_count", n=preview.to_create, rule=md(rule)))
    if preview.open_ended:
        st.caption(t("dates.preview_open"))
    rows = [
        {
            t("dates.col_start"): f"{day(o.starts_at)} {o.starts_at.strftime('%H:%M')}",
            t("dates.col_status"): (
                t("dates.preview_holiday", name=o.holiday) if o.holiday else t("dates.preview_new")
            ),
        }
        for o in preview.occurrences
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", height=240)
    if preview.overlaps:
        st.warning(overlap_warning(ctx, preview.overlaps), icon=":material/warning:")


def _bulk_edit(ctx: PageContext, series: Series, today: date) -> None:
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
            from_day = day_input(
                st.container(),
                t("dates.bulk_from"),
                value=today + timedelta(days=7),
                key="bulk_from",
            )
        a, b, c, d = st.columns(4)
        start_time = a.time_input(
            t("dates.start_time"), value=series.pattern.start_time, key="bulk_time"
        )
        seats = int(b.number_input(t("dates.seats"), value=series.seats, key="bulk_seats"))
        price = widgets.money_input(c, t("dates.price"), value=series.price, key="bulk_price")
        minimum = int(
            d.number_input(
                t("minimums.field"),
                value=series.min_participants,
                step=1,
                key="bulk_minimum",
                help=t("minimums.series_field_help"),
            )
        )
        if not st.button(t("dates.bulk_apply"), type="primary", key="bulk_apply"):
            return
        if price is None:  # no amount: explained at the price field
            return
        new_price = price  # exact: the data layer refuses 0,004
        try:
            if from_day is not None:
                check_day(from_day, first=today)
            # Only what the partner changed is passed on; None leaves a field as it is.
            result = sr.bulk_edit(
                ctx.viewer,
                ctx.db,
                series_id=series.series_id,
                start_time=start_time if start_time != series.pattern.start_time else None,
                seats=seats if seats != series.seats else None,
                price=new_price if new_price != series.price else None,
                minimum=minimum if minimum != series.min_participants else None,
                from_day=from_day,
            )
        except REFUSALS as exc:
            refused(exc)
            return
        if result.messages:
            done(("success", t("dates.bulk_done_told", n=result.changed, m=result.messages)))
        done(("success", t("dates.bulk_done", n=result.changed)))


def _move_or_skip(ctx: PageContext, series: Series, upcoming: pd.DataFrame) -> None:
    occurrences = {rec.local_day(r.starts_at): moment(r.starts_at) for r in upcoming.itertuples()}
    with st.expander(t("dates.move_title"), icon=":material/move_item:"):
        if not occurrences:
            st.caption(t("dates.empty"))
            return
        series_id = series.series_id
        move_day = widgets.selectbox(
            st,
            t("dates.pick_occurrence"),
            list(occurrences),
            format_func=occurrences.get,
            key="move_day",
        )  # fmt: skip
        a, b = st.columns(2)
        target_day = day_input(a, t("dates.new_day"), value=move_day, key="move_to_day")
        target_time = b.time_input(
            t("dates.start_time"), value=series.pattern.start_time, key="move_to_time"
        )
        move_col, skip_col = st.columns(2)
        if move_col.button(t("dates.move"), key="move_apply", width="stretch"):
            try:
                check_day(target_day or move_day, first=periods.berlin_today())
                sr.move_occurrence(
                    ctx.viewer, ctx.db, series_id=series_id, day=move_day,
                    new_start=datetime.combine(target_day or move_day, target_time),
                )  # fmt: skip
                done(("success", t("dates.moved")))
            except REFUSALS as exc:
                refused(exc)
        target = (series_id, move_day)
        if skip_col.button(t("dates.skip"), key="skip_apply", width="stretch"):
            try:
                outcome = sr.skip_occurrence(ctx.viewer, ctx.db, series_id=series_id, day=move_day)
                if outcome.needs_confirmation:
                    ask_first(CONFIRM_SKIP_KEY, target)
                else:
                    done(("success", t("dates.cancelled", n=len(outcome.cancelled))))
            except REFUSALS as exc:
                refused(exc)

        def skip_confirmed() -> None:
            outcome = sr.skip_occurrence(
                ctx.viewer, ctx.db, series_id=series_id, day=move_day, confirm=True
            )
            flash(
                "success",
                t("dates.cancelled_told", n=len(outcome.cancelled), mails=outcome.messages),
            )

        date_ids = {rec.local_day(r.starts_at): int(r.date_id) for r in upcoming.itertuples()}
        confirm_action(
            CONFIRM_SKIP_KEY,
            target,
            warning=lambda: date_cancel_warning(ctx, date_ids.get(move_day, 0)),
            button_label=t("dates.confirm_cancel_button"),
            button_key="skip_confirm",
            on_confirm=skip_confirmed,
        )


def _cancel_series(ctx: PageContext, series_id: int) -> None:
    """Cancelling a series always asks first, saying how many dates and bookings it ends."""
    asking = st.session_state.get(CONFIRM_CANCEL_KEY) == series_id
    # Open while the question waits, so the yes is in view after the rerun.
    with st.expander(t("dates.cancel_series_title"), icon=":material/cancel:", expanded=asking):
        reason = st.text_input(t("dates.cancel_reason"), key="series_reason", max_chars=500)
        st.button(
            t("dates.cancel_series"), key="series_cancel", on_click=ask_first,
            args=(CONFIRM_CANCEL_KEY, series_id),
        )  # fmt: skip
        if st.session_state.get(CONFIRM_CANCEL_KEY) != series_id:
            return
        # With dry_run the data layer only counts what a cancel would touch.
        would = sr.cancel_series(ctx.viewer, ctx.db, series_id=series_id, dry_run=True)

        def cancel_confirmed() -> None:
            outcome = sr.cancel_series(
                ctx.viewer, ctx.db, series_id=series_id, confirm=True, reason=reason or None
            )
            flash("success", cancelled_text(outcome))

        confirm_action(
            CONFIRM_CANCEL_KEY,
            series_id,
            warning=lambda: (
                t("clicks.cancel_series_ask", id=series_id, n=len(would.date_ids))
                + " "
                + bookings_note(would)
            ),
            button_label=confirm_label(would),
            button_key="series_cancel_confirm",
            on_confirm=cancel_confirmed,
        )
