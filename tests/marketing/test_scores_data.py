"""data/marketing/scores.py on the fixed market (tests/support/market.py), on SQLite and on
MariaDB + PostgreSQL: gathering a course's content (images, dates, reviews, focus keyword),
storing the scores and the day's history, reading them in scope, the staff overview."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from core.db import Databases
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.marketing.scores import (
    course_content,
    course_scores,
    rescore_course,
    score_courses,
    score_history,
    score_overview,
    unscored_courses,
)
from data.shop import schema as m
from tests.conftest import BACKENDS, fresh_databases
from tests.support.market import NOW, build_market

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
NORD = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


def _add_gallery(db: Databases) -> None:
    gallery = m.catalog_product_entity_media_gallery
    link = m.catalog_product_entity_media_gallery_value_to_entity
    with db.magento.begin() as conn:
        for value_id, disabled in ((1, 0), (2, 0), (3, 0), (4, 1)):  # one hidden image
            conn.execute(
                insert(gallery).values(
                    value_id=value_id,
                    attribute_id=m.MEDIA_GALLERY_ATTRIBUTE_ID,
                    value=f"/p/a{value_id}.jpg",
                    disabled=disabled,
                )
            )
            conn.execute(insert(link).values(value_id=value_id, entity_id=101))


@pytest.fixture(scope="module", params=BACKENDS)
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with fresh_databases(request.param, tmp_path_factory.mktemp("scores")) as db:
        build_market(db)
        _add_gallery(db)
        yield db


def test_content_holds_images_dates_and_the_focus_keyword(market: Databases) -> None:
    [content] = course_content(ALPHA, market, product_ids=[101], now=NOW)
    assert content.name == "Pasta-Kurs in Hamburg" and content.city == "Hamburg"
    assert content.images == 3  # the disabled one does not count
    assert content.upcoming_dates == 1  # 1013, 20 days ahead
    assert content.is_course
    # The most searched matching query: "trüffel" (300) found nothing, "pasta münchen" (90)
    # is not in the text; "pasta" (200) is.
    assert content.keyword == "pasta"
    assert content.answered_share is None  # no approved review to answer yet


def test_courses_without_a_score_yet_are_named_in_scope(market: Databases) -> None:
    # Before the job: one course of Alpha scored on demand, the rest not yet (runs before the
    # job's test, which scores them all).
    rescore_course(ALPHA, market, product_id=101, now=NOW)
    assert [(c.product_id, c.name) for c in unscored_courses(ALPHA, market)] == [
        (102, "Sushi für Einsteiger")
    ]
    assert [c.product_id for c in unscored_courses(NORD, market)] == [201, 202]
    everyone = [c.product_id for c in unscored_courses(STAFF, market)]
    assert 101 not in everyone and len(everyone) == 6 and everyone == sorted(everyone)


def test_the_job_scores_every_course_and_keeps_a_history(market: Databases) -> None:
    assert score_courses(SYSTEM, market, now=NOW) == 7
    mine = course_scores(ALPHA, market)
    assert [s.product_id for s in mine] == sorted(
        [101, 102], key=lambda pid: next(s.score for s in mine if s.product_id == pid)
    )
    assert all(s.partner_id == 1 for s in mine)
    pasta = next(s for s in mine if s.product_id == 101)
    assert pasta.name == "Pasta-Kurs in Hamburg" and pasta.keyword == "pasta"
    assert 0 < pasta.score < 100
    images = next(i for i in pasta.items if i.id == "images.gallery")
    assert (images.earned, images.points, images.params["have"]) == (6, 10, 3)
    # Next day again: a second history point; the same day again: still one.
    score_courses(SYSTEM, market, now=NOW + timedelta(days=1))
    score_courses(SYSTEM, market, now=NOW + timedelta(days=1, hours=1))
    history = score_history(ALPHA, market, product_ids=[101])
    assert len(history) == 2 and list(history["score"]) == [pasta.score] * 2


def test_content_of_another_partners_course_is_refused(market: Databases) -> None:
    with pytest.raises(ScopeError):
        course_content(ALPHA, market, product_ids=[101, 201], now=NOW)


def test_a_partner_rescores_its_own_course_only(market: Databases) -> None:
    again = rescore_course(ALPHA, market, product_id=101, now=NOW)
    assert again.product_id == 101
    with pytest.raises(ScopeError):
        rescore_course(ALPHA, market, product_id=201, now=NOW)
    with pytest.raises(ScopeError):
        score_courses(NORD, market, product_ids=[101], now=NOW)
    assert score_history(NORD, market, product_ids=[101]).empty
    # Its own courses, scored here: xdist may run the job's test in another worker.
    for product_id in (201, 202):
        rescore_course(NORD, market, product_id=product_id, now=NOW)
    assert {s.product_id for s in course_scores(NORD, market)} == {201, 202}


def test_staff_overview_is_paged_and_sorted(market: Databases) -> None:
    score_courses(SYSTEM, market, now=NOW)
    first = score_overview(STAFF, market, page=0, page_size=3, sort="score_desc")
    assert first.total == 7 and len(first.rows) == 3
    scores = list(first.rows["score"])
    assert scores == sorted(scores, reverse=True)
    last = score_overview(STAFF, market, page=2, page_size=3, sort="score_desc")
    assert len(last.rows) == 1
    assert set(first.rows["partner"]) <= {
        "Kochschule Alpha", "Kochwerk Nord", "Küche an der Elbe", "Kochstudio Süd",
        "Weinschule Hafen",
    }  # fmt: skip
    with pytest.raises(ScopeError):
        score_overview(ALPHA, market)
