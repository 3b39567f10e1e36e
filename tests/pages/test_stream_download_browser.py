"""Bestellungen's CSV in Chromium: the link streams the file from the portal's own route, the
browser saves exactly the data layer's export, and a copied link opens nothing elsewhere."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from core.db import open_databases
from data.bookings import listing as bk
from tests.conftest import fresh_databases
from tests.support.browser import (
    RunningApp,
    launched_chromium,
    log_in,
    require_chromium,
    streamlit_app,
)
from tests.support.orders import ALPHA
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, str, str]]:
    tmp = tmp_path_factory.mktemp("stream_download")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
    with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp) as running:
        yield running, magento_url, portal_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(require_chromium(), timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.mark.parametrize("width", [1280, 390])
def test_the_csv_link_saves_the_partners_export(
    browser: Browser, app: tuple[RunningApp, str, str], width: int
) -> None:
    running, magento_url, portal_url = app
    context = browser.new_context(
        locale="de-DE",
        timezone_id="Europe/Berlin",
        accept_downloads=True,
        viewport={"width": width, "height": 844},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, running.url, "alpha", PASSWORD)
        page.goto(f"{running.url}/bestellungen")
        page.get_by_text("Export", exact=True).first.click()
        link = page.get_by_test_id("mio-download").first
        expect(link).to_be_visible()
        expect(link).to_contain_text("bestellungen.csv herunterladen")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.suggested_filename == "bestellungen.csv"
        path = download.path()
        saved = path.read_bytes() if path else b""
        db = open_databases(magento_url=magento_url, portal_url=portal_url)
        try:
            expected = io.BytesIO()
            bk.export_csv(ALPHA, db, out=expected)
        finally:
            db.dispose()
        assert saved == expected.getvalue()
        href = link.get_attribute("href") or ""
        assert href.startswith("/_portal/download/")
    finally:
        context.close()
    # The same link in a browser without the login: refused in German, no file.
    stranger = browser.new_context(locale="de-DE")
    try:
        answer = stranger.request.get(f"{running.url}{href}")
        assert answer.status == 403
        assert "Download-Link gilt nicht" in answer.text()
    finally:
        stranger.close()
