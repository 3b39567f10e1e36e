"""Benchmark: the widget's dates endpoint on one uvicorn worker, cache hits and misses.

    .venv/bin/python -m bench.bench_widget                  # a copy of the demo databases
    .venv/bin/python -m bench.bench_widget --dates 300 --seconds 10 --clients 8
    .venv/bin/python -m bench.bench_widget --magento-url mysql+pymysql://… \
        --portal-url postgresql+psycopg://…                 # kept (e.g. 1M-order) databases

Demo mode copies the demo SQLite files (built if missing) to a temp dir and gives the partner
with the most courses `--dates` future dates. With `--magento-url`/`--portal-url` it uses
those databases as they are and picks the partner whose number of future dates is nearest to
`--dates` (or `--partner`); it writes nothing there but that partner's widget key (made if
missing). Then it starts `uvicorn api.app:app` (one worker) on loopback and drives it with
`wrk` when installed (one thread, `--clients` keep-alive connections), else with Python
threads. Prints requests/s, p50 and p95 and the machine's load average for:

- revalidation: `If-None-Match` with the current ETag → 304 (the browser's cache hit);
- hit: no ETag, the rendered answer comes from the process's cache → 200;
- miss: a second server with both caches off (`MIOMENTE_API_CACHE_ENTRIES=0`,
  `MIOMENTE_API_VERSION_TTL=0`), so every request takes the fingerprint, queries the dates
  and renders them → 200. Identical requests in flight at the same moment share one
  fingerprint and one rendering (api/flight.py), so with several connections this is the
  figure of a burst of visitors of the same page;
- distinct misses: the same server, but every request asks for another answer (`limit`
  cycles through 400…499, so no two requests in flight share an ETag): nothing is shared but
  the fingerprint query of concurrent requests (of the same partner and course), and with
  under 500 dates all of them show the same dates. The honest figure for many different
  widgets missing at once.

Goals (issue 15, at 1,000,000 orders): ≥ 1,000 requests/s with p95 ≤ 20 ms on hits,
p95 ≤ 50 ms on misses.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from data.shop.schema import DATE_ACTIVE, miomente_course_date  # noqa: E402


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


def _kept(magento_url: str, portal_url: str) -> Databases:
    magento = make_engine(magento_url)
    return Databases(magento=magento, magento_read=magento, portal=make_engine(portal_url))


def _nearest_partner(db: Databases, dates: int) -> tuple[int, int]:
    """The partner whose number of future active dates is nearest to `dates`."""
    with db.portal.connect() as conn:
        owner = dict(conn.execute(select(courses.c.product_id, courses.c.partner_id)).all())
    d = miomente_course_date
    query = (
        select(d.c.product_id, func.count())
        .where(d.c.starts_at > now_utc(), d.c.status == DATE_ACTIVE)
        .group_by(d.c.product_id)
    )
    per: dict[int, int] = {}
    with db.magento.connect() as conn:
        for product_id, n in conn.execute(query):
            if product_id in owner:
                per[owner[product_id]] = per.get(owner[product_id], 0) + int(n)
    return min(per.items(), key=lambda item: (abs(item[1] - dates), item[0]))


def _client(port: int, paths: list[tuple[str, dict[str, str]]], out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for path, headers in paths:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - started)


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


DISTINCT = range(400, 500)  # `limit` values of the distinct misses


def _distinct(path: str, n: int) -> str:
    return path.replace("limit=500", f"limit={DISTINCT[n % len(DISTINCT)]}")


def _threads(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    clients: int,
    distinct: bool = False,
) -> str:
    """The fallback load generator: `clients` threads, keep-alive, for about `seconds`;
    `distinct`: each request of all clients with another `limit` (no two alike in flight)."""
    timings: list[float] = []
    probe: list[float] = []
    _client(port, [(path, headers)] * 20, probe)
    per_client = max(20, int(seconds / max(statistics.mean(probe), 1e-4) / clients))

    def paths(c: int) -> list[tuple[str, dict[str, str]]]:
        if not distinct:
            return [(path, headers)] * per_client
        # Client c takes every clients-th value: the clients rarely ask for the same at once.
        return [(_distinct(path, c + clients * i), headers) for i in range(per_client)]

    threads = [
        threading.Thread(target=_client, args=(port, paths(c), timings)) for c in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cuts = statistics.quantiles(timings, n=100)
    _COUNTS.append(len(timings))
    return (f"{len(timings) / wall:8.0f} requests/s   p50 {cuts[49] * 1000:6.1f} ms"
            f"   p95 {cuts[94] * 1000:6.1f} ms   (threads, {_load()})")  # fmt: skip


_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), summary.errors.status))
end
"""


# wrk's connections of one thread share this Lua state: consecutive requests, whichever
# connection sends them, get consecutive limits, so the requests in flight never share one.
_WRK_DISTINCT = """
local n = 0
request = function()
  n = n + 1
  local path = string.gsub(wrk.path, "limit=500", "limit=" .. (400 + n % 100))
  return wrk.format(nil, path)
end
"""


