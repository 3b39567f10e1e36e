"""Text stays text where the reader looks: in Chromium, not only in the Markdown source.

tests/pages/test_text_stays_text.py checks what the script sends; the browser's renderer adds
GFM's literal autolinks after escapes are resolved (`info@alpha.example`, `www.…`,
`https://…` would become links). A hostile world, an order and the account page in Chromium:
the texts are there, and no link leads to an address the portal did not write itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from core.links import order_url
from tests.conftest import fresh_databases
from tests.support.browser import (
    RunningApp,
    launched_chromium,
    log_in,
    require_chromium,
    streamlit_app,
)
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
# Any link whose target the data could have chosen: a mail address, the hostile site.
OUTSIDE_LINKS = "a[href^='mailto:'], a[href*='evil.example'], a[href*='alpha.example']"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    tmp = tmp_path_factory.mktemp("text_browser")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db, hostile=True)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
    with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(require_chromium(), timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, app: RunningApp) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, app.url, "alpha", PASSWORD)
    try:
        yield page
    finally:
        context.close()


def test_the_account_page_shows_the_mail_address_as_text(page: Page, app: RunningApp) -> None:
    page.goto(f"{app.url}/einstellungen")
    shown = page.get_by_test_id("stMarkdown").filter(has_text="E-Mail:")
    expect(shown.first).to_be_visible()
    # The word joiner that breaks the autolink is invisible and leaves the address readable.
    expect(shown.first).to_contain_text("team@\u2060alpha.example")
    expect(page.locator(OUTSIDE_LINKS)).to_have_count(0)


def test_an_orders_hostile_texts_show_as_text_without_links(page: Page, app: RunningApp) -> None:
    page.goto(order_url(1001, base=app.url))
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Bestellung 000001001")
    expect(dialog.get_by_text("Musterweg 1").first).to_be_visible()
    shown = dialog.inner_text().replace("\u2060", "")  # the invisible word joiners aside
    assert "[Jetzt neu anmelden](https://evil.example)" in shown
    assert "<img src=x onerror=alert(1)>" in shown
    assert "anna.adler@example.org" in shown
    expect(page.locator(OUTSIDE_LINKS)).to_have_count(0)
    expect(page.locator("img[src='x'], img[src*='evil.example']")).to_have_count(0)
