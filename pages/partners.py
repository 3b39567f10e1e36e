"""Partner (staff): every partner with kind and city; details arrive with later issues."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.cache import cached
from components.i18n import t
from components.session import page_context
from data.partners import list_partners

ctx = page_context()
st.title(t("nav.partners"))
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
