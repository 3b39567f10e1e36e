"""Bestellungen → the view in the URL: filters, sort and page read from and written to the
query string, so a view can be bookmarked and shared (`?bestellung=<id>` opens an order).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from components import widgets
from components.feedback import show_refusal
from components.i18n import t
from core import links
from data.bookings import listing as bk
from data.portal_schema import BOOKING_STATUSES

ORDER_PARAM = links.ORDER_PARAM  # the parameter of the links in mails (core/links.py)


def url_view() -> bk.ParsedParams:
    """The view the query string names; each bad value explained, its part left at default."""
    raw = {key: st.query_params.get_all(key) for key in st.query_params}
    parsed = bk.parse_params(raw)
    for error in parsed.errors:
        show_refusal(error, warning=True)
    return parsed


def view_key(parsed: bk.ParsedParams) -> tuple:
    """What makes two lists (and their exports) the same: filters and sort, not the page."""
    return tuple(sorted((k, str(v)) for k, v in bk.to_params(parsed.filters, parsed.sort).items()))


def go(
    filters: bk.BookingFilter, *, sort: str, page: int, page_size: int, order: int | None = None
) -> None:
    """Put a view into the URL and show it (a rerun: from a button's body)."""
    set_view(filters, sort=sort, page=page, page_size=page_size, order=order)
    st.rerun()


def set_view(
    filters: bk.BookingFilter, *, sort: str, page: int, page_size: int, order: int | None = None
) -> None:
    """Put a view into the URL. As a button's `on_click` the click's own run shows it: one
    script run per click instead of a run plus a rerun."""
    params = bk.to_params(filters, sort, page, page_size)
    if order is not None:
        params[ORDER_PARAM] = str(order)
    st.query_params.from_dict(params)


def _range(value: object) -> tuple[date | None, date | None]:
    if isinstance(value, tuple | list):
        first = value[0] if len(value) > 0 else None
        last = value[1] if len(value) > 1 else first
        return first, last
    return None, None


def _picks(label_key: str, names: dict[int, str], chosen: tuple[int, ...], key: str) -> list[int]:
    return widgets.multiselect(
        st,
        t(label_key),
        list(names),
        default=[p for p in chosen if p in names],
        format_func=lambda pid: names.get(pid, str(pid)),
        key=key,
    )


def filter_form(
    parsed: bk.ParsedParams, course_names: dict[int, str], partner_names: dict[int, str] | None
) -> None:
    """The filter form; "Anwenden" and "Zurücksetzen" put the new view into the URL.

    `partner_names` is None for a partner (no partner filter).
    """
    view = parsed.filters
    # Labels looked up now, not in format_func: it may run outside this script run (AppTest).
    status_labels = {s: t(f"bookings.status_{s}") for s in BOOKING_STATUSES}
    sort_labels = {s: t(f"orders.sort_{s}") for s in bk.SORTS}
    expander = st.expander(t("orders.filters"), icon=":material/filter_list:", expanded=False)
    with expander, st.form("order_filters"):
        left, right = st.columns(2)
        widgets.date_input(
            left,
            t("orders.booked_range"),
            value=(view.booked_from, view.booked_to) if view.booked_from else (),
            key="f_booked",
        )
        widgets.date_input(
            right,
            t("orders.event_range"),
            value=(view.event_from, view.event_to) if view.event_from else (),
            key="f_event",
        )
        _picks("orders.course", course_names, view.product_ids, "f_courses")
        # Pills, not a dropdown: a multiselect's text field raises a phone's keyboard, and the
        # tap on "Anwenden" then only closed it (the page jumped back under the finger).
        st.pills(
            t("orders.status"),
            list(BOOKING_STATUSES),
            selection_mode="multi",
            default=list(view.statuses),
            format_func=status_labels.get,
            key="f_statuses",
        )
        if partner_names is not None:
            _picks("orders.partner", partner_names, view.partner_ids, "f_partners")
        st.text_input(
            t("orders.search"),
            value=view.text,
            key="f_text",
            placeholder=t("orders.search_hint"),
        )
        sort_col, size_col = st.columns(2)
        widgets.selectbox(
            sort_col,
            t("orders.sort"),
            list(bk.SORTS),
            index=list(bk.SORTS).index(parsed.sort),
            format_func=sort_labels.get,
            key="f_sort",
        )
        widgets.selectbox(
            size_col,
            t("orders.page_size"),
            list(bk.PAGE_SIZES),
            index=list(bk.PAGE_SIZES).index(parsed.page_size),
            key="f_page_size",
        )
        apply, reset = st.columns(2)
        # The new view goes into the URL in the buttons' callbacks, before the script runs:
        # one run per click, not a run that is thrown away by a rerun.
        apply.form_submit_button(
            t("orders.apply"), type="primary", width="stretch", on_click=_apply
        )
        reset.form_submit_button(
            t("orders.reset"),
            width="stretch",
            on_click=set_view,
            args=(bk.BookingFilter(),),
            kwargs={"sort": bk.DEFAULT_SORT, "page": 1, "page_size": parsed.page_size},
        )


def _apply() -> None:
    """ "Anwenden": the form's values (in the session, as a callback sees them) as the view."""
    state = st.session_state
    booked_from, booked_to = _range(state.get("f_booked"))
    event_from, event_to = _range(state.get("f_event"))
    chosen = bk.BookingFilter(
        booked_from=booked_from,
        booked_to=booked_to,
        event_from=event_from,
        event_to=event_to,
        product_ids=tuple(state.get("f_courses") or ()),
        statuses=tuple(state.get("f_statuses") or ()),
        text=state.get("f_text") or "",
        partner_ids=tuple(state.get("f_partners") or ()),
    )
    set_view(
        chosen,
        sort=state.get("f_sort") or bk.DEFAULT_SORT,
        page=1,
        page_size=state.get("f_page_size") or bk.DEFAULT_PAGE_SIZE,
    )
