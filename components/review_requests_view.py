"""Bewertungen → Anfragen: the partner's review-request settings (delay after the course,
reminders, the legal basis accepted), the requests and reminders sent with their status, and
the response rate per course."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.confirm import done
from components.feedback import show_refusal
from components.i18n import moment, number, percent, t
from components.session import PageContext
from core.validation import InvalidInput
from data.portal_schema import REVIEW_BASES
from data.reviews import requests as rq

REMINDER_CHOICES = (0, 1, 2)


def _settings(ctx: PageContext) -> None:
    if ctx.viewer.partner_id is None:
        st.info(t("reviews.requests.pick_partner"))
        return
    current = rq.request_settings_of(ctx.viewer, ctx.db)
    with st.form("review_request_settings"):
        enabled = st.toggle(t("reviews.requests.enabled"), value=current.enabled, key="rr_on")
        delay = st.number_input(
            t("reviews.requests.delay"), min_value=0, max_value=14, step=1,
            value=current.delay_days, help=t("reviews.requests.delay_help"), key="rr_delay",
        )  # fmt: skip
        reminders = st.radio(
            t("reviews.requests.reminders"), REMINDER_CHOICES, horizontal=True,
            index=REMINDER_CHOICES.index(current.reminders),
            format_func=lambda n: t("reviews.requests.reminders_n", n=n), key="rr_reminders",
        )  # fmt: skip
        reminder_days = st.number_input(
            t("reviews.requests.reminder_days"), min_value=1, max_value=14, step=1,
            value=current.reminder_days, key="rr_reminder_days",
        )  # fmt: skip
        basis = st.radio(
            t("reviews.requests.basis"), REVIEW_BASES,
            index=REVIEW_BASES.index(current.basis),
            format_func=lambda b: t(f"reviews.requests.basis_{b}"),
            help=t("reviews.requests.basis_help"), key="rr_basis",
        )  # fmt: skip
        saved = st.form_submit_button(t("reviews.requests.save"), type="primary")
    if saved:
        chosen = rq.RequestSettings(
            enabled=bool(enabled), delay_days=int(delay), reminders=int(reminders or 0),
            reminder_days=int(reminder_days), basis=str(basis),
        )  # fmt: skip
        try:
            rq.save_request_settings(ctx.viewer, ctx.db, settings=chosen)
        except InvalidInput as refusal:
            show_refusal(refusal)
            return
        done(("success", t("reviews.requests.saved")))


def _rates(ctx: PageContext) -> None:
    st.markdown(f"**{t('reviews.requests.rates_title')}**")
    rates = rq.response_rates(ctx.viewer, ctx.db)
    if rates.empty:
        st.caption(t("reviews.requests.none_sent"))
        return
    table = pd.DataFrame(
        {
            # the rate next to the course: what a phone shows without scrolling sideways
            t("reviews.requests.col_course"): [str(c or "") for c in rates["course"]],
            t("reviews.requests.col_rate"): [percent(float(v)) for v in rates["rate"]],
            t("reviews.requests.col_requests"): [number(int(v)) for v in rates["requests"]],
            t("reviews.requests.col_reviews"): [number(int(v)) for v in rates["reviews"]],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")


def _sent(ctx: PageContext) -> None:
    st.markdown(f"**{t('reviews.requests.sent_title')}**")
    sent = rq.sent_requests(ctx.viewer, ctx.db)
    if sent.empty:
        st.caption(t("reviews.requests.none_sent"))
        return
    table = pd.DataFrame(
        {
            t("reviews.requests.col_sent_at"): [moment(v) for v in sent["sent_at"]],
            t("reviews.requests.col_course"): [str(c or "") for c in sent["course"]],
            t("reviews.requests.col_order"): [str(v) for v in sent["increment_id"]],
            t("reviews.requests.col_basis"): [
                t(f"reviews.requests.basis_short_{b}") for b in sent["basis"]
            ],
            t("reviews.requests.col_reminders"): [int(v) for v in sent["reminders_sent"]],
            t("reviews.requests.col_status"): [
                t(f"reviews.requests.status_{s}") for s in sent["status"]
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("reviews.requests.sent_caption", n=len(sent)))


def render(ctx: PageContext) -> None:
    """The view (a partner, or staff viewing as one for the settings)."""
    st.caption(t("reviews.requests.intro"))
    _settings(ctx)
    _rates(ctx)
    _sent(ctx)
