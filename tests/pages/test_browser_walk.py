"""The partner's and the accountant's daily work in a real browser, at 1280 and 390 px (issue 18):
open an order by clicking its row, confirm it, reject another with an alternative date, create a
series with a double click (one series results), skip one of its dates and cancel it (the page
stays on "Serien"), and, as staff, open an order and approve payouts after the question that
says how many credit notes over how much. After each step the test asserts what the screen
shows; at 390 px it keeps a screenshot of each step in bench/out/walk/ (gitignored).

Each walk gets its own world (tests.support.worlds) and its own `streamlit run`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import create_engine, func, select, update

from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM
from data.money import payouts
from tests.conftest import fresh_databases
from tests.support.browser import (
    SETTLED,
    WATCH_DOM,
    RunningApp,
    launched_chromium,
    require_chromium,
    streamlit_app,
)
from tests.support.worlds import PASSWORD, build_world

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "bench" / "out" / "walk"
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# The app is settled when no script runs and the DOM has been still for a moment (as in
# tests/pages/test_browser.py): every DOM change is noted ...


@dataclass
class Walk:
    page: Page
    app: RunningApp
    portal_url: str
    size: str
    role: str
    step: int = 0

    def settle(self) -> None:
        self.page.wait_for_function(SETTLED, arg=500, polling=100)

    def shot(self, name: str) -> None:
        """At 390 px: a screenshot of the step (what the phone shows, not the whole page)."""
        if self.size != "390":
            return
        self.settle()
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SHOTS / f"{self.role}-{self.step:02d}-{name}.png")

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.app.url}/{path}")
        self.settle()

    def dialog(self) -> Locator:
        return self.page.get_by_role("dialog")

    def button(self, name: str, scope: Locator | None = None) -> Locator:
        return (scope or self.page).get_by_role("button", name=name, exact=True).first

    def alert(self, text: str | re.Pattern[str]) -> Locator:
        return self.page.get_by_test_id("stAlert").filter(has_text=text).first

    def count(self, table: object) -> int:
        engine = create_engine(self.portal_url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(table)).scalar())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = require_chromium()
    with launched_chromium(chromium, timeout_ms=TIMEOUT_MS) as browser:
        yield browser


def _drafts_for_october(db: Databases) -> None:
    """Two draft payouts (Alpha's and Beta's) for the staff walk to approve."""
    with db.portal.begin() as conn:
        conn.execute(update(p.bookings).values(event_at=datetime(2026, 10, 14, 16, 0)))
    payouts.compute_payouts(SYSTEM, db, period=datetime(2026, 10, 1).date())


@pytest.fixture
def walk(browser: Browser, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Walk]:
    role, size = request.param
    with fresh_databases("sqlite", tmp_path) as db:
        build_world(db)
        if role == "staff":
            _drafts_for_october(db)
        magento_url = db.magento.url.render_as_string(hide_password=False)
        portal_url = db.portal.url.render_as_string(hide_password=False)
    phone = size == "390"
    options: dict[str, object] = {"viewport": PHONE if phone else DESKTOP}
    if phone:
        options |= {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    with streamlit_app(magento_url=magento_url, portal_url=portal_url, tmp_dir=tmp_path) as app:
        context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(WATCH_DOM)
        current = Walk(context.new_page(), app, portal_url, size, role)
        try:
            _login(current, "alpha" if role == "partner" else "staff")
            yield current
        finally:
            SHOTS.mkdir(parents=True, exist_ok=True)
            current.page.screenshot(path=SHOTS / f"last-{role}-{size}.png")
            print(f"--- streamlit log tail ---\n{app.log_tail()}")
            context.close()


def _login(walk: Walk, username: str) -> None:
    page = walk.page
    page.goto(walk.app.url)
    user = page.get_by_label("Benutzername", exact=True)
    expect(user.first).to_be_visible()
    walk.settle()
    user.fill(username)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("h1", has_text="Guten Tag").first).to_be_visible()
    # The session cookie is HttpOnly (the server sets it): wait for it in the browser's jar.
    for _ in range(300):  # polling for a condition, not a timing assertion
        if any(c["name"] == "miomente_portal_session" for c in page.context.cookies()):
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the session cookie was never set", pytrace=False)


def _expand(walk: Walk, label: str, inside: Locator) -> None:
    """Open the expander `label` until `inside` shows: a click that lands while a rerun redraws
    the page can fold it again (waiting for a condition, not for seconds)."""
    for _attempt in range(3):
        walk.settle()
        if inside.is_visible():
            return
        walk.page.get_by_text(label).first.click()
        try:
            inside.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeoutError:
            continue
    expect(inside).to_be_visible()


def _click_until(walk: Walk, target: Locator, shows: Locator) -> None:
    """Click `target` until `shows` appears: a click that lands while a rerun redraws the page
    is lost (a person clicks again); asking twice is harmless."""
    for _attempt in range(3):
        walk.settle()
        target.click()
        try:
            shows.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeoutError:
            continue
    expect(shows).to_be_visible()


def _click_row(walk: Walk, row: int) -> None:
    """Click the `row`-th row of the first table (0-based) on its order number; on a phone,
    where cards replace the table, tap that card's "Öffnen"."""
    walk.settle()
    if walk.size == "390" and walk.page.locator(".st-key-orders_cards").count():
        expect(walk.page.get_by_test_id("stDataFrame").first).to_be_hidden()
        card_button = walk.page.locator(".st-key-orders_cards").get_by_role("button", name="Öffnen")
        card_button.nth(row).scroll_into_view_if_needed()
        card_button.nth(row).tap()
        return
    table = walk.page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    header = row_height = 35  # Streamlit's default row height, the header as high
    where = {"x": 80, "y": header + row_height * (row + 0.5)}  # after the row's selection box
    if walk.size == "390":
        table.tap(position=where)
        return
    # The grid acts on a click whose pointer arrived over it first (a person's hand does).
    box = table.bounding_box()
    assert box is not None
    x, y = box["x"] + where["x"], box["y"] + where["y"]
    walk.page.mouse.move(x - 20, y, steps=4)
    walk.page.mouse.move(x, y, steps=4)
    walk.page.mouse.click(x, y)


