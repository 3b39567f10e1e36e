"""Demo mode's first start in a real browser: while the demo databases are built the page
says so in German, and the sidebar never lists the pages/ folder's raw file names (staff
pages included) to a visitor who is not logged in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from components.navigation import PAGES
from core.i18n import catalog
from data.demo import DEMO_PASSWORD
from tests.support.browser import CHROMIUM_ARGS, require_chromium, streamlit_app

pytestmark = pytest.mark.browser

# Every text the sidebar's page list ever shows, collected on each change of the page.
_WATCH_NAV = """
window.__mioNavSeen = [];
new MutationObserver(() => {
  for (const link of document.querySelectorAll('[data-testid="stSidebarNav"] a')) {
    const text = (link.querySelector("p") || link).textContent.trim();  // the label, no icon
    if (text && !window.__mioNavSeen.includes(text)) window.__mioNavSeen.push(text);
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""
BUILD_MS = 600_000  # building the demo on a loaded two-core machine; a bound, not a measure


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def test_first_start_shows_german_progress_and_no_raw_page_names(
    browser: Browser, tmp_path: Path
) -> None:
    words = catalog("de")
    with streamlit_app(magento_url=None, portal_url=None, tmp_dir=tmp_path) as app:
        context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
        context.add_init_script(_WATCH_NAV)
        try:
            page = context.new_page()
            page.goto(app.url)
            progress = page.get_by_text(words["app.demo_preparing"][:40])
            expect(progress.first).to_be_visible(timeout=60_000)
            page.screenshot(path=tmp_path / "first-start-building.png")
            expect(page.get_by_role("button", name="Anmelden").first).to_be_visible(
                timeout=BUILD_MS
            )
            expect(progress).to_have_count(0)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            before_login = page.evaluate("[...window.__mioNavSeen]")

            # After login the partner's menu appears, with German labels only.
            page.get_by_label("Benutzername", exact=True).fill("kochschule")
            page.get_by_label("Passwort", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Anmelden").click()
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav.get_by_role("link", name="Bestellungen").first).to_be_visible(timeout=60_000)
            seen = page.evaluate("window.__mioNavSeen")
        finally:
            context.close()
    assert before_login == [], f"the sidebar listed pages before login: {before_login}"
    labels = {words[f"nav.{spec.key}"] for spec in PAGES if not spec.staff_only}
    counted = {re.sub(r" \(\d+\)$", "", label) for label in seen}  # "Neuigkeiten (3)"
    assert counted == labels, f"raw or staff names in the partner's menu: {seen}"
