"""Integrationen → API-Schlüssel: create a partner-API key, see it once, list and revoke.

The secret is shown once, right after creating (a code field with its copy button), kept only
in this session's state until the partner says it is saved; the list shows the visible
prefix only. Revoking asks first. Staff see every partner's keys and may revoke any; they
create keys only viewing as a partner. Names are the partner's text: shown as text
(dataframe cells, select labels) or through `md` in Markdown messages.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import widgets
from components.confirm import ask_first, confirm_action, flash
from components.feedback import show_refusal
from components.i18n import day, moment, t
from components.text import md
from core.db import Databases
from core.errors import Refusal
from data.access.permissions import (
    DATES_READ,
    DATES_WRITE,
    ORDERS_READ,
    REVIEWS_READ,
    WAITLIST_READ,
    WAITLIST_WRITE,
)
from data.access.viewer import Viewer
from data.integrations.api_keys import EXPIRIES, KEY_SCOPES, create_key, list_keys, revoke_key

SECRET_KEY = "_api_key_secret"
REVOKE_KEY = "_api_key_revoke"


SCOPE_LABELS = {
    ORDERS_READ: "api_keys.scope_orders_read",
    DATES_READ: "api_keys.scope_dates_read",
    DATES_WRITE: "api_keys.scope_dates_write",
    REVIEWS_READ: "api_keys.scope_reviews_read",
    WAITLIST_READ: "api_keys.scope_waitlist_read",
    WAITLIST_WRITE: "api_keys.scope_waitlist_write",
}


def scope_label(scope: str) -> str:
    return t(SCOPE_LABELS[scope]) if scope in SCOPE_LABELS else scope


def show_api_keys(viewer: Viewer, db: Databases) -> None:
    st.subheader(t("api_keys.title"))
    st.caption(t("api_keys.intro"))
    _show_new_secret()
    try:
        keys = list_keys(viewer, db)
    except Refusal as refusal:
        show_refusal(refusal)
        return
    if viewer.partner_id is None:
        st.info(t("api_keys.staff_hint"))
    else:
        _create_form(viewer, db)
    _key_list(keys, per_partner=viewer.sees_all)
    if not keys.empty:
        _revoke(viewer, db, keys)


def _show_new_secret() -> None:
    fresh = st.session_state.get(SECRET_KEY)
    if not fresh:
        return
    name, secret = fresh
    st.success(t("api_keys.created", name=md(name)), icon=":material/key:")
    st.caption(t("api_keys.secret"))
    st.code(secret, language=None, wrap_lines=True)
    if st.button(t("api_keys.done"), key="api_key_saved"):
        st.session_state.pop(SECRET_KEY, None)
        st.rerun()


def _create_form(viewer: Viewer, db: Databases) -> None:
    with st.form("api_key_create", clear_on_submit=True, border=True):
        name = st.text_input(
            t("api_keys.name"), max_chars=80, help=t("api_keys.name_help"), key="api_key_name"
        )
        st.caption(t("api_keys.scopes"))
        chosen = [s for s in KEY_SCOPES if st.checkbox(scope_label(s), key=f"api_scope_{s}")]
        expiry = st.radio(
            t("api_keys.expiry"),
            list(EXPIRIES),
            index=1,
            format_func=lambda e: t(f"api_keys.expiry_{e}"),
            horizontal=True,
            key="api_key_expiry",
        )
        submitted = st.form_submit_button(t("api_keys.create"), type="primary")
    if not submitted:
        return
    try:
        made = create_key(viewer, db, name=name, scopes=chosen, expiry=str(expiry))
    except Refusal as refusal:
        show_refusal(refusal)
        return
    st.session_state[SECRET_KEY] = (" ".join(name.split()), made.secret)
    st.rerun()


def _key_list(keys: pd.DataFrame, *, per_partner: bool) -> None:
    if keys.empty:
        st.caption(t("api_keys.empty"))
        return
    table = pd.DataFrame(
        {
            t("api_keys.col_name"): keys["name"],
            t("api_keys.col_prefix"): keys["prefix"] + "…",
            t("api_keys.col_scopes"): [
                ", ".join(scope_label(s) for s in v) for v in keys["scopes"]
            ],
            t("api_keys.col_last_used"): [
                moment(v) if pd.notna(v) else t("api_keys.never_used") for v in keys["last_used_at"]
            ],
            t("api_keys.col_expires"): [
                day(v) if pd.notna(v) else t("api_keys.never_expires") for v in keys["expires_at"]
            ],
        }
    )
    if per_partner:
        table.insert(0, t("api_keys.col_partner"), keys["partner"])
    st.dataframe(table, hide_index=True, use_container_width=True)


def _revoke(viewer: Viewer, db: Databases, keys: pd.DataFrame) -> None:
    names = dict(zip(keys["prefix"], keys["name"], strict=True))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    prefix = widgets.selectbox(
        left,
        t("api_keys.revoke_which"),
        list(names),
        format_func=lambda p: f"{names[p]} ({p}…)",
        key="api_key_revoke_choice",
    )
    if right.button(t("api_keys.revoke"), key="api_key_revoke_button"):
        ask_first(REVOKE_KEY, prefix)

    def revoke() -> None:
        revoke_key(viewer, db, prefix=str(prefix))
        flash("success", t("api_keys.revoked", name=md(names.get(prefix, ""))))

    confirm_action(
        REVOKE_KEY,
        prefix,
        warning=lambda: t("api_keys.revoke_confirm", name=md(names.get(prefix, "")), prefix=prefix),
        button_label=t("api_keys.revoke_yes"),
        button_key="api_key_revoke_yes",
        on_confirm=revoke,
    )
