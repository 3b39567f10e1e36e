"""Payouts and credit notes: the Buchhaltung tabs (partner, or staff viewing as one) and the
tables the staff page Auszahlungen shares with them.

Every figure comes from data/money/payouts.py and data/money/documents.py with the page's viewer,
so a partner sees (and downloads) only its own payouts, lines and documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from components import widgets
from components.confirm import done
from components.feedback import show_refusal
from components.i18n import day, locale, money, month_label, percent, t
from components.session import PageContext
from core import i18n
from core.table_export import frame_csv, frame_xlsx
from core.validation import InvalidInput
from data.money import documents, payouts

DOC_STATUSES = ("approved", "paid", "cancelled", "cancellation")


def status_label(status: str) -> str:
    return t(f"payouts.status_{status}")


def payouts_table(frame: pd.DataFrame, *, with_partner: bool = False) -> pd.DataFrame:
    """The payouts list as shown (and exported): localised headers, formatted values."""
    columns: dict[str, object] = {}
    if with_partner:
        columns[t("payouts.col_partner")] = frame["partner"]
    columns.update(
        {
            t("payouts.col_period"): [month_label(p) for p in frame["period"]],
            t("payouts.col_status"): [status_label(s) for s in frame["status"]],
            t("payouts.col_lines"): frame["lines"],
            t("payouts.col_gross"): [money(v) for v in frame["gross"]],
            t("payouts.col_commission_gross"): [money(v) for v in frame["commission_gross"]],
            t("payouts.col_amount"): [money(v) for v in frame["amount"]],
            t("payouts.col_expected"): [day(v) for v in frame["expected_date"]],
            t("payouts.col_paid_on"): [day(v) if pd.notna(v) else "" for v in frame["paid_on"]],
            t("payouts.col_document"): frame["document_number"].fillna(""),
        }
    )
    return pd.DataFrame(columns)


def payouts_export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed values for CSV/XLSX (numbers stay numbers, dates stay dates)."""
    return pd.DataFrame(
        {
            t("payouts.col_partner"): frame["partner"],
            t("payouts.col_period"): [f"{p:%Y-%m}" for p in frame["period"]],
            t("payouts.col_status"): [status_label(s) for s in frame["status"]],
            t("payouts.col_lines"): [int(v) for v in frame["lines"]],
            t("payouts.col_gross"): list(frame["gross"]),
            t("payouts.col_commission"): list(frame["commission_net"]),
            t("payouts.col_commission_vat"): list(frame["commission_vat"]),
            t("payouts.col_commission_gross"): list(frame["commission_gross"]),
            t("payouts.col_amount"): list(frame["amount"]),
            t("payouts.col_expected"): list(frame["expected_date"]),
            t("payouts.col_paid_on"): [v if pd.notna(v) else None for v in frame["paid_on"]],
            t("payouts.col_document"): frame["document_number"].fillna(""),
        }
    )


def lines_table(lines: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("payouts.col_order"): lines["increment_id"],
            t("payouts.col_event"): [
                day(i18n.to_berlin(v)) if pd.notna(v) else "" for v in lines["event_at"]
            ],
            t("payouts.col_course"): lines["course"].fillna(""),
            t("payouts.col_tickets"): lines["tickets"],
            t("payouts.col_kind"): [t(f"payouts.kind_{k}") for k in lines["kind"]],
            t("payouts.col_gross"): [money(v) for v in lines["gross"]],
            t("payouts.col_rate"): [percent(v / 100) for v in lines["commission_rate"]],
            t("payouts.col_commission"): [money(v) for v in lines["commission_net"]],
        }
    )


def download_buttons(frame: pd.DataFrame, *, name: str, key: str) -> None:
    """CSV and XLSX of a table, side by side."""
    left, right = st.columns(2)
    left.download_button(
        t("payouts.download_csv"),
        frame_csv(frame, locale=locale()),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
    )
    right.download_button(
        t("payouts.download_xlsx"),
        frame_xlsx(frame, sheet=name, locale=locale()),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/download:",
    )


