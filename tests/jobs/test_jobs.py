"""The jobs sidecar: CLI and exit codes, the job log, schedules, locks, dry runs.

In-process through `jobs.__main__.main(argv, settings=…, db=…, tasks=…)` where a test needs its
own tasks, and as real `python -m jobs` processes where the process boundary matters (exit
codes, a lock holder that dies). Every backend: SQLite (file lock) and PostgreSQL (advisory
lock), with the shop on MariaDB.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep

import pytest
from sqlalchemy import Engine, select

from core.db import Databases
from core.settings import PROJECT_ROOT, Settings
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.comms import outbox
from data.ops import job_runs as job_log
from data.portal_schema import JOB_FAILED, JOB_OK, JOB_RUNNING, job_runs
from jobs.__main__ import main
from jobs.locks import LockBusy, advisory_key, task_lock
from jobs.registry import TASKS, Daily, Every, Task, is_due
from jobs.runner import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, JobContext, TaskResult

PARTNER = Viewer(user_id=10, role="partner", partner_id=1)
COOKIE_KEY = "k" * 40
CALLS: list[str] = []


def counting(ctx: JobContext) -> TaskResult:
    CALLS.append("counting")
    return TaskResult(processed=7, failed=2, details={"dry_run": ctx.dry_run, "note": "äöü"})


def daily_work(ctx: JobContext) -> TaskResult:
    CALLS.append("daily")
    return TaskResult(processed=1)


def exploding(ctx: JobContext) -> TaskResult:
    raise RuntimeError("Kaputt: die Aufgabe scheitert absichtlich")


def _task(name: str, schedule: object, entry: object) -> Task:
    return Task(name, schedule, entry, "jobs.task_send_outbox")  # type: ignore[arg-type]


TEST_TASKS = {
    t.name: t
    for t in (
        _task("counting", Every(5), counting),
        _task("daily", Daily(time(3, 0)), daily_work),
        _task("exploding", Every(1), exploding),
        _task("by-name", Every(1), "tests.jobs.test_jobs:counting"),
    )
}


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def databases(portal_databases: Databases) -> Databases:
    return portal_databases  # these tests never touch the shop


@pytest.fixture
def settings(databases: Databases, tmp_path: Path) -> Settings:
    return Settings(
        magento_url=_url(databases.magento),
        magento_read_url=None,
        portal_url=_url(databases.portal),
        demo_dir=tmp_path / "demo",
        cookie_key=COOKIE_KEY,
    )


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    CALLS.clear()
    yield
    CALLS.clear()


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MIOMENTE_", "SENDGRID_"))}
    env.update(
        MIOMENTE_MAGENTO_URL=settings.magento_url or "",
        MIOMENTE_PORTAL_URL=settings.portal_url or "",
        MIOMENTE_COOKIE_KEY=COOKIE_KEY,
        MIOMENTE_DEMO_DIR=str(settings.demo_dir),
        PYTHONPATH=str(PROJECT_ROOT),
        **extra,
    )
    return env


def _jobs(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobs", *args],
        cwd=PROJECT_ROOT,
        env=_env(settings, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _runs(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(job_runs).order_by(job_runs.c.run_id)).mappings()
        return [dict(r) for r in rows]


# --- the command line ---------------------------------------------------------------------------


def test_cli_list_and_unknown_task(
    settings: Settings, databases: Databases, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = _jobs(settings, "list")
    assert listed.returncode == EXIT_OK, listed.stderr
    assert "send-outbox" in listed.stdout and "alle 5 Minuten" in listed.stdout
    assert "jede Minute" not in listed.stdout  # the crontab calls run-due every 5 minutes
    assert "*/5 * * * *" in listed.stdout and "noch nie" in listed.stdout

    unknown = _jobs(settings, "run", "kaffee-kochen")
    assert unknown.returncode == EXIT_USAGE
    assert "Unbekannte Aufgabe „kaffee-kochen“" in unknown.stderr
    assert "send-outbox" in unknown.stderr
    english = replace(settings, default_locale="en")
    assert main(["run", "kaffee-kochen"], settings=english, db=databases) == EXIT_USAGE
    english_error = capsys.readouterr().err
    assert "Unknown task 'kaffee-kochen'. Known tasks:" in english_error
    assert "send-outbox" in english_error


def test_a_run_is_logged_with_counts_and_shown_by_list(
    settings: Settings, databases: Databases, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "counting"], settings=settings, db=databases, tasks=TEST_TASKS) == 0
    assert main(["run", "by-name"], settings=settings, db=databases, tasks=TEST_TASKS) == 0
    assert CALLS == ["counting", "counting"]
    first, _second = _runs(databases)
    assert first["task"] == "counting" and first["status"] == JOB_OK and not first["dry_run"]
    assert (first["processed"], first["failed"]) == (7, 2)
    assert first["details"] == {"dry_run": False, "note": "äöü"}
    assert first["finished_at"] >= first["started_at"] and first["host"]

    runs = job_log.list_runs(SYSTEM, databases)
    assert list(runs["task"]) == ["by-name", "counting"]  # newest first
    assert (runs["duration_seconds"] >= 0).all()
    assert list(job_log.list_runs(SYSTEM, databases, task="counting")["run_id"]) == [
        first["run_id"]
    ]

    capsys.readouterr()
    assert main(["list"], settings=settings, db=databases, tasks=TEST_TASKS) == 0
    out = capsys.readouterr().out
    assert "alle 5 Minuten" in out and "*/5 * * * *" in out
    assert "täglich um 03:00 Uhr (Europe/Berlin)" in out and "0 3 * * * (Europe/Berlin)" in out
    assert "ok · " in out and "7 verarbeitet, 2 fehlgeschlagen" in out


def test_a_failing_task_exits_1_and_logs_the_traceback(
    settings: Settings, databases: Databases
) -> None:
    assert main(["run", "exploding"], settings=settings, db=databases, tasks=TEST_TASKS) == 1
    (run,) = _runs(databases)
    assert run["status"] == JOB_FAILED and run["finished_at"] is not None
    assert "RuntimeError: Kaputt" in run["error"] and "in exploding" in run["error"]
    latest = job_log.last_runs(SYSTEM, databases)
    assert list(latest["status"]) == [JOB_FAILED]


def test_a_killed_runs_row_is_closed_by_the_next_run(
    settings: Settings, databases: Databases
) -> None:
    stale = job_log.start_run(SYSTEM, databases, task="counting", host="weg")
    assert main(["run", "counting"], settings=settings, db=databases, tasks=TEST_TASKS) == 0
    rows = {r["run_id"]: r for r in _runs(databases)}
    assert rows[stale]["status"] == JOB_FAILED and "Abgebrochen" in rows[stale]["error"]
    assert [r["status"] for r in rows.values() if r["run_id"] != stale] == [JOB_OK]


def test_the_job_log_is_staff_business(databases: Databases) -> None:
    with pytest.raises(ScopeError):
        job_log.start_run(PARTNER, databases, task="counting")
    with pytest.raises(ScopeError):
        job_log.start_run(SYSTEM.view_as(1), databases, task="counting")
    run_id = job_log.start_run(SYSTEM, databases, task="counting")
    with pytest.raises(ScopeError):
        job_log.finish_run(PARTNER, databases, run_id=run_id, status=JOB_OK)
    assert job_log.list_runs(PARTNER, databases).empty
    assert job_log.last_runs(PARTNER, databases).empty
    assert list(job_log.list_runs(SYSTEM, databases)["status"]) == [JOB_RUNNING]


# --- schedules --------------------------------------------------------------------------------


def test_schedules_decide_what_is_due() -> None:
    marks = job_log.ScheduleMarks
    now = datetime(2026, 11, 25, 10, 2, 30)  # 11:02 in Berlin (winter time)
    every5 = Every(5)
    assert every5.latest_slot(now) == datetime(2026, 11, 25, 10, 0)
    assert is_due(every5, None, now)
    assert not is_due(every5, marks(datetime(2026, 11, 25, 10, 0, 1), None), now)
    # cron's jitter: the last run started a little after 09:55, this one a little before 10:00
    assert is_due(every5, marks(datetime(2026, 11, 25, 9, 55, 2), None), now)

    daily = Daily(time(3, 0))  # 03:00 Berlin = 02:00 UTC in winter, 01:00 UTC in summer
    assert daily.latest_slot(now) == datetime(2026, 11, 25, 2, 0)
    assert daily.latest_slot(datetime(2026, 7, 1, 0, 30)) == datetime(2026, 6, 30, 1, 0)
    assert not is_due(daily, marks(datetime(2026, 11, 25, 2, 0, 5), None), now)
    assert is_due(daily, marks(datetime(2026, 11, 24, 2, 0, 5), None), now)
    # A failed attempt after the slot is retried, but not within 30 minutes.
    failed_just_now = marks(datetime(2026, 11, 24, 2, 0), datetime(2026, 11, 25, 9, 50))
    assert not is_due(daily, failed_just_now, now)
    failed_long_ago = marks(datetime(2026, 11, 24, 2, 0), datetime(2026, 11, 25, 2, 0, 3))
    assert is_due(daily, failed_long_ago, now)


def test_run_due_runs_only_due_tasks(settings: Settings, databases: Databases) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    # "counting" just ran and "exploding" too (both judged at the same `now`): not due.
    for name in ("counting", "exploding"):
        run_id = job_log.start_run(SYSTEM, databases, task=name, now=now)
        job_log.finish_run(SYSTEM, databases, run_id=run_id, status=JOB_OK)
    # A dry run does not count as a run: "by-name" only dry-ran, so it is due.
    dry = job_log.start_run(SYSTEM, databases, task="by-name", dry_run=True, now=now)
    job_log.finish_run(SYSTEM, databases, run_id=dry, status=JOB_OK)
    code = main(["run-due"], settings=settings, db=databases, tasks=TEST_TASKS, now=now)
    assert code == EXIT_OK
    assert sorted(CALLS) == ["counting", "daily"]  # by-name (counting function) and daily
    ran = [r["task"] for r in _runs(databases)][3:]
    assert sorted(ran) == ["by-name", "daily"]

    CALLS.clear()
    assert main(["run-due"], settings=settings, db=databases, tasks=TEST_TASKS, now=now) == 0
    assert CALLS == []


def test_run_due_reports_a_failure(settings: Settings, databases: Databases) -> None:
    tasks = {"exploding": TEST_TASKS["exploding"], "daily": TEST_TASKS["daily"]}
    assert main(["run-due"], settings=settings, db=databases, tasks=tasks) == EXIT_FAILED
    assert CALLS == ["daily"]  # the failure did not stop the other task


# --- locks --------------------------------------------------------------------------------------


def test_a_locked_task_is_skipped_with_exit_3(settings: Settings, databases: Databases) -> None:
    with task_lock(databases.portal, "counting", fallback_dir=settings.demo_dir):
        with (
            pytest.raises(LockBusy),
            task_lock(databases.portal, "counting", fallback_dir=settings.demo_dir),
        ):
            pass
        # Another task's lock is independent.
        with task_lock(databases.portal, "daily", fallback_dir=settings.demo_dir):
            pass
        code = main(["run", "counting"], settings=settings, db=databases, tasks=TEST_TASKS)
        assert code == EXIT_LOCKED
        # Under cron a task running elsewhere is normal: run-due skips it and exits 0.
        code = main(
            ["run-due"], settings=settings, db=databases, tasks={"x": TEST_TASKS["counting"]}
        )
        assert code == EXIT_OK
        assert CALLS == [] and _runs(databases) == []
    assert main(["run", "counting"], settings=settings, db=databases, tasks=TEST_TASKS) == 0


HOLD_LOCK = """
import sys, time
from core.db import make_engine
from jobs.locks import task_lock
engine = make_engine(sys.argv[1])
with task_lock(engine, "send-outbox", fallback_dir=sys.argv[2]):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_dead_holder_releases_the_lock(settings: Settings, databases: Databases) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, settings.portal_url or "", str(settings.demo_dir)],
        cwd=PROJECT_ROOT,
        env=_env(settings),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = _jobs(settings, "run", "send-outbox")
        assert busy.returncode == EXIT_LOCKED, busy.stderr
        assert "läuft bereits" in busy.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    # The kernel (SQLite's file lock) or the server (the session's advisory lock) let go.
    for _ in range(50):
        try:
            with task_lock(databases.portal, "send-outbox", fallback_dir=settings.demo_dir):
                break
        except LockBusy:
            sleep(0.1)
    else:
        pytest.fail("the lock outlived its holder")
    ok = _jobs(settings, "run", "send-outbox")
    assert ok.returncode == EXIT_OK, ok.stderr


