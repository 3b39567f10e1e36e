"""The review dashboard on SQLite, MariaDB + PostgreSQL: averages and distribution equal a
direct SQL computation, only approved reviews count, a course's own average from three reviews
on, Berlin months in the trend, the list's filters and paging, answered share and time."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import text, update

from core.db import Databases
from data.access.viewer import ScopeError, Viewer
from data.reviews import dashboard, responses
from data.reviews.dashboard import ReviewFilters
from data.shop import schema as m
from tests.support.reviews import add_review

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime(2026, 11, 25, 12, 0)

# The world has reviews 1 (101, 5★) and 2 (102, 4★) of A, 3 and 4 of B. These add more of A:
# 101 gets 4 approved (one with two votes 4 and 5 = 4.5 → 5★), a pending and a not-approved.
EXTRA = [
    (11, 101, 3, datetime(2026, 10, 31, 23, 30), m.REVIEW_APPROVED),  # 1 November in Berlin
    (12, 101, (4, 5), datetime(2026, 10, 15, 9), m.REVIEW_APPROVED),
    (13, 101, 2, datetime(2026, 9, 2, 9), m.REVIEW_APPROVED),
    (14, 101, 1, datetime(2026, 10, 3, 9), m.REVIEW_PENDING),
    (15, 101, 1, datetime(2026, 10, 4, 9), m.REVIEW_NOT_APPROVED),
    (16, 102, 5, datetime(2026, 11, 20, 9), m.REVIEW_APPROVED),
]

DIRECT = """
SELECT r.entity_pk_value AS product_id, COUNT(*) AS n, AVG(s.score) AS average,
       SUM(CASE WHEN ROUND(s.score) = :stars THEN 1 ELSE 0 END) AS with_stars
FROM review r
JOIN (SELECT review_id, AVG(value) AS score FROM rating_option_vote GROUP BY review_id) s
  ON s.review_id = r.review_id