def payout_detail(ctx: PageContext, payout_id: int) -> None:
    payout = payouts.get_payout(ctx.viewer, ctx.db, payout_id=payout_id)
    if payout is None:
        return
    st.subheader(t("payouts.detail_title", period=month_label(payout.period)))
    if payout.other_months:
        months = ", ".join(month_label(m) for m in payout.line_months)
        st.caption(t("payouts.line_months", months=months))
    cols = st.columns(3)
    cols[0].metric(t("payouts.col_gross"), money(payout.gross), border=True)
    cols[1].metric(t("payouts.col_commission_gross"), money(payout.commission_gross), border=True)
    cols[2].metric(t("payouts.col_amount"), money(payout.amount), border=True)
    if payout.carried:
        # The offset of an earlier negative payout (Verrechnung, see data/money/payouts.py): shown
        # so the partner can see why the amount is lower than gross minus commission.
        st.info(
            t(
                "payouts.carried_note",
                amount=money(payout.carried),
                documents=", ".join(payout.carried_from) or "–",
            ),
            icon=":material/sync_alt:",
        )
    if payout.amount < 0:
        st.caption(t("payouts.negative_note"))
    elif payout.paid_on is not None:
        st.caption(t("payouts.paid_note", date=day(payout.paid_on)))
    else:
        st.caption(t("payouts.expected_note", date=day(payout.expected_date)))
    lines = payouts.list_lines(ctx.viewer, ctx.db, payout_id=payout_id)
    if (lines["kind"] == "correction").any():
        st.caption(t("payouts.corrections_note"))
    st.dataframe(lines_table(lines), hide_index=True, width="stretch")


def _index(options: list, wanted: object) -> int:
    return options.index(wanted) if wanted in options else 0


def render_payouts(ctx: PageContext, *, payout_id: int | None = None) -> None:
    """The partner's payout history, and one payout with its lines (`payout_id` first)."""
    frame = payouts.list_payouts(ctx.viewer, ctx.db)
    if frame.empty:
        st.info(t("payouts.empty"), icon=":material/payments:")
        return
    st.dataframe(
        payouts_table(frame, with_partner=ctx.viewer.partner_id is None),
        hide_index=True,
        width="stretch",
    )
    by_id = frame.set_index("payout_id")
    options = [int(p) for p in frame["payout_id"]]
    chosen = widgets.selectbox(
        st,
        t("payouts.open_payout"),
        options,
        index=_index(options, payout_id),
        format_func=lambda pid: (
            f"{month_label(by_id.loc[pid, 'period'])} · {by_id.loc[pid, 'partner']} · "
            f"{money(by_id.loc[pid, 'amount'])}"
        ),
        key="payout_open",
    )
    if chosen is not None:
        payout_detail(ctx, int(chosen))


def render_documents(
    ctx: PageContext, *, key: str = "documents", document_id: int | None = None
) -> None:
    """Credit notes and cancellations with filters (month, status) and the PDF download;
    `document_id` is chosen first."""
    periods = payouts.payout_periods(ctx.viewer, ctx.db)
    left, right = st.columns(2)
    period: date | None = widgets.selectbox(
        left,
        t("payouts.filter_period"),
        [None, *periods],
        format_func=lambda p: t("payouts.all") if p is None else month_label(p),
        key=f"{key}_period",
    )
    status: str | None = widgets.selectbox(
        right,
        t("payouts.filter_status"),
        [None, *DOC_STATUSES],
        format_func=lambda s: t("payouts.all") if s is None else status_label(s),
        key=f"{key}_status",
    )
    frame = documents.list_documents(ctx.viewer, ctx.db, period=period, status=status)
    if frame.empty:
        st.info(
            t("payouts.empty_filtered" if (period or status) else "payouts.empty_documents"),
            icon=":material/description:",
        )
        return
    table = {}
    if ctx.viewer.partner_id is None:
        table[t("payouts.col_partner")] = frame["partner"]
    table.update(
        {
            t("payouts.col_number"): frame["number"],
            t("payouts.col_issue_date"): [day(v) for v in frame["issue_date"]],
            t("payouts.col_period"): [month_label(p) for p in frame["period"]],
            t("payouts.col_status"): [status_label(s) for s in frame["status"]],
            t("payouts.col_gross"): [money(v) for v in frame["gross"]],
            t("payouts.col_commission_gross"): [money(v) for v in frame["commission_gross"]],
            t("payouts.col_amount"): [money(v) for v in frame["amount"]],
            t("payouts.col_cancels"): frame["cancels_number"].fillna(""),
        }
    )
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    numbers = frame.set_index("document_id")["number"]
    options = [int(d) for d in frame["document_id"]]
    chosen = widgets.selectbox(
        st,
        t("payouts.open_document"),
        options,
        index=_index(options, document_id),
        format_func=lambda d: numbers.loc[d],
        key=f"{key}_open",
    )
    if chosen is not None:
        pdf_button(ctx, int(chosen), key=f"{key}_pdf")


