"""`score-courses`: the nightly Qualitäts-Score over every course, one course with --course,
a dry run that stores nothing, and --course refused for other tasks (through `python -m jobs`'s
main, on SQLite and MariaDB + PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import Databases
from core.settings import Settings
from data.portal_schema import course_score_history, course_scores, job_runs
from jobs.__main__ import main
from jobs.registry import TASKS, Daily
from jobs.runner import EXIT_OK, EXIT_USAGE
from tests.support.market import NOW, build_market


def _url(engine) -> str:  # type: ignore[no-untyped-def]
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def settings(databases: Databases, tmp_path: Path) -> Settings:
    build_market(databases)
    return Settings(
        magento_url=_url(databases.magento),
        magento_read_url=None,
        portal_url=_url(databases.portal),
        demo_dir=tmp_path / "demo",
        cookie_key="k" * 40,
    )


def _count(db: Databases, table) -> int:  # type: ignore[no-untyped-def]
    with db.portal.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _details(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(job_runs.c.details).order_by(job_runs.c.run_id)).scalars()
        return [d if isinstance(d, dict) else json.loads(d) for d in rows]


def test_the_task_is_nightly() -> None:
    assert isinstance(TASKS["score-courses"].schedule, Daily)


def test_the_job_scores_every_course_then_one(settings: Settings, databases: Databases) -> None:
    args = ["run", "score-courses"]
    assert main([*args, "--dry-run"], settings=settings, db=databases, now=NOW) == EXIT_OK
    assert _count(databases, course_scores) == 0
    assert main(args, settings=settings, db=databases, now=NOW) == EXIT_OK
    assert _count(databases, course_scores) == 7
    assert _count(databases, course_score_history) == 7
    assert main([*args, "--course", "101"], settings=settings, db=databases) == EXIT_OK
    assert [d["courses"] for d in _details(databases)] == [7, 7, 1]


def test_course_belongs_to_score_courses(
    settings: Settings, databases: Databases, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "send-outbox", "--course", "101"], settings=settings, db=databases)
    assert code == EXIT_USAGE
    assert "--course gibt es nur für score-courses." in capsys.readouterr().err
