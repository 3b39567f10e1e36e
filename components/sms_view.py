"""Einstellungen → SMS-Erinnerungen: the partner's choice, the SMS as customers get it (with
its GSM-7 length and segments), what was sent per month and its estimated cost; staff enter a
customer's objection."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from components.confirm import done
from components.feedback import show_refusal
from components.i18n import locale, money, month_label, number, t
from components.session import PageContext
from components.text import md
from core.validation import InvalidInput
from data.comms import sms_reminders as sms
from messaging.render import TEMPLATES, render
from messaging.sms import sms_size


def _preview(ctx: PageContext) -> None:
    payload = dict(TEMPLATES["date_reminder"].sample)
    text = render("date_reminder", locale=locale(), payload=payload, channel="sms").text
    size = sms_size(text)
    st.caption(t("sms.preview"))
    st.code(text, language=None, wrap_lines=True)
    cost = sms.PRICE_PER_SEGMENT * size.segments
    st.caption(
        t(
            "sms.size",
            encoding=size.encoding,
            chars=number(size.characters),
            n=size.segments,
            cost=money(cost),
        )
    )


def _choice(ctx: PageContext) -> None:
    current = sms.sms_settings_of(ctx.viewer, ctx.db)
    with st.form("sms_settings"):
        day_before = st.checkbox(t("sms.remind_24h"), value=current.remind_24h, key="sms_24h")
        hours_before = st.checkbox(t("sms.remind_2h"), value=current.remind_2h, key="sms_2h")
        saved = st.form_submit_button(t("sms.save"), type="primary")
    if saved:
        chosen = sms.SmsSettings(remind_24h=day_before, remind_2h=hours_before)
        sms.save_sms_settings(ctx.viewer, ctx.db, settings=chosen)
        done(("success", t("sms.saved_on" if chosen.leads() else "sms.saved_off")))


def _months(ctx: PageContext) -> None:
    months = sms.reminders_per_month(ctx.viewer, ctx.db)
    if months.empty:
        st.caption(t("sms.none_sent"))
        return
    table = pd.DataFrame(
        {
            t("sms.col_month"): [
                month_label(date.fromisoformat(f"{m}-01")) for m in months["month"]
            ],
            t("sms.col_sent"): [int(v) for v in months["sent"]],
            t("sms.col_not_sent"): [int(v) for v in months["not_sent"]],
            t("sms.col_segments"): [int(v) for v in months["segments"]],
            t("sms.col_cost"): [money(v) for v in months["cost"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def _objection(ctx: PageContext) -> None:
    with st.form("sms_objection", clear_on_submit=True):
        phone = st.text_input(t("sms.objection_phone"), key="sms_objection_phone")
        sent = st.form_submit_button(t("sms.objection_save"))
    if sent:
        try:
            stored = sms.record_objection(ctx.viewer, ctx.db, phone=phone)
        except InvalidInput as refusal:
            show_refusal(refusal)
            return
        done(("success", t("sms.objection_saved", phone=md(stored))))


def render_sms(ctx: PageContext) -> None:
    """The section (the viewer is one partner: its own, or staff viewing as it)."""
    st.subheader(t("sms.title"))
    st.caption(t("sms.intro"))
    _choice(ctx)
    _preview(ctx)
    _months(ctx)
    if ctx.viewer.is_staff:
        _objection(ctx)
