"""Benchmark: the widget's dates endpoint on one uvicorn worker, cache hits and misses.

    .venv/bin/python -m bench.bench_widget                  # a copy of the demo databases
    .venv/bin/python -m bench.bench_widget --dates 300 --requests 2000 --clients 8

Copies the demo SQLite files (built if missing) to a temp dir, gives the partner with the
most courses `--dates` future dates, starts `uvicorn api.app:app` (one worker) on loopback
and drives it from `--clients` threads with keep-alive connections. Prints requests/s, p50
and p95 for three kinds of request:

- revalidation: `If-None-Match` with the current ETag → 304 (the browser's cache hit);
- hit: no ETag, the rendered answer comes from the process's cache → 200;
- miss: a different `limit` each time, so the answer is queried and rendered → 200.

Goals (issue 15, at 1,000,000 orders on MariaDB/PostgreSQL; this script on the demo's SQLite
is the small version): ≥ 1,000 requests/s with p95 ≤ 20 ms on hits, p95 ≤ 50 ms on misses.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import func, select  # noqa: E402 - after the path setup

from core.clock import now_utc  # noqa: E402
from core.db import Databases, make_engine  # noqa: E402
from core.recurrence import to_local  # noqa: E402
from core.settings import load_settings  # noqa: E402
from data.access.viewer import Viewer  # noqa: E402
from data.dates.course_dates import create_date  # noqa: E402
from data.demo import ensure_demo  # noqa: E402
from data.integrations.widget_keys import widget_key  # noqa: E402
from data.portal_schema import courses  # noqa: E402


def _copy_demo(target: Path) -> Databases:
    settings = load_settings(env={})
    ensure_demo(settings).dispose()
    for name in ("magento.sqlite", "portal.sqlite"):
        shutil.copy(Path(settings.demo_dir) / name, target / name)
    magento = make_engine(f"sqlite:///{target / 'magento.sqlite'}")
    return Databases(magento=magento, magento_read=magento,
                     portal=make_engine(f"sqlite:///{target / 'portal.sqlite'}"))  # fmt: skip


def _prepare(db: Databases, dates: int) -> str:
    with db.portal.connect() as conn:
        partner_id, product_id = conn.execute(
            select(courses.c.partner_id, func.min(courses.c.product_id))
            .group_by(courses.c.partner_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    partner = Viewer(user_id=0, role="partner", partner_id=partner_id)
    today = to_local(now_utc()).date()
    for n in range(dates):
        day = today + timedelta(days=1 + n // 2)
        start = datetime.combine(day, clock_time(10 + 6 * (n % 2)))
        create_date(partner, db, product_id=product_id, starts_at=start,
                    ends_at=start + timedelta(hours=3), seats=12, price="89")  # fmt: skip
    return widget_key(partner, db).public_key


def _client(port: int, paths: list[tuple[str, dict[str, str]]], out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for path, headers in paths:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - started)


def _run(port: int, requests: list[tuple[str, dict[str, str]]], clients: int) -> str:
    timings: list[float] = []
    shares = [requests[i::clients] for i in range(clients)]
    threads = [threading.Thread(target=_client, args=(port, s, timings)) for s in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(timings, n=100)
    return (f"{len(timings) / wall:8.0f} requests/s   p50 {cuts[49] * 1000:6.1f} ms"
            f"   p95 {cuts[94] * 1000:6.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=300)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = _copy_demo(Path(tmp))
        key = _prepare(db, args.dates)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIOMENTE_")}
        env |= {
            "MIOMENTE_MAGENTO_URL": str(db.magento.url),
            "MIOMENTE_PORTAL_URL": str(db.portal.url),
            "MIOMENTE_COOKIE_KEY": "b" * 40,
        }
        db.dispose()
        port = 18700
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(port),
             "--no-access-log", "--log-level", "warning"],
            cwd=PROJECT_ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            path = f"/v1/widget/{key}/dates?limit=500"
            for _ in range(100):
                try:
                    probe = http.client.HTTPConnection("127.0.0.1", port)
                    probe.request("GET", path)
                    answer = probe.getresponse()
                    answer.read()
                    etag = answer.getheader("ETag") or ""
                    break
                except OSError:
                    time.sleep(0.2)
            n = args.requests
            print(f"widget dates, {args.dates} future dates, {args.clients} clients, {n} requests:")
            print("revalidation (304)", _run(port, [(path, {"If-None-Match": etag})] * n,
                                             args.clients))  # fmt: skip
            print("hit (200, cached) ", _run(port, [(path, {})] * n, args.clients))
            langs = ("de", "en")
            misses = [
                (f"/v1/widget/{key}/dates?limit={1 + i % 499}&lang={langs[i // 499 % 2]}", {})
                for i in range(min(n, 998))
            ]
            print("miss (200, query) ", _run(port, misses, args.clients))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
