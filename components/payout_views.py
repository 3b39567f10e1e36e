"""Payouts and credit notes: the Buchhaltung tabs (partner, or staff viewing as one) and the
tables the staff page Auszahlungen shares with them.

Every figure comes from data/money/payouts.py and data/money/documents.py with the page's viewer,
so a partner sees (and downloads) only its own payouts, lines and documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
import streamlit as st

from components import paging, widgets
from components.confirm import ask_first, confirm_action, done, flash
from components.downloads import prepare_button
from components.feedback import show_refusal
from components.i18n import (
    day,
    each_distinct,
    locale,
    money,
    money_column,
    month_label,
    number,
    percent,
    t,
)
from components.search_picker import search_picker
from components.session import PageContext
from core import i18n
from core.table_export import frame_csv, frame_xlsx
from core.validation import InvalidInput
from data.money import documents, payouts

DOC_STATUSES = ("approved", "paid", "cancelled", "cancellation")
APPROVE_KEY = "_confirm_approve"  # the chosen payouts awaiting a yes to issue credit notes
SELECTION_ROUND = "_payouts_selection_round"  # bumped after an action: a fresh, empty choice
DOC_PAGE = 50  # credit notes per page
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def status_label(status: str) -> str:
    return t(f"payouts.status_{status}")


# Column widths (px) of the payouts list: all ten columns fit beside the menu at 1280 px
# (tests/pages/test_browser_phone.py measures it); the partner column gets what the shorter
# headers leave, and the full name is in the partner filter and the payout's detail.
_PAYOUT_WIDTHS = {
    "col_partner": 160,
    "col_period": 100,
    "col_status": 70,
    "col_lines": 60,
    "col_gross": 95,
    "col_commission_gross": 100,
    "col_amount": 85,
    "col_expected": 105,
    "col_paid_on": 90,
    "col_document": 80,
}


def payouts_columns() -> dict[str, object]:
    """The payouts list's column widths, for `st.dataframe(column_config=...)`."""
    return {
        t(f"payouts.{key}"): st.column_config.Column(width=width)
        for key, width in _PAYOUT_WIDTHS.items()
    }


