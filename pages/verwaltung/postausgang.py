"""Postausgang (staff): every queued, sent and failed message, rendered as the recipient sees it.

Filter by status, channel and template; open one message to read it (HTML in a sandboxed
frame without scripts, plain text beside it) and put a failed one back in the queue.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import widgets
from components.confirm import done
from components.i18n import moment, number, t
from components.mail_frame import show_mail
from components.session import page_context
from components.text import md
from data.comms import outbox
from data.portal_schema import CHANNEL_EMAIL, CHANNEL_SMS, OUTBOX_FAILED
from messaging.render import TEMPLATES, TemplateError, preview, render

STATUSES = ("pending", "sending", "sent", "failed")
PAGE_SIZE = 50

ctx = page_context()
viewer, db = ctx.viewer, ctx.db

counts = outbox.status_counts(viewer, db)
cols = st.columns(4)
for col, status in zip(cols, STATUSES, strict=True):
    col.metric(t(f"outbox.status_{status}"), number(counts[status]), border=True)

left, middle, right = st.columns(3)
status = widgets.selectbox(
    left,
    t("outbox.filter_status"),
    [None, *STATUSES],
    format_func=lambda s: t("outbox.all") if s is None else t(f"outbox.status_{s}"),
    key="outbox_status",
)
channel = widgets.selectbox(
    middle,
    t("outbox.filter_channel"),
    [None, CHANNEL_EMAIL, CHANNEL_SMS],
    format_func=lambda c: t("outbox.all") if c is None else t(f"outbox.channel_{c}"),
    key="outbox_channel",
)
template = widgets.selectbox(
    right,
    t("outbox.filter_template"),
    [None, *sorted(TEMPLATES)],
    format_func=lambda n: t("outbox.all") if n is None else n,
    key="outbox_template",
)
with st.expander(t("outbox.preview_title"), icon=":material/preview:"):
    p_left, p_middle, p_right = st.columns(3)
    preview_name = widgets.selectbox(
        p_left, t("outbox.filter_template"), sorted(TEMPLATES), key="preview_template"
    )
    preview_locale = widgets.selectbox(
        p_middle,
        t("language.label"),
        ["de", "en"],
        format_func=lambda code: t(f"language.{code}"),
        key="preview_locale",
    )
    preview_channel = widgets.selectbox(
        p_right,
        t("outbox.filter_channel"),
        list(TEMPLATES[preview_name].channels),
        format_func=lambda c: t(f"outbox.channel_{c}"),
        key="preview_channel",
    )
    sample = preview(preview_name, locale=preview_locale, channel=preview_channel)
    if preview_channel == CHANNEL_EMAIL:
        st.markdown(f"**{t('outbox.subject')}:** {md(sample.subject)}")
        show_mail(sample.html, height=520, title=sample.subject)
    else:
        st.text(sample.text)

page = st.number_input(
    t("outbox.page"), min_value=1, max_value=100_000, value=1, step=1, key="outbox_page"
)
messages = outbox.list_messages(
    viewer,
    db,
    status=status,
    channel=channel,
    template=template,
    limit=PAGE_SIZE,
    offset=(int(page) - 1) * PAGE_SIZE,
)
if messages.empty:
    st.info(t("outbox.empty"), icon=":material/inbox:")
    st.stop()

table = pd.DataFrame(
    {
        "#": messages["message_id"],
        t("outbox.col_created"): [moment(v) for v in messages["created_at"]],
        t("outbox.col_status"): [t(f"outbox.status_{s}") for s in messages["status"]],
        t("outbox.col_channel"): [t(f"outbox.channel_{c}") for c in messages["channel"]],
        t("outbox.col_template"): messages["template"],
        t("outbox.col_recipient"): messages["recipient"],
        t("outbox.col_attempts"): messages["attempts"],
        t("outbox.col_error"): messages["last_error"].fillna(""),
    }
)
st.dataframe(table, hide_index=True, width="stretch")

chosen = widgets.selectbox(
    st,
    t("outbox.open"),
    messages["message_id"].tolist(),
    format_func=lambda mid: f"#{mid} · {messages.set_index('message_id').loc[mid, 'recipient']}",
    key="outbox_open",
)
message = outbox.get_message(viewer, db, message_id=int(chosen))
if message is None:
    st.stop()

st.subheader(t("outbox.message_title", id=message.message_id))
facts = [
    (t("outbox.col_status"), t(f"outbox.status_{message.status}")),
    (t("outbox.col_recipient"), message.recipient),
    (t("outbox.col_template"), f"{message.template} ({message.locale})"),
    (t("outbox.col_created"), moment(message.created_at)),
    (t("outbox.col_sent"), moment(message.sent_at)),
    (t("outbox.col_provider_id"), message.provider_message_id or "–"),
]
st.markdown("  \n".join(f"**{label}:** {md(value)}" for label, value in facts))
if message.last_error:
    st.error(t("outbox.last_error", error=md(message.last_error)), icon=":material/error:")
resend_key = f"resend_{message.message_id}"
if (
    message.status == OUTBOX_FAILED
    and viewer.is_staff
    and st.button(t("outbox.resend"), icon=":material/replay:", key=resend_key)
):
    if outbox.resend(viewer, db, message_id=message.message_id):
        done(("success", t("outbox.resent")))
    else:
        done(("warning", t("outbox.resend_stale")))

try:
    rendered = render(
        message.template, locale=message.locale, payload=message.payload, channel=message.channel
    )
except TemplateError as exc:
    st.warning(t("outbox.render_failed", error=md(exc)), icon=":material/warning:")
else:
    if message.channel == CHANNEL_EMAIL:
        st.markdown(f"**{t('outbox.subject')}:** {md(rendered.subject)}")
        html_tab, text_tab = st.tabs([t("outbox.tab_html"), t("outbox.tab_text")])
        with html_tab:
            # Mail HTML holds payload text from customers and partners: no scripts, own origin.
            show_mail(rendered.html, height=640, title=rendered.subject)
        with text_tab:
            st.text(rendered.text)
    else:
        st.text(rendered.text)
