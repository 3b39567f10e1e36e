"""Integrationen: the booking widget for the partner's own website, and partner-API keys.

A partner chooses course, view, colour and language, sees the widget live (the public
service's iframe page) and copies the embed code; it can switch the widget off. Staff see
every partner's widget traffic, and, viewing as a partner, that partner's widget.
"""

from __future__ import annotations

import streamlit as st

from components.api_keys_view import show_api_keys
from components.feedback import show_refusal
from components.i18n import t
from components.integrations_view import choose, show_code, show_preview, show_traffic
from components.session import page_context
from components.webhooks_view import show_webhooks
from data.access.viewer import ScopeError
from data.integrations.widget import widget_courses
from data.integrations.widget_keys import set_widget_enabled, widget_key
from data.integrations.widget_traffic import widget_traffic_per_day

ctx = page_context()
viewer = ctx.viewer

st.caption(t("integrations.intro"))

if viewer.partner_id is None:
    st.info(t("integrations.choose_partner"))
else:
    try:
        key = widget_key(viewer, ctx.db)
    except ScopeError as refusal:
        show_refusal(refusal)
        st.stop()
    enabled = st.toggle(t("integrations.enabled"), value=key.enabled, key="widget_enabled")
    if enabled != key.enabled:
        key = set_widget_enabled(viewer, ctx.db, enabled=enabled)
        st.success(t("integrations.saved_on" if enabled else "integrations.saved_off"))
    if not key.enabled:
        st.warning(t("integrations.disabled_hint"))
    choice = choose(widget_courses(viewer, ctx.db))
    show_code(key.public_key, choice)
    if key.enabled:
        show_preview(key.public_key, choice)

traffic_viewer = viewer.view_as(None) if viewer.is_staff else viewer
show_traffic(widget_traffic_per_day(traffic_viewer, ctx.db), per_partner=viewer.is_staff)

# Partner-API keys, below the widget (webhooks follow below this section).
show_api_keys(viewer, ctx.db)
# Webhooks (issue 16): the partner's endpoints, secret, test and delivery log.
show_webhooks(viewer, ctx.db)
