"""Partner (staff): every partner with kind and city, and one partner's commission rates and
settlement start."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.cache import cached
from components.commission_view import render_commission
from components.i18n import t
from components.layout import run_guarded
from components.session import page_context
from components.settlement_view import render_settlement_start
from data.access.partners import list_partners

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
chosen = st.selectbox(
    t("partners.choose_partner"),
    names.index.tolist(),
    format_func=lambda pid: names.get(pid, str(pid)),
    key="partners_commission_partner",
)
if chosen is not None:
    run_guarded("partners/commission", lambda: render_commission(ctx, partner_id=int(chosen)))
    run_guarded("partners/settlement", lambda: render_settlement_start(ctx, partner_id=int(chosen)))
