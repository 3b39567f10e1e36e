"""Streamlit's input widgets in the session's language: every page takes its select boxes,
multiselects, date and price fields from here, so no call site repeats a placeholder or a
date format.

What Streamlit 1.67 lets us set, we set: the placeholders of `multiselect` and `selectbox`
("Choose options", "Choose an option") and the date format ("DD.MM.YYYY"). Prices are text
fields that read and show the German decimal comma ("129,00"): `st.number_input` only knows
printf formats, which always write a point.

What Streamlit offers no parameter for is hard-coded English in its frontend: the
multiselect's "Select all" / "Select 4 matches" rows and "No results", the empty date
field's "dd.mm.yyyy" and a few screen-reader labels ("Choose date", "Increment"). For those,
`localize_streamlit()` puts one small script into the page (st.html, not iframed) that
rewrites exactly these texts, inside Streamlit's widgets only, whenever they appear. It only
ever changes a text node's value or an attribute, never the DOM's structure, so React keeps
rendering as before. The browser test (tests/pages/test_widgets_browser.py) opens a
multiselect and a date field on a German page and asserts that none of these English texts
is visible; when a Streamlit upgrade renames one of them, that test says which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import streamlit as st

from components.feedback import show_refusal
from components.i18n import locale, t
from core import i18n
from core.validation import InvalidInput

T = TypeVar("T")

# Streamlit's date formats per language, as core.i18n.day writes dates.
DATE_FORMATS = {"de": "DD.MM.YYYY", "en": "DD/MM/YYYY"}


class _Container(Protocol):
    """`st` itself, a column, a form, the sidebar: anything with Streamlit's widgets."""

    def selectbox(self, *args: Any, **kwargs: Any) -> Any: ...
    def multiselect(self, *args: Any, **kwargs: Any) -> Any: ...
    def date_input(self, *args: Any, **kwargs: Any) -> Any: ...
    def text_input(self, *args: Any, **kwargs: Any) -> Any: ...


def multiselect(where: _Container, label: str, options: Sequence[T], **kwargs: Any) -> list[T]:
    """`st.multiselect` with the placeholder in the session's language."""
    kwargs.setdefault("placeholder", t("widgets.choose_options"))
    return list(where.multiselect(label, options, **kwargs))


def selectbox(where: _Container, label: str, options: Sequence[T], **kwargs: Any) -> Any:
    """`st.selectbox` with the placeholder (shown while nothing is chosen) in the language."""
    kwargs.setdefault("placeholder", t("widgets.choose_option"))
    return where.selectbox(label, options, **kwargs)


