"""Bestellungen: the viewer's bookings with filters in the URL, exports, detail and decisions.

The list reads the booking ledger (fast at a million orders); the detail reads the order
live from the shop. Filters, sort and page live in the query string, so a view can be
bookmarked and shared; `?bestellung=<id>` opens an order.
"""

from __future__ import annotations

import io
import logging
from datetime import date

import pandas as pd
import streamlit as st

from components.i18n import day, locale, moment, money, number, t, time_of_day
from components.session import page_context
from core import links
from core.validation import InvalidInput
from data.access.partners import list_partners
from data.bookings import listing as bk
from data.bookings.decisions import decide
from data.bookings.ledger import ensure_fresh
from data.bookings.orders import get_order
from data.dates.course_dates import future_dates
from data.portal_schema import BOOKING_NEW, BOOKING_STATUSES, DECISION_CONFIRMED, DECISION_REJECTED
from data.shop.catalog import list_courses

log = logging.getLogger(__name__)
ORDER_PARAM = links.ORDER_PARAM  # the parameter of the links in mails (core/links.py)
MAX_ALTERNATIVES = 3

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
st.title(t("nav.orders"))

try:
    ensure_fresh(viewer, db)
except Exception:  # a stale list is better than no list; the sync job catches up
    log.exception("ledger refresh failed for viewer %s", viewer)

# --- the view from the URL ---------------------------------------------------------------------

raw = {key: st.query_params.get_all(key) for key in st.query_params}
parsed = bk.parse_params(raw)
for error in parsed.errors:
    st.warning(t(error.key, **error.params), icon=":material/warning:")
view = parsed.filters


def _go(
    filters: bk.BookingFilter, *, sort: str, page: int, page_size: int, order: int | None = None
) -> None:
    params = bk.to_params(filters, sort, page, page_size)
    if order is not None:
        params[ORDER_PARAM] = str(order)
    st.query_params.from_dict(params)
    st.rerun()


def _range(value: object) -> tuple[date | None, date | None]:
    if isinstance(value, tuple | list):
        first = value[0] if len(value) > 0 else None
        last = value[1] if len(value) > 1 else first
        return first, last
    return None, None


courses = list_courses(viewer, db)
course_names = dict(zip(courses["product_id"], courses["name"], strict=True))
partner_names: dict[int, str] = {}
if viewer.sees_all:
    partners = list_partners(viewer, db)
    partner_names = dict(zip(partners["partner_id"], partners["name"], strict=True))

with st.expander(t("orders.filters"), icon=":material/filter_list:", expanded=False):
    with st.form("order_filters"):
        left, right = st.columns(2)
        booked = left.date_input(
            t("orders.booked_range"),
            value=(view.booked_from, view.booked_to) if view.booked_from else (),
            format="DD.MM.YYYY",
            key="f_booked",
        )
        event = right.date_input(
            t("orders.event_range"),
            value=(view.event_from, view.event_to) if view.event_from else (),
            format="DD.MM.YYYY",
            key="f_event",
        )
        chosen_courses = st.multiselect(
            t("orders.course"),
            list(course_names),
            default=[p for p in view.product_ids if p in course_names],
            format_func=lambda pid: course_names.get(pid, str(pid)),
            key="f_courses",
        )
        chosen_statuses = st.multiselect(
            t("orders.status"),
            list(BOOKING_STATUSES),
            default=list(view.statuses),
            format_func=lambda s: t(f"bookings.status_{s}"),
            key="f_statuses",
        )
        chosen_partners: list[int] = []
        if viewer.sees_all:
            chosen_partners = st.multiselect(
                t("orders.partner"),
                list(partner_names),
                default=[p for p in view.partner_ids if p in partner_names],
                format_func=lambda pid: partner_names.get(pid, str(pid)),
                key="f_partners",
            )
        text = st.text_input(
            t("orders.search"), value=view.text, key="f_text", placeholder=t("orders.search_hint")
        )
        sort_col, size_col = st.columns(2)
        sort = sort_col.selectbox(
            t("orders.sort"),
            list(bk.SORTS),
            index=list(bk.SORTS).index(parsed.sort),
            format_func=lambda s: t(f"orders.sort_{s}"),
            key="f_sort",
        )
        page_size = size_col.selectbox(
            t("orders.page_size"),
            list(bk.PAGE_SIZES),
            index=list(bk.PAGE_SIZES).index(parsed.page_size),
            key="f_page_size",
        )
        apply, reset = st.columns(2)
        applied = apply.form_submit_button(t("orders.apply"), type="primary", width="stretch")
        cleared = reset.form_submit_button(t("orders.reset"), width="stretch")
    if applied:
        booked_from, booked_to = _range(booked)
        event_from, event_to = _range(event)
        chosen = bk.BookingFilter(
            booked_from=booked_from,
            booked_to=booked_to,
            event_from=event_from,
            event_to=event_to,
            product_ids=tuple(chosen_courses),
            statuses=tuple(chosen_statuses),
            text=text,
            partner_ids=tuple(chosen_partners),
        )
        _go(chosen, sort=sort, page=1, page_size=page_size)
    if cleared:
        _go(bk.BookingFilter(), sort=bk.DEFAULT_SORT, page=1, page_size=parsed.page_size)

