"""Terminanfragen: open requests grouped by course and day, the answers, history and rules.

Each group (one course, one requested day) shows its requesters and the working days left,
and one answer form: accept (a new date, prefilled from the request, or an existing one),
propose another date, or reject with a reason. Every answer mails customers, so it asks first
(components.confirm): the form's values become the pending target, and the confirm button
runs the data function. Customers' names and messages are text (components.text.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pandas as pd
import streamlit as st

from components import menu_counts, widgets
from components.cache import viewer_courses, viewer_partners
from components.confirm import ask_first, confirm_action, flash
from components.feedback import refusal_text, show_refusal
from components.i18n import day, moment, t, weekday
from components.session import PageContext
from components.text import md
from core.errors import Refusal
from core.money import to_decimal
from data.dates.course_dates import future_dates
from data.demand import date_requests as dr

CONFIRM_KEY = "_confirm_date_request"
ACTIONS = ("accept", "propose", "reject")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DEFAULT_HOURS = 3


@dataclass(frozen=True)
class Pending:
    """An answer awaiting its yes: everything the data call needs (hashable, comparable)."""

    group: tuple[int, date]
    action: str
    request_ids: tuple[int, ...]
    date_id: int | None = None
    new_date: dr.NewDate | None = None
    text: str | None = None


# --- open requests ---------------------------------------------------------------------------


def render_open(ctx: PageContext) -> None:
    groups = dr.open_groups(ctx.viewer, ctx.db)
    if groups.empty:
        st.info(t("date_requests.none_open"), icon=":material/event_available:")
        return
    requests = dr.list_requests(ctx.viewer, ctx.db, status="pending")
    partners: dict[int, str] = {}
    if ctx.viewer.sees_all:  # staff over all partners: say whose request it is
        known = viewer_partners(ctx)
        partners = dict(zip(known["partner_id"], known["name"], strict=True))
    for group in groups.to_dict("records"):
        members = requests[requests["request_id"].isin(group["request_ids"])]
        with st.container(border=True):
            _group_header(group, members, partner=partners.get(int(group["partner_id"])))
            with st.expander(t("date_requests.action"), icon=":material/reply:"):
                _answer_form(ctx, group, members)


def _days_left(n: int) -> None:
    if n <= 0:
        st.warning(t("date_requests.days_last"), icon=":material/alarm:")
    elif n <= 2:
        st.warning(t("date_requests.days_left", n=n), icon=":material/schedule:")
    else:
        st.caption(t("date_requests.days_left", n=n))


def _group_header(group: dict, members: pd.DataFrame, *, partner: str | None) -> None:
    on: date = group["requested_day"]
    when = f"{weekday(on)}, {day(on)}"
    st.subheader(t("date_requests.group_title", course=md(group["course"]), day=when), anchor=False)
    st.caption(
        t(
            "date_requests.group_caption",
            requests=int(group["requests"]),
            people=int(group["people"]),
            times=", ".join(group["times"]),
        )
    )
    if partner:
        st.caption(t("date_requests.partner", name=md(partner)))
    _days_left(int(group["workdays_left"]))
    for row in members.to_dict("records"):
        st.markdown(
            "- "
            + t(
                "date_requests.requester",
                name=md(row["customer_name"]),
                people=int(row["participants"]),
                time=row["requested_time"].strftime("%H:%M"),
            )
        )
        if isinstance(row["message"], str) and row["message"]:
            st.caption(t("date_requests.requester_message", message=md(row["message"])))


def _key(group: dict, name: str) -> str:
    return f"dr_{group['product_id']}_{group['requested_day'].isoformat()}_{name}"


def _answer_form(ctx: PageContext, group: dict, members: pd.DataFrame) -> None:
    action = st.radio(
        t("date_requests.action"),
        ACTIONS,
        format_func=lambda a: t(f"date_requests.action_{a}"),
        horizontal=True,
        key=_key(group, "action"),
    )
    ids = tuple(int(i) for i in group["request_ids"])
    target = (int(group["product_id"]), group["requested_day"])
    if action == "reject":
        reason = st.text_area(t("date_requests.reason"), key=_key(group, "reason"), max_chars=1000)
        pending = Pending(target, action, ids, text=reason.strip() or None)
    else:
        date_id, new_date = _date_choice(ctx, group, members)
        note = st.text_area(t("date_requests.note"), key=_key(group, "note"), max_chars=1000)
        pending = Pending(target, action, ids, date_id, new_date, note.strip() or None)
    if st.button(t(f"date_requests.submit_{action}"), key=_key(group, "submit"), type="secondary"):
        ask_first(CONFIRM_KEY, pending)
    confirm_action(
        CONFIRM_KEY,
        pending,
        warning=lambda: _warning(pending),
        button_label=t("date_requests.confirm_button"),
        button_key=_key(group, "confirm"),
        on_confirm=lambda: _answer(ctx, pending),
    )


def _date_choice(
    ctx: PageContext, group: dict, members: pd.DataFrame
) -> tuple[int | None, dr.NewDate | None]:
    upcoming = future_dates(ctx.viewer, ctx.db, product_id=int(group["product_id"]), limit=50)
    modes = ["new", "existing"] if not upcoming.empty else ["new"]
    mode = st.radio(
        t("date_requests.date_mode"),
        modes,
        format_func=lambda m: t(f"date_requests.date_{m}"),
        horizontal=True,
        key=_key(group, "mode"),
    )
    if mode == "existing":
        labels = {
            int(r["date_id"]): t(
                "date_requests.existing_label",
                when=moment(r["starts_at"]),
                sold=int(r["seats_sold"]),
                total=int(r["seats_total"]),
            )
            for r in upcoming.to_dict("records")
        }
        chosen = widgets.selectbox(
            st,
            t("date_requests.existing_date"),
            list(labels),
            format_func=lambda i: labels[i],
            key=_key(group, "existing"),
        )
        return int(chosen), None
    return None, _new_date_fields(ctx, group, members)


def _course_price(ctx: PageContext, product_id: int) -> Decimal:
    courses = viewer_courses(ctx)
    match = courses[courses["product_id"] == product_id]
    return to_decimal(match["price"].iloc[0]) if not match.empty else Decimal("0")


def _new_date_fields(ctx: PageContext, group: dict, members: pd.DataFrame) -> dr.NewDate:
    """A new date prefilled from the requests: their day, the earliest time asked, seats for
    everyone who asked, the course's price."""
    first: time = min(members["requested_time"])
    start_default = datetime.combine(group["requested_day"], first)
    left, mid, right = st.columns(3)
    on = widgets.date_input(
        left,
        t("date_requests.day"), value=group["requested_day"], format="DD.MM.YYYY",
        key=_key(group, "day"),
    )  # fmt: skip
    start = mid.time_input(t("date_requests.start"), value=first, key=_key(group, "start"))
    end = right.time_input(
        t("date_requests.end"),
        value=(start_default + timedelta(hours=DEFAULT_HOURS)).time(),
        key=_key(group, "end"),
    )
    seats_col, price_col = st.columns(2)
    seats = seats_col.number_input(
        t("date_requests.seats"), min_value=1, max_value=500, step=1,
        value=max(10, int(group["people"])), key=_key(group, "seats"),
    )  # fmt: skip
    price = price_col.number_input(
        t("date_requests.price"), min_value=0.0, step=1.0,
        value=float(_course_price(ctx, int(group["product_id"]))), key=_key(group, "price"),
    )  # fmt: skip
    return dr.NewDate(
        starts_at=datetime.combine(on, start),
        ends_at=datetime.combine(on, end),
        seats=int(seats),
        price=str(to_decimal(price).quantize(Decimal("0.01"))),
    )


