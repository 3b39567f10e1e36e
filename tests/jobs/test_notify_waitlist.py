"""`notify-waitlist` through the job runner: conversions, expiry and notices in one run, logged
in the job log; a repeat and a run beside a running one mail nobody twice; `--dry-run` only
counts. The task works on the real clock, so the dates here lie days ahead of it."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from core.clock import now_utc
from core.db import Databases
from core.settings import Settings
from data.access.viewer import Viewer
from data.demand import waitlist as wl
from data.portal_schema import job_runs, outbox, waitlist
from jobs.registry import TASKS
from jobs.runner import JobContext, RunStatus, run_task
from tests.support.waitlist import COURSE, add_course, add_date

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
TASK = TASKS["notify-waitlist"]


@pytest.fixture
def db(shop: Databases) -> Databases:
    add_course(shop)
    with shop.portal.begin() as conn:
        conn.execute(delete(waitlist))
    return shop


@pytest.fixture
def ctx(db: Databases, tmp_path: Path) -> JobContext:
    url = db.portal.url.render_as_string(hide_password=False)
    settings = Settings(
        magento_url=db.magento.url.render_as_string(hide_password=False),
        magento_read_url=None,
        portal_url=url,
        demo_dir=tmp_path / "demo",
        cookie_key="k" * 40,
    )
    return JobContext(settings=settings, db=db)


def _add(db: Databases, email: str, *, days_ago: float, seats: int = 1) -> None:
    wl.add_entry(
        ALPHA, db, product_id=COURSE, customer_name=email.split("@")[0], email=email,
        seats=seats, consent=True, now=now_utc() - timedelta(days=days_ago),
    )  # fmt: skip


def _waitlist_mails(db: Databases) -> int:
    with db.portal.connect() as conn:
        query = select(func.count()).where(outbox.c.template == "waitlist_new_date")
        return int(conn.execute(query).scalar() or 0)


def test_the_task_is_scheduled_and_described() -> None:
    assert TASK.summary("de").startswith("Warteliste")
    assert TASK.load().__module__ == "jobs.notify_waitlist"


def test_one_run_converts_expires_and_tells_the_rest_once(ctx: JobContext) -> None:
    db = ctx.db
    _add(db, "wartet@example.org", days_ago=3)
    _add(db, "gruppe@example.org", days_ago=2, seats=3)
    _add(db, "uralt@example.org", days_ago=400)
    add_date(db, 801, days=9, seats=10, base=now_utc())

    dry = run_task(TASK, JobContext(settings=ctx.settings, db=db, dry_run=True))
    assert dry.status is RunStatus.OK and dry.result is not None
    assert dry.result.details["waiting"] == 3 and _waitlist_mails(db) == 0

    report = run_task(TASK, ctx)
    assert report.status is RunStatus.OK and report.result is not None
    details = report.result.details
    assert (details["expired"], details["mails"], details["converted"]) == (1, 2, 0)
    assert _waitlist_mails(db) == 2
    with db.portal.connect() as conn:
        logged = conn.execute(
            select(job_runs.c.status, job_runs.c.processed).where(job_runs.c.task == TASK.name)
        ).all()
    assert [tuple(r) for r in logged] == [("ok", 0), ("ok", 2)]

    again = run_task(TASK, ctx)
    assert again.result is not None and again.result.processed == 0
    assert _waitlist_mails(db) == 2


def test_two_runs_at_once_mail_each_person_once(ctx: JobContext) -> None:
    db = ctx.db
    for n in range(6):
        _add(db, f"person{n}@example.org", days_ago=5 - n / 10)
    add_date(db, 802, days=12, seats=20, base=now_utc())
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(run_task(TASK, ctx))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.status for r in reports} <= {RunStatus.OK, RunStatus.LOCKED}
    assert _waitlist_mails(db) == 6
