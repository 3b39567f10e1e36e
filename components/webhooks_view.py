"""Integrationen → Webhooks: a partner's endpoints, their secret, test and delivery log.

A partner (or staff viewing as one) adds and edits endpoints (URL, events, contact flag),
copies and rotates the signing secret, switches an endpoint off and on again, sends a test
event and sends deliveries again (one, or all failed since a day). Staff without a chosen
partner see every partner's endpoints and deliveries, read-only. URLs, response excerpts and
errors come from outside: they are shown as text (tables, `st.code`, components/text.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import streamlit as st

from components import widgets
from components.feedback import show_refusal
from components.i18n import locale, moment, t
from components.text import md
from core import i18n
from core.clock import now_utc
from core.db import Databases
from core.errors import Refusal
from core.periods import days
from data.access.viewer import Viewer
from data.integrations import webhooks as wh

STATUSES = ("pending", "sending", "ok", "failed")


def _attempt(action: Callable[[], object], done: str | None = None) -> object | None:
    """Run a data-layer change; show its refusal instead of raising."""
    try:
        result = action()
    except Refusal as refusal:
        show_refusal(refusal)
        return None
    if done:
        st.success(done)
    return result


def _state(endpoint: wh.Endpoint) -> str:
    if endpoint.enabled:
        return t("webhooks.active")
    return t(f"webhooks.off_{endpoint.disabled_reason or 'partner'}")


def _whole(values: pd.Series) -> list[str]:
    return ["" if pd.isna(v) else str(int(v)) for v in values]


def error_text(error: object, lang: str) -> str:
    """A delivery's recorded error for people: the job's own reasons (no answer in time, a
    redirect, a certificate that did not verify) in `lang`, anything else as recorded."""
    if error is None or pd.isna(error):
        return ""
    text = str(error)
    if text in (wh.ERROR_TIMEOUT, wh.ERROR_REDIRECT):
        return i18n.translate(f"webhooks.error_{text}", lang)
    if text.startswith(wh.ERROR_TLS):
        return i18n.translate("webhooks.error_tls", lang, detail=text[len(wh.ERROR_TLS) :])
    return text


def log_frame(frame: pd.DataFrame, *, per_partner: bool) -> pd.DataFrame:
    """The delivery log for display: Berlin times, translated status, text columns."""
    lang = locale()
    out = pd.DataFrame(
        {
            t("webhooks.col_id"): frame["delivery_id"].astype(int),
            t("webhooks.col_created"): [moment(v) for v in frame["created_at"]],
            t("webhooks.col_event"): frame["event_type"].astype(str),
            t("webhooks.col_status"): [t(f"webhooks.status_{s}") for s in frame["status"]],
            t("webhooks.col_attempts"): frame["attempts"].astype(int),
            t("webhooks.col_code"): _whole(frame["status_code"]),
            t("webhooks.col_duration"): _whole(frame["duration_ms"]),
            t("webhooks.col_excerpt"): frame["response_excerpt"].fillna("").astype(str),
            t("webhooks.col_error"): [error_text(e, lang) for e in frame["error"]],
            t("webhooks.col_next"): [
                moment(n) if s == "pending" else ""
                for n, s in zip(frame["next_attempt_at"], frame["status"], strict=True)
            ],
        }
    )  # fmt: skip
    if per_partner:  # staff's log of every endpoint: whose and where
        out.insert(1, t("webhooks.col_partner"), frame["partner_id"].astype(int))
        out.insert(4, t("webhooks.col_url"), frame["url"].astype(str))
    return out


def _show_log(frame: pd.DataFrame, *, per_partner: bool = False) -> None:
    if frame.empty:
        st.caption(t("webhooks.log_empty"))
        return
    st.dataframe(log_frame(frame, per_partner=per_partner), hide_index=True, width="stretch")


def _endpoint_form(viewer: Viewer, db: Databases, endpoint: wh.Endpoint | None) -> None:
    key = f"wh_{endpoint.endpoint_id if endpoint else 'new'}"
    with st.form(key):
        url = st.text_input(
            t("webhooks.url"), value=endpoint.url if endpoint else "", help=t("webhooks.url_help"),
            placeholder="https://example.org/webhooks/miomente", key=f"{key}_url",
        )  # fmt: skip
        st.caption(t("webhooks.events"))
        chosen = endpoint.events if endpoint else wh.EVENT_TYPES
        columns = st.columns(2)
        # First half left, second half right: on a phone the columns stack in list order.
        half = (len(wh.EVENT_TYPES) + 1) // 2
        picked = [
            event
            for n, event in enumerate(wh.EVENT_TYPES)
            if columns[n // half].checkbox(event, value=event in chosen, key=f"{key}_{event}")
        ]
        contact = st.checkbox(
            t("webhooks.include_contact"),
            value=endpoint.include_contact if endpoint else False,
            help=t("webhooks.include_contact_help"),
            key=f"{key}_contact",
        )
        if st.form_submit_button(t("webhooks.save" if endpoint else "webhooks.add")):
            _attempt(
                lambda: wh.save_endpoint(
                    viewer, db, url=url, events=picked, include_contact=contact,
                    endpoint_id=endpoint.endpoint_id if endpoint else None,
                ),
                t("webhooks.saved"),
            )  # fmt: skip


def _redeliver(viewer: Viewer, db: Databases, endpoint: wh.Endpoint, log: pd.DataFrame) -> None:
    key = f"wh_{endpoint.endpoint_id}"
    left, right = st.columns(2)
    if not log.empty:
        ids = [int(i) for i in log["delivery_id"]]
        pick = widgets.selectbox(left, t("webhooks.redeliver_pick"), ids, key=f"{key}_pick")
        if left.button(t("webhooks.redeliver_one"), key=f"{key}_one"):
            n = _attempt(lambda: wh.redeliver(viewer, db, delivery_id=pick))
            if n is not None:
                st.success(t("webhooks.redelivered", n=n))
    since = widgets.date_input(
        right, t("webhooks.redeliver_since"), value=(now_utc() - timedelta(days=1)).date(),
        key=f"{key}_since",
    )  # fmt: skip
    if right.button(t("webhooks.redeliver_all"), key=f"{key}_all"):
        start = days(since, since).start if since else None
        n = _attempt(
            lambda: wh.redeliver(viewer, db, endpoint_id=endpoint.endpoint_id, failed_since=start)
        )
        if n is not None:
            st.success(t("webhooks.redelivered", n=n))


def _endpoint(viewer: Viewer, db: Databases, endpoint: wh.Endpoint) -> None:
    key = f"wh_{endpoint.endpoint_id}"
    with st.expander(f"{md(endpoint.url)} · {_state(endpoint)}", expanded=not endpoint.enabled):
        if not endpoint.enabled:
            st.warning(_state(endpoint))
        elif endpoint.failing_since is not None:
            st.warning(t("webhooks.failing_since", when=moment(endpoint.failing_since)))
        st.markdown(f"**{t('webhooks.secret')}**")
        st.code(endpoint.secret, language=None)
        st.caption(t("webhooks.secret_caption"))
        if (
            endpoint.previous_secret
            and endpoint.previous_until
            and endpoint.previous_until > now_utc()
        ):
            st.caption(t("webhooks.previous_until", when=moment(endpoint.previous_until)))
        buttons = st.columns(3)
        eid = endpoint.endpoint_id
        if buttons[0].button(t("webhooks.rotate"), key=f"{key}_rotate") and _attempt(
            lambda: wh.rotate_secret(viewer, db, endpoint_id=eid)
        ):
            st.rerun()
        label = "webhooks.disable" if endpoint.enabled else "webhooks.enable"
        switch = not endpoint.enabled
        if buttons[1].button(t(label), key=f"{key}_toggle") and _attempt(
            lambda: wh.set_endpoint_enabled(viewer, db, endpoint_id=eid, enabled=switch)
        ):
            st.rerun()
        if buttons[2].button(t("webhooks.test"), key=f"{key}_test", disabled=not endpoint.enabled):
            _attempt(
                lambda: wh.send_test_event(viewer, db, endpoint_id=endpoint.endpoint_id),
                t("webhooks.test_queued"),
            )
        _endpoint_form(viewer, db, endpoint)
        st.markdown(f"**{t('webhooks.log')}**")
        log = wh.list_deliveries(viewer, db, endpoint_id=endpoint.endpoint_id, limit=100)
        _show_log(log)
        _redeliver(viewer, db, endpoint, log)


def show_webhooks(viewer: Viewer, db: Databases) -> None:
    """The Webhooks section of Integrationen."""
    st.subheader(t("webhooks.title"))
    st.caption(t("webhooks.intro"))
    try:
        endpoints = wh.list_endpoints(viewer, db)
    except Refusal as refusal:
        show_refusal(refusal)
        return
    if viewer.partner_id is None:
        st.info(t("webhooks.staff_hint"))
        if endpoints:
            st.dataframe(
                pd.DataFrame(
                    {
                        t("webhooks.col_partner"): [e.partner_id for e in endpoints],
                        t("webhooks.col_url"): [e.url for e in endpoints],
                        t("webhooks.events"): [", ".join(e.events) for e in endpoints],
                        t("webhooks.col_status"): [_state(e) for e in endpoints],
                    }
                ),
                hide_index=True,
                width="stretch",
            )
        _show_log(wh.list_deliveries(viewer, db, limit=200), per_partner=True)
        return
    if not endpoints:
        st.caption(t("webhooks.none"))
    for endpoint in endpoints:
        _endpoint(viewer, db, endpoint)
    if len(endpoints) < wh.MAX_ENDPOINTS:
        st.markdown(f"**{t('webhooks.add')}**")
        _endpoint_form(viewer, db, None)
