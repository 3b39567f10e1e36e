"""Auszahlungen (staff): every partner's payouts; compute, approve, mark paid, export.

Filters by month, status and partner; bulk approval (issues each credit note) and "paid" with
the transfer date; the approved payouts as SEPA credit transfer and DATEV booking batch; the
table as CSV/XLSX; the credit notes below, with the correction of one (Storno-Gutschrift plus
a new credit note). The data layer refuses all of it to partners.
"""

from __future__ import annotations

import streamlit as st

from components import payout_views, widgets
from components.cache import choosable
from components.confirm import Message, done
from components.feedback import show_refusal
from components.i18n import day, money, month_label, number, t
from components.layout import run_guarded
from components.session import page_context
from components.text import md
from core import periods
from core.clock import now_utc
from core.validation import InvalidInput
from data.money import documents, payouts
from data.portal_schema import PAYOUT_STATUSES

ctx = page_context()
viewer, db = ctx.viewer, ctx.db
partner_names = choosable(ctx).set_index("partner_id")["name"]
# Viewing as one partner: the page covers that partner only, and says so by name.
viewed = None if viewer.sees_all else partner_names.get(viewer.partner_id, "?")
if viewed is None:
    st.caption(t("payouts.staff_caption"))
else:
    st.caption(t("payouts.partner_caption", partner=viewed))
today = periods.berlin_today()


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
partner_options = [None, *partner_names.index.tolist()] if viewed is None else [None]
partner = widgets.selectbox(
    right,
    t("payouts.filter_partner"),
    partner_options,
    format_func=lambda p: (
        (viewed or t("payouts.all")) if p is None else partner_names.get(p, str(p))
    ),
    key="payouts_partner",
    disabled=viewed is not None,
)
frame = payouts.list_payouts(viewer, db, period=period, status=status, partner_id=partner)
if frame.empty:
    st.info(t("payouts.empty_filtered"), icon=":material/payments:")
else:
    cols = st.columns(2)
    cols[0].metric(t("payouts.count"), number(len(frame)), border=True)
    cols[1].metric(t("payouts.total_amount"), money(sum(frame["amount"])), border=True)
    st.dataframe(
        payout_views.payouts_table(frame, with_partner=True), hide_index=True, width="stretch"
    )
    payout_views.download_buttons(
        payout_views.payouts_export_frame(frame), name="Auszahlungen", key="payouts_table"
    )

    by_id = frame.set_index("payout_id")
    select_all = st.checkbox(t("payouts.select_all"), key="payouts_select_all")
    options = frame["payout_id"].tolist()
    chosen = widgets.multiselect(
        st,
        t("payouts.select"),
        options,
        default=options if select_all else [],
        format_func=lambda pid: (
            f"{by_id.loc[pid, 'partner']} · {month_label(by_id.loc[pid, 'period'])} · "
            f"{payout_views.status_label(by_id.loc[pid, 'status'])} · "
            f"{money(by_id.loc[pid, 'amount'])}"
        ),
        key=f"payouts_selection_{select_all}",
    )
    act_left, act_right = st.columns(2)
    if act_left.button(t("payouts.approve"), key="payouts_approve", type="primary"):
        if not chosen:
            st.warning(t("payouts.nothing_selected"))
        else:
            result = payouts.approve_payouts(viewer, db, payout_ids=chosen)
            done(
                (
                    "success",
                    t(
                        "payouts.approved_done",
                        n=len(result.done),
                        numbers=", ".join(result.documents) or "–",
                    ),
                ),
                *_skipped(len(result.skipped)),
            )
    paid_on = widgets.date_input(
        act_right,
        t("payouts.paid_date"),
        value=today,
        max_value=today,
        key="payouts_paid_on",
    )
    if act_right.button(t("payouts.mark_paid"), key="payouts_mark_paid"):
        if not chosen:
            st.warning(t("payouts.nothing_selected"))
        else:
            try:
                result = payouts.mark_paid(viewer, db, payout_ids=chosen, paid_on=paid_on)
            except InvalidInput as exc:
                show_refusal(exc)
            else:
                done(
                    ("success", t("payouts.paid_done", n=len(result.done))),
                    *_skipped(len(result.skipped)),
                )

    st.subheader(t("payouts.export_title"))
    approved_ids = [p for p in (chosen or options) if by_id.loc[p, "status"] == "approved"]
    exp_left, exp_right = st.columns(2)
    execution = widgets.date_input(
        exp_left,
        t("payouts.execution_date"),
        value=today,
        min_value=today,
        key="payouts_execution",
    )
    stamp = now_utc()
    if exp_left.button(t("payouts.sepa"), key="payouts_sepa"):
        try:
            sepa = documents.sepa_export(
                viewer, db, payout_ids=approved_ids, execution_date=execution, now=stamp
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
            datev = documents.datev_export(viewer, db, payout_ids=approved_ids, now=stamp)
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

    open_id = widgets.selectbox(
        st,
        t("payouts.open_payout"),
        options,
        format_func=lambda pid: (
            f"{by_id.loc[pid, 'partner']} · {month_label(by_id.loc[pid, 'period'])} · "
            f"{day(by_id.loc[pid, 'expected_date'])}"
        ),
        key="payouts_open",
    )
    if open_id is not None:
        run_guarded("payouts/detail", lambda: payout_views.payout_detail(ctx, int(open_id)))

st.divider()
st.subheader(t("accounting.tab_documents"))
with st.expander(t("payouts.reissue_title"), icon=":material/restart_alt:"):
    run_guarded(
        "payouts/reissue", lambda: payout_views.reissue_form(ctx, partner_id=partner, key="reissue")
    )
run_guarded("payouts/documents", lambda: payout_views.render_documents(ctx, key="staff_docs"))
