"""Bestellungen: the viewer's bookings with filters in the URL, exports, detail and decisions.

The list reads the booking ledger (fast at a million orders); the detail reads the order
live from the shop. Each part is a component: bookings_filters (the view in the URL),
bookings_table (list, paging, bulk confirmation, export), order_detail (one order).
"""

from __future__ import annotations

import logging

import streamlit as st

from components import bookings_filters, bookings_table, order_detail
from components.cache import viewer_courses, viewer_partners
from components.feedback import show_refusal
from components.session import page_context
from core.validation import InvalidInput
from data.bookings import listing as bk
from data.bookings.ledger import ensure_fresh

log = logging.getLogger(__name__)

ctx = page_context()
try:
    ensure_fresh(ctx.viewer, ctx.db)
except Exception:  # a stale list is better than no list; the sync job catches up
    log.exception("ledger refresh failed for viewer %s", ctx.viewer)

parsed = bookings_filters.url_view()
courses = viewer_courses(ctx)
course_names = dict(zip(courses["product_id"], courses["name"], strict=True))
partner_names = None
if ctx.viewer.sees_all:
    partners = viewer_partners(ctx)
    partner_names = dict(zip(partners["partner_id"], partners["name"], strict=True))
bookings_filters.filter_form(parsed, course_names, partner_names)

try:
    result = bk.list_bookings(
        ctx.viewer,
        ctx.db,
        filters=parsed.filters,
        sort=parsed.sort,
        page=parsed.page,
        page_size=parsed.page_size,
    )
except InvalidInput as exc:
    show_refusal(exc)
    st.stop()

bookings_table.render_list(result, parsed, partner_names)
bookings_table.bulk_confirm(ctx, result.rows)
bookings_table.render_export(ctx, parsed, result.total)
opened = order_detail.requested_order()
if opened is not None:
    order_detail.open_order(ctx, opened)
