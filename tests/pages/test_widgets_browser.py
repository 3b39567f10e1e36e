"""Streamlit's own texts in the real browser: German on a German page, English on an English one.

Streamlit 1.67 writes some texts in its frontend with no parameter to change them: the
multiselect's "Select all" / "Select 4 matches" and "No results", the empty date field's
"dd.mm.yyyy", screen-reader labels such as "Choose date". components/widgets.py sets what
Streamlit lets it set (placeholders, date format) and rewrites the rest in the page; this test
opens a multiselect and a date field as a partner would and asserts what is on screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import fresh_databases
from tests.support.browser import (
    CHROMIUM_ARGS,
    SETTLED,
    WATCH_DOM,
    RunningApp,
    require_chromium,
    streamlit_app,
)
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
# Streamlit's English as its frontend writes it; none of it may show on a German page.
ENGLISH = (
    "Choose options",
    "Choose an option",
    "Select all",
    "matches",
    "No results",
    "options available",
    "dd",
    "mm",
    "yyyy",
    "Choose date",
    "Date range",
    "Select...",
    "December",
    "Past Week",
    "Past 3 Months",
    "Download as CSV",
    "Fullscreen",
    "Show/hide columns",
    "Sort ascending",
    "Type to search",
)
MATCHES_DE = re.compile(r"^\d+ Treffer auswählen$")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("widgets")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
    with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp) as running:
        yield running


@pytest.fixture
def page(app: RunningApp) -> Iterator[Page]:
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as pw:
        browser: Browser = pw.chromium.launch(
            executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True
        )
        # An English browser: what the page shows must follow the portal's language.
        context = browser.new_context(locale="en-US", timezone_id="Europe/Berlin")
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_DOM)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            expect.set_options(timeout=5_000)
            print(f"--- streamlit log tail ({app.log}) ---\n{app.log_tail()}")


# As in test_browser.py: a click lands only once Streamlit's reruns (the cookie component's)
# are over, so wait until no script runs and the DOM has been still for a moment.


def _settle(page: Page) -> None:
    page.wait_for_function(SETTLED, arg=400, polling=100)


def _orders_page(page: Page, app: RunningApp) -> None:
    page.goto(app.url)
    expect(page.get_by_label("Benutzername", exact=True).first).to_be_visible()
    page.get_by_label("Benutzername", exact=True).fill("alpha")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("h1", has_text="Guten Tag").first).to_be_visible()
    title = page.locator("h1", has_text="Bestellungen").first
    for _attempt in range(3):  # a click during a rerun of Streamlit's may get lost
        _settle(page)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Bestellungen").first.click()
        try:
            title.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(title).to_be_visible()
    _settle(page)


def _visible_words(page: Page) -> str:
    """The page's visible text plus the texts a screen reader or a field shows."""
    return page.evaluate("""() => {
      const attrs = [...document.querySelectorAll("[placeholder], [aria-label]")]
        .filter((el) => el.closest('[data-testid="stSidebarNav"]') === null)
        .flatMap((el) => [el.getAttribute("placeholder"), el.getAttribute("aria-label")]);
      return [document.body.innerText, ...attrs.filter(Boolean)].join("\\n");
    }""")


def _english_in(text: str) -> list[str]:
    words = {line.strip() for line in text.splitlines()}
    found = [e for e in ENGLISH if e in words]
    found += [e for e in ENGLISH if len(e) > 4 and any(e in line for line in words)]
    return sorted(set(found))


def _english_after_rewrite(page: Page) -> list[str]:
    """Streamlit's English left on the page once the page script has had its turn: the script
    rewrites a text in the animation frame after it appears (a live region's "3 options
    available." may be read a moment before that), so wait for the condition, then say what
    stays."""
    for _attempt in range(50):
        found = _english_in(_visible_words(page))
        if not found:
            return []
        page.wait_for_timeout(100)
    return found


def _open_status_filter(page: Page, label: str = "Kurs") -> None:
    """Open the filter form (unless open) and the course multiselect's dropdown (the statuses
    are pills, which have no dropdown)."""
    status = page.get_by_test_id("stMultiSelect").filter(has_text=label).first
    dropdown = page.get_by_test_id("stMultiSelectDropdown")
    for _attempt in range(3):  # a rerun may close the expander between look and click
        _settle(page)
        if not status.is_visible():
            filters = page.get_by_test_id("stExpander").filter(has_text="Filter").first
            filters.locator("summary").first.click()
            _settle(page)
        if status.is_visible():
            status.locator("input").click()
            try:
                dropdown.wait_for(state="visible", timeout=5_000)
                return
            except PlaywrightTimeoutError:
                continue
    expect(dropdown).to_be_visible()


