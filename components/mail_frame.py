"""A mail's HTML on screen, unable to run scripts or reach the portal page.

`st.iframe` (like `components.html`) puts HTML in an iframe that Streamlit sandboxes with
`allow-scripts allow-same-origin`: a script in there runs with the portal's origin and reads
the staff session. So that frame holds only this module's fixed markup (no script), and the
mail goes one level deeper, into a `srcdoc` frame with an empty `sandbox`: no scripts, no
forms, no popups, no navigation of the page, and an opaque origin of its own.
"""

from __future__ import annotations

from html import escape

import streamlit as st

_FRAME = (
    '<iframe sandbox="" referrerpolicy="no-referrer" title="{title}" srcdoc="{doc}" '
    'style="border:0;width:100%;height:{height}px;background:#fff"></iframe>'
)
_STYLE = "<style>html,body{margin:0;padding:0;overflow:hidden}</style>"


def mail_frame(html: str, *, height: int, title: str = "mail") -> str:
    """The outer markup: one script-less, origin-less frame whose document is `html`."""
    # escape(quote=True) keeps the whole mail inside the srcdoc attribute: nothing in it can
    # close the attribute or the tag and become markup of the outer frame.
    return _STYLE + _FRAME.format(doc=escape(html, quote=True), height=height, title=escape(title))


def show_mail(html: str, *, height: int, title: str = "mail") -> None:
    """`html` (a mail as the recipient gets it) in an isolated frame `height` pixels high."""
    st.iframe(mail_frame(html, height=height, title=title), height=height + 8)