def _wrk(
    port: int,
    path: str,
    headers: dict[str, str],
    seconds: float,
    clients: int,
    distinct: bool = False,
) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_REPORT + (_WRK_DISTINCT if distinct else ""))
        script.flush()
        command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, int(seconds))}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run([*command, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    line = next(row for row in out.splitlines() if row.startswith("RESULT"))
    count, micros, p50, p95, bad = (int(x) for x in line.split()[1:])
    _COUNTS.append(count)
    return (
        f"{count / (micros / 1e6):8.0f} requests/s   p50 {p50 / 1000:6.1f} ms"
        f"   p95 {p95 / 1000:6.1f} ms   (wrk, {_load()}{f', {bad} errors' if bad else ''})"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc): what a request costs the worker,
    whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(drive: Callable[..., str], pid: int, *args: object, distinct: bool = False) -> str:
    before = _cpu_seconds(pid)
    line = drive(*args, distinct=distinct) if distinct else drive(*args)
    used = _cpu_seconds(pid) - before
    count = _COUNTS.pop() if _COUNTS else 0
    if not count:
        return line
    per = used / count * 1000
    return f"{line}   server CPU {per:.2f} ms/request (≈ {1000 / per:,.0f}/s on a free core)"


_COUNTS: list[int] = []


@contextmanager
def _server(env: dict[str, str], port: int, path: str) -> Iterator[tuple[str, int]]:
    """`uvicorn api.app:app`, one worker; yields the ETag of `path` once it answers, and the
    server's pid."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=PROJECT_ROOT, env=env, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        etag = ""
        for _ in range(150):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port)
                probe.request("GET", path)
                answer = probe.getresponse()
                answer.read()
                etag = answer.getheader("ETag") or ""
                break
            except OSError:
                time.sleep(0.2)
        yield etag, server.pid
    finally:
        server.terminate()
        server.wait()


def _environment(db: Databases) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIOMENTE_")}
    return env | {
        "MIOMENTE_MAGENTO_URL": db.magento.url.render_as_string(hide_password=False),
        "MIOMENTE_PORTAL_URL": db.portal.url.render_as_string(hide_password=False),
        "MIOMENTE_COOKIE_KEY": "b" * 40,
    }


def _measure(env: dict[str, str], key: str, args: argparse.Namespace) -> None:
    drive = _wrk if shutil.which("wrk") and not args.threads else _threads
    port, path = 18700, f"/v1/widget/{key}/dates?limit=500"
    browser = {"Accept-Encoding": "gzip, deflate, br"}  # as every browser sends it
    with _server(env, port, path) as (etag, pid):
        drive(port, path, browser, 2, args.clients)  # warm up
        _COUNTS.clear()
        again = browser | {"If-None-Match": etag}
        print("revalidation (304)", _timed(drive, pid, port, path, again, args.seconds,
                                           args.clients))  # fmt: skip
        print("hit (200, cached) ", _timed(drive, pid, port, path, browser, args.seconds,
                                           args.clients))  # fmt: skip
    cold = env | {"MIOMENTE_API_CACHE_ENTRIES": "0", "MIOMENTE_API_VERSION_TTL": "0"}
    with _server(cold, port + 1, path) as (_, pid):
        drive(port + 1, path, browser, 2, args.clients)  # warm up (connections, DB pages)
        _COUNTS.clear()
        for clients in sorted({1, args.clients}):
            print(f"miss (200, query), {clients} conn.", _timed(
                drive, pid, port + 1, path, browser, args.seconds, clients))  # fmt: skip
        print(f"distinct misses, {args.clients} conn.", _timed(
            drive, pid, port + 1, path, browser, args.seconds, args.clients,
            distinct=True))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--magento-url", help="kept shop database (else a demo copy)")
    parser.add_argument("--portal-url", help="kept portal database (else a demo copy)")
    parser.add_argument("--partner", type=int, help="with kept databases: this partner")
    parser.add_argument("--threads", action="store_true", help="Python threads even with wrk")
    args = parser.parse_args()
    if bool(args.magento_url) != bool(args.portal_url):
        parser.error("--magento-url and --portal-url go together")
    with tempfile.TemporaryDirectory() as tmp:
        if args.magento_url:
            db = _kept(args.magento_url, args.portal_url)
            if args.partner:
                partner_id, count = args.partner, -1
            else:
                partner_id, count = _nearest_partner(db, args.dates)
            key = widget_key(Viewer(user_id=0, role="partner", partner_id=partner_id), db)
            label = f"partner {partner_id}, {count} future dates (kept databases)"
            key_text = key.public_key
        else:
            db = _copy_demo(Path(tmp))
            key_text = _prepare(db, args.dates)
            label = f"{args.dates} future dates (demo copy)"
        env = _environment(db)
        db.dispose()
        print(f"widget dates, {label}, one worker, {args.clients} connections, "
              f"{args.seconds:g} s each:")  # fmt: skip
        _measure(env, key_text, args)


if __name__ == "__main__":
    main()
