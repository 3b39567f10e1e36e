"""Bestellungen → the list: one page of bookings from the ledger, paging, confirming several
new bookings at once, and the CSV/XLSX export of the whole selection.
"""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from components import widgets
from components.bookings_filters import go, view_key
from components.confirm import done
from components.i18n import locale, moment, money, number, t
from components.session import PageContext
from data.bookings import listing as bk
from data.bookings.decisions import DecisionResult, decide
from data.portal_schema import BOOKING_NEW, DECISION_CONFIRMED

EXPORT_KEY = "_orders_export"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            "orders.count",
            total=number(result.total),
            page=number(result.page),
            pages=number(result.pages),
        )
    )
    if result.rows.empty:
        st.info(t("orders.empty"), icon=":material/inbox:")
        return
    st.dataframe(_table(result.rows, partner_names), hide_index=True, width="stretch")
    prev_col, page_col, next_col = st.columns([1, 2, 1])
    if prev_col.button(
        t("orders.previous"), disabled=result.page <= 1, width="stretch", key="page_prev"
    ):
        go(parsed.filters, sort=parsed.sort, page=result.page - 1, page_size=result.page_size)
    page_col.caption(t("orders.page_of", page=number(result.page), pages=number(result.pages)))
    if next_col.button(
        t("orders.next"), disabled=result.page >= result.pages, width="stretch", key="page_next"
    ):
        go(parsed.filters, sort=parsed.sort, page=result.page + 1, page_size=result.page_size)


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
    """CSV/XLSX of the whole selection, prepared on click.

    A prepared file belongs to the filters it was made for: once they change it is dropped,
    so nobody downloads the old selection under the new one's name.
    """
    current = view_key(parsed)
    prepared = st.session_state.get(EXPORT_KEY)
    if prepared is not None and prepared[0] != current:
        st.session_state.pop(EXPORT_KEY, None)
    with st.expander(t("orders.export"), icon=":material/download:"):
        st.caption(t("orders.export_hint", total=number(total)))
        csv_col, xlsx_col = st.columns(2)
        if csv_col.button(t("orders.export_prepare_csv"), key="export_csv", width="stretch"):
            _prepare(ctx, parsed, "bestellungen.csv", "text/csv", bk.export_csv)
        if xlsx_col.button(t("orders.export_prepare_xlsx"), key="export_xlsx", width="stretch"):
            _prepare(ctx, parsed, "bestellungen.xlsx", XLSX_MIME, bk.export_xlsx)
        if EXPORT_KEY in st.session_state:
            _key, name, mime, payload = st.session_state[EXPORT_KEY]
            st.download_button(
                t("orders.export_download", name=name),
                payload,
                file_name=name,
                mime=mime,
                icon=":material/download:",
                key="export_download",
            )


def _prepare(ctx: PageContext, parsed: bk.ParsedParams, name: str, mime: str, writer) -> None:
    buffer = io.BytesIO()
    writer(
        ctx.viewer, ctx.db, out=buffer, filters=parsed.filters, sort=parsed.sort, locale=locale()
    )
    st.session_state[EXPORT_KEY] = (view_key(parsed), name, mime, buffer.getvalue())