def _open_order(walk: Walk, row: int, number: str) -> Locator:
    _click_row(walk, row)
    dialog = walk.dialog()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Bestellung " + str(number))  # the dialog's heading
    return dialog


# --- the partner's walk ----------------------------------------------------------------------


def _orders_confirm_and_reject(walk: Walk) -> None:
    walk.goto("bestellungen?status=new")
    expect(walk.page.get_by_text("2 Buchungen · Seite 1 von 1").first).to_be_visible()
    walk.shot("orders-new")
    dialog = _open_order(walk, 1, "000001001")  # newest first: 1003, 1001
    walk.shot("order-opened-by-row")
    walk.button("Bestätigen", dialog).click()
    expect(dialog.get_by_text("Bestätigt", exact=True).first).to_be_visible()
    expect(dialog.get_by_role("button", name="Bestätigen", exact=True)).to_have_count(0)
    expect(walk.alert("1 Buchung bestätigt")).to_have_count(1)  # on the page, under the dialog
    walk.shot("order-confirmed")
    walk.button("Schließen", dialog).click()
    expect(walk.dialog()).to_have_count(0)
    expect(walk.page.get_by_text("1 Buchungen · Seite 1 von 1").first).to_be_visible()
    walk.shot("list-after-confirm")

    dialog = _open_order(walk, 0, "000001003")
    walk.button("Ablehnen", dialog).click()
    popover = walk.page.get_by_test_id("stPopoverBody")
    expect(popover).to_be_visible()
    popover.get_by_label("Grund (sieht der Kunde)").fill("Der Koch ist krank.")
    popover.get_by_role("combobox").first.click()
    walk.page.get_by_role("option").first.click()
    popover.get_by_text("Grund (sieht der Kunde)").click()  # closes the choice's list
    expect(popover.get_by_test_id("stMultiSelect").first).not_to_contain_text("Termine wählen")
    walk.shot("reject-with-alternative")
    walk.button("Ablehnung senden", popover).click()
    dialog = walk.dialog()
    expect(dialog.get_by_text("Abgelehnt", exact=True).first).to_be_visible()
    expect(dialog.get_by_role("button", name="Ablehnen", exact=True)).to_have_count(0)
    expect(walk.alert("1 Buchung abgelehnt")).to_have_count(1)
    walk.shot("order-rejected")
    walk.button("Schließen", dialog).click()
    expect(walk.dialog()).to_have_count(0)
    expect(walk.page.get_by_text("0 Buchungen · Seite 1 von 1").first).to_be_visible()


def _series_tab(walk: Walk) -> Locator:
    return walk.page.get_by_role("tab", name="Serien", exact=True)