# --- the list ----------------------------------------------------------------------------------

try:
    result = bk.list_bookings(
        viewer, db, filters=view, sort=parsed.sort, page=parsed.page, page_size=parsed.page_size
    )
except InvalidInput as exc:
    st.error(t(exc.key, **exc.params))
    st.stop()

st.caption(
    t(
        "orders.count",
        total=number(result.total),
        page=number(result.page),
        pages=number(result.pages),
    )
)
rows = result.rows
if rows.empty:
    st.info(t("orders.empty"), icon=":material/inbox:")
else:
    table = {
        t("orders.col_order"): rows["increment_id"],
        t("orders.col_booked"): [moment(v) for v in rows["booked_at"]],
        t("orders.col_customer"): rows["customer_name"],
        t("orders.col_course"): rows["course"],
        t("orders.col_event"): [moment(v) for v in rows["event_at"]],
        t("orders.col_tickets"): rows["tickets"],
        t("orders.col_status"): [t(f"bookings.status_{s}") for s in rows["status"]],
        t("orders.col_total"): [money(v) for v in rows["gross"]],
    }
    if viewer.sees_all:
        table = {
            t("orders.partner"): [partner_names.get(p, "–") for p in rows["partner_id"]],
            **table,
        }
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")

    prev_col, page_col, next_col = st.columns([1, 2, 1])
    if prev_col.button(
        t("orders.previous"), disabled=result.page <= 1, width="stretch", key="page_prev"
    ):
        _go(view, sort=parsed.sort, page=result.page - 1, page_size=result.page_size)
    page_col.caption(t("orders.page_of", page=number(result.page), pages=number(result.pages)))
    if next_col.button(
        t("orders.next"), disabled=result.page >= result.pages, width="stretch", key="page_next"
    ):
        _go(view, sort=parsed.sort, page=result.page + 1, page_size=result.page_size)

# --- bulk confirmation ------------------------------------------------------------------------

labels = {
    int(r.item_id): f"{r.increment_id} · {r.customer_name} · {r.course}"
    for r in rows.itertuples()
    if r.status == BOOKING_NEW
}
if labels and viewer.partner_id is not None:
    with st.container(border=True):
        picked = st.multiselect(
            t("orders.bulk_pick"), list(labels), format_func=labels.get, key="bulk_items"
        )
        if st.button(
            t("orders.bulk_confirm", n=len(picked)),
            disabled=not picked,
            type="primary",
            key="bulk_confirm",
        ):
            outcome = decide(viewer, db, item_ids=picked, decision=DECISION_CONFIRMED)
            if outcome.decided:
                st.success(t("orders.confirmed_n", n=len(outcome.decided)))
            for _item, key in outcome.refused:
                st.warning(t(key))

# --- exports ----------------------------------------------------------------------------------

with st.expander(t("orders.export"), icon=":material/download:"):
    st.caption(t("orders.export_hint", total=number(result.total)))
    csv_col, xlsx_col = st.columns(2)
    if csv_col.button(t("orders.export_prepare_csv"), key="export_csv", width="stretch"):
        buffer = io.BytesIO()
        bk.export_csv(viewer, db, out=buffer, filters=view, sort=parsed.sort, locale=locale())
        st.session_state["_export"] = ("bestellungen.csv", "text/csv", buffer.getvalue())
    if xlsx_col.button(t("orders.export_prepare_xlsx"), key="export_xlsx", width="stretch"):
        buffer = io.BytesIO()
        bk.export_xlsx(viewer, db, out=buffer, filters=view, sort=parsed.sort, locale=locale())
        st.session_state["_export"] = (
            "bestellungen.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            buffer.getvalue(),
        )
    if "_export" in st.session_state:
        name, mime, payload = st.session_state["_export"]
        st.download_button(
            t("orders.export_download", name=name),
            payload,
            file_name=name,
            mime=mime,
            icon=":material/download:",
            key="export_download",
        )

