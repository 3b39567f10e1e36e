"""Markdown that staff write (Neuigkeiten), made safe before Streamlit renders it.

Staff may format (headings, lists, bold, links), but an announcement reaches every partner, so
a pasted snippet must not become raw HTML or script, load an outside image, or link anywhere
but a web page: raw HTML is shown as text, images become a plain link, and a link or a link
definition whose target is not http(s) keeps only its text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# `[text](target "title")` and `![alt](target)`; the target may be wrapped in <…>.
_INLINE = re.compile(
    r"(!?)\[([^\]\n]*)\]\(\s*"
    r"(?:<([^>\n]*)>|((?:[^()\s<>]|\([^()\s]*\))*))"  # <target> or target with (balanced)
    r"(?:\s+\"[^\"\n]*\")?\s*\)"
)
# `[label]: target` on a line of its own (a reference definition).
_DEFINITION = re.compile(r"^( {0,3}\[[^\]\n]+\]:)[ \t]*<?(\S*?)>?([ \t]+.*)?$", re.MULTILINE)
ALLOWED_SCHEMES = ("http", "https")


def safe_link(target: str) -> bool:
    """True for an absolute http(s) address with a host."""
    try:
        parts = urlsplit(target.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ALLOWED_SCHEMES and bool(parts.netloc)


def _inline(match: re.Match[str]) -> str:
    image, text = match.group(1), match.group(2)
    target = match.group(3) if match.group(3) is not None else match.group(4)
    if not safe_link(target):
        return text
    if image:
        return f"[{text or target}]({target})"  # never loaded into the page, only linked
    return match.group(0)


def _definition(match: re.Match[str]) -> str:
    return match.group(0) if safe_link(match.group(2)) else ""


def safe_markdown(text: str) -> str:
    """`text` with raw HTML escaped and only http(s) links and no images."""
    linked = _DEFINITION.sub(_definition, _INLINE.sub(_inline, text))
    return linked.replace("&", "&amp;").replace("<", "&lt;")
