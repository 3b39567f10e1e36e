"""The login cookie in a real browser: set and deleted by the server, never readable by a script.

`streamlit run portal.py` against a two-partner world (production mode, so the cookie is
`Secure`) and in demo mode (plain http://localhost, so it is not), driven by Chromium.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from components.session_cookie import LOGOUT_PATH, OPEN_PATH
from data.demo import DEMO_LOGINS
from tests.conftest import fresh_databases
from tests.support.browser import (
    RunningApp,
    launched_chromium,
    require_chromium,
    streamlit_app,
)
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

COOKIE = "miomente_portal_session"  # Settings.cookie_name
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def app(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    tmp = tmp_path_factory.mktemp("cookie_browser")
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


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _login(
    page: Page, url: str, username: str, password: str, *, timeout_ms: float = TIMEOUT_MS
) -> None:
    page.goto(url)
    user_field = page.get_by_label("Benutzername", exact=True)
    expect(user_field).to_have_count(1, timeout=timeout_ms)
    user_field.fill(username)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden").first).to_be_visible()


def _session_cookie(context: BrowserContext) -> dict | None:
    """The portal's cookie in the browser's jar, once the server has set it."""
    for _ in range(300):  # polling the browser's cookie jar, not a timing assertion
        found = [c for c in context.cookies() if c["name"] == COOKIE]
        if found:
            return dict(found[0])
        context.pages[0].wait_for_timeout(100)
    return None


def _gone(context: BrowserContext) -> bool:
    for _ in range(300):
        if not any(c["name"] == COOKIE for c in context.cookies()):
            return True
        context.pages[0].wait_for_timeout(100)
    return False


def _expect_login_form(page: Page) -> None:
    expect(page.get_by_label("Benutzername", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)


def test_the_cookie_is_httponly_lax_and_secure_and_survives_a_reload(
    page: Page, context: BrowserContext, app: RunningApp
) -> None:
    _login(page, app.url, "alpha", PASSWORD)
    cookie = _session_cookie(context)
    assert cookie is not None, "the server never set the session cookie"
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Lax", True)
    assert cookie["path"] == "/"
    assert cookie["value"] not in page.evaluate("document.cookie")
    assert COOKIE not in page.evaluate("document.cookie")
    page.reload()
    expect(page.locator("h1", has_text="Guten Tag, Alpha Team").first).to_be_visible()
    expect(page.get_by_label("Benutzername", exact=True)).to_have_count(0)


def test_logout_deletes_the_cookie_and_a_replayed_copy_opens_nothing(
    page: Page, context: BrowserContext, browser: Browser, app: RunningApp
) -> None:
    _login(page, app.url, "alpha", PASSWORD)
    copied = _session_cookie(context)
    assert copied is not None
    page.get_by_role("button", name="Abmelden").first.click()
    _expect_login_form(page)
    assert _gone(context), "logout did not delete the cookie"
    page.reload()
    _expect_login_form(page)
    elsewhere = browser.new_context(locale="de-DE")  # the attacker's browser, with the copy
    try:
        elsewhere.add_cookies([copied])  # type: ignore[list-item]
        other = elsewhere.new_page()
        other.goto(app.url)
        _expect_login_form(other)
    finally:
        elsewhere.close()


def test_logout_everywhere_ends_the_other_browser_and_deletes_this_cookie(
    page: Page, context: BrowserContext, browser: Browser, app: RunningApp
) -> None:
    other_context = browser.new_context(locale="de-DE")
    try:
        other = other_context.new_page()
        _login(other, app.url, "alpha", PASSWORD)
        assert _session_cookie(other_context) is not None
        _login(page, app.url, "alpha", PASSWORD)
        assert _session_cookie(context) is not None
        page.goto(f"{app.url}/einstellungen")
        page.get_by_role("button", name="Überall abmelden").click()
        _expect_login_form(page)
        assert _gone(context)
        other.reload()
        _expect_login_form(other)
    finally:
        other_context.close()


def _post(url: str, body: bytes, *, origin: str | None) -> int:
    headers = {"Content-Type": "text/plain"} | ({"Origin": origin} if origin else {})
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_cookie_routes_refuse_other_sites_and_unknown_codes(app: RunningApp) -> None:
    assert _post(f"{app.url}{OPEN_PATH}", b"x" * 43, origin=app.url) == 403
    assert _post(f"{app.url}{OPEN_PATH}", b"", origin=app.url) == 403
    assert _post(f"{app.url}{OPEN_PATH}", b"x" * 43, origin="https://evil.example") == 403
    assert _post(f"{app.url}{LOGOUT_PATH}", b"", origin="https://evil.example") == 403
    assert _post(f"{app.url}{LOGOUT_PATH}", b"", origin=None) == 403
    assert _post(f"{app.url}{LOGOUT_PATH}", b"", origin=app.url) == 204


def test_in_demo_mode_the_cookie_is_not_secure_but_still_httponly(
    browser: Browser, tmp_path: Path
) -> None:
    username, password, _role = DEMO_LOGINS[0]
    with streamlit_app(magento_url=None, portal_url=None, tmp_dir=tmp_path) as demo:
        context = browser.new_context(locale="de-DE")
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            # The first start builds the demo behind a progress message.
            _login(page, demo.url, username, password, timeout_ms=240_000)
            cookie = _session_cookie(context)
            assert cookie is not None
            assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (
                True,
                "Lax",
                False,
            )
            assert COOKIE not in page.evaluate("document.cookie")
        finally:
            context.close()