# --- one order ----------------------------------------------------------------------------------

choices = list(dict.fromkeys(int(o) for o in rows["order_id"])) if not rows.empty else []
requested = st.query_params.get(ORDER_PARAM)
requested_id = int(requested) if requested and requested.isdigit() else None
if requested_id is not None and requested_id not in choices:
    choices.insert(0, requested_id)
if not choices:
    st.stop()
numbers = dict(zip(rows["order_id"], rows["increment_id"], strict=True)) if not rows.empty else {}
opened = st.selectbox(
    t("orders.open"),
    [None, *choices],
    index=(choices.index(requested_id) + 1) if requested_id in choices else 0,
    format_func=lambda oid: t("orders.open_none") if oid is None else numbers.get(oid, f"#{oid}"),
    key="order_open",
)
if opened is None:
    st.stop()
order = get_order(viewer, db, order_id=int(opened))
if order is None:
    st.warning(t("orders.not_found"))
    st.stop()

st.subheader(t("orders.detail_title", number=order.increment_id))
st.caption(t("orders.detail_caption", booked=moment(order.created_at), status=order.status_label))
items_col, contact_col = st.columns([3, 2])
with items_col:
    for item in order.items:
        with st.container(border=True):
            st.markdown(f"**{item.course}**")
            st.markdown(
                t(
                    "orders.item_line",
                    day=day(item.event_at) if item.event_at else "–",
                    time=time_of_day(item.event_at) if item.event_at else "–",
                    tickets=number(item.tickets),
                    total=money(item.row_total_incl_tax),
                )
            )
            st.caption(t(f"bookings.status_{item.status}"))
    st.markdown(t("orders.total_for_you", total=money(order.total_for_viewer)))
with contact_col, st.container(border=True):
    st.markdown(f"**{t('orders.customer')}**")
    st.markdown("  \n".join(line for line in order.customer.lines() if line))
    st.markdown(f"**{t('orders.payment')}**")
    st.markdown(f"{order.payment.method_label} · {t(f'orders.payment_{order.payment.state}')}")

pending = [i for i in order.items if i.status == BOOKING_NEW]
if pending and viewer.partner_id is not None:
    st.markdown(f"**{t('orders.decide_title')}**")
    confirm_col, reject_col = st.columns(2)
    if confirm_col.button(
        t("orders.confirm"),
        type="primary",
        icon=":material/check:",
        width="stretch",
        key=f"confirm_{order.order_id}",
    ):
        outcome = decide(
            viewer, db, item_ids=[i.item_id for i in pending], decision=DECISION_CONFIRMED
        )
        if outcome.decided:
            st.success(t("orders.confirmed_n", n=len(outcome.decided)))
        for _item, key in outcome.refused:
            st.warning(t(key))
    with reject_col.popover(t("orders.reject"), icon=":material/close:", width="stretch"):
        with st.form(f"reject_{order.order_id}"):
            reason = st.text_area(t("orders.reject_reason"), max_chars=500, key="reject_reason")
            offered: list[int] = []
            for item in pending:
                dates = future_dates(viewer, db, product_id=item.product_id)
                options = {
                    int(d.date_id): f"{day(d.starts_at)} {time_of_day(d.starts_at)} · "
                    + t("orders.seats_left", n=int(d.seats_total) - int(d.seats_sold))
                    for d in dates.itertuples()
                }
                offered += st.multiselect(
                    t("orders.alternatives", course=item.course),
                    list(options),
                    format_func=options.get,
                    max_selections=MAX_ALTERNATIVES,
                    key=f"alternatives_{item.item_id}",
                )
            rejected = st.form_submit_button(t("orders.reject_send"), type="primary")
        if rejected:
            try:
                outcome = decide(
                    viewer,
                    db,
                    item_ids=[i.item_id for i in pending],
                    decision=DECISION_REJECTED,
                    reason=reason,
                    alternatives=offered,
                )
            except InvalidInput as exc:
                st.error(t(exc.key, **exc.params))
            else:
                if outcome.decided:
                    st.success(t("orders.rejected_n", n=len(outcome.decided)))
                for _item, key in outcome.refused:
                    st.warning(t(key))

st.markdown(f"**{t('orders.timeline')}**")
for event in order.timeline:
    st.markdown(f"- {moment(event.at)} · {event.text}")