def _when(pending: Pending) -> str:
    if pending.new_date is not None:
        return f"{day(pending.new_date.starts_at)}, {pending.new_date.starts_at:%H:%M}"
    return f"#{pending.date_id}"


def _warning(pending: Pending) -> str:
    n = len(pending.request_ids)
    if pending.action == "reject":
        return t("date_requests.confirm_reject", n=n)
    return t(f"date_requests.confirm_{pending.action}", n=n, when=_when(pending))


def _answer(ctx: PageContext, pending: Pending) -> None:
    """Run the answer; its outcome (or the refusal) is the next run's message."""
    ids = list(pending.request_ids)
    try:
        if pending.action == "accept":
            done = dr.accept_requests(
                ctx.viewer, ctx.db, request_ids=ids, date_id=pending.date_id,
                new_date=pending.new_date, note=pending.text,
            )  # fmt: skip
        elif pending.action == "propose":
            done = dr.propose_date(
                ctx.viewer, ctx.db, request_ids=ids, date_id=pending.date_id,
                new_date=pending.new_date, note=pending.text,
            )  # fmt: skip
        else:
            done = dr.reject_requests(
                ctx.viewer, ctx.db, request_ids=ids, reason=pending.text or ""
            )
    except Refusal as exc:
        flash("warning", refusal_text(exc))
        return
    menu_counts.forget()  # the menu's "Terminanfragen (n)" drops at once, not in 30 s
    key = {"accept": "accepted", "propose": "proposed", "reject": "rejected"}[pending.action]
    flash("success", t(f"date_requests.{key}", n=done.requests, m=done.messages))


