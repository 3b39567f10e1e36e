"""Bestellungen → the list: one page of bookings from the ledger, paging, confirming several
new bookings at once, and the CSV/XLSX export of the whole selection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

import pandas as pd
import streamlit as st

from components import bookings_cards, widgets
from components.bookings_filters import ORDER_PARAM, set_view, view_key
from components.confirm import done
from components.downloads import prepare_button, stream_link
from components.i18n import locale, moment, money, number, t
from components.session import PageContext
from data.bookings import listing as bk
from data.bookings.decisions import DecisionResult, decide
from data.portal_schema import BOOKING_NEW, DECISION_CONFIRMED

TABLE_ROUND = "_orders_table_round"  # bumped after a row click: the table shows no selection
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Column widths (px): all columns, the partner's too, fit beside the menu at 1280 px.
_WIDTHS = {
    "orders.partner": 135,
    "orders.col_order": 100,
    "orders.col_booked": 113,
    "orders.col_customer": 110,
    "orders.col_course": 145,
    "orders.col_event": 113,
    "orders.col_tickets": 55,
    "orders.col_status": 80,
    "orders.col_total": 75,
}


def _columns() -> dict[str, object]:
    return {t(key): st.column_config.Column(width=width) for key, width in _WIDTHS.items()}


def _table(rows: pd.DataFrame, partner_names: dict[int, str] | None) -> pd.DataFrame:
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
    if partner_names is not None:
        partner = [partner_names.get(p, "–") for p in rows["partner_id"]]
        table = {t("orders.partner"): partner, **table}
    return pd.DataFrame(table)


def render_list(
    result: bk.BookingPage, parsed: bk.ParsedParams, partner_names: dict[int, str] | None
) -> None:
    """The count, the page's table and the paging buttons."""
    st.caption(
        t(
            "limits.bookings_more" if result.more else "orders.count",
            total=number(result.total),
            page=number(result.page),
            pages=number(result.pages),
        )
    )
    if result.rows.empty:
        st.info(t("orders.empty"), icon=":material/inbox:")
        return
    # A click on a row opens its order (components.order_detail: a dialog over the list).
    st.caption(t("clicks.open_hint"))
    key = f"orders_table_{st.session_state.get(TABLE_ROUND, 0)}"
    order_ids = [int(o) for o in result.rows["order_id"]]
    event = st.dataframe(
        _table(result.rows, partner_names),
        hide_index=True,
        width="stretch",
        column_config=_columns(),
        key=key,
        on_select="rerun",
        selection_mode=["single-row", "single-cell"],  # the row's box, or any of its cells
    )
    picked = [*event.selection.rows, *(row for row, _column in event.selection.cells)]
    _open_row(picked, order_ids)
    # Right after the table: on a phone the stylesheet shows the cards instead of it.
    bookings_cards.render_cards(result.rows, partner_names, open_order=_open_card)
    prev_col, page_col, next_col = st.columns([1, 2, 1])
    # Paging in the buttons' callbacks: the click's run shows the new page, no second run.
    view = {"sort": parsed.sort, "page_size": result.page_size}
    prev_col.button(
        t("orders.previous"),
        disabled=result.page <= 1,
        width="stretch",
        key="page_prev",
        on_click=set_view,
        args=(parsed.filters,),
        kwargs={**view, "page": result.page - 1},
    )
    page_col.caption(t("orders.page_of", page=number(result.page), pages=number(result.pages)))
    next_col.button(
        t("orders.next"),
        disabled=result.page >= result.pages,
        width="stretch",
        key="page_next",
        on_click=set_view,
        args=(parsed.filters,),
        kwargs={**view, "page": result.page + 1},
    )


def _open_row(rows: list[int], order_ids: list[int]) -> None:
    """A row was clicked: name its order in the URL (`?bestellung=`, as links do), which opens
    it further down this run; the next run draws the table afresh, without the selection."""
    if rows and 0 <= rows[0] < len(order_ids):
        st.query_params[ORDER_PARAM] = str(order_ids[rows[0]])
        fresh_table()


def _open_card(order_id: int) -> None:
    """A card's "Öffnen" (on a phone): name its order in the URL, as a row click does."""
    st.query_params[ORDER_PARAM] = str(order_id)


def fresh_table() -> None:
    """Draw the table anew on the next run: no selection, and (after a dialog closed) the
    browser's first tap on it selects again instead of only giving it the focus back."""
    st.session_state[TABLE_ROUND] = st.session_state.get(TABLE_ROUND, 0) + 1


def decision_done(outcome: DecisionResult, success_key: str) -> None:
    """Flash what a decision did (and what it could not) and show the page's new state."""
    messages: list[tuple] = []
    if outcome.decided:
        messages.append(("success", t(success_key, n=len(outcome.decided))))
    messages += [("warning", t(key)) for _item, key in outcome.refused]
    done(*messages)


def bulk_confirm(ctx: PageContext, rows: pd.DataFrame) -> None:
    """The partner's new bookings on this page, confirmed in one go."""
    labels = {
        int(r.item_id): f"{r.increment_id} · {r.customer_name} · {r.course}"
        for r in rows.itertuples()
        if r.status == BOOKING_NEW
    }
    if not labels or ctx.viewer.partner_id is None:
        return
    with st.container(border=True):
        picked = widgets.multiselect(
            st, t("orders.bulk_pick"), list(labels), format_func=labels.get, key="bulk_items"
        )
        if st.button(
            t("orders.bulk_confirm", n=len(picked)),
            disabled=not picked,
            type="primary",
            key="bulk_confirm",
        ):
            outcome = decide(ctx.viewer, ctx.db, item_ids=picked, decision=DECISION_CONFIRMED)
            decision_done(outcome, "orders.confirmed_n")


def render_export(ctx: PageContext, parsed: bk.ParsedParams, total: int) -> None:
    """CSV/XLSX of the whole selection, built on click into a temporary file
    (components/downloads.py): a plain rerun builds nothing, and a file belongs to the
    filters it was made for, so nobody downloads the old selection under the new one's name.
    """
    selection = view_key(parsed)
    with st.expander(t("orders.export"), icon=":material/download:"):
        st.caption(t("orders.export_hint", total=number(total)))
        csv_col, xlsx_col = st.columns(2)
        for col, name, mime, writer, kind in (
            (csv_col, "bestellungen.csv", "text/csv", bk.export_csv, "csv"),
            (xlsx_col, "bestellungen.xlsx", XLSX_MIME, bk.export_xlsx, "xlsx"),
        ):
            with col:
                # The CSV streams from the first row on (a million rows start at once); an
                # XLSX is a zip that is only complete at its end, so it is built first.
                if kind == "csv" and stream_link(
                    ctx,
                    key="export_csv_stream",
                    file_name=name,
                    mime="text/csv; charset=utf-8",
                    build=_writer(ctx, parsed, writer),
                    selection=selection,
                    label=t("orders.export_download", name=name),
                ):
                    continue
                prepare_button(
                    key=f"export_{kind}",
                    file_name=name,
                    mime=mime,
                    build=_writer(ctx, parsed, writer),
                    selection=selection,
                    label=t(f"orders.export_prepare_{kind}"),
                    download_label=t("orders.export_download", name=name),
                    rows=total if kind == "csv" else None,
                )


def _writer(ctx: PageContext, parsed: bk.ParsedParams, writer) -> Callable[[BinaryIO], object]:
    def build(out: BinaryIO) -> object:
        return writer(
            ctx.viewer,
            ctx.db,
            out=out,
            filters=parsed.filters,
            sort=parsed.sort,
            locale=locale(),
        )

    return build
