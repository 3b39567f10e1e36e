"""Benchmark: the Bewertungen dashboard data for a partner with 5,000 reviews.

Usage (from the project root):

    .venv/bin/python -m bench.bench_reviews [--reviews 5000] [--others 45000] [--keep]

Creates uniquely named databases (shop on MariaDB, portal on PostgreSQL; admin URLs from
MIOMENTE_TEST_MYSQL_URL / MIOMENTE_TEST_POSTGRES_URL or the standard local ports; dropped at
the end unless --keep) with 50 partners of one category, partner 1 with 20 courses and N
reviews over three years (90 % approved, one or two votes each), the other partners' M
reviews (the marketplace average), and approved answers to half of partner 1's reviews. Then
times what the page needs for partner 1 — `review_summary` (averages, distribution, trend,
share answered, median time) and `list_reviews` (first page of 20, and the "unanswered"
filter) — 50 calls each — and the category's `marketplace_average` (the page caches it),
and prints p50/p95. Goal: summary + first page ≤ 100 ms together.
"""

from __future__ import annotations

import argparse
import random
from contextlib import ExitStack
from datetime import datetime, timedelta
from statistics import quantiles
from time import perf_counter

from sqlalchemy import insert

from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL, scratch_database
from bench.rows import partner_rows
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.viewer import Viewer
from data.reviews import dashboard
from data.reviews.dashboard import ReviewFilters
from data.shop import schema as m

NOW = datetime(2026, 12, 7, 9, 0)
PARTNERS = 50
COURSES = 20  # per partner
CHUNK = 10_000


def _portal(db: Databases) -> None:
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(PARTNERS))
        conn.execute(
            insert(p.courses),
            [
                {"partner_id": partner, "product_id": partner * 1000 + c, "sku": f"B{partner}-{c}"}
                for partner in range(1, PARTNERS + 1)
                for c in range(COURSES)
            ],
        )


def _shop(
    db: Databases, rng: random.Random, mine: int, others: int
) -> list[tuple[int, int, datetime]]:
    reviews, details, votes, names = [], [], [], []
    partner1: list[tuple[int, int, datetime]] = []
    for c in range(COURSES):
        names.append({"attribute_id": m.PRODUCT_ATTRIBUTES["name"][0], "store_id": 0,
                      "entity_id": 1000 + c, "value": f"Kurs {c}"})  # fmt: skip
    for review_id in range(1, mine + others + 1):
        partner = 1 if review_id <= mine else rng.randint(2, PARTNERS)
        product = partner * 1000 + rng.randrange(COURSES)
        created = NOW - timedelta(minutes=rng.randint(60, 3 * 365 * 24 * 60))
        status = m.REVIEW_APPROVED if rng.random() < 0.9 else rng.choice((2, 3))
        reviews.append({"review_id": review_id, "created_at": created, "entity_id": 1,
                        "entity_pk_value": product, "status_id": status})  # fmt: skip
        details.append({"review_id": review_id, "title": "Schöner Abend", "nickname": "Gast",
                        "detail": "Sehr empfehlenswert, gerne wieder."})  # fmt: skip
        for rating in range(1, rng.choice((2, 3))):
            stars = rng.choices((1, 2, 3, 4, 5), weights=(3, 4, 10, 30, 53))[0]
            votes.append({
                "option_id": stars, "rating_id": rating, "review_id": review_id,
                "entity_pk_value": product, "percent": stars * 20, "value": stars,
            })  # fmt: skip
        if partner == 1:
            partner1.append((review_id, product, created))
    with db.magento.begin() as conn:
        conn.execute(insert(m.rating), [{"rating_id": 2, "entity_id": 1, "rating_code": "Preis"}])
        conn.execute(insert(m.rating_option), [
            {"option_id": 10 + v, "rating_id": 2, "code": str(v), "value": v} for v in range(1, 6)
        ])  # fmt: skip
        conn.execute(insert(m.catalog_product_entity), [
            {"entity_id": 1000 + c, "attribute_set_id": 4, "type_id": "virtual", "sku": f"B1-{c}"}
            for c in range(COURSES)
        ])  # fmt: skip
        conn.execute(insert(m.catalog_product_entity_varchar), names)
        for table, rows in ((m.review, reviews), (m.review_detail, details),
                            (m.rating_option_vote, votes)):  # fmt: skip
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[start : start + CHUNK])
    return partner1


def _answers(db: Databases, partner1: list[tuple[int, int, datetime]]) -> int:
    rows = []
    for review_id, product, created in partner1[::2]:
        approved = created + timedelta(hours=1 + review_id % 96)
        rows.append(
            {"review_id": review_id, "partner_id": 1, "product_id": product, "body": "Danke!",
             "status": "approved", "published_body": "Danke!", "review_created_at": created,
             "first_approved_at": approved, "created_at": created, "updated_at": approved}
        )  # fmt: skip
    with db.portal.begin() as conn:
        conn.execute(insert(p.review_responses), rows)
    return len(rows)


def _timed(fn, runs: int = 50) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    fn()  # warm the pool and the plan
    times = []
    for _ in range(runs):
        started = perf_counter()
        fn()
        times.append((perf_counter() - started) * 1000)
    cuts = quantiles(times, n=20)
    return cuts[9], cuts[18]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviews", type=int, default=5000)
    parser.add_argument("--others", type=int, default=45_000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rng = random.Random(13)
    with ExitStack() as stack:
        shop_url = stack.enter_context(scratch_database(MYSQL_URL, keep=args.keep))
        portal_url = stack.enter_context(scratch_database(POSTGRES_URL, keep=args.keep))
        magento, portal = make_engine(shop_url), make_engine(portal_url)
        db = Databases(magento=magento, magento_read=magento, portal=portal)
        m.create_shop_schema(magento)
        upgrade_portal(portal)
        _portal(db)
        partner1 = _shop(db, rng, args.reviews, args.others)
        answered = _answers(db, partner1)
        viewer = Viewer(user_id=1, role="partner", partner_id=1)
        summary = dashboard.review_summary(viewer, db, now=NOW)
        figures = _timed(lambda: dashboard.review_summary(viewer, db, now=NOW))
        first = _timed(lambda: dashboard.list_reviews(viewer, db))
        unanswered = ReviewFilters(answered=False)
        open_ = _timed(lambda: dashboard.list_reviews(viewer, db, filters=unanswered))
        both = _timed(
            lambda: (
                dashboard.review_summary(viewer, db, now=NOW),
                dashboard.list_reviews(viewer, db),
            )
        )
        print(
            f"partner 1: {len(partner1):,} reviews ({summary.count:,} approved, average "
            f"{summary.average}), {answered:,} answered; {args.others:,} reviews of 49 others"
        )
        print(f"review_summary:            p50 {figures[0]:.1f} ms, p95 {figures[1]:.1f} ms")
        print(f"list_reviews, page 1:      p50 {first[0]:.1f} ms, p95 {first[1]:.1f} ms")
        print(f"list_reviews, unanswered:  p50 {open_[0]:.1f} ms, p95 {open_[1]:.1f} ms")
        print(f"dashboard (summary + list): p50 {both[0]:.1f} ms, p95 {both[1]:.1f} ms "
              "(goal <= 100 ms)")  # fmt: skip
        market = _timed(lambda: dashboard.marketplace_average(viewer, db), runs=10)
        print(f"marketplace_average (all {PARTNERS} partners' reviews, cached by the page for a "
              f"minute): p50 {market[0]:.1f} ms, p95 {market[1]:.1f} ms")  # fmt: skip
        db.dispose()


if __name__ == "__main__":
    main()