def payouts_table(frame: pd.DataFrame, *, with_partner: bool = False) -> pd.DataFrame:
    """The payouts shown (one page): localised headers, values formatted a column at a time."""
    columns: dict[str, object] = {}
    if with_partner:
        columns[t("payouts.col_partner")] = frame["partner"]
    columns.update(
        {
            t("payouts.col_period"): each_distinct(frame["period"], month_label),
            t("payouts.col_status"): each_distinct(frame["status"], status_label),
            t("payouts.col_lines"): frame["lines"],
            t("payouts.col_gross"): money_column(frame["gross"]),
            t("payouts.col_commission_gross"): money_column(frame["commission_gross"]),
            t("payouts.col_amount"): money_column(frame["amount"]),
            t("payouts.col_expected"): each_distinct(frame["expected_date"], day),
            t("payouts.col_paid_on"): each_distinct(
                frame["paid_on"], lambda v: day(v) if pd.notna(v) else ""
            ),
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


def export_buttons(ctx: PageContext, selection: payouts.PayoutFilter, *, key: str) -> None:
    """CSV and XLSX of the whole selection, built on click (components/downloads.py)."""
    name = t("payout_list.export_name")

    def frame() -> pd.DataFrame:
        rows = payouts.list_payouts(
            ctx.viewer,
            ctx.db,
            period=selection.period,
            status=selection.status,
            partner_id=selection.partner_id,
            limit=50_000,
        )
        return payouts_export_frame(rows)

    left, right = st.columns(2)
    with left:
        prepare_button(
            key=f"{key}_csv",
            file_name=f"{name}.csv",
            mime="text/csv",
            build=lambda out: out.write(frame_csv(frame(), locale=locale())),
            selection=(selection, locale()),
        )
    with right:
        prepare_button(
            key=f"{key}_xlsx",
            file_name=f"{name}.xlsx",
            mime=XLSX_MIME,
            build=lambda out: out.write(frame_xlsx(frame(), sheet=name, locale=locale())),
            selection=(selection, locale()),
        )


def payout_labels(rows: pd.DataFrame) -> dict[int, str]:
    """ "Partner · Monat · Status · Betrag" per payout of a (short) list, for pickers."""
    months = each_distinct(rows["period"], month_label)
    statuses = each_distinct(rows["status"], status_label)
    amounts = money_column(rows["amount"])
    return {
        int(pid): f"{partner} · {month} · {state} · {amount}"
        for pid, partner, month, state, amount in zip(
            rows["payout_id"], rows["partner"], months, statuses, amounts, strict=True
        )
    }


def paged_payouts(
    ctx: PageContext, selection: payouts.PayoutFilter, *, key: str
) -> payouts.PayoutPage:
    """Count and sum of the selection (SQL aggregates), one page of it and the paging.

    The page number lives in the session; a changed selection starts again at page 1. Paging
    buttons change it in their callback, so a click runs the script once.
    """
    page, size = paging.current(key, selection=selection, default_size=payouts.DEFAULT_PAGE_SIZE)
    result = payouts.page_payouts(
        ctx.viewer,
        ctx.db,
        selection=selection,
        page=page,
        page_size=size,
    )
    if result.total == 0:
        return result
    cols = st.columns(2)
    cols[0].metric(t("payouts.count"), number(result.total), border=True)
    cols[1].metric(t("payouts.total_amount"), money(result.amount), border=True)
    with_partner = ctx.viewer.partner_id is None
    st.dataframe(
        payouts_table(result.rows, with_partner=with_partner),
        hide_index=True,
        width="stretch",
        column_config=payouts_columns() if with_partner else None,
    )
    paging.pager(result, key=key, sizes=payouts.PAGE_SIZES)
    return result


def payout_picker(
    ctx: PageContext, selection: payouts.PayoutFilter, page_rows: pd.DataFrame, *, key: str
) -> int | None:
    """Search as you type (partner or credit-note number, at most SEARCH_LIMIT hits from the
    data layer); without text, the payouts of the page shown."""

    def search(text: str) -> dict[int, str]:
        rows = (
            payouts.find_payouts(ctx.viewer, ctx.db, text=text, selection=selection)
            if text
            else page_rows
        )
        return payout_labels(rows)

    return search_picker(
        st,
        t("payouts.open_payout"),
        key=f"{key}_open",
        search_key=f"{key}_search",
        complete_untyped=True,
        search=search,
        limit=payouts.SEARCH_LIMIT,
        search_label=t("payout_list.search"),
        placeholder=t("payout_list.search_placeholder"),
        none_found=t("payout_list.search_none"),
        more_found=t("payout_list.search_more", n=number(payouts.SEARCH_LIMIT)),
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
    """The payout history a page at a time, and one payout with its lines (`payout_id` first)."""
    result = paged_payouts(ctx, payouts.PayoutFilter(), key="payout_history")
    if result.total == 0:
        st.info(t("payouts.empty"), icon=":material/payments:")
        return
    labels = payout_labels(result.rows)
    options = list(labels)
    if payout_id is not None and payout_id not in labels:
        linked = payouts.get_payout(ctx.viewer, ctx.db, payout_id=payout_id)
        if linked is not None:  # the linked payout, even when it is not on this page
            options.insert(0, payout_id)
            labels[payout_id] = f"{linked.partner} · {month_label(linked.period)}"
    chosen = widgets.selectbox(
        st,
        t("payouts.open_payout"),
        options,
        index=_index(options, payout_id),
        format_func=lambda pid: labels.get(int(pid), str(pid)),
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
    page_key = f"{key}_page"
    if st.session_state.get(f"{key}_paged_for") != (period, status):
        st.session_state[f"{key}_paged_for"] = (period, status)
        st.session_state[page_key] = 1
    page = st.session_state.get(page_key, 1)
    # One page (and one row more, to know whether there is a next one), newest first.
    frame = documents.list_documents(
        ctx.viewer,
        ctx.db,
        period=period,
        status=status,
        limit=DOC_PAGE + 1,
        offset=(page - 1) * DOC_PAGE,
    )
    more, frame = len(frame) > DOC_PAGE, frame.head(DOC_PAGE)
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
            t("payouts.col_issue_date"): each_distinct(frame["issue_date"], day),
            t("payouts.col_period"): each_distinct(frame["period"], month_label),
            t("payouts.col_status"): each_distinct(frame["status"], status_label),
            t("payouts.col_gross"): money_column(frame["gross"]),
            t("payouts.col_commission_gross"): money_column(frame["commission_gross"]),
            t("payouts.col_amount"): money_column(frame["amount"]),
            t("payouts.col_cancels"): frame["cancels_number"].fillna(""),
        }
    )
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    if more or page > 1:
        prev_col, page_col, next_col = st.columns([1, 2, 1])
        prev_col.button(
            t("orders.previous"), disabled=page <= 1, key=f"{key}_prev", width="stretch",
            on_click=paging.turn, args=(key, page - 1),
        )  # fmt: skip
        page_col.caption(t("payout_list.documents_page", page=number(page)))
        next_col.button(
            t("orders.next"), disabled=not more, key=f"{key}_next", width="stretch",
            on_click=paging.turn, args=(key, page + 1),
        )  # fmt: skip
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


def selection_key(select_all: bool) -> str:
    """The key of the payouts choice: a new one after every action, so no chip keeps the
    status it had when it was chosen ("Entwurf" after approving)."""
    return f"payouts_selection_{select_all}_{st.session_state.get(SELECTION_ROUND, 0)}"


def new_selection() -> None:
    st.session_state[SELECTION_ROUND] = st.session_state.get(SELECTION_ROUND, 0) + 1
    st.session_state.pop("payouts_select_all", None)


def ask_approval(chosen: list[int]) -> None:
    """ "Freigeben" clicked: issuing credit notes asks first (`confirm_approval` shows it)."""
    ask_first(APPROVE_KEY, tuple(sorted(int(p) for p in chosen)))


def confirm_approval(ctx: PageContext, chosen: list[int], *, drafts: int, amount: Decimal) -> None:
    """The question before credit notes are issued: how many, over how much, that it is final.

    `drafts` and `amount` are the drafts among `chosen` (the page knows them: its rows, or the
    selection's SQL sums). The question belongs to the selection it was asked for; changing
    the selection drops it. After the yes the page runs again, so every status, chip and count
    shows "Freigegeben".
    """
    target = tuple(sorted(int(p) for p in chosen))

    def warning() -> str:
        if not drafts:
            return t("clicks.approve_none")
        text = t("clicks.approve_ask", n=drafts, amount=money(amount))
        others = len(target) - drafts
        return text + (" " + t("clicks.approve_others", n=others) if others else "")

    def approve() -> None:
        result = payouts.approve_payouts(ctx.viewer, ctx.db, payout_ids=list(target))
        new_selection()
        numbers = ", ".join(result.documents) or "–"
        flash("success", t("payouts.approved_done", n=len(result.done), numbers=numbers))
        if result.skipped:
            flash("info", t("payouts.skipped", n=len(result.skipped)))

    confirm_action(
        APPROVE_KEY,
        target,
        warning=warning,
        button_label=t("clicks.approve_yes", n=drafts),
        button_key="payouts_approve_confirm",
        on_confirm=approve,
    )