def pdf_button(ctx: PageContext, document_id: int, *, key: str) -> None:
    file = documents.document_pdf(ctx.viewer, ctx.db, document_id=document_id)
    if file is not None:
        st.download_button(
            t("payouts.download_pdf"),
            file.pdf,
            file_name=file.filename,
            mime="application/pdf",
            key=key,
            icon=":material/picture_as_pdf:",
        )


@dataclass(frozen=True)
class LinkedNote:
    document_id: int
    payout_id: int


def linked_credit_note(ctx: PageContext, number: str | None) -> LinkedNote | None:
    """The credit note a link names (`?gutschrift=`, core/links.py), shown above the tabs.

    Looked up in the viewer's scope: another partner's number reads as not found, and the
    text never repeats what the URL said (it is not ours to print).
    """
    if not number:
        return None
    found = documents.list_documents(ctx.viewer, ctx.db, number=number, limit=1)
    if found.empty:
        st.info(t("accounting.linked_missing"), icon=":material/link_off:")
        return None
    note = found.iloc[0]
    with st.container(border=True):
        st.subheader(t("accounting.linked_title", number=note["number"]))
        st.caption(
            t(
                "accounting.linked_caption",
                period=month_label(note["period"]),
                amount=money(note["amount"]),
                status=status_label(note["status"]),
            )
        )
        pdf_button(ctx, int(note["document_id"]), key="linked_pdf")
    return LinkedNote(document_id=int(note["document_id"]), payout_id=int(note["payout_id"]))


_REISSUE_ROUND = "_reissue_round"  # bumped after a reissue: choice, reason and confirmation reset


def reissue_form(ctx: PageContext, *, partner_id: int | None = None, key: str = "reissue") -> None:
    """Staff: cancel a credit note and issue a new one (data.money.documents.reissue_document).

    The choice lists every credit note in scope, valid ones first; labels carry nothing that
    changes with the status, so a note cancelled meanwhile (another tab) stays chosen and the
    data layer refuses it with its German message instead of a silent switch to another note.
    """
    st.caption(t("payouts.reissue_caption"))
    frame = documents.list_documents(ctx.viewer, ctx.db, partner_id=partner_id)
    notes = frame[frame["kind"] == "credit_note"]
    if notes.empty:
        st.info(t("payouts.reissue_none"), icon=":material/description:")
        return
    notes = notes.assign(_valid=notes["status"] != "cancelled").sort_values(
        ["_valid", "number"], ascending=[False, False]
    )
    by_id = notes.set_index("document_id")
    round_ = st.session_state.get(_REISSUE_ROUND, 0)
    chosen = widgets.selectbox(
        st,
        t("payouts.reissue_choose"),
        notes["document_id"].tolist(),
        index=None,
        placeholder=t("payouts.reissue_placeholder"),
        format_func=lambda d: (
            f"{by_id.loc[d, 'number']} · {by_id.loc[d, 'partner']} · "
            f"{month_label(by_id.loc[d, 'period'])} · {money(by_id.loc[d, 'amount'])}"
        ),
        key=f"{key}_document_{round_}",
    )
    if chosen is not None:
        st.caption(t("payouts.reissue_status", status=status_label(by_id.loc[chosen, "status"])))
    reason = st.text_input(
        t("payouts.reissue_reason"),
        max_chars=documents.REASON_MAX,
        placeholder=t("payouts.reissue_reason_placeholder"),
        key=f"{key}_reason_{round_}",
    )
    confirmed = st.checkbox(t("payouts.reissue_confirm"), key=f"{key}_confirm_{round_}")
    clicked = st.button(
        t("payouts.reissue"),
        type="primary",
        disabled=chosen is None or not confirmed,
        icon=":material/restart_alt:",
        key=f"{key}_go_{round_}",
    )
    if not clicked:
        return
    if chosen is None or not confirmed:
        st.warning(t("payouts.reissue_pick_first"))
        return
    try:
        result = documents.reissue_document(
            ctx.viewer, ctx.db, document_id=int(chosen), reason=reason
        )
    except InvalidInput as exc:
        show_refusal(exc)
        return
    if result is None:
        st.error(t("payouts.reissue_not_found"), icon=":material/error:")
        return
    st.session_state[_REISSUE_ROUND] = round_ + 1
    done(
        (
            "success",
            t(
                "payouts.reissued",
                cancellation=result.cancellation,
                credit_note=result.credit_note,
            ),
        )
    )
