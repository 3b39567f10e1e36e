"""Benchmark: the Neuigkeiten badge, which every page run of a partner pays for.

Usage (from the project root):

    .venv/bin/python -m bench.bench_news [--partners 2000] [--announcements 1000] [--keep]

Creates a uniquely named portal database on PostgreSQL (admin URL from
MIOMENTE_TEST_POSTGRES_URL or the standard local port; dropped at the end unless --keep) with
N partners and one user each, M announcements over three years (every fourth for ten chosen
partners, the rest for all; a few scheduled and withdrawn), and each user's reads of about
half of what they see. Then times `unread_count` (the menu's badge) and `feed` for a partner
user, 300 calls each, and prints p50/p95. Goal: the badge ≤ 5 ms per page run.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from statistics import quantiles
from time import perf_counter

from sqlalchemy import insert

from bench.bench_demo_seed import POSTGRES_URL, scratch_database
from bench.rows import partner_rows
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data import portal_schema as p
from data.access.viewer import Viewer
from data.news import announcements as news

NOW = datetime(2026, 12, 7, 9, 0)


def _partners_and_users(db: Databases, n: int) -> None:
    with db.portal.begin() as conn:
        conn.execute(insert(p.partners), partner_rows(n))
        conn.execute(
            insert(p.users),
            [
                {"user_id": i, "username": f"bench{i}", "display_name": f"Team {i}",
                 "email": f"team{i}@example.org", "password_hash": "x", "role": "partner",
                 "partner_id": i}
                for i in range(1, n + 1)
            ],
        )  # fmt: skip
        conn.execute(
            insert(p.users),
            [{"user_id": n + 1, "username": "staff", "display_name": "Staff",
              "email": "staff@example.org", "password_hash": "x", "role": "staff"}],
        )  # fmt: skip


def _announcements(db: Databases, rng: random.Random, n: int, partners: int) -> None:
    rows, chosen = [], []
    for i in range(1, n + 1):
        at = NOW - timedelta(hours=rng.randint(-24 * 14, 24 * 365 * 3))
        rows.append(
            {"announcement_id": i, "title": f"Neuigkeit {i}", "body": "Text " * 80,
             "category": "news", "all_partners": i % 4 != 0, "pinned": i % 97 == 0,
             "publish_at": at, "created_at": at, "created_by": partners + 1, "updated_at": at,
             "withdrawn_at": at if i % 50 == 0 else None}
        )  # fmt: skip
        if i % 4 == 0:
            chosen += [
                {"announcement_id": i, "partner_id": rng.randint(1, partners)} for _ in "0123456789"
            ]
    with db.portal.begin() as conn:
        conn.execute(insert(p.announcements), rows)
        conn.execute(
            insert(p.announcement_partners), [dict(t) for t in {tuple(c.items()) for c in chosen}]
        )


def _reads(db: Databases, rng: random.Random, n: int, partners: int) -> int:
    rows = [
        {"announcement_id": a, "user_id": u, "read_at": NOW}
        for u in range(1, partners + 1)
        for a in range(1, n + 1)
        if a % 4 != 0 and rng.random() < 0.5
    ]
    with db.portal.begin() as conn:
        for start in range(0, len(rows), 20_000):
            conn.execute(insert(p.announcement_reads), rows[start : start + 20_000])
    return len(rows)


def _timed(fn, runs: int = 300) -> tuple[float, float]:  # type: ignore[no-untyped-def]
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
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--announcements", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    with scratch_database(POSTGRES_URL, keep=args.keep) as portal_url:
        engine = make_engine(portal_url)
        db = Databases(magento=engine, magento_read=engine, portal=engine)
        upgrade_portal(db.portal)
        _partners_and_users(db, args.partners)
        _announcements(db, rng, args.announcements, args.partners)
        reads = _reads(db, rng, args.announcements, args.partners)
        viewer = Viewer(user_id=17, role="partner", partner_id=17)
        unread = news.unread_count(viewer, db, now=NOW)
        badge = _timed(lambda: news.unread_count(viewer, db, now=NOW))
        feed = _timed(lambda: news.feed(viewer, db, now=NOW))
        print(
            f"{args.partners:,} partners, {args.announcements:,} announcements, {reads:,} reads; "
            f"partner 17 has {unread} unread"
        )
        print(f"badge (unread_count): p50 {badge[0]:.2f} ms, p95 {badge[1]:.2f} ms (goal <= 5 ms)")
        print(f"feed (50 newest):     p50 {feed[0]:.2f} ms, p95 {feed[1]:.2f} ms")
        db.dispose()


if __name__ == "__main__":
    main()
