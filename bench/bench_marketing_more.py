"""Keyword ideas and price position on a big demo shop: how long one course's view takes.

Usage (from the project root):

    .venv/bin/python -m bench.bench_marketing_more [--orders 100000] [--searches 200000]
        [--courses 20]

Builds a demo on SQLite in a temp dir (`--orders` orders: one partner per 500 orders, 3–8
courses each), adds `--searches` synthetic search-log rows (German terms × cities × a
number, each unique) to the demo's own log, then times `keyword_ideas` and `price_position`
for `--courses` courses spread over the catalogue, as staff. Prints median and slowest.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from core.periods import berlin_today
from data.access.viewer import Viewer
from data.demo import generate
from data.demo.content import CITIES
from data.demo.search_queries import GENERIC, TERMS
from data.marketing.keywords import keyword_ideas
from data.marketing.prices import price_position
from data.portal_schema import courses
from data.shop.schema import create_shop_schema, search_query

STAFF = Viewer(user_id=1, role="staff")


def _more_searches(db, count: int) -> None:
    rng = random.Random(7)
    words = [w for terms in (*TERMS.values(), GENERIC) for w in terms]
    cities = [c[0].lower() for c in CITIES]
    rows = [
        {
            "query_text": f"{rng.choice(words)} {rng.choice(cities)} {n}",
            "num_results": rng.randint(0, 30),
            "popularity": rng.randint(1, 50),
            "store_id": 1,
            "updated_at": datetime(2026, 11, 1),
        }
        for n in range(count)
    ]
    with db.magento.begin() as conn:
        for begin in range(0, len(rows), 20_000):
            conn.execute(insert(search_query), rows[begin : begin + 20_000])


def _timed(fn, **kwargs) -> float:
    started = time.perf_counter()
    fn(STAFF, DB, **kwargs)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    global DB
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200_000)
    parser.add_argument("--courses", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        shop = make_engine(f"sqlite:///{Path(tmp) / 'magento.sqlite'}")
        DB = Databases(
            magento=shop,
            magento_read=shop,
            portal=make_engine(f"sqlite:///{Path(tmp) / 'portal.sqlite'}"),
        )
        create_shop_schema(DB.magento)
        upgrade_portal(DB.portal)
        print(generate(DB, orders=args.orders, today=berlin_today()).line())
        _more_searches(DB, args.searches)
        with DB.magento.connect() as conn:
            logged = conn.execute(select(func.count()).select_from(search_query)).scalar()
        with DB.portal.connect() as conn:
            ids = [r[0] for r in conn.execute(select(courses.c.product_id).order_by("product_id"))]
        sample = ids[:: max(1, len(ids) // args.courses)][: args.courses]
        keywords = [_timed(keyword_ideas, product_id=pid) for pid in sample]
        prices = [_timed(price_position, product_id=pid) for pid in sample]
        print(f"{len(ids):,} courses, {logged:,} search-log rows, {len(sample)} courses timed")
        for name, times in (("keyword_ideas", keywords), ("price_position", prices)):
            print(f"{name}: median {statistics.median(times):.0f} ms, slowest {max(times):.0f} ms")
        DB.dispose()


DB = None

if __name__ == "__main__":
    main()
