"""Bestellungen → one order: the order named in the URL, its detail read live from the shop, the
partner's decision (confirm, or reject with up to three alternative dates).

The detail opens in a dialog (a click on the order's row, or `?bestellung=` in a link); like a
fragment, typing a reason or picking alternatives reruns only the dialog, not the list. A
decision reruns the whole page (components.confirm.done), so the header, the items' statuses,
the list, the counts and the buttons show the new state at once.
"""

from __future__ import annotations

import re

import streamlit as st

from components import widgets
from components.bookings_filters import ORDER_PARAM
from components.bookings_table import decision_done, fresh_table
from components.feedback import show_refusal
from components.i18n import day, locale, moment, money, number, t, time_of_day
from components.session import PageContext
from components.text import md
from core.validation import InvalidInput
from data.bookings.decisions import decide
from data.bookings.orders import OrderDetail, TimelineEvent, get_order
from data.dates.course_dates import future_dates
from data.portal_schema import BOOKING_NEW, DECISION_CONFIRMED, DECISION_REJECTED

MAX_ALTERNATIVES = 3
_ID = re.compile(r"[0-9]{1,30}")


def requested_order() -> int | None:
    """The order to open: named in the URL (`?bestellung=`, a row click or a mail's link)."""
    requested = st.query_params.get(ORDER_PARAM)
    # ASCII digits only ("²".isdigit() is true, int() refuses it); a huge number is passed on
    # and reads as "not found" (get_order).
    return int(requested) if requested and _ID.fullmatch(requested) else None


def _close() -> None:
    st.query_params.pop(ORDER_PARAM, None)
    fresh_table()


def open_order(ctx: PageContext, order_id: int) -> None:
    """The order in a dialog over the list, where the eye is; closing it (×, Esc, "Schließen")
    takes `?bestellung=` out of the URL. After a decision the page runs again with the order
    still named, so the dialog shows its new state."""
    dialog = st.dialog(t("clicks.order_dialog"), width="large", on_dismiss=_close)
    dialog(order_detail)(ctx, order_id)


def order_detail(ctx: PageContext, order_id: int) -> None:
    order = get_order(ctx.viewer, ctx.db, order_id=order_id, locale=locale())
    if order is None:
        st.warning(t("orders.not_found"))
        _close_button()
        return
    st.subheader(t("orders.detail_title", number=md(order.increment_id)))
    st.caption(
        t("orders.detail_caption", booked=moment(order.created_at), status=md(order.status_label))
    )
    items_col, contact_col = st.columns([3, 2])
    with items_col:
        _items(order)
    with contact_col, st.container(border=True):
        st.markdown(f"**{t('orders.customer')}**")
        st.markdown("  \n".join(md(line) for line in order.customer.lines() if line))
        st.markdown(f"**{t('orders.payment')}**")
        st.markdown(
            f"{md(order.payment.method_label)} · {t(f'orders.payment_{order.payment.state}')}"
        )
    _decision(ctx, order)
    st.markdown(f"**{t('orders.timeline')}**")
    for event in order.timeline:
        st.markdown(f"- {moment(event.at)} · {timeline_line(event)}")
    _close_button()


def timeline_line(event: TimelineEvent) -> str:
    """A status row reads as its status in the session's language; the shop's own comment
    (free text, written by the shop in its language) follows, marked as the shop's."""
    if event.kind != "status" or event.text == event.label:
        return md(event.text)
    return f"**{md(event.label)}** · " + t("order_status.shop_comment", comment=md(event.text))


def _close_button() -> None:
    if st.button(t("clicks.close"), key="order_close", icon=":material/close:"):
        _close()
        st.rerun(scope="app")


def _items(order: OrderDetail) -> None:
    for item in order.items:
        with st.container(border=True):
            st.markdown(f"**{md(item.course)}**")
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


def _decision(ctx: PageContext, order: OrderDetail) -> None:
    """Confirm and reject while the partner's items wait; gone once decided."""
    pending = [i for i in order.items if i.status == BOOKING_NEW]
    if not pending or ctx.viewer.partner_id is None:
        return
    item_ids = [i.item_id for i in pending]
    st.markdown(f"**{t('orders.decide_title')}**")
    confirm_col, reject_col = st.columns(2)
    if confirm_col.button(
        t("orders.confirm"),
        type="primary",
        icon=":material/check:",
        width="stretch",
        key=f"confirm_{order.order_id}",
    ):
        outcome = decide(ctx.viewer, ctx.db, item_ids=item_ids, decision=DECISION_CONFIRMED)
        decision_done(outcome, "orders.confirmed_n")
    with reject_col.popover(t("orders.reject"), icon=":material/close:", width="stretch"):
        with st.form(f"reject_{order.order_id}"):
            reason = st.text_area(t("orders.reject_reason"), max_chars=500, key="reject_reason")
            offered: list[int] = []
            for item in pending:
                offered += _alternatives(ctx, item)
            rejected = st.form_submit_button(t("orders.reject_send"), type="primary")
        if rejected:
            try:
                outcome = decide(
                    ctx.viewer,
                    ctx.db,
                    item_ids=item_ids,
                    decision=DECISION_REJECTED,
                    reason=reason,
                    alternatives=offered,
                )
            except InvalidInput as exc:
                show_refusal(exc)
            else:
                decision_done(outcome, "orders.rejected_n")


def _alternatives(ctx: PageContext, item) -> list[int]:
    dates = future_dates(ctx.viewer, ctx.db, product_id=item.product_id)
    options = {
        int(d.date_id): f"{day(d.starts_at)} {time_of_day(d.starts_at)} · "
        + t("orders.seats_left", n=int(d.seats_total) - int(d.seats_sold))
        for d in dates.itertuples()
        if int(d.date_id) != item.date_id  # the booked date is what the customer can't have
    }
    return widgets.multiselect(
        st,
        t("orders.alternatives", course=md(item.course)),
        list(options),
        format_func=options.get,
        max_selections=MAX_ALTERNATIVES,
        placeholder=t("orders.alternatives_placeholder"),
        key=f"alternatives_{item.item_id}",
    )
