"""The real app in a real browser: `streamlit run Home.py` driven by Debian's Chromium.

What AppTest cannot show: the login form in the browser, the session cookie that a component
sets and the app reads back on a reload, logout deleting it (and a copy of it opening nothing
afterwards), and the Übersicht on a phone. The app runs against a two-partner world in temp SQLite
files (tests.support.worlds), configured through the same environment variables as production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.conftest import fresh_databases
from tests.support.browser import (
    WATCH_DOM,
    RunningApp,
    launched_chromium,
    require_chromium,
    streamlit_app,
)
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

COOKIE = "miomente_portal_session"  # Settings.cookie_name
TIMEOUT_MS = 20_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def app(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    tmp = tmp_path_factory.mktemp("browser")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
    with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with launched_chromium(chromium, timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.fixture(autouse=True)
def _app_log_on_failure(app: RunningApp) -> Iterator[None]:
    """Print the app log's tail; pytest shows captured output only for failing tests."""
    yield
    print(f"--- streamlit log tail ({app.log}) ---\n{app.log_tail()}")


# Streamlit reruns the script a moment after a run when a cookie component reports back, and
# while elements move to new positions the old and the new copy are briefly both in the page.
# Expectations therefore look at `.first` (and retry), and typing waits for a settled page:
# tests/support/browser.WATCH_DOM notes every DOM change; settled here also means the login
# form is drawn once (it is briefly doubled while the page redraws).
_SETTLED = """(quietMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null
    && document.querySelectorAll('input[aria-label="Benutzername"]').length <= 1
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && Date.now() - window.__mioLastChange > quietMs;
}"""


def _context(browser: Browser, **options: object) -> BrowserContext:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_DOM)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = _context(browser)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _open(page: Page, app: RunningApp, path: str = "") -> None:
    page.goto(f"{app.url}/{path}")


def _settle(page: Page) -> None:
    page.wait_for_function(_SETTLED, arg=400, polling=100)


