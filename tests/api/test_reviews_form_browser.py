"""The review form in real Chromium on a phone (390 px) and a desktop: served by
`uvicorn api.app:app` against SQLite files, opened through the link of a real request mail.
The page fits the viewport (no sideways scrolling), the stars are radio buttons that work by
tap and by keyboard, and the review arrives in the shop as pending."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from core.clock import now_utc
from core.db import Databases
from data.access.viewer import SYSTEM
from data.portal_schema import outbox
from data.reviews import requests as rq
from data.shop import schema as m
from tests.conftest import fresh_databases
from tests.support.api_server import api_server
from tests.support.browser import COOKIE_KEY, launched_chromium, require_chromium
from tests.support.review_requests import BOOKED, add_ended_courses

pytestmark = pytest.mark.browser

TIMEOUT_MS = 20_000
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    chromium = require_chromium()
    tmp = tmp_path_factory.mktemp("review_form_browser")
    with fresh_databases("sqlite", tmp) as db, pytest.MonkeyPatch.context() as env:
        from tests.support.worlds import build_world

        build_world(db)
        # The service runs on the real clock: a course that ended two days ago, asked now,
        # with links signed under the served service's key.
        now = now_utc()
        add_ended_courses(
            db, starts=now - timedelta(days=2), ends=now - timedelta(days=2) + timedelta(hours=3)
        )
        env.setenv("MIOMENTE_COOKIE_KEY", COOKIE_KEY)
        rq.queue_due_requests(SYSTEM, db, now=now)
        paths = _paths(db)
        magento = db.magento.url.render_as_string(hide_password=False)
        portal = db.portal.url.render_as_string(hide_password=False)
        with api_server(magento_url=magento, portal_url=portal, tmp_dir=tmp) as api:
            yield {"api": api, "chromium": chromium, "paths": paths, "db": db}


def _paths(db: Databases) -> list[str]:
    query = select(outbox.c.payload).where(outbox.c.template == "review_request")
    with db.portal.connect() as conn:
        urls = [str(p["review_url"]) for p in conn.execute(query).scalars()]
    return sorted("/" + u.split("/", 3)[3] for u in urls)


@pytest.fixture(scope="module")
def browser(served: dict) -> Iterator[Browser]:
    with launched_chromium(served["chromium"], timeout_ms=TIMEOUT_MS) as browser:
        yield browser


@pytest.mark.parametrize(("size", "index"), [("phone", 0), ("desktop", 1)])
def test_the_form_fits_and_sends_a_pending_review(
    browser: Browser, served: dict, size: str, index: int
) -> None:
    assert len(served["paths"]) == 3 and len(BOOKED) > 3  # no objection in this world
    context = browser.new_context(viewport=SIZES[size], locale="de-DE")
    page = context.new_page()
    page.goto(served["api"] + served["paths"][index])
    expect(page.get_by_role("heading", name="Wie hat es Ihnen gefallen?")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], f"{width} px wide: sideways scrolling"
    # Tap the fourth star, then move to the fifth by keyboard: radio buttons both ways.
    page.locator("label[for=rating_1_4]").click()
    expect(page.locator("#rating_1_4")).to_be_checked()
    page.locator("#rating_1_4").press("ArrowRight")
    checked = page.evaluate("document.querySelector('input[name=rating_1]:checked').value")
    assert checked in {"3", "5"}  # the arrow moves along the (reversed) row, either way
    page.locator("label[for=rating_1_5]").click()
    page.get_by_label("Überschrift").fill("Sehr schön")
    page.get_by_label("Ihre Erfahrung").fill("Tolle Stimmung, gern wieder.")
    page.get_by_label("Ihr Name (wird angezeigt)").fill(f"Gast {size}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"review_form_{size}.png"), full_page=True)
    page.get_by_role("button", name="Bewertung abschicken").click()
    expect(page.get_by_role("heading", name="Vielen Dank für Ihre Bewertung!")).to_be_visible()
    d = m.review_detail.c
    with served["db"].magento.connect() as conn:
        status = conn.execute(
            select(m.review.c.status_id)
            .join(m.review_detail, d.review_id == m.review.c.review_id)
            .where(d.nickname == f"Gast {size}")
        ).scalar_one()
    assert status == m.REVIEW_PENDING
    context.close()
