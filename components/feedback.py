"""Refusals on screen: the one place the app turns a `Refusal` into a message.

`st.error` and `st.warning` read their text as Markdown, and a refusal's parameters are often
what a user typed (a date, an address, a search term): they are escaped (components.text.md),
so `*`, `[x](…)` or `:red[…]` show as typed instead of as formatting or a link. The sentence
itself comes from the locale files and may use Markdown.
"""

from __future__ import annotations

import streamlit as st

from components.i18n import locale
from components.text import md
from core.errors import Refusal
from core.i18n import render_refusal


def refusal_text(refusal: Refusal) -> str:
    """The refusal in the viewer's language, safe to hand to any Markdown element."""
    return render_refusal(refusal, locale(), quote=md)


def show_refusal(refusal: Refusal, *, warning: bool = False, icon: str | None = None) -> None:
    """The refusal as an error box (or a warning, for input that was reset, not refused)."""
    if warning:
        st.warning(refusal_text(refusal), icon=icon or ":material/warning:")
    else:
        st.error(refusal_text(refusal), icon=icon or ":material/error:")