# --- answered --------------------------------------------------------------------------------


def render_answered(ctx: PageContext) -> None:
    everything = dr.list_requests(ctx.viewer, ctx.db)
    answered = everything[everything["status"] != "pending"]
    if answered.empty:
        st.info(t("date_requests.none_answered"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("date_requests.col_day"): [day(v) for v in answered["requested_day"]],
                t("date_requests.col_time"): [
                    v.strftime("%H:%M") for v in answered["requested_time"]
                ],
                t("date_requests.col_course"): answered["course"],
                t("date_requests.col_name"): answered["customer_name"],
                t("date_requests.col_people"): answered["participants"],
                t("date_requests.col_status"): [
                    t(f"date_requests.status_{s}") for s in answered["status"]
                ],
                t("date_requests.col_decided"): [
                    moment(v) if isinstance(v, datetime) else "" for v in answered["decided_at"]
                ],
                t("date_requests.col_note"): answered["decision_note"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
    )


# --- rules -----------------------------------------------------------------------------------


def render_rules(ctx: PageContext) -> None:
    if ctx.viewer.sees_all:
        st.info(t("date_requests.rules_choose_partner"), icon=":material/storefront:")
        return
    rules = dr.get_rules(ctx.viewer, ctx.db)
    st.caption(t("date_requests.rules_intro"))
    with st.form("date_request_rules"):
        days = widgets.multiselect(
            st,
            t("date_requests.rules_weekdays_label"),
            WEEKDAYS,
            default=list(rules.weekdays),
            format_func=lambda d: t(f"dates.weekday_{d.lower()}"),
        )
        left, right = st.columns(2)
        earliest = left.time_input(t("date_requests.rules_earliest"), value=rules.earliest)
        latest = right.time_input(t("date_requests.rules_latest"), value=rules.latest)
        low_col, high_col, lead_col = st.columns(3)
        low = low_col.number_input(
            t("date_requests.rules_min"), value=rules.min_participants, step=1
        )
        high = high_col.number_input(
            t("date_requests.rules_max"), value=rules.max_participants, step=1
        )
        lead = lead_col.number_input(
            t("date_requests.rules_lead_label"), value=rules.lead_days, step=1
        )
        saved = st.form_submit_button(t("date_requests.rules_save"), type="primary")
    if not saved:
        return
    wanted = dr.RequestRules(tuple(days), earliest, latest, int(low), int(high), int(lead))
    try:
        dr.save_rules(ctx.viewer, ctx.db, rules=wanted)
    except Refusal as exc:
        show_refusal(exc)
        return
    flash("success", t("date_requests.rules_saved"))
    st.rerun(scope="app")
