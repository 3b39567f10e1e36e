"""Neuigkeiten through the real script runner (AppTest): staff write with a live preview and
publish; the partner sees the feed, the menu's badge and the Übersicht card, marks read and the
badge goes; hostile Markdown shows no HTML, image or foreign link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, select

from components.navigation import BY_KEY
from core.clock import now_utc
from core.db import Databases
from data import portal_schema as p
from data.access.viewer import SYSTEM, Viewer
from data.news import announcements as news
from tests.conftest import fresh_databases
from tests.support.app import ALPHA, STAFF, app_environment, assert_clean, open_page
from tests.support.worlds import build_world

PAGE = "konto/neuigkeiten.py"
STAFF_VIEWER = Viewer(user_id=STAFF, role="staff")
HOSTILE = (
    "Hallo **Partner**\n\n<script>alert(1)</script>\n\n![Pixel](https://tracker.example/p.gif)\n\n"
    "[Gewinn](javascript:alert(1)) und [Hilfe](https://www.miomente.de/hilfe)"
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_world(db)
        with db.portal.begin() as conn:  # each test writes its own announcements
            for table in (p.announcement_reads, p.announcement_partners, p.announcements):
                conn.execute(delete(table))
        yield db


def _publish(db: Databases, title: str, *, body: str = "Text", days: int = 0) -> int:
    draft = news.Draft(title, body, "feature", now_utc() - timedelta(days=days, minutes=5))
    return news.save_announcement(STAFF_VIEWER, db, draft=draft)


@pytest.mark.parametrize("locale", ["de", "en"])
def test_staff_write_with_a_preview_and_publish(world: Databases, locale: str) -> None:
    at = open_page(PAGE, user_id=STAFF, locale=locale)
    assert_clean(at)
    at.text_input(key="news_title").input("Neu: Mindestteilnehmerzahl")
    at.text_area(key="news_body").input("Ab sofort **pro Termin**.")
    at.run()
    preview = " ".join(str(m.value) for m in at.markdown)
    assert "Ab sofort **pro Termin**." in preview  # shown as Markdown, i.e. bold
    at.button(key="news_save").click().run()
    text = assert_clean(at)
    assert ("Veröffentlicht" if locale == "de" else "Published") in text
    assert news.feed(Viewer(user_id=ALPHA, role="partner", partner_id=1), world)[
        "title"
    ].tolist() == ["Neu: Mindestteilnehmerzahl"]
    assert at.text_input(key="news_title").value == ""  # a new, empty form


def test_a_missing_title_is_refused_and_nothing_published(world: Databases) -> None:
    at = open_page(PAGE, user_id=STAFF)
    at.text_area(key="news_body").input("Ohne Titel")
    at.button(key="news_save").click().run()
    text = assert_clean(at)
    assert "Bitte einen Titel eingeben." in text
    assert news.staff_list(STAFF_VIEWER, world).empty


def test_the_partner_reads_the_feed_and_the_badge_goes(world: Databases) -> None:
    _publish(world, "Wartung am Dienstag", days=1)
    _publish(world, "Neue Funktion")
    at = open_page("verkauf/uebersicht.py", user_id=ALPHA)
    text = assert_clean(at)
    assert "Neu von Miomente" in text and "Neue Funktion" in text  # the newest unread
    at = open_page(PAGE, user_id=ALPHA)
    text = assert_clean(at)
    assert "Wartung am Dienstag" in text and "ungelesen" in text
    assert at.button(key="news_read_all").label == "Alle als gelesen markieren (2)"
    at.button(key="news_read_all").click().run()
    text = assert_clean(at)
    assert "2 Neuigkeiten als gelesen markiert." in text
    assert "ungelesen" not in text
    viewer = Viewer(user_id=ALPHA, role="partner", partner_id=1)
    assert news.unread_count(viewer, world) == 0
    at = open_page("verkauf/uebersicht.py", user_id=ALPHA)
    assert "Neu von Miomente" not in assert_clean(at)


def test_the_partner_chooses_the_weekly_digest(world: Databases) -> None:
    at = open_page(PAGE, user_id=ALPHA)
    at.toggle(key="news_digest").set_value(True).run()
    assert "wöchentliche Zusammenfassung" in assert_clean(at)
    assert news.digest_choice(Viewer(user_id=ALPHA, role="partner", partner_id=1), world)


def test_hostile_markdown_shows_no_script_image_or_foreign_link(world: Databases) -> None:
    _publish(world, "<b>Titel</b> ![x](https://tracker.example/t.gif)", body=HOSTILE)
    at = open_page(PAGE, user_id=ALPHA)
    assert_clean(at)
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "<script>" not in shown and "&lt;script>" in shown
    assert "![" not in shown
    assert "javascript:" not in shown
    assert "[Hilfe](https://www.miomente.de/hilfe)" in shown
    assert "<b>" not in shown  # the title is text


def test_staff_see_reads_and_withdraw(world: Databases) -> None:
    made = _publish(world, "Neue Funktion")
    news.mark_read(
        Viewer(user_id=ALPHA, role="partner", partner_id=1), world, announcement_ids=[made]
    )
    at = open_page(PAGE, user_id=STAFF)
    at.segmented_control(key="news_view").set_value("Veröffentlicht").run()
    text = assert_clean(at)
    assert "1 von 2 Partnern" in text
    at.button(key="news_withdraw").click().run()
    text = assert_clean(at)
    assert "ist zurückgezogen" in text and "Zurückgezogen" in text
    assert news.feed(Viewer(user_id=ALPHA, role="partner", partner_id=1), world).empty


def test_the_digest_links_to_the_news_page_a_partner_opens(world: Databases) -> None:
    _publish(world, "Neue Funktion")
    alpha = Viewer(user_id=ALPHA, role="partner", partner_id=1)
    news.save_digest_choice(alpha, world, weekly=True)
    assert news.queue_digests(SYSTEM, world) == 1
    with world.portal.connect() as conn:
        payload = conn.execute(
            select(p.outbox.c.payload).where(p.outbox.c.template == "news_digest")
        ).scalar_one()
    path = urlsplit(payload["news_url"]).path
    assert path == f"/{BY_KEY['news'].url_path}"
    at = open_page(f"{BY_KEY['news'].section}/{BY_KEY['news'].url_path}.py", user_id=ALPHA)
    assert "Neue Funktion" in assert_clean(at)