def _series_double_click_skip_cancel(walk: Walk) -> None:
    walk.goto("termine")
    _series_tab(walk).click()
    walk.settle()
    expect(_series_tab(walk)).to_have_attribute("aria-selected", "true")
    save = walk.button("Serie speichern")
    save.scroll_into_view_if_needed()
    saved = walk.alert("Die Serie ist gespeichert")
    for _attempt in range(3):
        # A double click that lands while a rerun redraws the form is lost as a whole (a person
        # clicks again); a second double click must still make one series.
        walk.settle()
        save.dblclick()
        try:
            saved.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            if walk.count(p.recurring_patterns):
                break  # saved, only slow to show: the expect below waits for it
    expect(saved).to_be_visible()
    walk.settle()
    assert walk.count(p.recurring_patterns) == 1, "a double click makes one series"
    expect(walk.button("Serie speichern")).to_be_disabled()
    expect(_series_tab(walk)).to_have_attribute("aria-selected", "true")
    walk.shot("series-saved-once")

    _expand(walk, "Einen Termin verschieben oder auslassen", walk.button("Auslassen"))
    skipped = walk.alert("1 Termin abgesagt.")
    _click_until(walk, walk.button("Auslassen"), skipped)
    expect(skipped).to_be_visible()
    expect(_series_tab(walk)).to_have_attribute("aria-selected", "true")
    walk.shot("series-date-skipped")

    _expand(walk, "Serie beenden", walk.button("Serie absagen (künftige Termine)"))
    question = walk.alert(re.compile(r"Serie #1 beenden: \d+ künftige"))
    _click_until(walk, walk.button("Serie absagen (künftige Termine)"), question)
    expect(question).to_contain_text("Buchungen sind keine betroffen.")
    expect(_series_tab(walk)).to_have_attribute("aria-selected", "true")
    question.scroll_into_view_if_needed()
    walk.shot("series-cancel-asks")
    walk.button("Ja, absagen").click()
    expect(walk.alert(re.compile(r"\d+ Termine? abgesagt\."))).to_be_visible()
    expect(_series_tab(walk)).to_have_attribute("aria-selected", "true")
    walk.shot("series-cancelled")


@pytest.mark.parametrize("walk", [("partner", "1280"), ("partner", "390")], indirect=True,
                         ids=["1280", "390"])  # fmt: skip
def test_partner_walk(walk: Walk) -> None:
    _orders_confirm_and_reject(walk)
    _series_double_click_skip_cancel(walk)


# --- the accountant's walk -------------------------------------------------------------------


def _staff_opens_an_order(walk: Walk) -> None:
    walk.goto("bestellungen")
    dialog = _open_order(walk, 0, "0000")
    expect(dialog.get_by_text("Kunde").first).to_be_visible()
    walk.shot("staff-order-opened")
    walk.button("Schließen", dialog).click()
    expect(walk.dialog()).to_have_count(0)


def _staff_confirms_as_the_partner(walk: Walk) -> None:
    """Staff view the portal as Kochschule Alpha (sidebar) and confirm its new order."""
    walk.goto("bestellungen?status=new")
    sidebar = walk.page.get_by_test_id("stSidebar")
    if walk.size == "390":
        walk.page.get_by_test_id("stExpandSidebarButton").click()
    choice = sidebar.get_by_role("combobox").first
    choice.scroll_into_view_if_needed()
    choice.click()
    walk.page.keyboard.type("Kochschule Alpha")
    walk.page.keyboard.press("Enter")
    walk.settle()
    if walk.size == "390":
        walk.page.keyboard.press("Escape")
        sidebar.get_by_test_id("stSidebarCollapseButton").click(force=True)
    expect(walk.page.get_by_text("2 Buchungen · Seite 1 von 1").first).to_be_visible()
    dialog = _open_order(walk, 1, "000001001")
    walk.button("Bestätigen", dialog).click()
    expect(dialog.get_by_text("Bestätigt", exact=True).first).to_be_visible()
    expect(dialog.get_by_role("button", name="Bestätigen", exact=True)).to_have_count(0)
    walk.shot("staff-confirmed-as-partner")
    walk.button("Schließen", dialog).click()
    expect(walk.page.get_by_text("1 Buchungen · Seite 1 von 1").first).to_be_visible()


def _staff_approves_with_the_question(walk: Walk) -> None:
    walk.goto("auszahlungen")
    walk.page.get_by_text(re.compile(r"^Alle \d+ Auszahlungen dieser Auswahl")).first.click()
    walk.settle()
    walk.button("Freigeben und Gutschrift ausstellen").click()
    question = walk.alert(re.compile(r"2 Gutschriften ausstellen über [\d.]+,\d\d\s€\?"))
    expect(question).to_be_visible()
    question.scroll_into_view_if_needed()
    walk.shot("approve-asks")
    assert {"draft"} == _statuses(walk)
    walk.button("Ja, 2 Gutschriften ausstellen").click()
    expect(walk.alert(re.compile(r"2 freigegeben, Gutschriften: GS-"))).to_be_visible()
    assert {"approved"} == _statuses(walk)
    table = walk.page.get_by_test_id("stDataFrame").first
    expect(table).to_contain_text("Freigegeben")
    expect(table).not_to_contain_text("Entwurf")
    expect(walk.page.get_by_test_id("stMultiSelect").filter(has_text="Entwurf")).to_have_count(0)
    table.scroll_into_view_if_needed()  # the phone stays where the yes was; the table is above
    walk.shot("approved")


def _statuses(walk: Walk) -> set[str]:
    engine = create_engine(walk.portal_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(p.payouts.c.status)).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("walk", [("staff", "1280"), ("staff", "390")], indirect=True,
                         ids=["1280", "390"])  # fmt: skip
def test_staff_walk(walk: Walk) -> None:
    _staff_opens_an_order(walk)
    _staff_approves_with_the_question(walk)
    _staff_confirms_as_the_partner(walk)
