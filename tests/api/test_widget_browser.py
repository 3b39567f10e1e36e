"""The widget in real Chromium, embedded in a page served from another origin.

The service runs as `uvicorn api.app:app` against a two-partner world in SQLite files; a
second loopback server plays the partner's website with the embed snippet. Desktop (1280 px)
and phone (390 px): the dates are shown, the widget's height follows its content (no inner
scrollbar), "Buchen" links to the shop's checkout with the date chosen, the events reach the
host page, the calendar navigates by month, and a full date's waitlist sign-up and a date
request are stored and confirmed on screen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from core.clock import now_utc
from core.db import Databases, make_engine
from core.recurrence import to_local
from data.dates.course_dates import create_date
from data.demand.date_requests import list_requests
from data.demand.waitlist import list_entries
from data.shop.schema import miomente_course_date
from tests.conftest import fresh_databases
from tests.support.api_server import api_server, page_server
from tests.support.browser import launched_chromium, require_chromium
from tests.support.widget import PARTNER_A, rebuild

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

_HOST = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kochschule Alpha</title></head>
<body style="margin:0;padding:16px;font-family:serif">
<h1>Unsere Kurse</h1>
<script>
window.__events = [];
document.addEventListener("miomente:booking-click", (e) => {
  window.__events.push({type: e.type, detail: e.detail}); e.preventDefault();
});
document.addEventListener("miomente:resize", (e) => {
  window.__events.push({type: e.type, detail: e.detail});
});
</script>
<script src="{api}/v1/widget.js" async></script>
<div id="w" data-miomente-partner="{key}" data-lang="de" data-view="{view}"
     data-color="#1d6b3a"></div>
<noscript><a href="https://www.miomente.de">Termine auf miomente.de</a></noscript>
<p id="after">Nach dem Widget</p>
</body></html>"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    chromium = require_chromium()
    tmp = tmp_path_factory.mktemp("widget_browser")
    with fresh_databases("sqlite", tmp) as db:
        world = rebuild(db)
        now = now_utc()
        # Dates ahead of the real clock (the service runs on it): six in the next weeks.
        for days in (3, 5, 8, 12, 15, 19):
            day = to_local(now).date() + timedelta(days=days)
            create_date(PARTNER_A, db, product_id=101 if days % 2 else 102,
                        starts_at=_berlin(day, 18), ends_at=_berlin(day, 21), seats=10,
                        price="89", now=now)  # fmt: skip
        full = create_date(
            PARTNER_A,
            db,
            product_id=102,
            starts_at=_berlin(to_local(now).date() + timedelta(days=4), 18),
            ends_at=_berlin(to_local(now).date() + timedelta(days=4), 21),
            seats=10,
            price="95",
            now=now,
        )
        with db.magento.begin() as conn:  # sold out (as if booked by others)
            conn.execute(update(miomente_course_date)
                         .where(miomente_course_date.c.date_id == full.date_id)
                         .values(seats_total=0))  # fmt: skip
        magento = db.magento.url.render_as_string(hide_password=False)
        portal = db.portal.url.render_as_string(hide_password=False)
        key = world.key_a
    with api_server(magento_url=magento, portal_url=portal, tmp_dir=tmp) as api:
        pages = {f"/{view}.html": _HOST.replace("{api}", api).replace("{key}", key)
                 .replace("{view}", view) for view in ("list", "calendar")}  # fmt: skip
        with page_server(pages) as site:
            yield {"api": api, "site": site, "chromium": chromium, "key": key,
                   "magento": magento, "portal": portal}  # fmt: skip


def _berlin(day, hour):  # naive Berlin wall-clock, as create_date takes it
    from datetime import datetime, time

    return datetime.combine(day, time(hour))


@pytest.fixture(scope="module")
def browser(served: dict[str, str]) -> Iterator[Browser]:
    with launched_chromium(served["chromium"], timeout_ms=TIMEOUT_MS) as browser:
        yield browser


def _open(browser: Browser, served: dict[str, str], size: str, view: str = "list") -> Page:
    context = browser.new_context(viewport=SIZES[size], locale="de-DE")
    page = context.new_page()
    page.goto(f"{served['site']}/{view}.html")
    return page


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_dates_shown_height_follows_and_booking_link(
    browser: Browser, served: dict[str, str], size: str
) -> None:
    page = _open(browser, served, size)
    items = page.locator("#w li.date")
    expect(items.first).to_be_visible()
    assert items.count() >= 6
    book = page.locator("#w a.book").first
    expect(book).to_have_text("Buchen")
    href = book.get_attribute("href") or ""
    assert href.startswith("https://www.miomente.de/kurs/10")
    assert "?termin=" in href
    # New tab on phones, the same window on the desktop.
    assert book.get_attribute("target") == ("_blank" if size == "phone" else None)
    # The widget takes the height of its content: no inner scrollbar, the page flows on.
    box = page.locator("#w").bounding_box()
    inner = page.evaluate("document.querySelector('#w').shadowRoot.querySelector('.mio')"
                          ".getBoundingClientRect().height")  # fmt: skip
    assert box is not None and abs(box["height"] - inner) <= 1
    after = page.locator("#after").bounding_box()
    assert after is not None and after["y"] >= box["y"] + box["height"]
    assert page.evaluate("(() => { const w = document.querySelector('#w');"
                         " return w.scrollHeight <= w.clientHeight + 1; })()")  # fmt: skip
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    resized = page.evaluate("window.__events.filter(e => e.type === 'miomente:resize')")
    assert resized and abs(resized[-1]["detail"]["height"] - inner) <= 1
    book.click()  # the host page cancels the navigation in its listener
    clicks = page.evaluate("window.__events.filter(e => e.type === 'miomente:booking-click')")
    assert clicks[0]["detail"]["url"] == href
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget_list_{size}.png"), full_page=True)
    page.context.close()


def test_keyboard_reaches_the_booking_link(browser: Browser, served: dict[str, str]) -> None:
    page = _open(browser, served, "desktop")
    expect(page.locator("#w a.book").first).to_be_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.querySelector('#w').shadowRoot.activeElement?.className || ''"
    )
    assert focused == "book"
    label = page.locator("#w a.book").first.get_attribute("aria-label") or ""
    assert "buchen" in label and "Miomente-Checkout" in label
    page.context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_calendar_navigates_by_month(browser: Browser, served: dict[str, str], size: str) -> None:
    page = _open(browser, served, size, view="calendar")
    days = page.locator("#w button.day")
    expect(days.first).to_be_visible()
    title = page.locator("#w .head strong")
    first_title = title.inner_text()
    page.locator("#w button.nav").last.click()  # next month
    expect(title).not_to_have_text(first_title)
    page.locator("#w button.nav").first.click()  # and back
    expect(title).to_have_text(first_title)
    expect(page.locator("#w li.date").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"widget_calendar_{size}.png"), full_page=True)
    page.context.close()


def test_iframe_fallback(browser: Browser, served: dict[str, str]) -> None:
    context = browser.new_context(viewport=SIZES["phone"])
    page = context.new_page()
    page.goto(f"{served['api']}/v1/widget/frame?key={served['key']}&lang=en&course=102")
    expect(page.locator("li.date").first).to_be_visible()
    expect(page.locator("a.book").first).to_have_text("Book")
    assert page.locator("a.book").first.get_attribute("target") == "_blank"
    assert set(page.locator(".course").all_inner_texts()) == {"Alpha Sushi für Einsteiger"}
    page.goto(f"{served['api']}/v1/widget/frame?key={served['key']}&course=101&course=102")
    expect(page.locator("li.date").first).to_be_visible()
    assert set(page.locator(".course").all_inner_texts()) == {
        "Alpha Pasta-Werkstatt",
        "Alpha Sushi für Einsteiger",
    }
    context.close()


def _stored(served: dict[str, str]) -> Databases:
    magento = make_engine(served["magento"])
    return Databases(magento=magento, magento_read=magento, portal=make_engine(served["portal"]))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_full_dates_waitlist_sign_up_is_stored_and_confirmed(
    browser: Browser, served: dict[str, str], size: str
) -> None:
    page = _open(browser, served, size)
    full = page.locator("#w li.date", has=page.locator(".soldout"))
    expect(full).to_have_count(1)
    full.get_by_role("button", name="Auf die Warteliste").click()
    form = full.locator("form")
    expect(form.get_by_label("Ihr Name")).to_be_focused()
    form.get_by_label("Ihr Name").fill("Ida Beispiel")
    form.get_by_label("E-Mail-Adresse").fill(f"ida-{size}@example.org")
    form.get_by_label("Plätze").fill("2")
    form.get_by_role("button", name="Absenden").click()  # no consent yet: refused in German
    expect(form.get_by_role("alert")).to_contain_text("per E-Mail benachrichtigen dürfen")
    form.get_by_label("Ich bin einverstanden").check()
    form.get_by_role("button", name="Absenden").click()
    expect(full.get_by_role("status")).to_have_text(
        "Sie stehen auf der Warteliste. Wir schreiben Ihnen, sobald ein Platz frei wird."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    page.screenshot(path=f"/tmp/h15w-waitlist-{size}.png", full_page=True)
    db = _stored(served)
    entries = list_entries(PARTNER_A, db, product_id=102)
    mine = entries[entries["email"] == f"ida-{size}@example.org"]
    assert mine[["seats", "source"]].to_dict("records") == [{"seats": 2, "source": "widget"}]
    db.dispose()
    page.context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_date_request_is_stored_and_confirmed(
    browser: Browser, served: dict[str, str], size: str
) -> None:
    page = _open(browser, served, size)
    page.locator("#w").get_by_role("button", name="Termin anfragen").click()
    form = page.locator("#w form")
    expect(form.get_by_label("Kurs", exact=True)).to_be_focused()
    form.get_by_label("Kurs", exact=True).select_option(label="Alpha Sushi für Einsteiger")
    wished = to_local(now_utc()).date() + timedelta(days=10 if size == "desktop" else 11)
    form.get_by_label("Wunschtag").fill(wished.isoformat())
    form.get_by_label("Beginn").fill("18:30")
    form.get_by_label("Personen").fill("3")
    form.get_by_label("Ihr Name").fill("Jo Muster")
    form.get_by_label("E-Mail-Adresse").fill(f"jo-{size}@example.org")
    form.get_by_label("Nachricht (freiwillig)").fill("Gern mit vegetarischer Variante <b>!</b>")
    form.get_by_label("Ich bin einverstanden").check()
    page.screenshot(path=f"/tmp/h15w-request-form-{size}.png", full_page=True)
    form.get_by_role("button", name="Absenden").click()
    expect(page.locator("#w").get_by_role("status")).to_contain_text("Ihre Anfrage ist angekommen")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    page.screenshot(path=f"/tmp/h15w-request-{size}.png", full_page=True)
    db = _stored(served)
    stored = list_requests(PARTNER_A, db)
    mine = stored[stored["email"] == f"jo-{size}@example.org"]
    assert [(r["product_id"], r["requested_day"], r["participants"], r["source"])
            for r in mine.to_dict("records")] == [(102, wished, 3, "widget")]  # fmt: skip
    db.dispose()
    page.context.close()
