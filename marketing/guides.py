"""The Ratgeber: best-practice pages kept as Markdown files in content/ratgeber/<lang>/<slug>.md.

A page starts with `# Title`; the rest is Markdown. The files are our own, but they are still
rendered without HTML: `safe_markdown` turns every `<` into an entity, so a `<script>` or an
`<img onerror=…>` that slipped into a page shows as text (and Streamlit renders Markdown with
`unsafe_allow_html=False` anyway). Pages are addressed by slug (`?ratgeber=<slug>`, built by
`core.links.guide_url`); a slug is only ever a known file name, never a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content" / "ratgeber"
FALLBACK_LOCALE = "de"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# The view shows the page's title as a subheading (h3): the page's own headings go below it.
_HEADING = re.compile(r"^(#{1,4}) ", re.MULTILINE)

# The pages in reading order.
GUIDES: tuple[str, ...] = (
    "kursbeschreibung",
    "preisgestaltung",
    "fotos",
    "bewertungen-beantworten",
    "no-shows",
)
# Which page explains which part of the quality checklist (the score's items link here).
CHECKLIST_GUIDES: dict[str, str] = {
    "title": "kursbeschreibung",
    "description": "kursbeschreibung",
    "meta": "kursbeschreibung",
    "facts": "kursbeschreibung",
    "keyword": "kursbeschreibung",
    "images": "fotos",
    "dates": "preisgestaltung",
    "price": "preisgestaltung",
    "reviews": "bewertungen-beantworten",
    "no_shows": "no-shows",
}


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    body: str  # Markdown, HTML already neutralised


def safe_markdown(text: str) -> str:
    """Markdown with every raw HTML tag (and autolink) turned into visible text."""
    # `>` alone starts no tag: it stays, so quotes (`> Beispiel`) still work.
    return text.replace("&", "&amp;").replace("<", "&lt;")


def is_slug(value: object) -> bool:
    return isinstance(value, str) and bool(_SLUG.fullmatch(value)) and value in GUIDES


def _path(root: Path, slug: str, locale: str) -> Path | None:
    for lang in (locale, FALLBACK_LOCALE):
        path = root / lang / f"{slug}.md"
        if path.is_file():
            return path
    return None


def parse(slug: str, source: str) -> Guide:
    """A page's source as a Guide: the first `# ` line is the title."""
    lines = source.strip().splitlines()
    title = slug
    if lines and lines[0].startswith("# "):
        title, lines = lines[0][2:].strip(), lines[1:]
    body = _HEADING.sub(r"##\1 ", "\n".join(lines).strip())
    return Guide(slug, safe_markdown(title), safe_markdown(body))


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_guide(slug: str, locale: str, *, root: Path | None = None) -> Guide | None:
    """The page in `locale` (German when it has no translation); None for an unknown slug."""
    if not is_slug(slug):
        return None
    path = _path(root or CONTENT_DIR, slug, locale)
    return parse(slug, _read(path)) if path is not None else None


def all_guides(locale: str, *, root: Path | None = None) -> list[Guide]:
    return [g for g in (load_guide(s, locale, root=root) for s in GUIDES) if g is not None]
