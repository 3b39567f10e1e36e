"""Auszahlungen (staff): every partner's payouts; compute, approve, mark paid, export.

Filters by month, status and partner; bulk approval (issues each credit note) and "paid" with
the transfer date; the approved payouts as SEPA credit transfer and DATEV booking batch; the
table as CSV/XLSX; the credit notes below, with the correction of one (Storno-Gutschrift plus
a new credit note). The data layer refuses all of it to partners.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import streamlit as st

from components import payout_views, widgets
from components.cache import cached
from components.confirm import Message, done
from components.day_field import check_day, day_input
from components.feedback import show_refusal
from components.i18n import month_label, number, t
from components.layout import run_guarded
from components.search_picker import search_picker
from components.session import page_context
from components.text import md
from core import periods
from core.clock import now_utc
from core.validation import InvalidInput
from data.access.partners import SEARCH_LIMIT, choosable_names, search_partners
from data.money import documents, payouts
from data.portal_schema import PAYOUT_STATUSES

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
# Viewing as one partner: the page covers that partner only, and says so by name.
viewed = (
    None
    if viewer.sees_all
    else cached(choosable_names, ctx.user.viewer, db, partner_ids=(viewer.partner_id,)).get(
        viewer.partner_id, "?"
    )
)
if viewed is None:
    st.caption(t("payouts.staff_caption"))
else:
    st.caption(t("payouts.partner_caption", partner=viewed))
today = periods.berlin_today()
FIRST_PAID_DAY = date(2000, 1, 1)  # a payout marked paid on a day before that is a typo


def _skipped(n: int) -> list[Message]:
    return [("info", t("payouts.skipped", n=n))] if n else []


with st.expander(t("payouts.compute"), icon=":material/calculate:"):
    months = [payouts.last_month(today)]
    for _ in range(11):
        months.append(periods.previous_month(months[-1]).first_day)
    month = widgets.selectbox(
        st, t("payouts.compute_month"), months, format_func=month_label, key="payouts_compute_month"
    )
    if st.button(t("payouts.compute"), key="payouts_compute"):
        result = payouts.compute_payouts(viewer, db, period=month)
        done(
            (
                "success",
                t(
                    "payouts.computed",
                    month=month_label(result.period),
                    partners=number(result.partners),
                    created=number(result.created),
                    updated=number(result.updated),
                    unchanged=number(result.unchanged),
                ),
            )
        )

left, middle, right = st.columns(3)
period = widgets.selectbox(
    left,
    t("payouts.filter_period"),
    [None, *payouts.payout_periods(viewer, db)],
    format_func=lambda p: t("payouts.all") if p is None else month_label(p),
    key="payouts_period",
)
status = widgets.selectbox(
    middle,
    t("payouts.filter_status"),
    [None, *PAYOUT_STATUSES],
    format_func=lambda s: t("payouts.all") if s is None else payout_views.status_label(s),
    key="payouts_status",
)


def _find_partners(text: str) -> dict[int, str]:
    found = cached(search_partners, viewer, db, text=text)
    return dict(zip(found["partner_id"], found["name"], strict=True))


picked = st.session_state.get("payouts_partner")
partner = search_picker(
    right,
    t("payouts.filter_partner"),
    key="payouts_partner",
    search=_find_partners if viewed is None else lambda _text: {},
    chosen=cached(choosable_names, ctx.user.viewer, db, partner_ids=(int(picked),))
    if picked is not None and viewed is None
    else {},
    limit=SEARCH_LIMIT,
    none_label=viewed or t("payouts.all"),
    disabled=viewed is not None,
)
selection = payouts.PayoutFilter(period=period, status=status, partner_id=partner)
result = payout_views.paged_payouts(ctx, selection, key="payouts")
if result.total == 0:
    st.info(t("payouts.empty_filtered"), icon=":material/payments:")
else:
    page_rows = result.rows
    by_id = page_rows.set_index("payout_id")
    payout_views.export_buttons(ctx, selection, key="payouts_table")

    select_all = st.checkbox(
        t("payout_list.select_all", n=number(result.total)), key="payouts_select_all"
    )
    options = page_rows["payout_id"].tolist()
    labels = payout_views.payout_labels(page_rows)
    chosen = widgets.multiselect(
        st,
        t("payout_list.select_page"),
        options,
        default=options if select_all else [],
        format_func=lambda pid: labels.get(int(pid), str(pid)),
        key=f"{payout_views.selection_key(select_all)}_{result.page}",
        disabled=select_all,
    )

    def _targets() -> list[int]:
        """The payouts an action is for: the whole selection, or those picked on this page."""
        if select_all:
            return payouts.selected_payout_ids(viewer, db, selection=selection)
        return [int(p) for p in chosen]

    act_left, act_right = st.columns(2)
    if act_left.button(t("payouts.approve"), key="payouts_approve", type="primary"):
        targets = _targets()
        if not targets:
            st.warning(t("payouts.nothing_selected"))
        else:
            payout_views.ask_approval(targets)  # issuing credit notes asks first
    # Any typed day reaches us and one outside the range is refused (components/day_field.py).
    paid_on = day_input(act_right, t("payouts.paid_date"), value=today, key="payouts_paid_on")
    if act_right.button(t("payouts.mark_paid"), key="payouts_mark_paid"):
        targets = _targets()
        if not targets:
            st.warning(t("payouts.nothing_selected"))
        else:
            try:
                check_day(paid_on or today, first=FIRST_PAID_DAY, last=today)
                paid = payouts.mark_paid(viewer, db, payout_ids=targets, paid_on=paid_on)
            except InvalidInput as exc:
                show_refusal(exc)
            else:
                payout_views.new_selection()
                done(
                    ("success", t("payouts.paid_done", n=len(paid.done))),
                    *_skipped(len(paid.skipped)),
                )

    def _drafts(targets: list[int]) -> tuple[int, Decimal]:
        """How many drafts the approval would issue, over how much (page rows or SQL sums)."""
        if select_all:
            if selection.status not in (None, "draft"):
                return 0, Decimal(0)
            drafts = payouts.page_payouts(
                viewer, db, selection=replace(selection, status="draft"), page_size=25
            )
            return drafts.total, drafts.amount
        rows = by_id.loc[[p for p in targets if p in by_id.index]]
        rows = rows[rows["status"] == "draft"]
        return len(rows), sum(rows["amount"], start=Decimal(0))

    if st.session_state.get(payout_views.APPROVE_KEY):  # the question is open
        pending = _targets()
        n_drafts, draft_amount = _drafts(pending)
        payout_views.confirm_approval(ctx, pending, drafts=n_drafts, amount=draft_amount)

    def _approved_ids() -> list[int]:
        """Approved payouts among the targets (none picked: all of the selection)."""
        if selection.status not in (None, "approved"):
            return []
        approved = payouts.selected_payout_ids(
            viewer, db, selection=replace(selection, status="approved")
        )
        if select_all or not chosen:
            return approved
        picked = {int(p) for p in chosen}
        return [p for p in approved if p in picked]

    st.subheader(t("payouts.export_title"))
    exp_left, exp_right = st.columns(2)
    execution = (
        day_input(exp_left, t("payouts.execution_date"), value=today, key="payouts_execution")
        or today
    )
    stamp = now_utc()
    if exp_left.button(t("payouts.sepa"), key="payouts_sepa"):
        try:
            check_day(execution, first=today)
            sepa = documents.sepa_export(
                viewer, db, payout_ids=_approved_ids(), execution_date=execution, now=stamp
            )
        except InvalidInput as exc:
            show_refusal(exc)
        except ValueError as exc:  # the SEPA renderer's German reason
            st.error(t("payouts.export_failed", reason=md(exc)))
        else:
            if sepa is None:
                st.info(t("payouts.export_none"))
            else:
                if sepa.skipped:
                    st.warning(t("payouts.export_skipped", numbers=md(", ".join(sepa.skipped))))
                st.download_button(
                    t("payouts.download_sepa"), sepa.data, file_name=sepa.filename,
                    mime="application/xml", key="payouts_sepa_file",
                )  # fmt: skip
    if exp_right.button(t("payouts.datev"), key="payouts_datev"):
        try:
            datev = documents.datev_export(viewer, db, payout_ids=_approved_ids(), now=stamp)
        except InvalidInput as exc:
            show_refusal(exc)
        except ValueError as exc:
            st.error(t("payouts.export_failed", reason=md(exc)))
        else:
            if datev is None:
                st.info(t("payouts.export_none"))
            else:
                st.download_button(
                    t("payouts.download_datev"), datev.data, file_name=datev.filename,
                    mime="text/csv", key="payouts_datev_file",
                )  # fmt: skip

    open_id = payout_views.payout_picker(ctx, selection, page_rows, key="payouts")
    if open_id is not None:
        run_guarded("payouts/detail", lambda: payout_views.payout_detail(ctx, int(open_id)))

st.divider()
st.subheader(t("accounting.tab_documents"))
with st.expander(t("payouts.reissue_title"), icon=":material/restart_alt:"):
    run_guarded(
        "payouts/reissue", lambda: payout_views.reissue_form(ctx, partner_id=partner, key="reissue")
    )
run_guarded("payouts/documents", lambda: payout_views.render_documents(ctx, key="staff_docs"))
