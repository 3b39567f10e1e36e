"""Moderation: staff approve or reject the partners' answers to reviews (staff only)."""

from __future__ import annotations

from components import moderation_view
from components.layout import run_guarded
from components.session import page_context

ctx = page_context()
run_guarded("moderation/queue", lambda: moderation_view.render_queue(ctx))
