"""Two-factor login in Chromium: the code step after the password (a digit keypad on phones),
and a staff member's required enrolment with MIOMENTE_STAFF_2FA on.

The app runs in its own process on the real clock, so the codes are computed like an
authenticator app does: with pyotp from the secret in the test database, at the moment of
typing (the ±1 step window absorbs a step change in between).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from core.clock import now_utc
from core.db import Databases
from data.access.viewer import Viewer
from tests.conftest import fresh_databases
from tests.support.browser import (
    COOKIE_KEY,
    RunningApp,
    launched_chromium,
    require_chromium,
    streamlit_app,
)
from tests.support.two_factor import enrol, stored_secret
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Databases, RunningApp]]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("two_factor_browser")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
        with streamlit_app(
            magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp, staff_2fa=True
        ) as running:
            yield db, running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(require_chromium(), timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="de-DE", timezone_id="Europe/Berlin", viewport={"width": 390, "height": 844}
    )
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _current_code(db: Databases, user_id: int) -> str:
    """What the user's app shows now (the secret sealed under the app's key)."""
    return pyotp.TOTP(stored_secret(db, user_id, key=COOKIE_KEY)).now()


def _password(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("Benutzername", exact=True).fill(username)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_a_partner_with_2fa_types_the_code_after_the_password(
    world: tuple[Databases, RunningApp], page: Page
) -> None:
    db, app = world
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MIOMENTE_COOKIE_KEY", COOKIE_KEY)  # seal the secret as the app does
        # Enrolled a while ago: the code confirmed then is long out of the window.
        enrol(db, Viewer(10, "partner", 1), at=now_utc() - timedelta(minutes=10))
    _password(page, app.url, "alpha")
    field = page.get_by_label("Code", exact=True)
    expect(field).to_be_visible()
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)
    field.fill("000000")
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_text("Der Code ist falsch oder wurde schon verwendet.")).to_be_visible()
    field.fill(_current_code(db, 10))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.locator("h1", has_text="Guten Tag, Alpha Team").first).to_be_visible()


def test_staff_enrol_before_anything_else(world: tuple[Databases, RunningApp], page: Page) -> None:
    db, app = world
    _password(page, app.url, "staff")
    expect(page.locator("h1", has_text="Zwei-Faktor-Anmeldung einrichten")).to_be_visible()
    expect(page.get_by_role("img", name="QR-Code für die Authenticator-App")).to_be_visible()
    expect(page.get_by_text("Übersicht", exact=True)).to_have_count(0)  # no menu yet
    shown = page.locator("code").filter(has_text=re.compile(r"^[A-Z2-7 ]{20,}$")).first
    secret = shown.inner_text().replace(" ", "")
    assert secret == stored_secret(db, 30, key=COOKIE_KEY)  # the page shows what is stored
    saved = page.get_by_text("Ihre Wiederherstellungscodes")
    refused = page.get_by_text("Der Code stimmt nicht")
    for _attempt in range(2):
        # As a person types what the app shows now: a code typed as its 30 seconds turn over
        # (or lost in a rerun) is refused once, and the next one is typed.
        page.get_by_label("Code aus der App", exact=True).fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Bestätigen und einschalten").click()
        expect(saved.or_(refused).first).to_be_visible()
        if saved.is_visible():
            break
    expect(saved).to_be_visible()
    page.get_by_role("button", name="Ich habe die Codes gesichert").click()
    expect(page.get_by_role("heading", name="Zwei-Faktor-Anmeldung einrichten")).to_have_count(0)
    expect(page.get_by_role("button", name="Abmelden").first).to_be_attached()
