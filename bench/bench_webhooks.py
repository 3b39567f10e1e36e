"""Benchmark: dispatch webhook deliveries to a loopback receiver with the real job code.

    .venv/bin/python -m bench.bench_webhooks                      # 50,000 deliveries, SQLite
    .venv/bin/python -m bench.bench_webhooks --deliveries 10000   # a smaller run
    .venv/bin/python -m bench.bench_webhooks --postgres           # portal on PostgreSQL

Seeds one partner with one endpoint on a loopback receiver (tests/support/webhook_receiver.py,
plain http through MIOMENTE_WEBHOOK_ALLOW_LOOPBACK, set here), emits N `booking.created`
events through `emit_events` (the causes' function), then runs `deliver_due` (the
deliver-webhooks job's loop: claim 500, sign, POST over one reused httpx connection pool,
record) and prints deliveries per second, per-request p50/p95 (ms), how many TCP connections
the receiver saw, and the process's RSS at each tenth of the run (flat memory: the job holds
one batch at a time). Goal: ≥ 200 deliveries/s with connection reuse, memory flat.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.bench_demo_seed import POSTGRES_URL, scratch_database  # noqa: E402
from bench.rows import partner_rows  # noqa: E402
from core import ssrf  # noqa: E402
from core.db import Databases, make_engine  # noqa: E402
from core.migrate import upgrade_portal  # noqa: E402
from core.settings import Settings  # noqa: E402
from data.access.viewer import SYSTEM, Viewer  # noqa: E402
from data.integrations import webhooks as wh  # noqa: E402
from data.portal_schema import partners, webhook_deliveries  # noqa: E402
from jobs.deliver_webhooks import deliver_due, new_client  # noqa: E402
from jobs.runner import JobContext  # noqa: E402
from tests.support.webhook_receiver import WebhookReceiver  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0)
PARTNER = Viewer(user_id=1, role="partner", partner_id=1)


def rss_mb() -> float:
    """The current resident set size (not the peak), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def seed(db: Databases, url: str, count: int) -> float:
    with db.portal.begin() as conn:
        conn.execute(insert(partners), partner_rows(1))
    wh.save_endpoint(PARTNER, db, url=url, events=["booking.created"], now=NOW)
    started = time.perf_counter()
    for first in range(0, count, 1000):
        events = [
            wh.Event(1, "booking.created", {"booking": {"item_id": i, "order_id": i,
                     "status": "new"}, "course": {"product_id": 101}}, f"bench:{i}")
            for i in range(first, min(first + 1000, count))
        ]  # fmt: skip
        with db.portal.begin() as conn:
            wh.emit_events(conn, events, now=NOW)
    return time.perf_counter() - started


def serve_receiver() -> None:
    """The receiver in its own process (in-process, it would compete for the sender's GIL):
    prints its URL, serves until stdin closes, then prints requests and connections."""
    with WebhookReceiver(keep=False) as receiver:
        print(receiver.url, flush=True)
        sys.stdin.read()
        print(receiver.count, len(receiver.connections), flush=True)


@contextmanager
def receiver_process() -> Iterator[tuple[str, list[int]]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.bench_webhooks", "--serve-receiver"],
        cwd=PROJECT_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    counts: list[int] = []
    try:
        yield child.stdout.readline().strip(), counts
    finally:
        child.stdin.close()
        counts += [int(x) for x in child.stdout.readline().split()]
        child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=50_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--serve-receiver", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        serve_receiver()
        return
    os.environ[ssrf.ALLOW_LOOPBACK_ENV] = "1"
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        portal_url = (
            stack.enter_context(scratch_database(POSTGRES_URL))
            if args.postgres
            else f"sqlite:///{work / 'portal.sqlite'}"
        )
        shop = make_engine(f"sqlite:///{work / 'shop.sqlite'}")
        db = Databases(magento=shop, magento_read=shop, portal=make_engine(portal_url))
        upgrade_portal(db.portal)
        receiver_url, counts = stack.enter_context(receiver_process())
        seeded = seed(db, receiver_url, args.deliveries)
        settings = Settings(magento_url=str(shop.url), magento_read_url=None,
                            portal_url=portal_url, demo_dir=work, cookie_key="b" * 40)  # fmt: skip
        ctx = JobContext(settings=settings, db=db, now=NOW, viewer=SYSTEM)
        samples: list[float] = []
        step = max(args.deliveries // 10 // 500, 1)
        started = time.perf_counter()
        sent = 0
        with new_client() as client:
            while True:
                totals = deliver_due(ctx, client=client, max_batches=step)
                if totals.sent == 0:
                    break
                sent += totals.sent
                samples.append(rss_mb())
        seconds = time.perf_counter() - started
        with db.portal.connect() as conn:
            durations = sorted(
                conn.execute(select(webhook_deliveries.c.duration_ms)).scalars().all()
            )
            ok = conn.execute(
                select(webhook_deliveries.c.delivery_id).where(webhook_deliveries.c.status == "ok")
            ).all()
        db.dispose()
        stack.close()  # stops the receiver, which reports its counts
    q = statistics.quantiles(durations, n=100) if len(durations) > 1 else [0] * 99
    print(f"backend: {'PostgreSQL' if args.postgres else 'SQLite'}")
    print(f"events emitted: {args.deliveries:,} in {seeded:.1f} s")
    print(f"deliveries: {sent:,} sent, {len(ok):,} ok, in {seconds:.1f} s "
          f"= {sent / seconds:,.0f} deliveries/s")  # fmt: skip
    print(f"per request (ms): p50 {q[49]:.0f}, p95 {q[94]:.0f}")
    print(f"receiver: {counts[0]:,} requests over {counts[1]} connection(s)")
    print("RSS (MB) at each tenth: " + ", ".join(f"{m:.0f}" for m in samples))


if __name__ == "__main__":
    main()
