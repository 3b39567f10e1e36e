"""Benchmark: send 10,000 queued emails of one template through `python -m jobs run send-outbox`.

    .venv/bin/python -m bench.bench_outbox                 # portal on a fresh PostgreSQL database
    .venv/bin/python -m bench.bench_outbox --sqlite        # portal on a SQLite file
    .venv/bin/python -m bench.bench_outbox --messages 20000 --latency 0.2

Queues the messages (one waitlist notice for one course date, a different recipient and name
each) into an empty, migrated portal database, then runs the real sidecar as a child process
against the loopback SendGrid stand-in (tests/fakes.py, which validates every body against
SendGrid's schema) and prints: messages per second (from the job's own start and end in
miomente_job_runs, and from the wall clock including the interpreter's start), the number of
API requests, total seconds and the sender's peak RSS. Goal: ≥ 500 messages/s, ≤ 20 requests.

PostgreSQL comes from MIOMENTE_TEST_POSTGRES_URL (default: postgres@127.0.0.1:5432); the
database is created with a unique name and dropped afterwards. The shop database is never
touched by the sender, so a throwaway SQLite path stands in for it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.bench_demo_seed import POSTGRES_URL, scratch_database  # noqa: E402
from core.db import make_engine  # noqa: E402 - after the path setup
from core.migrate import upgrade_portal  # noqa: E402
from data.comms import outbox  # noqa: E402
from data.portal_schema import job_runs  # noqa: E402
from messaging.render import TEMPLATES  # noqa: E402
from tests.support.fakes import SendGridFake  # noqa: E402

TEMPLATE = "waitlist_new_date"


def queue(portal_url: str, count: int) -> float:
    """Migrate and queue `count` notices in one transaction; returns the seconds it took."""
    engine = make_engine(portal_url, pool=False)
    upgrade_portal(engine)
    sample = dict(TEMPLATES[TEMPLATE].sample)
    messages = [
        dict(
            channel="email",
            template=TEMPLATE,
            recipient=f"warteliste{i:05d}@example.org",
            recipient_name=f"Kundin Nr. {i}",
            locale="de",
            payload={**sample, "customer_name": f"Kundin Nr. {i}"},
            dedupe_key=f"bench-waitlist-{i}",
        )
        for i in range(count)
    ]
    started = time.perf_counter()
    with engine.begin() as conn:
        outbox.queue_many(conn, messages)
    engine.dispose()
    return time.perf_counter() - started


def run_sender(portal_url: str, work: Path, fake: SendGridFake) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIOMENTE_", "SENDGRID_"))}
    env.update(
        MIOMENTE_MAGENTO_URL=f"sqlite:///{work / 'shop-unused.sqlite'}",
        MIOMENTE_PORTAL_URL=portal_url,
        MIOMENTE_COOKIE_KEY="bench-" + "x" * 40,
        MIOMENTE_DEMO_DIR=str(work),
        SENDGRID_API_KEY=fake.api_key,
        SENDGRID_HOST=fake.url,
    )
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "jobs", "run", "send-outbox"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"send-outbox failed ({result.returncode}):\n{result.stderr}")
    return wall, result.stderr


def job_figures(portal_url: str) -> tuple[float, int, int, dict]:
    engine = make_engine(portal_url, pool=False)
    with engine.connect() as conn:
        row = (
            conn.execute(select(job_runs).order_by(job_runs.c.run_id.desc()).limit(1))
            .mappings()
            .one()
        )
    engine.dispose()
    seconds = (row["finished_at"] - row["started_at"]).total_seconds()
    return seconds, row["processed"], row["failed"], row["details"] or {}


def bench(portal_url: str, work: Path, *, count: int, latency: float) -> None:
    queued = queue(portal_url, count)
    with SendGridFake(latency=latency) as fake:
        wall, log = run_sender(portal_url, work, fake)
        requests = len(fake.mail_requests())
        recipients = fake.recipients(accepted_only=True)
        violations = fake.violations
    job_seconds, processed, failed, details = job_figures(portal_url)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    progress = [line for line in log.splitlines() if "send-outbox:" in line]
    print(f"queued:            {count:,} emails of {TEMPLATE!r} in {queued:.1f} s")
    print(
        f"sent:              {processed - failed:,} (failed {failed}), fake received "
        f"{len(recipients):,} recipients, {len(set(recipients)):,} distinct"
    )
    print(f"API requests:      {requests}  (schema violations: {len(violations)})")
    print(f"job duration:      {job_seconds:.2f} s  →  {processed / job_seconds:,.0f} messages/s")
    print(f"total (process):   {wall:.2f} s  →  {processed / wall:,.0f} messages/s incl. start-up")
    print(f"peak RSS (sender): {peak_rss_mb:.0f} MB")
    print(
        f"longest send call {details.get('send_seconds_max', 0) * 1000:.0f} ms, longest "
        f"202→commit of its outcomes {details.get('record_seconds_max', 0) * 1000:.0f} ms"
    )
    if progress:
        print(f"last progress line: {progress[-1].split(' INFO ')[-1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--sqlite", action="store_true", help="portal on SQLite, not PostgreSQL")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the fake waits before each answer"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mio-bench-") as tmp:
        work = Path(tmp)
        if args.sqlite:
            url = f"sqlite:///{work / 'portal.sqlite'}"
            print(f"portal: SQLite ({url})")
            bench(url, work, count=args.messages, latency=args.latency)
            return
        with scratch_database(POSTGRES_URL, keep=False) as url:
            print(f"portal: PostgreSQL ({make_url(url).database})")
            bench(url, work, count=args.messages, latency=args.latency)


if __name__ == "__main__":
    main()
