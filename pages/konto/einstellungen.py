"""Einstellungen: the account, and who hears about which event by email or SMS."""

from __future__ import annotations

import streamlit as st

from components import sms_view, team_view, two_factor_view
from components.feedback import refusal_text, show_refusal
from components.i18n import t
from components.layout import run_guarded
from components.session import logout_everywhere, page_context, session_token
from components.text import md
from core.validation import InvalidInput
from data.access.permissions import SETTINGS_WRITE, allows
from data.access.sessions import count_sessions
from data.access.users import change_password
from data.comms.notifications import get_prefs, save_prefs

ctx = page_context()
user = ctx.user

st.subheader(t("settings.account"))
if user.viewer.is_staff:
    role = t("settings.role_staff")
else:
    role = f"{t('settings.role_partner')} · {team_view.role_label(user.member_role)}"
rows = [
    (t("settings.username"), user.username),
    (t("settings.email"), user.email),
    (t("settings.role"), role),
]
if user.partner_name:
    rows.append((t("settings.partner"), user.partner_name))
for label, value in rows:
    st.markdown(f"**{label}:** {md(value)}")
st.caption(t("settings.language_hint"))

st.subheader(t("password.title"))
with st.form("password_change", clear_on_submit=True):
    st.caption(t("password.rules"))
    current = st.text_input(
        t("password.current"), type="password", key="pw_current", autocomplete="current-password"
    )
    new = st.text_input(
        t("password.new"), type="password", key="pw_new", autocomplete="new-password"
    )
    repeated = st.text_input(
        t("password.repeat"), type="password", key="pw_repeat", autocomplete="new-password"
    )
    change = st.form_submit_button(t("password.submit"), type="primary")
if change:
    try:
        ended = change_password(
            ctx.viewer,
            ctx.db,
            current=current,
            new=new,
            repeated=repeated,
            keep_token=session_token(),
        )
    except InvalidInput as exc:
        show_refusal(exc)
    else:
        st.success(t("password.changed", n=ended))

st.subheader(t("sessions.title"))
st.caption(t("sessions.intro", n=count_sessions(ctx.viewer, ctx.db)))
if st.button(t("sessions.end_all"), key="logout_everywhere", icon=":material/devices_off:"):
    logout_everywhere(ctx)
    st.rerun()

run_guarded("settings/2fa", lambda: two_factor_view.render_settings(ctx))

run_guarded("settings/team", lambda: team_view.render_team(ctx))

if not allows(ctx.viewer, SETTINGS_WRITE):
    st.stop()  # Buchhaltung: the partner's notification and SMS settings are the owner's
st.subheader(t("notifications.title"))
if ctx.viewer.partner_id is None:
    st.info(t("notifications.choose_partner"), icon=":material/storefront:")
    st.stop()
st.caption(t("notifications.intro"))
prefs = get_prefs(ctx.viewer, ctx.db)
labels = {e: t(f"notifications.event_{e}") for e in prefs["event"]}
# One small card per event rather than a wide grid: it stays usable on a 390 px phone.
with st.form("notification_prefs"):
    for row in prefs.to_dict("records"):
        event = row["event"]
        with st.container(border=True):
            st.markdown(f"**{labels[event]}**")
            left, right = st.columns(2)
            left.checkbox(
                t("notifications.col_email"),
                value=bool(row["email_enabled"]),
                key=f"pref_{event}_email_enabled",
            )
            right.checkbox(
                t("notifications.col_sms"),
                value=bool(row["sms_enabled"]),
                key=f"pref_{event}_sms_enabled",
            )
            left.text_input(
                t("notifications.col_emails"), value=row["emails"] or "", key=f"pref_{event}_emails"
            )
            right.text_input(
                t("notifications.col_phone"), value=row["phone"] or "", key=f"pref_{event}_phone"
            )
    submitted = st.form_submit_button(t("notifications.save"), type="primary")
if submitted:
    fields = ("email_enabled", "sms_enabled", "emails", "phone")
    records = [
        {"event": e, **{f: st.session_state[f"pref_{e}_{f}"] for f in fields}} for e in labels
    ]
    try:
        save_prefs(ctx.viewer, ctx.db, prefs=records)
    except InvalidInput as exc:
        message = refusal_text(exc)
        event = exc.params.get("event")
        st.error(
            t("validation.in_event", event=labels[event], message=message) if event else message
        )
    else:
        st.success(t("notifications.saved"))

run_guarded("settings/sms", lambda: sms_view.render_sms(ctx))