def _expect_login_form(page: Page) -> None:
    expect(page.get_by_label("Benutzername", exact=True).first).to_be_visible()
    expect(page.get_by_label("Passwort", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Anmelden").first).to_be_visible()


def _login(page: Page, username: str, password: str) -> None:
    _expect_login_form(page)
    _settle(page)
    user_field = page.get_by_label("Benutzername", exact=True)
    password_field = page.get_by_label("Passwort", exact=True)
    expect(user_field).to_have_count(1)
    user_field.fill(username)
    password_field.fill(password)
    expect(user_field).to_have_value(username)
    expect(password_field).to_have_value(password)
    page.get_by_role("button", name="Anmelden").click()


def _metric_value(page: Page, label: str) -> Locator:
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return metric.get_by_test_id("stMetricValue").first


def _expect_overview(page: Page) -> None:
    expect(page.locator("h1", has_text="Guten Tag, Alpha Team").first).to_be_visible()
    expect(_metric_value(page, "Offene Bestätigungen")).to_have_text("2")
    expect(_metric_value(page, "Umsatz diesen Monat")).to_have_text(re.compile(r"^267,00\s€$"))
    expect(page.get_by_label("Benutzername", exact=True)).to_have_count(0)


def _wait_for_cookie(page: Page, *, present: bool) -> None:
    """The server sets/deletes the HttpOnly auth cookie when the page asks; wait for it."""
    for _ in range(200):  # polling the browser's cookie jar, not a timing assertion
        if any(c["name"] == COOKIE for c in page.context.cookies()) == present:
            return
        page.wait_for_timeout(100)
    state = "set" if present else "deleted"
    pytest.fail(
        f"the auth cookie {COOKIE!r} was never {state}: the component that asks the server "
        f"must stay rendered in the page until the server answered",
        pytrace=False,
    )


def _expect_orders_page(page: Page, app: RunningApp) -> None:
    expect(page).to_have_url(f"{app.url}/bestellungen")
    expect(page.locator("h1", has_text="Bestellungen").first).to_be_visible()
    # The real list (alpha has 4 bookings), not the login form.
    expect(page.get_by_text("4 Buchungen · Seite 1 von 1").first).to_be_visible()
    expect(page.get_by_label("Benutzername", exact=True)).to_have_count(0)


def test_login_overview_and_reload_keeps_user_and_page(page: Page, app: RunningApp) -> None:
    _open(page, app)
    _login(page, "alpha", PASSWORD)
    _expect_overview(page)
    _wait_for_cookie(page, present=True)

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Bestellungen").first.click()
    _expect_orders_page(page, app)

    page.reload()
    _expect_orders_page(page, app)  # the signed cookie logged us in again, on the same page


def test_the_overview_s_own_url_opens_the_overview(page: Page, app: RunningApp) -> None:
    """A bookmark or a typed /uebersicht: the default page lives at "/", and Streamlit would
    answer its own URL with an English "Page not found" dialog."""
    _open(page, app, "uebersicht")
    _login(page, "alpha", PASSWORD)
    _expect_overview(page)
    _wait_for_cookie(page, present=True)
    page.reload()
    _expect_overview(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_logout_returns_to_login_and_reload_stays_logged_out(page: Page, app: RunningApp) -> None:
    _open(page, app)
    _login(page, "alpha", PASSWORD)
    _expect_overview(page)
    _wait_for_cookie(page, present=True)

    page.get_by_test_id("stSidebar").get_by_role("button", name="Abmelden").first.click()
    _expect_login_form(page)
    _wait_for_cookie(page, present=False)

    page.reload()
    _expect_login_form(page)
    expect(page.locator("h1", has_text="Guten Tag")).to_have_count(0)


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(
    page: Page, app: RunningApp
) -> None:
    _open(page, app)
    _login(page, "alpha", PASSWORD)
    _expect_overview(page)
    _wait_for_cookie(page, present=True)
    (copied,) = [c for c in page.context.cookies() if c["name"] == COOKIE]
    # Readable by scripts (a component sets it from JavaScript), but never sent cross-site
    # with a form post, and only over HTTPS outside demo mode.
    assert copied["sameSite"] == "Lax" and copied["secure"] is True

    page.get_by_test_id("stSidebar").get_by_role("button", name="Abmelden").first.click()
    _expect_login_form(page)
    _wait_for_cookie(page, present=False)

    page.context.add_cookies([copied])  # the attacker's copy, replayed
    page.reload()
    _expect_login_form(page)
    expect(page.locator("h1", has_text="Guten Tag")).to_have_count(0)


def test_an_alg_none_cookie_shows_the_login_form(page: Page, app: RunningApp) -> None:
    forged = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJ1c2VybmFtZSI6InN0YWZmIiwiZXhwX2RhdGUiOjRlOX0."
    for name in (COOKIE, "miomente_portal_auth"):  # today's and the old cookie's name
        page.context.add_cookies([{"name": name, "value": forged, "url": app.url}])
    _open(page, app)
    _expect_login_form(page)
    expect(page.locator("h1", has_text="Guten Tag")).to_have_count(0)
    _login(page, "alpha", PASSWORD)  # and the form still works
    _expect_overview(page)


def test_wrong_password_is_refused(page: Page, app: RunningApp) -> None:
    _open(page, app)
    _login(page, "beta", "falsch")
    expect(page.get_by_test_id("stAlertContentError").first).to_contain_text(
        "Benutzername oder Passwort ist falsch."
    )
    _expect_login_form(page)
    expect(page.locator("h1", has_text="Guten Tag")).to_have_count(0)


def test_overview_fits_a_phone(browser: Browser, app: RunningApp, tmp_path: Path) -> None:
    context = _context(browser, viewport=PHONE, is_mobile=True, has_touch=True,
                       device_scale_factor=2)  # fmt: skip
    try:
        page = context.new_page()
        _open(page, app)
        _login(page, "alpha", PASSWORD)
        _expect_overview(page)
        table = page.get_by_test_id("stDataFrame").first
        table.wait_for()
        _settle(page)
        # The document must not scroll sideways, nor Streamlit's own scroll container.
        widths = page.evaluate("""() => {
          const main = document.querySelector('[data-testid="stMain"]');
          return [document.documentElement.scrollWidth, main.scrollWidth, main.clientWidth];
        }""")
        page.screenshot(path=tmp_path / "overview-phone-top.png")
        table.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "overview-phone-table.png")
        print(f"phone screenshots in {tmp_path}")
        document_width, main_width, main_client = widths
        assert document_width <= PHONE["width"] + 2, f"page scrolls sideways: {widths}"
        assert main_width <= main_client + 2, f"main area scrolls sideways: {widths}"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("user", "path", "title"),
    [
        ("alpha", "bestellungen", "Bestellungen"),
        ("alpha", "termine", "Termine"),
        ("alpha", "buchhaltung", "Buchhaltung"),
        ("staff", "buchhaltung", "Buchhaltung"),
        ("staff", "auszahlungen", "Auszahlungen"),
        ("staff", "partner", "Partner"),
    ],
)
def test_work_pages_fit_a_phone(
    browser: Browser, app: RunningApp, tmp_path: Path, user: str, path: str, title: str
) -> None:
    context = _context(browser, viewport=PHONE, is_mobile=True, has_touch=True,
                       device_scale_factor=2)  # fmt: skip
    try:
        page = context.new_page()
        _open(page, app)
        _login(page, user, PASSWORD)
        expect(page.locator("h1", has_text="Guten Tag").first).to_be_visible()
        _wait_for_cookie(page, present=True)
        _open(page, app, path)  # a deep link: the cookie logs the user in on that page
        expect(page.locator("h1", has_text=title).first).to_be_visible()
        _settle(page)
        widths = page.evaluate("""() => {
          const main = document.querySelector('[data-testid="stMain"]');
          return [document.documentElement.scrollWidth, main.scrollWidth, main.clientWidth];
        }""")
        page.screenshot(path=tmp_path / f"{path}-phone.png", full_page=True)
        expect(page.get_by_test_id("stException")).to_have_count(0)
        document_width, main_width, main_client = widths
        assert document_width <= PHONE["width"] + 2, f"page scrolls sideways: {widths}"
        assert main_width <= main_client + 2, f"main area scrolls sideways: {widths}"
    finally:
        context.close()
