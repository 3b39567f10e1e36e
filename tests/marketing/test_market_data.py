"""data/marketing on a fixed market (tests/support/market.py), on SQLite and on MariaDB +
PostgreSQL: the similar courses, the price position with known fill rates, keyword ideas
from the search log, the course picker, and the viewer's scope."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.db import Databases
from data.access.viewer import ScopeError, Viewer
from data.marketing.keywords import find_courses, keyword_ideas
from data.marketing.prices import price_position
from tests.conftest import BACKENDS, fresh_databases
from tests.support.market import NOW, build_market

D = Decimal
ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
NORD = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")


@pytest.fixture(scope="module", params=BACKENDS)
def market(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    with fresh_databases(request.param, tmp_path_factory.mktemp("market")) as db:
        build_market(db)
        yield db


def test_price_position_compares_with_similar_courses_in_the_city(market: Databases) -> None:
    pos = price_position(ALPHA, market, product_id=101, now=NOW)
    assert (pos.area, pos.area_name, pos.similar) == ("city", "Hamburg", 4)
    # 4 + 5 of 10 + 10 seats: the future, the old and the cancelled date and the cancelled
    # order do not count.
    assert (pos.seats, pos.sold) == (20, 9)
    r = pos.result
    assert (r.price, r.fill_rate, r.median_price) == (D("95.00"), D("0.4500"), D("89.00"))
    assert (r.cheaper, r.cheaper_fill) == (2, D("0.8500"))
    assert (r.dearer, r.dearer_fill) == (2, D("0.5000"))
    assert r.advice == "check_price"


def test_other_partners_appear_only_as_anonymous_points(market: Databases) -> None:
    pos = price_position(ALPHA, market, product_id=101, now=NOW)
    assert [(p.price, p.fill_rate, p.mine) for p in pos.points] == [
        (D("69.00"), D("0.9000"), False),
        (D("79.00"), D("0.8000"), False),
        (D("99.00"), D("1.0000"), True),  # Alpha's own sushi course
        (D("109.00"), D("0.2500"), False),
    ]
    assert not any(hasattr(p, "product_id") or hasattr(p, "name") for p in pos.points)


def test_a_course_without_enough_local_competition_is_compared_further_away(
    market: Databases,
) -> None:
    # München has no other cooking school: the comparison is nationwide (all kinds' courses).
    pos = price_position(STAFF, market, product_id=401, now=NOW)
    assert pos.area == "kind" and pos.similar == 5
    # The wine school is compared with nothing: it is alone in its kind.
    wine = price_position(STAFF, market, product_id=501, now=NOW)
    assert wine.similar == 0 and wine.result.advice == "no_peers"


def test_keyword_ideas_from_the_search_log_and_similar_courses(market: Databases) -> None:
    ideas = keyword_ideas(ALPHA, market, product_id=101)
    assert (ideas.area, ideas.area_name, ideas.similar) == ("city", "Hamburg", 4)
    # "pasta": the course has it; "trüffel" found nothing; "weinprobe hamburg" leads to no
    # cooking course; "pasta münchen" to none in Hamburg. Two stores' "ravioli" are one.
    assert [(i.query, i.missing, i.popularity, i.courses) for i in ideas.searches] == [
        ("ravioli", ("ravioli",), 100, 2),
        ("gnocchi ravioli", ("gnocchi", "ravioli"), 60, 1),
        ("tapas", ("tapas",), 40, 1),
    ]
    # With four similar courses a word needs two of them: Gnocchi, Tapas (one each) are out.
    assert [(t.word, t.courses) for t in ideas.terms] == [("Ravioli", 2), ("Sauce", 4)]


def test_the_picker_finds_the_viewers_courses_by_name(market: Databases) -> None:
    assert find_courses(ALPHA, market)["product_id"].tolist() == [101, 102]
    assert find_courses(ALPHA, market, text="  PASTA ")["name"].tolist() == [
        "Pasta-Kurs in Hamburg"
    ]
    assert find_courses(ALPHA, market, text="Ravioli").empty  # another school's course
    assert find_courses(ALPHA, market, text="100%_").empty  # LIKE wildcards are literal
    assert find_courses(STAFF, market, text="pasta")["product_id"].tolist() == [202, 401, 101]
    assert len(find_courses(STAFF, market, limit=2)) == 2


def test_another_partners_course_is_refused(market: Databases) -> None:
    with pytest.raises(ScopeError):
        price_position(NORD, market, product_id=101, now=NOW)
    with pytest.raises(ScopeError):
        keyword_ideas(NORD, market, product_id=101)
    # Staff viewing as Alpha see what Alpha sees.
    as_alpha = price_position(STAFF.view_as(1), market, product_id=101, now=NOW)
    assert as_alpha == price_position(ALPHA, market, product_id=101, now=NOW)
