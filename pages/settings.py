"""Einstellungen: the user's account and language (more settings arrive with their issues)."""

from __future__ import annotations

import streamlit as st

from components.i18n import t
from components.session import page_context

ctx = page_context()
user = ctx.user
st.title(t("settings.title"))
st.subheader(t("settings.account"))
role = t("settings.role_staff") if user.viewer.is_staff else t("settings.role_partner")
rows = [
    (t("settings.username"), user.username),
    (t("settings.email"), user.email),
    (t("settings.role"), role),
]
if user.partner_name:
    rows.append((t("settings.partner"), user.partner_name))
for label, value in rows:
    st.markdown(f"**{label}:** {value}")
st.caption(t("settings.language_hint"))
