"""`expire-date-requests`: requests nobody answered within 5 German working days are closed
politely, once, however often and however concurrently the job runs (SQLite and
MariaDB + PostgreSQL through the `shop` fixture)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select

from core.db import Databases
from core.settings import Settings
from data.access.viewer import SYSTEM, Viewer
from data.demand import date_requests as dr
from data.portal_schema import date_requests, outbox
from jobs.registry import TASKS
from jobs.runner import JobContext, RunStatus, run_task

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
NOW = datetime(2026, 11, 25, 11, 0)  # Wednesday; the 5th working day after it: 2.12.


def _ask(db: Databases, *, email: str, day: date, now: datetime = NOW) -> int:
    return dr.create_request(
        ALPHA,
        db,
        product_id=101,
        day=day,
        start=time(18, 0),
        name="Erika Muster",
        email=email,
        participants=2,
        locale="en" if email.startswith("en") else "de",
        now=now,
    ).request_id


def _statuses(db: Databases) -> dict[int, str]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(date_requests.c.request_id, date_requests.c.status))
        return {int(i): str(s) for i, s in rows}


def _expiry_mails(db: Databases) -> list[dict]:
    query = select(outbox).where(outbox.c.template == "date_request_expired")
    with db.portal.connect() as conn:
        return [dict(r) for r in conn.execute(query.order_by(outbox.c.message_id)).mappings()]


def test_a_request_expires_after_its_fifth_working_day_once(shop: Databases) -> None:
    request_id = _ask(shop, email="en.erika@example.org", day=date(2026, 12, 19))
    last_day = datetime(2026, 12, 2, 20, 0)  # Wednesday 21:00 Berlin: still open
    assert dr.expire_overdue(SYSTEM, shop, now=last_day).expired == 0
    assert dr.list_requests(ALPHA, shop, now=last_day)["workdays_left"].tolist() == [0]
    next_day = datetime(2026, 12, 3, 5, 0)
    result = dr.expire_overdue(SYSTEM, shop, now=next_day)
    assert (result.expired, result.messages) == (1, 1)
    assert _statuses(shop) == {request_id: "expired"}
    mail = _expiry_mails(shop)[0]
    assert (mail["recipient"], mail["locale"], mail["partner_id"]) == (
        "en.erika@example.org",
        "en",
        1,
    )
    assert mail["payload"]["course"] == "Alpha Pasta-Werkstatt"
    assert mail["payload"]["requested_at"] == "2026-12-19T17:00:00"
    # Idempotent: later runs find nothing and queue nothing.
    assert dr.expire_overdue(SYSTEM, shop, now=next_day).expired == 0
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2027, 1, 5, 5, 0)).expired == 0
    assert len(_expiry_mails(shop)) == 1


def test_holidays_do_not_count_as_working_days(shop: Databases) -> None:
    created = datetime(2026, 12, 23, 9, 0)  # Wednesday before Christmas
    _ask(shop, email="erika@example.org", day=date(2027, 1, 15), now=created)
    # 24., 28., 29., 30., 31.12. are the five working days (25. and 26. are holidays).
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2026, 12, 31, 12, 0)).expired == 0
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2027, 1, 1, 12, 0)).expired == 1


def test_a_request_whose_day_has_come_expires_early(shop: Databases) -> None:
    _ask(shop, email="erika@example.org", day=date(2026, 11, 28))  # Saturday, 3 days ahead
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2026, 11, 27, 12, 0)).expired == 0
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2026, 11, 28, 7, 0)).expired == 1


def test_answered_requests_are_left_alone(shop: Databases) -> None:
    kept = _ask(shop, email="a@example.org", day=date(2026, 12, 19))
    dr.reject_requests(ALPHA, shop, request_ids=[kept], reason="Ausgebucht", now=NOW)
    assert dr.expire_overdue(SYSTEM, shop, now=datetime(2027, 2, 1, 9, 0)).expired == 0
    assert _statuses(shop) == {kept: "rejected"}


def test_two_runs_at_once_close_each_request_once(shop: Databases) -> None:
    ids = [_ask(shop, email=f"kunde{n}@example.org", day=date(2026, 12, 19)) for n in range(30)]
    later = datetime(2026, 12, 10, 6, 0)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = dr.expire_overdue(SYSTEM, shop, now=later)
        except Exception as exc:  # noqa: BLE001 - reported below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, dr.Expired) for r in results), results
    assert sum(r.expired for r in results if isinstance(r, dr.Expired)) == 30
    assert set(_statuses(shop).values()) == {"expired"}
    mails = _expiry_mails(shop)
    assert sorted(m["recipient"] for m in mails) == sorted(
        f"kunde{n}@example.org" for n in range(30)
    )
    assert len(ids) == 30


def test_the_task_is_registered_and_runs(shop: Databases, tmp_path: Path) -> None:
    task = TASKS["expire-date-requests"]
    assert task.summary("de").startswith("Sagt Terminanfragen")
    # Created on 25.11.2026 (answer due 2.12.2026): overdue on the run's fixed day, 4.12.2026.
    _ask(shop, email="erika@example.org", day=date(2026, 12, 19))
    url = shop.portal.url.render_as_string(hide_password=False)
    ctx = JobContext(
        settings=Settings(
            magento_url=shop.magento.url.render_as_string(hide_password=False),
            magento_read_url=None,
            portal_url=url,
            demo_dir=tmp_path,
            cookie_key="k" * 32,
        ),
        db=shop,
        now=datetime(2026, 12, 4, 8, 0),
    )
    early = run_task(task, replace(ctx, now=datetime(2026, 12, 1, 8, 0)))  # answer day not over
    assert early.result is not None and early.result.processed == 0
    dry = run_task(task, replace(ctx, dry_run=True))
    assert dry.status is RunStatus.OK
    report = run_task(task, ctx)
    assert report.status is RunStatus.OK
    assert report.result is not None and report.result.processed == 1
    again = run_task(task, ctx)
    assert again.result is not None and again.result.processed == 0
