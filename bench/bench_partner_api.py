"""Benchmark: the partner API's orders list (`GET /v1/orders`) for the biggest partner.

Usage (from the project root):

    .venv/bin/python -m bench.bench_partner_api [--orders 1000000] [--runs 50] [--warmup 5]
        [--shop-url URL --portal-url URL] [--keep]

Seeds a shop on MariaDB and a portal on PostgreSQL like bench_orders (or reuses databases
that `--keep` left behind), fills the booking ledger, makes an API key for "kochschule" and
measures, through the whole service in-process (FastAPI TestClient: routing, key check, rate
limit counter, data layer, JSON), p50/p95 of:

- the first slice of 50 (newest first), the filtered slice (new + confirmed, last 12 months),
- a deep slice: the cursor after 100 slices (5,000 rows) — keyset, so it costs the same,
- one order's detail (`GET /v1/orders/{id}`).

Goal: p95 <= 50 ms at 1,000,000 orders. The machine has 2 shared cores: figures carry noise.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from api.app import create_app
from api.settings import ApiSettings
from bench.bench_demo_seed import MYSQL_URL, POSTGRES_URL
from bench.bench_orders import bench_people, databases, p, timings
from core.db import Databases, make_engine
from core.settings import load_settings
from data.access.viewer import SYSTEM, Viewer
from data.bookings.ledger import sync_ledger
from data.bookings.listing import bookings_after
from data.demo import berlin_today
from data.integrations import rate_limits
from data.integrations.api_keys import KEY_SCOPES, create_key, key_viewer
from data.portal_schema import ROLE_PARTNER
from data.portal_schema import bookings as ledger

GOAL_P95_MS = 50.0
DEEP_SLICES = 100


def _get(client: TestClient, path: str, headers: dict[str, str], **params: object) -> dict:
    answer = client.get(path, headers=headers, params=params)
    if answer.status_code != 200:
        raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def _key_and_count(db: Databases, secret: str) -> None:
    use = key_viewer(db, secret=secret)
    assert use is not None
    limit = rate_limits.Limit(rate_limits.bucket("api:key", str(use.key_id)), 10**9, 60)
    rate_limits.take_counted(db, limit=limit)


def run(args: argparse.Namespace, shop_url: str, portal_url: str, stack: ExitStack) -> None:
    shop = make_engine(shop_url)
    db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
    stack.callback(db.dispose)
    started = time.perf_counter()
    result = sync_ledger(SYSTEM, db, notify=False)
    print(f"sync_ledger: {time.perf_counter() - started:.1f} s ({result.items:,} items)")
    with db.portal.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM (ANALYZE) {ledger.name}"))  # our own table's name
    partner_id, user_id, _ = bench_people(db)
    owner = Viewer(user_id=user_id, role=ROLE_PARTNER, partner_id=partner_id)
    secret = create_key(owner, db, name="Bench", scopes=list(KEY_SCOPES)).secret
    headers = {"Authorization": f"Bearer {secret}"}
    with db.portal.connect() as conn:
        order_id = conn.execute(
            select(ledger.c.order_id)
            .where(ledger.c.partner_id == partner_id)
            .order_by(ledger.c.booked_at.desc())
            .limit(1)
        ).scalar_one()
    keyed = Viewer(user_id=user_id, role=ROLE_PARTNER, partner_id=partner_id,
                   permissions=frozenset(KEY_SCOPES))  # fmt: skip
    settings = ApiSettings(core=load_settings(env={}), api_per_minute=10**9)
    client = stack.enter_context(TestClient(create_app(db=db, settings=settings)))

    cursor = None
    for _ in range(DEEP_SLICES):
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        cursor = _get(client, "/v1/orders", headers, **params)["next_cursor"]
        if cursor is None:
            break
    since = (berlin_today() - timedelta(days=365)).isoformat()
    cases: list[tuple[str, Callable[[], object]]] = [
        ("first slice (50)", lambda: _get(client, "/v1/orders", headers, limit=50)),
        (
            "filtered slice (50)",
            lambda: _get(
                client,
                "/v1/orders",
                headers,
                limit=50,
                status=["new", "confirmed"],
                booked_from=since,
            ),
        ),
        (
            f"slice after {DEEP_SLICES} slices",
            lambda: _get(client, "/v1/orders", headers, limit=50, cursor=cursor),
        ),
        ("order detail", lambda: _get(client, f"/v1/orders/{order_id}", headers)),
        # Where the time goes: the data layer alone, and the key check + rate-limit count.
        ("  data layer: bookings_after", lambda: bookings_after(keyed, db, limit=50)),
        ("  key check + rate count", lambda: _key_and_count(db, secret)),
    ]
    total = len(_get(client, "/v1/orders", headers, limit=200)["items"])
    print(f"partner id {partner_id}; first 200 rows: {total}; deep cursor: {cursor is not None}")
    print(f"{'request':<28} {'p50 ms':>8} {'p95 ms':>8} {'goal p95':>9}")
    for name, call in cases:
        if name.startswith("slice after") and cursor is None:
            continue
        values = timings(call, runs=args.runs, warmup=args.warmup)
        goal = f"<= {GOAL_P95_MS:.0f}" if name.endswith(")") and "slice" in name else ""
        print(f"{name:<28} {p(values, 0.5):8.1f} {p(values, 0.95):8.1f} {goal:>9}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--shop-url", help="reuse this shop database (MariaDB)")
    parser.add_argument("--portal-url", help="reuse this portal database (PostgreSQL)")
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    parser.add_argument("--mysql-url", default=MYSQL_URL, help="admin URL of the MariaDB server")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="admin URL of PostgreSQL")
    args = parser.parse_args()
    if bool(args.shop_url) != bool(args.portal_url):
        parser.error("give both --shop-url and --portal-url, or neither")
    with databases(args) as (shop_url, portal_url), ExitStack() as stack:
        run(args, shop_url, portal_url, stack)


if __name__ == "__main__":
    main()
