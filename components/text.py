"""Text from customers, partners, the shop and the URL, made safe for Markdown.

Streamlit reads almost every string it shows as Markdown: `st.markdown`, `st.caption`,
`st.write`, the alert boxes, headers, metric and widget labels, help texts, toasts. A
customer's address `![x](https://…)` would load an outside image there, `[Jetzt neu
anmelden](https://…)` would become a link, `:smile:` an emoji and `$x^2$` a formula. `md`
makes such a value literal text; the sentence around it (from the locale files) may still use
Markdown. Values in `st.dataframe`, `st.text` and `st.code` are never Markdown: leave them.
"""

from __future__ import annotations

import re
from html import escape

# CommonMark lets a backslash escape any ASCII punctuation; escaping all of it also stops the
# GFM extras (tables `|`, strikethrough `~`, bare `https://`, `www.` and `a@b.example`
# autolinks), Streamlit's `$` LaTeX and its `:red[…]` / `:material/…:` directives, and raw
# HTML `<…>` and entities `&…;`.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Emoji shortcodes are replaced in the parsed text, after escapes are resolved, so `\:smile\:`
# would still turn into 😄: a word joiner (invisible, U+2060) after a colon that starts a
# shortcode keeps the colon from touching the name.
_SHORTCODE = re.compile(r"(\\:)(?=[\w+-])")
_WORD_JOINER = "\u2060"
# GFM's literal autolinks (`a@b.example`, `www.x`, `https://x`) are found in the parsed text,
# after escapes are resolved too: a word joiner after the `@` and before the `.` of `www.` or
# the `:` of `http(s):` breaks the pattern the renderer looks for, and nobody sees it.
_AUTOLINK = re.compile(r"(\\@)|(?i:\b(www|https?))(?=\\[.:])")


def md(value: object) -> str:
    """`value` (any type; None is empty) as literal text inside a Markdown sentence (one line)."""
    text = "" if value is None else str(value)
    # Surrounding blanks would keep a `**…**` around the value from turning bold.
    escaped = _PUNCTUATION.sub(r"\\\1", " ".join(text.splitlines()).strip())
    joined = _SHORTCODE.sub(r"\1" + _WORD_JOINER, escaped)
    return _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2)) + _WORD_JOINER, joined)


def html_text(value: object) -> str:
    """`value` as literal text inside the portal's own HTML (`unsafe_allow_html`), one line.

    Inside an HTML block Markdown is not parsed, but a blank line ends the block and what
    follows would be Markdown again: newlines go, and `<`, `>`, `&` and quotes are escaped.
    """
    text = "" if value is None else str(value)
    return escape(" ".join(text.split()), quote=True)