def test_advisory_keys_are_stable_and_distinct() -> None:
    assert advisory_key("send-outbox") == advisory_key("send-outbox")
    keys = {advisory_key(name) for name in [*TASKS, *TEST_TASKS]}
    assert len(keys) == len(TASKS) + len(TEST_TASKS)
    assert all(0 < key < 2**63 for key in keys)


# --- dry run ------------------------------------------------------------------------------------


def test_dry_run_changes_nothing(settings: Settings, databases: Databases) -> None:
    from messaging.render import TEMPLATES

    sample = dict(TEMPLATES["waitlist_new_date"].sample)
    with databases.portal.begin() as conn:
        for i in range(5):
            outbox.queue_message(
                conn,
                channel="email",
                template="waitlist_new_date",
                recipient=f"warteliste{i}@example.org",
                locale="de",
                payload={**sample, "customer_name": f"Kundin {i}"},
                dedupe_key=f"dry-{i}",
            )
        outbox.queue_message(
            conn,
            channel="email",
            template="gibt-es-nicht",
            recipient="x@example.org",
            locale="de",
            payload={},
            dedupe_key="dry-broken",
        )
    before = outbox.list_messages(SYSTEM, databases)
    code = main(["run", "send-outbox", "--dry-run"], settings=settings, db=databases)
    assert code == EXIT_OK
    after = outbox.list_messages(SYSTEM, databases)
    assert after.equals(before)
    assert not (settings.demo_dir / "outbox").exists()  # nothing went to a transport
    (run,) = _runs(databases)
    assert run["dry_run"] and run["status"] == JOB_OK
    assert (run["processed"], run["failed"]) == (6, 1)
    # A dry run does not make the task "done" for run-due.
    assert is_due(
        TASKS["send-outbox"].schedule,
        job_log.schedule_marks(SYSTEM, databases).get("send-outbox"),
        datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1),
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["run", "compute-payouts", "--month", "2026-13"], "„2026-13“ ist kein Monat"),
        (["run", "compute-payouts", "--month", "Oktober"], "„Oktober“ ist kein Monat"),
        (["run", "send-outbox", "--month", "2026-10"], "--month gibt es nur für compute-payouts"),
        (["run", "compute-payouts", "--month", "2999-01"], "noch nicht abgeschlossen"),
        (["run"], "Ungültiger Aufruf"),
        (["kaffee"], "Ungültiger Aufruf"),
    ],
)
def test_bad_arguments_are_explained_in_german_with_exit_code_2(
    settings: Settings,
    databases: Databases,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
) -> None:
    assert main(args, settings=settings, db=databases) == EXIT_USAGE
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert _runs(databases) == []


def test_compute_payouts_recomputes_the_month_given(
    settings: Settings, databases: Databases
) -> None:
    assert main(["run", "compute-payouts", "--month", "2026-10"], settings=settings,
                db=databases) == EXIT_OK  # fmt: skip
    (run,) = _runs(databases)
    assert run["task"] == "compute-payouts" and run["details"]["period"] == "2026-10-01"
