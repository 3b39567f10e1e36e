"""Every page of the menu on a phone (390 px) and a desktop (1280 px), in real Chromium.

The app runs in demo mode (its own demo under a temp directory): a year of a dozen partners'
orders, so the figures are as long as a real shop's ("218.477,65 €") and the lists as full. For
partner and staff, at both widths, every page of the menu is opened through the menu and must
fit: the page never scrolls sideways, no KPI cuts off a figure, no English Streamlit error. On
a phone the menu closes after the choice, Bestellungen shows cards with status, course and
date, and the month calendar shows seven day columns with whole words; on a desktop no column
of Bestellungen or Auszahlungen is cut off. Screenshots go to bench/out/phone/ (gitignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from components.navigation import BY_KEY, PAGES, PageSpec
from core.i18n import translate
from data.demo import DEMO_PASSWORD
from tests.support.browser import (
    ROOT,
    SETTLED,
    WATCH_DOM,
    RunningApp,
    launched_chromium,
    require_chromium,
    streamlit_app,
)

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
DEMO_BUILD_MS = 300_000
PHONE, DESKTOP = 390, 1280
PARTNER, STAFF = "kochschule", "miomente"  # data/demo/content.py DEMO_LOGINS
SHOTS = ROOT / "bench" / "out" / "phone"
STATUS_LABELS = [translate(f"bookings.status_{s}", "de") for s in ("new", "confirmed")]
# Streamlit's own English messages: an exception box, a traceback, an unknown page.
ENGLISH_ERRORS = re.compile(r"Traceback|StreamlitAPIException|Page not found|Error:")


def de(key: str) -> str:
    return translate(key, "de")


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_chromium()


@pytest.fixture(scope="module")
def app(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    with streamlit_app(
        magento_url=None, portal_url=None, tmp_dir=tmp_path_factory.mktemp("phone")
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with launched_chromium(chromium, timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.fixture(autouse=True)
def _app_log_on_failure(app: RunningApp) -> Iterator[None]:
    yield
    print(f"--- streamlit log tail ({app.log}) ---\n{app.log_tail()}")


# When the DOM was last changed; the page is settled when no script runs and it stood still.


def _context(browser: Browser, width: int) -> BrowserContext:
    phone = width == PHONE
    context = browser.new_context(
        viewport={"width": width, "height": 844},
        locale="de-DE",
        timezone_id="Europe/Berlin",
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_DOM)
    return context


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def page(browser: Browser, width: int) -> Iterator[Page]:
    context = _context(browser, width)
    try:
        yield context.new_page()
    finally:
        context.close()


def _settle(page: Page) -> None:
    page.wait_for_function(SETTLED, arg=500, polling=100)


def _login(page: Page, app: RunningApp, username: str) -> None:
    page.goto(app.url)
    user_field = page.get_by_label(de("login.username"), exact=True).first
    expect(user_field).to_be_visible(timeout=DEMO_BUILD_MS)  # the first start builds the demo
    _settle(page)
    user_field.fill(username)
    page.get_by_label(de("login.password"), exact=True).first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name=de("login.submit")).click()
    expect(page.locator("h1", has_text="Guten Tag").first).to_be_visible()
    _settle(page)


def _sidebar_collapsed(page: Page) -> str | None:
    return page.get_by_test_id("stSidebar").get_attribute("data-collapsed")


def _choose_in_menu(page: Page, app: RunningApp, spec: PageSpec, *, phone: bool) -> None:
    """Open the page through the sidebar menu (on a phone: open the menu first)."""
    sidebar = page.get_by_test_id("stSidebar")
    if phone:
        expect(sidebar).to_have_attribute("data-collapsed", "true")
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(sidebar).to_have_attribute("data-collapsed", "false")
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=de(f"nav.{spec.key}"))
    link.first.click()
    # Every listed page has its German URL, the Übersicht too ("/" is its hidden twin).
    expect(page).to_have_url(re.compile(rf"^{re.escape(app.url)}/{spec.url_path}(\?.*)?$"))
    if phone:  # the menu lay over the page; it is out of the way again
        expect(sidebar).to_have_attribute("data-collapsed", "true")
    expect(page.get_by_test_id("stMain").locator("h1").first).to_be_visible()
    _settle(page)


# Widths of what could overflow: the document, every KPI's value and delta (and their text
# boxes, which Streamlit ends with "…" when too narrow).
_MEASURE = """() => {
  const kpis = [...document.querySelectorAll(
    '[data-testid="stMetricValue"], [data-testid="stMetricValue"] *, '
    + '[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] *')]
    .filter((el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
    .map((el) => `${el.innerText} (${el.scrollWidth} > ${el.clientWidth})`);
  return {
    page: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
    truncatedKpis: kpis,
    text: document.querySelector('[data-testid="stMain"]').innerText,
  };
}"""


def _expect_page_fits(page: Page, where: str) -> None:
    measured = page.evaluate(_MEASURE)
    assert measured["page"] <= measured["inner"], f"{where}: page scrolls sideways: {measured}"
    assert not measured["truncatedKpis"], f"{where}: KPI cut off: {measured['truncatedKpis']}"
    expect(page.get_by_test_id("stException")).to_have_count(0)
    english = ENGLISH_ERRORS.search(measured["text"])
    assert english is None, f"{where}: Streamlit error text {english.group(0)!r}"


# A data grid (glide) scrolls sideways when its columns are wider than the table.
_GRID_OVERFLOW = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter((grid) => grid.offsetParent !== null)
  .map((grid) => {
    const scroller = grid.querySelector(".dvn-scroller");
    return scroller === null ? 0 : scroller.scrollWidth - scroller.clientWidth;
  })"""


def _expect_no_clipped_columns(page: Page, where: str) -> None:
    page.get_by_test_id("stDataFrame").first.wait_for()
    overflows = page.evaluate(_GRID_OVERFLOW)
    assert overflows, f"{where}: no table shown"
    assert all(px <= 1 for px in overflows), f"{where}: columns cut off by {overflows} px"


def _expect_order_cards(page: Page) -> None:
    """On a phone: the bookings as cards (status, course, date), the wide table hidden."""
    cards = page.locator(".st-key-orders_cards [data-testid='stVerticalBlock']")
    first = cards.first
    expect(first).to_be_visible()
    expect(first).to_contain_text(re.compile("|".join(map(re.escape, STATUS_LABELS))))
    expect(first).to_contain_text(re.compile(r"\d{2}\.\d{2}\.\d{4}\s\d{2}:\d{2}"))
    box = first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE
    visible_grids = page.evaluate(_GRID_OVERFLOW)
    assert visible_grids == [], "the wide table is shown on the phone beside the cards"


_CALENDAR = """() => {
  const heads = [...document.querySelectorAll(".mio-cal th")];
  const cells = [...document.querySelectorAll(".mio-cal th, .mio-cal td, .mio-cal .e")];
  return {
    heads: heads.map((th) => th.innerText.trim()),
    outside: heads.filter((th) => th.getBoundingClientRect().right > window.innerWidth + 1)
      .map((th) => th.innerText),
    overflowing: cells.filter((el) => el.scrollWidth > el.clientWidth + 1)
      .map((el) => el.innerText),
    twoLineHeads: heads.filter((th) => th.getClientRects().length > 0
      && th.clientHeight > 2.2 * parseFloat(getComputedStyle(th).fontSize) + 8)
      .map((th) => th.innerText),
  };
}"""


def _expect_month_calendar(page: Page) -> None:
    page.get_by_role("tab", name=de("dates.tab_calendar")).click()
    page.locator(".mio-cal th").first.wait_for()
    _settle(page)
    calendar = page.evaluate(_CALENDAR)
    assert len(calendar["heads"]) == 7, calendar
    assert not calendar["outside"], f"day columns outside the screen: {calendar}"
    assert not calendar["overflowing"], f"words run out of their day: {calendar}"
    assert not calendar["twoLineHeads"], f"day names broken: {calendar}"


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def _walk(page: Page, app: RunningApp, user: str, width: int) -> None:
    phone = width == PHONE
    _login(page, app, user)
    for spec in PAGES:
        if spec.staff_only and user != STAFF:
            continue
        where = f"{user} {width} px {spec.url_path}"
        _choose_in_menu(page, app, spec, phone=phone)
        _expect_page_fits(page, where)
        if spec.key == "orders" and phone:
            _expect_order_cards(page)
        if spec.key in ("orders", "payouts") and not phone:
            _expect_no_clipped_columns(page, where)
        _shoot(page, f"{user}-{width}-{spec.url_path}")
        if spec.key == "dates":
            _expect_month_calendar(page)
            _expect_page_fits(page, f"{where} Kalender")
            _shoot(page, f"{user}-{width}-{spec.url_path}-kalender")


def test_partner_walks_every_page(page: Page, app: RunningApp, width: int) -> None:
    _walk(page, app, PARTNER, width)


def test_staff_walks_every_page(page: Page, app: RunningApp, width: int) -> None:
    _walk(page, app, STAFF, width)


def test_a_status_filter_applies_with_one_tap_on_a_phone(browser: Browser, app: RunningApp) -> None:
    """Choosing a status, then one tap on "Anwenden", shows the filtered list.

    The status was a multiselect: its text field raised the phone's keyboard, and the tap on
    "Anwenden" only closed keyboard and dropdown. Now the statuses are pills, without either.
    """
    context = _context(browser, PHONE)
    try:
        page = context.new_page()
        _login(page, app, PARTNER)
        _choose_in_menu(page, app, BY_KEY["orders"], phone=True)
        page.get_by_test_id("stExpander").filter(has_text=de("orders.filters")).locator(
            "summary"
        ).first.tap()
        # The expander opens with an animation: a tap while the pills still move lands beside
        # them, and Anwenden then applies no status at all.
        _settle(page)
        confirmed = de("bookings.status_confirmed")
        pills = page.get_by_test_id("stButtonGroup").filter(has_text=confirmed)
        pill = pills.get_by_role("button", name=confirmed, exact=True)
        pill.tap()
        expect(pill).to_have_attribute("aria-pressed", "true")
        _settle(page)
        page.get_by_role("button", name=de("orders.apply")).tap()  # once
        expect(page).to_have_url(re.compile(r"[?&]status=confirmed(&|$)"))
        _settle(page)
        cards = page.locator(".st-key-orders_cards [data-testid='stVerticalBlock']")
        expect(cards.first).to_contain_text(confirmed)
        new = de("bookings.status_new")
        expect(page.locator(".st-key-orders_cards").filter(has_text=new)).to_have_count(0)
        cards.first.scroll_into_view_if_needed()
        _shoot(page, "kochschule-390-bestellungen-status-gefiltert")
    finally:
        context.close()
