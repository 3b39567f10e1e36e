"""A day typed outside the allowed range in Termine → Termin bearbeiten, in a real browser.

The browser's date field keeps its old day when a typed day lies outside the field's own
range and sends nothing; the portal would then have "saved" the old day. The field therefore
takes any day and the portal refuses one outside the range in German, changing nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from core.db import Databases
from data.shop.schema import miomente_course_date
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


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Databases, RunningApp]]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("date_range_browser")
    with fresh_databases("sqlite", tmp) as db:
        build_world(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
        with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp) as app:
            yield db, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched_chromium(require_chromium(), timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, world: tuple[Databases, RunningApp]) -> Iterator[Page]:
    _, app = world
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 1600})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, app.url, "alpha", PASSWORD)
    page.goto(f"{app.url}/termine")
    try:
        yield page
    finally:
        context.close()


def _starts(db: Databases) -> list[object]:
    with db.magento.connect() as conn:
        query = select(miomente_course_date.c.starts_at).order_by(miomente_course_date.c.date_id)
        return list(conn.execute(query).scalars())


@pytest.mark.parametrize("typed", ["01.01.1999", "31.12.2100"])
def test_a_day_outside_the_range_is_refused_in_german_and_nothing_changes(
    page: Page, world: tuple[Databases, RunningApp], typed: str
) -> None:
    db, _ = world
    before = _starts(db)
    save = page.get_by_role("button", name="Änderungen speichern")
    form = page.get_by_test_id("stForm").filter(has=save)
    expect(form.get_by_text("bis zum 31.12.2099")).to_be_visible()  # the hint under the form
    form.get_by_role("spinbutton", name="Tag, Datum").focus()
    page.keyboard.type(typed.replace(".", ""), delay=50)
    expect(form.get_by_test_id("stDateInputField")).to_contain_text(typed)
    page.keyboard.press("Tab")  # leave the day field
    save.dispatch_event("click")
    refusal = page.get_by_text("Dieses Datum liegt außerhalb des erlaubten Bereichs")
    expect(refusal.first).to_be_visible()
    expect(page.get_by_text("Der Termin ist gespeichert")).to_have_count(0)
    assert _starts(db) == before
