"""Partner (staff): every partner with kind and city, one partner's commission rates and
settlement start, and a password-reset link for one of the partner's logins."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import two_factor_view, widgets
from components.cache import cached
from components.commission_view import render_commission
from components.feedback import show_refusal
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context
from components.settlement_view import render_settlement_start
from components.text import md
from core.validation import InvalidInput
from data.access.partners import list_partners
from data.access.resets import RESET_VALID, send_reset_link
from data.access.users import account_list

ctx = page_context()
partners = cached(list_partners, ctx.viewer, ctx.db)
st.caption(t("partners.count", n=len(partners)))
st.dataframe(
    pd.DataFrame(
        {
            t("overview.col_partner"): partners["name"],
            t("partners.kind"): partners["kind"],
            t("overview.col_city"): partners["city"],
        }
    ),
    hide_index=True,
    width="stretch",
)

st.subheader(t("partners.commission_title"))
st.caption(t("partners.commission_caption"))
names = partners.set_index("partner_id")["name"]
chosen = widgets.selectbox(
    st,
    t("partners.choose_partner"),
    names.index.tolist(),
    format_func=lambda pid: names.get(pid, str(pid)),
    key="partners_commission_partner",
)
if chosen is not None:
    run_guarded("partners/commission", lambda: render_commission(ctx, partner_id=int(chosen)))
    run_guarded("partners/settlement", lambda: render_settlement_start(ctx, partner_id=int(chosen)))

    st.subheader(t("password.reset_staff_title"))
    st.caption(t("password.reset_staff_caption", hours=int(RESET_VALID.total_seconds() // 3600)))
    accounts = dict(account_list(ctx.viewer, ctx.db, partner_id=int(chosen)))
    if not accounts:
        st.info(t("password.reset_staff_none"))
    else:
        account = widgets.selectbox(
            st,
            t("password.reset_staff_choose"),
            list(accounts),
            format_func=lambda uid: accounts.get(uid, str(uid)),
            key="partners_reset_account",
        )
        if st.button(t("password.reset_staff_send"), key="partners_reset_send"):
            try:
                email = send_reset_link(ctx.viewer, ctx.db, user_id=int(account))
            except InvalidInput as exc:
                show_refusal(exc)
            else:
                st.success(t("password.reset_staff_sent", email=md(email)))

    st.subheader(t("totp.reset_title"))
    st.caption(t("totp.reset_caption"))
    run_guarded("partners/2fa", lambda: two_factor_view.render_reset(ctx, partner_id=int(chosen)))

st.subheader(t("totp.reset_title") + " · " + t("login.demo_staff"))
run_guarded("staff/2fa", lambda: two_factor_view.render_reset(ctx, partner_id=None))
