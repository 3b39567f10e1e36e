"""components/widgets: every page takes its select boxes, multiselects and date fields from
it, and the page script's texts cannot chase each other (the browser side is
tests/pages/test_widgets_browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

from components import widgets

ROOT = Path(__file__).resolve().parents[2]
# A widget Streamlit writes English into, called directly instead of through widgets.
RAW_WIDGET = re.compile(r"\b(?:st|st\.sidebar|[a-z_]+)\.(multiselect|selectbox|date_input)\(")


def test_no_page_calls_streamlits_select_and_date_widgets_directly() -> None:
    found = []
    files = [ROOT / "Home.py", *ROOT.glob("pages/**/*.py"), *ROOT.glob("components/*.py")]
    for path in files:
        if path.name == "widgets.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if RAW_WIDGET.search(line) and "widgets." not in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "use components.widgets (placeholders and date format per language)"


def test_german_replaces_english_and_english_turns_it_back() -> None:
    german, english = widgets.frontend_texts("de"), widgets.frontend_texts("en")
    exact_de, exact_en = german["exact"], english["exact"]
    assert isinstance(exact_de, dict) and isinstance(exact_en, dict)
    assert exact_de["Select all"] == "Alle auswählen"
    assert exact_en["Alle auswählen"] == "Select all"
    # A replacement is never itself a text to replace: the page script cannot loop.
    assert not set(exact_de.values()) & set(exact_de)
    segments = german["segments"]
    assert isinstance(segments, dict) and segments == {"dd": "TT", "mm": "MM", "yyyy": "JJJJ"}


def test_the_patterns_are_valid_and_match_streamlits_texts() -> None:
    patterns = widgets.frontend_texts("de")["patterns"]
    assert isinstance(patterns, list)
    samples = {
        "Select 4 matches": "4 Treffer auswählen",
        "Past 3 Months": "Letzte 3 Monate",
        "day, Gebucht zwischen start date": "Tag, Gebucht zwischen (erster Tag)",
        "Choose date, Dezember 2026": "Datum wählen, Dezember 2026",
    }
    for english, german in samples.items():
        text = english
        for pattern, replacement in patterns:  # in order, as the page script does
            # JavaScript's `$1` is Python's `\\1`.
            text = re.sub(pattern, replacement.replace("$", "\\"), text)
        assert text == german, english
