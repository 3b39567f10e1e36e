"""The Ratgeber: every page exists in German and English, loads by slug, renders without HTML,
and opens from its link (core.links.guide_url) on the Marketing page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from components.navigation import BY_KEY
from core import links
from core.db import Databases
from marketing import guides
from marketing.guides import CHECKLIST_GUIDES, CONTENT_DIR, GUIDES, load_guide, parse
from tests.conftest import fresh_databases
from tests.support.app import ROOT, app_environment, assert_clean
from tests.support.market import PARTNER_USER, build_market

SCRIPT = str(ROOT / "tests" / "support" / "marketing_app.py")
SCRIPT_TAG = "<script>alert('x')</script>"


def test_every_guide_exists_in_both_languages_with_a_title_and_examples() -> None:
    for slug in GUIDES:
        for locale in ("de", "en"):
            assert (CONTENT_DIR / locale / f"{slug}.md").is_file(), (slug, locale)
            guide = load_guide(slug, locale)
            assert guide is not None and guide.title and len(guide.body.split()) > 100
            assert "<" not in guide.body  # our own pages need no HTML either
    assert set(CHECKLIST_GUIDES.values()) <= set(GUIDES)
    assert "Beispiel" in load_guide("kursbeschreibung", "de").body  # type: ignore[union-attr]
    assert "Example" in load_guide("kursbeschreibung", "en").body  # type: ignore[union-attr]


def test_a_slug_is_never_a_path() -> None:
    for bad in ("../README", "fotos/../../x", "FOTOS", "fotos.md", "", "unbekannt"):
        assert load_guide(bad, "de") is None


def test_html_in_a_page_becomes_text() -> None:
    guide = parse("x", f"# Titel <b>fett</b>\n\nText {SCRIPT_TAG} und <img src=x onerror=alert(1)>")
    assert "<script" not in guide.body and "<img" not in guide.body
    assert "&lt;script>alert('x')&lt;/script>" in guide.body
    assert guide.title == "Titel &lt;b>fett&lt;/b>"


def test_guide_url_opens_the_marketing_page_on_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIOMENTE_PUBLIC_URL", "https://portal.example/")
    url = links.guide_url("no-shows")
    assert url == "https://portal.example/marketing?ratgeber=no-shows"
    assert BY_KEY["marketing"].url_path == links.MARKETING_PAGE
    assert parse_qs(urlsplit(url).query) == {links.GUIDE_PARAM: ["no-shows"]}


@pytest.fixture
def app_db(tmp_path: Path) -> Iterator[Databases]:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_market(db)
        yield db


def _guides(*, locale: str = "de", slug: str | None = None, root: Path | None = None) -> AppTest:
    at = AppTest.from_file(SCRIPT, default_timeout=60)
    at.session_state["auth_user_id"] = PARTNER_USER
    at.session_state["locale"] = locale
    at.session_state["view"] = "guides"
    if root is not None:
        at.session_state["guide_root"] = str(root)
    if slug is not None:
        at.query_params[links.GUIDE_PARAM] = slug
    at.run()
    return at


def test_the_link_opens_its_page_and_choosing_another_changes_the_link(app_db: Databases) -> None:
    at = _guides(slug="fotos")
    text = assert_clean(at)
    assert at.subheader[0].value == "Fotos, die Lust machen"
    assert "Menschen in Aktion" in text
    at.selectbox[0].select("no-shows").run()
    assert_clean(at)
    assert at.subheader[0].value == "Wenn Gäste nicht kommen"
    assert at.query_params[links.GUIDE_PARAM] == "no-shows"


def test_english_pages_and_an_unknown_link(app_db: Databases) -> None:
    at = _guides(locale="en", slug="preisgestaltung")
    assert at.subheader[0].value == "Setting prices"
    at = _guides(slug="../../etc/passwd")
    text = assert_clean(at)
    assert "Diese Ratgeber-Seite gibt es nicht" in text
    assert at.subheader[0].value == "Kursbeschreibungen, die buchen lassen"


def test_a_page_with_a_script_shows_it_as_text(
    app_db: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The app script points guides.CONTENT_DIR at the test's files; undone after the test.
    monkeypatch.setattr(guides, "CONTENT_DIR", CONTENT_DIR)
    root = tmp_path / "ratgeber"
    (root / "de").mkdir(parents=True)
    (root / "de" / "fotos.md").write_text(
        f"# Fotos\n\nVorher {SCRIPT_TAG} nachher <img src=x onerror=alert(1)>\n", encoding="utf-8"
    )
    at = _guides(slug="fotos", root=root)
    assert_clean(at)
    body = at.markdown[-1]
    assert body.proto.allow_html is False
    assert "<script" not in body.value and "<img" not in body.value
    assert "&lt;script>" in body.value and "nachher" in body.value