WHERE r.status_id = 1 AND r.entity_pk_value IN (101, 102)
GROUP BY r.entity_pk_value
"""


@pytest.fixture
def reviews(shop: Databases) -> Databases:
    # The world's reviews date from its build's last month; these tests need fixed dates.
    with shop.magento.begin() as conn:
        conn.execute(update(m.review).values(created_at=datetime(2025, 6, 10, 9)))
    for review_id, pid, stars, created, status in EXTRA:
        add_review(shop, review_id, pid, stars, created_at=created, status=status)
    return shop


def _direct(db: Databases, stars: int = 0) -> dict[int, tuple[int, float, int]]:
    with db.magento.connect() as conn:
        rows = conn.execute(text(DIRECT), {"stars": stars}).all()
    return {int(p): (int(n), float(avg), int(w)) for p, n, avg, w in rows}


def test_averages_and_distribution_equal_direct_sql(reviews: Databases) -> None:
    summary = dashboard.review_summary(ALPHA, reviews, now=NOW)
    direct = _direct(reviews)
    assert summary.count == sum(n for n, _a, _w in direct.values()) == 6
    per_course = summary.per_course.set_index("product_id")
    assert per_course.loc[101, "count"] == direct[101][0] == 4
    assert per_course.loc[101, "average"] == pytest.approx(round(direct[101][1], 2))
    # 102 has two approved reviews only: no average of its own
    assert per_course.loc[102, "count"] == 2 and pd.isna(per_course.loc[102, "average"])
    total = sum(n * avg for n, avg, _w in direct.values())
    assert summary.average == pytest.approx(round(total / summary.count, 2))
    for stars in range(1, 6):
        assert summary.distribution[stars] == sum(w for *_x, w in _direct(reviews, stars).values())
    assert sum(summary.distribution.values()) == summary.count


def test_pending_and_not_approved_reviews_do_not_count(reviews: Databases) -> None:
    summary = dashboard.review_summary(ALPHA, reviews, now=NOW)
    assert summary.distribution[1] == 0  # reviews 14 and 15 are one star each
    listed = dashboard.list_reviews(ALPHA, reviews, page_size=100).rows
    assert {14, 15} <= set(listed["review_id"])  # the list shows them, with their status


def test_trend_is_per_berlin_month(reviews: Databases) -> None:
    filters = ReviewFilters(first_day=date(2026, 9, 1), last_day=date(2026, 11, 30))
    trend = dashboard.review_summary(ALPHA, reviews, filters=filters, now=NOW).trend
    counts = dict(zip(trend["month"], trend["count"], strict=True))
    # 31.10. 23:30 UTC is 1 November in Berlin
    assert counts == {date(2026, 9, 1): 1, date(2026, 10, 1): 1, date(2026, 11, 1): 2}


def test_trend_months_reach_beyond_the_period_filter(reviews: Databases) -> None:
    # 10.10.–5.11.: reviews 12 (15.10.) and 11 (1.11. in Berlin) count; the trend shows whole
    # months, so November also has 16 (20.11.), outside the filter.
    filters = ReviewFilters(first_day=date(2026, 10, 10), last_day=date(2026, 11, 5))
    summary = dashboard.review_summary(ALPHA, reviews, filters=filters, now=NOW)
    assert summary.count == 2 and summary.average == 3.75  # 4.5 and 3
    assert summary.distribution == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert list(summary.per_course["count"]) == [2]
    trend = summary.trend.set_index("month")
    assert dict(trend["count"]) == {date(2026, 10, 1): 1, date(2026, 11, 1): 2}
    assert dict(trend["average"]) == {date(2026, 10, 1): 4.5, date(2026, 11, 1): 4.0}


def test_marketplace_average_of_the_same_kind(reviews: Databases) -> None:
    alpha = dashboard.marketplace_average(ALPHA, reviews)
    assert alpha is not None and alpha.kind == "Kochschule"
    # A is the only Kochschule in the world
    assert alpha.count == dashboard.review_summary(ALPHA, reviews, now=NOW).count
    beta = dashboard.marketplace_average(BETA, reviews)
    assert beta is not None and (beta.kind, beta.average, beta.count) == ("Weinschule", 1.5, 2)
    assert dashboard.marketplace_average(STAFF, reviews) is None


def test_list_filters_and_pages_in_sql(reviews: Databases) -> None:
    first = dashboard.list_reviews(ALPHA, reviews, page_size=3)
    assert first.total == 8 and len(first.rows) == 3
    assert (
        list(first.rows["review_id"])[:1] == [16]
        or first.rows["created_at"].is_monotonic_decreasing
    )
    later = dashboard.list_reviews(ALPHA, reviews, page=2, page_size=3)
    assert len(later.rows) == 2
    seen = set(first.rows["review_id"]) | set(later.rows["review_id"])
    assert not seen & set(
        dashboard.list_reviews(ALPHA, reviews, page=1, page_size=3).rows["review_id"]
    )
    five = dashboard.list_reviews(ALPHA, reviews, filters=ReviewFilters(stars=(5,)))
    assert set(five.rows["review_id"]) == {1, 12, 16}
    course = dashboard.list_reviews(ALPHA, reviews, filters=ReviewFilters(product_ids=(102,)))
    assert set(course.rows["review_id"]) == {2, 16}
    assert set(course.rows["course"]) == {"Alpha Sushi für Einsteiger"}
    october = ReviewFilters(first_day=date(2026, 10, 1), last_day=date(2026, 10, 31))
    assert set(dashboard.list_reviews(ALPHA, reviews, filters=october).rows["review_id"]) == {
        12,
        14,
        15,
    }


def test_answered_filter_share_and_median_time(reviews: Databases) -> None:
    responses.save_answer(
        ALPHA, reviews, review_id=12, body="Danke!", now=datetime(2026, 10, 15, 21)
    )
    answer = responses.save_answer(ALPHA, reviews, review_id=13, body="Danke.", now=NOW)
    pending = responses.answer_for_review(ALPHA, reviews, review_id=12)
    assert pending is not None
    assert responses.approve_answer(STAFF, reviews, response_id=pending.response_id,
                                    now=datetime(2026, 10, 16, 9))  # fmt: skip
    answered = dashboard.list_reviews(ALPHA, reviews, filters=ReviewFilters(answered=True))
    assert list(answered.rows["review_id"]) == [12]  # 13's answer is still pending
    open_ = dashboard.list_reviews(ALPHA, reviews, filters=ReviewFilters(answered=False))
    assert 12 not in set(open_.rows["review_id"]) and 13 in set(open_.rows["review_id"])
    summary = dashboard.review_summary(ALPHA, reviews, now=NOW)
    assert summary.answered == 1 and summary.answered_share == pytest.approx(round(1 / 6, 4))
    assert summary.median_hours_to_answer == 24.0  # 15.10. 09:00 → 16.10. 09:00
    assert dashboard.answered_share(ALPHA, reviews, product_ids=[101]) == pytest.approx(1 / 4)
    assert dashboard.answered_share(ALPHA, reviews, product_ids=[201]) is None  # not A's
    assert answer.status == "pending"


def test_an_answered_review_withdrawn_in_the_shop_no_longer_counts_as_answered(
    reviews: Databases,
) -> None:
    answer = responses.save_answer(
        ALPHA, reviews, review_id=12, body="Danke!", now=datetime(2026, 10, 15, 21)
    )
    assert responses.approve_answer(STAFF, reviews, response_id=answer.response_id,
                                    now=datetime(2026, 10, 16, 9))  # fmt: skip
    assert dashboard.review_summary(ALPHA, reviews, now=NOW).answered == 1
    with reviews.magento.begin() as conn:  # the shop takes review 12 back
        conn.execute(
            update(m.review).where(m.review.c.review_id == 12).values(status_id=m.REVIEW_PENDING)
        )
    summary = dashboard.review_summary(ALPHA, reviews, now=NOW)
    assert summary.count == 5 and summary.answered == 0 and summary.answered_share == 0
    assert summary.median_hours_to_answer == 24.0  # the time to answer still counts


def test_another_partners_course_filter_shows_nothing(reviews: Databases) -> None:
    theirs = ReviewFilters(product_ids=(201,))
    assert dashboard.list_reviews(ALPHA, reviews, filters=theirs).total == 0
    assert dashboard.review_summary(ALPHA, reviews, filters=theirs, now=NOW).count == 0


def test_a_member_without_review_rights_is_refused(reviews: Databases) -> None:
    member = Viewer(user_id=11, role="partner", partner_id=1, permissions=frozenset())
    with pytest.raises(ScopeError):
        dashboard.list_reviews(member, reviews)