def test_a_german_page_shows_no_english_streamlit_text(
    page: Page, app: RunningApp, tmp_path: Path
) -> None:
    _orders_page(page, app)
    _open_status_filter(page)
    dropdown = page.get_by_test_id("stMultiSelectDropdown")
    expect(dropdown.get_by_role("option").first).to_have_text("Alle auswählen")
    status = page.get_by_test_id("stMultiSelect").filter(has_text="Kurs").first
    expect(status.locator("input")).to_have_attribute("placeholder", "Bitte auswählen")
    # The empty date range reads as German segments.
    booked = page.get_by_test_id("stDateInput").filter(has_text="Gebucht zwischen").first
    expect(booked.locator('[data-type="day"]').first).to_have_text("TT")
    expect(booked.locator('[data-type="year"]').first).to_have_text("JJJJ")
    page.screenshot(path=tmp_path / "multiselect-de.png", full_page=True)
    assert _english_after_rewrite(page) == []

    page.keyboard.type("e")  # a search: Streamlit offers "Select N matches"
    expect(dropdown.get_by_role("option").first).to_have_text(MATCHES_DE)
    assert _english_after_rewrite(page) == []
    page.keyboard.type("zzzz")  # nothing matches
    expect(dropdown).to_contain_text("Keine Treffer")
    assert _english_after_rewrite(page) == []
    page.keyboard.press("Escape")

    booked.get_by_test_id("stDateInputCalendarButton").click()
    expect(page.get_by_test_id("stDateInputCalendar")).to_be_visible()
    expect(page.get_by_test_id("stDateInputCalendar")).to_contain_text("Dezember")
    quick = page.get_by_test_id("stDateInputQuickSelect")
    expect(quick).to_contain_text("Zeitraum")
    quick.get_by_role("button").first.click()
    expect(page.get_by_role("option", name="Letzte Woche")).to_be_visible()
    page.screenshot(path=tmp_path / "calendar-de.png")
    print(f"screenshots in {tmp_path}")
    assert _english_after_rewrite(page) == []
    words = _visible_words(page)
    assert "Datum wählen" in words or "Zeitraum wählen" in words, words[-500:]


def test_a_tables_toolbar_and_search_speak_german(page: Page, app: RunningApp) -> None:
    _orders_page(page, app)
    table = page.get_by_test_id("stDataFrame").first
    table.hover()
    toolbar = page.get_by_test_id("stElementToolbar").first
    expect(toolbar.get_by_role("button", name=re.compile(r"^Suchen"))).to_be_attached()
    expect(toolbar.get_by_role("button", name=re.compile(r"^Vollbild"))).to_be_attached()
    toolbar.get_by_role("button", name=re.compile(r"^Suchen")).click()
    expect(table.get_by_text("Tippen zum Suchen")).to_be_attached()
    assert _english_after_rewrite(page) == []


def test_after_switching_to_english_streamlit_speaks_english(page: Page, app: RunningApp) -> None:
    _orders_page(page, app)
    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    expect(page.locator("h1", has_text="Orders").first).to_be_visible()
    _settle(page)
    _open_status_filter(page, "Course")
    status = page.get_by_test_id("stMultiSelect").filter(has_text="Course").first
    dropdown = page.get_by_test_id("stMultiSelectDropdown")
    expect(dropdown.get_by_role("option").first).to_have_text("Select all")
    expect(status.locator("input")).to_have_attribute("placeholder", "Choose options")
    booked = page.get_by_test_id("stDateInput").first
    expect(booked.locator('[data-type="day"]').first).to_have_text("dd")
    page.keyboard.press("Escape")
    # Back to German: the German texts return.
    page.get_by_test_id("stSidebar").get_by_text("Deutsch", exact=True).click()
    expect(page.locator("h1", has_text="Bestellungen").first).to_be_visible()
    _settle(page)
    _open_status_filter(page, "Kurs")
    expect(dropdown.get_by_role("option").first).to_have_text("Alle auswählen")