def keep(keys: Sequence[str]) -> None:
    """Keep the values of widgets that are not drawn in this run (a closed tab's filters).

    Streamlit forgets a widget's value at the end of a run that did not draw it; a value
    written through the Session State API stays. So the value is written back under its own
    key, and the widget, drawn again, starts from it instead of its default.
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def date_input(where: _Container, label: str, **kwargs: Any) -> Any:
    """`st.date_input` writing dates as the language does (24.11.2026 / 24/11/2026)."""
    kwargs["format"] = DATE_FORMATS[locale()]
    return where.date_input(label, **kwargs)


def money_input(
    where: _Container, label: str, *, value: Decimal | float | int | None, key: str
) -> Decimal | None:
    """A price field that shows and reads the language's decimal mark ("129,00" in German).

    Returns the amount, or None when the text is no amount; then the field says why below
    it, and the caller saves nothing (`if price is None: return`).
    """
    shown = "" if value is None else i18n.amount(Decimal(str(value)), locale())
    text = where.text_input(label, value=shown, key=key)
    try:
        return i18n.parse_amount(text, locale())
    except InvalidInput as exc:
        show_refusal(exc)  # the typed text is quoted: it stays text
        return None


# --- the frontend's own texts ------------------------------------------------------------

# The table toolbar's buttons; their screen-reader label adds the table's name after a colon.
_TOOLBAR_DE = (
    ("Download as CSV", "Als CSV herunterladen"),
    ("Search", "Suchen"),
    ("Fullscreen", "Vollbild"),
    ("Close fullscreen", "Vollbild beenden"),
    ("Show/hide columns", "Spalten ein- und ausblenden"),
    ("Download as PNG", "Als PNG herunterladen"),
)
# Streamlit's English, exactly as its frontend writes it (1.67), and the German for it.
_EXACT_DE = {
    "Select all": "Alle auswählen",
    "No results": "Keine Treffer",
    "No options to select": "Keine Optionen",
    "Choose date": "Datum wählen",
    "Choose date range": "Zeitraum wählen",
    "Previous month": "Vorheriger Monat",
    "Next month": "Nächster Monat",
    "Increment": "Erhöhen",
    "Decrement": "Verringern",
    "Open": "Öffnen",
    "Date range": "Zeitraum",
    "Select...": "Auswählen …",
    "Quick select a date range": "Zeitraum schnell wählen",
    "Clear date": "Datum löschen",
    "Clear dates": "Daten löschen",
    "Past Week": "Letzte Woche",
    "Past Month": "Letzter Monat",
    "Past Year": "Letztes Jahr",
    "Clear all": "Alle entfernen",
    "Use arrow keys to navigate dates. Enter to select. Escape to close.": (
        "Mit den Pfeiltasten durch die Tage, Eingabe wählt, Escape schließt."
    ),
    # The toolbar over a table (its buttons' tooltips) and a column's menu.
    **{label: german for label, german in _TOOLBAR_DE},
    "Type to search": "Tippen zum Suchen",
    "Close Search": "Suche schließen",
    "Sort ascending": "Aufsteigend sortieren",
    "Sort descending": "Absteigend sortieren",
    "Hide column": "Spalte ausblenden",
    "Pin column": "Spalte fixieren",
    "Unpin column": "Spalte lösen",
    "Autosize": "Breite anpassen",
    "Copy column name": "Spaltennamen kopieren",
    "Copy to clipboard": "In die Zwischenablage kopieren",
    "Copied": "Kopiert",
    "Clear selection": "Auswahl aufheben",
}
# An empty date field's segments (react-aria writes them for en-US whatever the format).
_SEGMENTS_DE = {"dd": "TT", "mm": "MM", "yyyy": "JJJJ"}
# (pattern, replacement) for texts with a number or a label in them, applied in this order
# ("day, Kurs start date" -> "Tag, Kurs (erster Tag)"); JavaScript's RegExp and
# String.replace, so a group is `$1`.
_PATTERNS_DE = [
    (r"^Select (\d+) matches$", r"$1 Treffer auswählen"),
    (r"^(\d+) options? available\.$", r"$1 Optionen verfügbar."),
    (r"^Past (\d+) Months$", r"Letzte $1 Monate"),
    (r"^Past (\d+) Years$", r"Letzte $1 Jahre"),
    (r"^Choose date range, (.*)$", r"Zeitraum wählen, $1"),
    (r"^Choose date, (.*)$", r"Datum wählen, $1"),
    (r"^(.*) start date$", r"$1 (erster Tag)"),
    (r"^(.*) end date$", r"$1 (letzter Tag)"),
    (r"^day, (.*)$", r"Tag, $1"),
    (r"^month, (.*)$", r"Monat, $1"),
    (r"^year, (.*)$", r"Jahr, $1"),
    *((rf"^{re.escape(label)}: (.*)$", rf"{german}: $1") for label, german in _TOOLBAR_DE),
]


def frontend_texts(language: str) -> dict[str, object]:
    """What the page script rewrites in `language`: German replaces Streamlit's English;
    English turns back what a German page rewrote before the language was switched."""
    if language == "de":
        return {"exact": _EXACT_DE, "segments": _SEGMENTS_DE, "patterns": _PATTERNS_DE}
    return {
        "exact": {de: en for en, de in _EXACT_DE.items()},
        "segments": {de: en for en, de in _SEGMENTS_DE.items()},
        "patterns": [
            (rf"^{re.escape(german)}: (.*)$", rf"{label}: $1") for label, german in _TOOLBAR_DE
        ],
    }


# The calendar's month and weekday names follow the browser's language (navigator.language):
# the page tells it the portal's language instead, so a German page has a German calendar in
# an English browser too.
BROWSER_LANGUAGES = {"de": "de-DE", "en": "en-GB"}

_SCRIPT = """<script>
(() => {
  window.__mioTexts = %s;
  window.__mioLanguage = %s;
  if (!window.__mioLanguageSet) {
    window.__mioLanguageSet = true;
    Object.defineProperty(navigator, "language", {
      configurable: true, get: () => window.__mioLanguage,
    });
    Object.defineProperty(navigator, "languages", {
      configurable: true, get: () => [window.__mioLanguage],
    });
  }
  if (window.__mioTextsInstalled) { window.__mioTextsApply(); return; }
  window.__mioTextsInstalled = true;
  const WIDGETS = '[data-testid^="stMultiSelect"], [data-testid^="stSelectbox"],'
    + ' [data-testid^="stDateInput"], [data-testid^="stNumberInput"], [data-live-announcer],'
    + ' [role="listbox"], [data-testid="stElementToolbar"], [data-testid^="stDataFrame"],'
    + ' [data-baseweb="tooltip"], [role="menu"]';
  const ATTRS = ["aria-label", "placeholder", "title"];
  const rewrite = (value, segment) => {
    const texts = window.__mioTexts;
    const trimmed = value.trim();
    if (segment && texts.segments[trimmed] !== undefined) return texts.segments[trimmed];
    if (texts.exact[trimmed] !== undefined) return texts.exact[trimmed];
    let out = trimmed;
    for (const [pattern, replacement] of texts.patterns) {
      const re = new RegExp(pattern);
      if (re.test(out)) out = out.replace(re, replacement);
    }
    return out === trimmed ? null : out;
  };
  const apply = () => {
    for (const host of document.querySelectorAll(WIDGETS)) {
      const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const parent = node.parentElement;
        const segment = parent && parent.getAttribute("data-placeholder") === "true";
        const text = rewrite(node.nodeValue || "", segment);
        if (text !== null && text !== node.nodeValue) node.nodeValue = text;
      }
      for (const el of [host, ...host.querySelectorAll("[aria-label], [placeholder], [title]")]) {
        for (const attr of ATTRS) {
          const value = el.getAttribute(attr);
          const text = value ? rewrite(value, false) : null;
          if (text !== null && text !== value) el.setAttribute(attr, text);
        }
      }
    }
  };
  window.__mioTextsApply = apply;
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; apply(); });
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ATTRS,
  });
  apply();
})();
</script>"""


_SLOT = "mio_widget_texts"
# The script's element takes no room in the page (nor its gap).
_HIDE = f"""<style>
.st-key-{_SLOT}, [data-testid="stLayoutWrapper"]:has(> .st-key-{_SLOT}) {{ display: none; }}
</style>"""


def localize_streamlit() -> None:
    """Put the script that speaks the session's language for Streamlit's frontend into the
    page (once per run; the browser keeps one observer however often it comes)."""
    texts = json.dumps(frontend_texts(locale()), ensure_ascii=False).replace("</", "<\\/")
    language = json.dumps(BROWSER_LANGUAGES[locale()])
    st.html(_HIDE)  # style only: Streamlit puts it where it takes no space
    with st.container(border=False, key=_SLOT):
        st.html(_SCRIPT % (texts, language), unsafe_allow_javascript=True)
