"""The Marketing page through AppTest on the fixed market (tests/support/market.py): the view
switch (only the visible view runs), the Qualitäts-Score as a partner (de and en) with its
checklist, its Ratgeber links followed to the page they name, "Jetzt neu berechnen", and the
staff view over all partners."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from components.navigation import PAGES
from core.db import Databases
from data.access.viewer import SYSTEM
from data.marketing.scores import score_courses
from marketing.guides import load_guide
from tests.conftest import fresh_databases
from tests.support.app import app_environment, assert_clean, new_app
from tests.support.market import NOW, OTHER_USER, PARTNER_USER, STAFF_USER, build_market

PAGE = "pages/angebot/marketing.py"
PUBLIC = "https://portal.test/app"
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


@pytest.fixture
def market(tmp_path: Path) -> Iterator[Databases]:
    with (
        pytest.MonkeyPatch.context() as mp,
        fresh_databases("sqlite", tmp_path) as db,
        app_environment(db, tmp_path),
    ):
        mp.setenv("MIOMENTE_PUBLIC_URL", PUBLIC)
        build_market(db)
        yield db


def _open(user_id: int = PARTNER_USER, *, locale: str = "de", **query: str) -> AppTest:
    at = new_app(user_id=user_id, locale=locale)
    at.run()
    at.switch_page(PAGE)
    if query:
        at.query_params = {k: [v] for k, v in query.items()}
    at.run()
    assert_clean(at)
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join(str(el.value) for el in at.markdown)


def test_without_scores_the_partner_computes_them(market: Databases) -> None:
    at = _open()
    text = assert_clean(at)
    assert "Für Ihre Kurse wurde noch kein Qualitäts-Score berechnet." in text
    assert not at.selectbox  # only the visible view ran: no course picker of the others
    at.button(key="score_all").click().run()
    text = assert_clean(at)
    assert "2 Kurse neu berechnet." in text
    labels = [e.label for e in at.expander]
    assert len(labels) == 2 and any("Pasta" in label for label in labels)
    assert "Kochwerk" not in text and "Ravioli und Gnocchi" not in text  # another partner's


def test_a_course_without_a_score_yet_is_listed_as_not_scored(market: Databases) -> None:
    # 102 is new: the nightly job has not scored it yet, only 101 has a score.
    score_courses(SYSTEM, market, product_ids=[101], now=NOW)
    at = _open()
    text = assert_clean(at)
    assert "Ohne Qualitäts-Score (1)" in text
    assert "Sushi für Einsteiger" in text
    hint = "Noch nicht bewertet – die Bewertung läuft nachts oder über „Jetzt neu berechnen“."
    assert hint in text
    labels = [e.label for e in at.expander]
    assert len(labels) == 1 and "Pasta" in labels[0]  # the scored one; Sushi waits above
    english = assert_clean(_open(locale="en"))
    assert "Without a quality score (1)" in english
    assert "Not scored yet – scores are computed every night or with “Recompute now”." in english
    at.button(key="score_now_102").click().run()
    text = assert_clean(at)
    assert re.search(r"Der Qualitäts-Score wurde neu berechnet: \d+ / 100\.", text)
    assert "Noch nicht bewertet" not in text and "Ohne Qualitäts-Score" not in text
    assert len(at.expander) == 2 and any("Sushi" in e.label for e in at.expander)
    # Another partner's course without a score is not this partner's business.
    assert "Ravioli" not in text and "Kochwerk" not in text


def test_the_checklist_explains_each_open_point_and_links_its_guide(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    at = _open()
    text = assert_clean(at)
    # The biggest possible gain first.
    gains = [int(m[1]) for m in (re.search(r"\+(\d+) möglich", e.label) for e in at.expander) if m]
    assert gains == sorted(gains, reverse=True) and len(gains) == 2
    assert "Der Kurs hat 0 Bilder; mindestens 5 sind gut." in text
    assert "bringt +10 Punkte" in text
    assert "Fokus-Keyword: „pasta“" in text
    links = set(LINK.findall(_markdown(at)))
    assert links, "no Ratgeber link"
    for url in sorted(links):
        parts = urlsplit(url)
        path = parts.path.removeprefix(urlsplit(PUBLIC).path).strip("/")
        spec = next(s for s in PAGES if s.url_path == path)
        assert f"pages/{spec.file}" == PAGE
        slug = parse_qs(parts.query)["ratgeber"][0]
        opened = _open(ratgeber=slug)
        guide = load_guide(slug, "de")
        assert guide is not None
        assert guide.title in [str(s.value) for s in opened.subheader], url


def test_english(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    text = assert_clean(_open(locale="en"))
    assert "The course has 0 images; at least 5 is good." in text
    assert "Read the guide" in _markdown(_open(locale="en"))


def test_recompute_one_course(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    at = _open()
    at.button(key="score_now_101").click().run()
    text = assert_clean(at)
    assert re.search(r"Der Qualitäts-Score wurde neu berechnet: \d+ / 100\.", text)


def test_the_other_views_run_when_chosen(market: Databases) -> None:
    at = _open()
    at.segmented_control(key="marketing_view_score").set_value("keywords").run()
    assert_clean(at)
    assert at.selectbox(key="mkt_kw_pick").options == ["Pasta-Kurs in Hamburg",
                                                        "Sushi für Einsteiger"]  # fmt: skip
    at.segmented_control(key="marketing_view_score").set_value("price").run()
    assert "Ihr Preis" in assert_clean(at) or at.selectbox(key="mkt_price_pick")


def test_another_partner_sees_its_own_scores(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    at = _open(OTHER_USER)
    labels = " ".join(e.label for e in at.expander)
    assert "Ravioli" in labels and "Pasta\\-Kurs" not in labels and "Pasta-Kurs" not in labels


def test_staff_sees_every_partner_sorted_and_paged(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    for locale, column in (("en", "Possible gain"), ("de", "Möglicher Gewinn")):
        at = _open(STAFF_USER, locale=locale)
        frame = at.dataframe[0].value
        assert len(frame) == 7 and column in frame.columns
        scores = frame[frame.columns[2]].tolist()
        assert scores == sorted(scores)
    at.selectbox(key="score_sort").set_value("score_desc").run()  # on the German page
    scores = at.dataframe[0].value.iloc[:, 2].tolist()
    assert scores == sorted(scores, reverse=True)


def test_hostile_course_names_and_keywords_stay_text(tmp_path: Path) -> None:
    with fresh_databases("sqlite", tmp_path) as db, app_environment(db, tmp_path):
        build_market(db, hostile=True)
        score_courses(SYSTEM, db, now=NOW)
        at = _open()
        labels = [e.label for e in at.expander]
        assert any("Pasta" in label for label in labels)
        # Escaped for Markdown (`\<img`, `\!\[x\]`): shown as typed, never as an image or link.
        for text in (*labels, *(str(el.value) for el in (*at.markdown, *at.caption))):
            assert not re.search(r"(?<!\\)<img", text), text
            assert "](https://evil" not in text and "![x]" not in text
        assert all(not m.proto.allow_html for m in at.markdown)
        staff = _open(STAFF_USER)
        names = staff.dataframe[0].value.iloc[:, 0].tolist()
        assert any("<img src=x onerror=alert(1)>" in n for n in names)  # a table cell: text
