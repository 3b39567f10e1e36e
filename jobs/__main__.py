"""`python -m jobs`: the command line of the cron sidecar.

    python -m jobs list                      tasks, schedules, last runs
    python -m jobs run send-outbox [--dry-run]
    python -m jobs run-due [--dry-run]       the one crontab line, every five minutes:
        */5 * * * *  cd /srv/portal && .venv/bin/python -m jobs run-due

Exit codes: 0 ok; 1 a task (or the setup) failed; 2 wrong usage, e.g. an unknown task;
3 the task is already running elsewhere and was skipped (`run` only; `run-due` logs it and
exits 0, because under cron that is normal). Messages follow MIOMENTE_DEFAULT_LOCALE; their
texts are the `jobs.cli_*` keys of locales/*.toml.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import NoReturn, TextIO

from core import i18n
from core.db import Databases, open_databases
from core.settings import ConfigError, Settings, load_settings
from data.access.viewer import SYSTEM
from data.demo import ensure_demo
from data.money.payouts import last_month
from data.ops import job_runs as job_log
from jobs.registry import TASKS, Task
from jobs.runner import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    JobContext,
    run_due,
    run_due_exit_code,
    run_task,
)

log = logging.getLogger("jobs")
PAYOUTS_TASK = "compute-payouts"
SCORES_TASK = "score-courses"


def _text(key: str, locale: str, **params: object) -> str:
    return i18n.translate(f"jobs.{key}", locale, **params)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is explained in the CLI's language, exit code 2."""

    locale = "de"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        detail = message.removeprefix("argument ")  # argparse's English framing
        print(_text("cli_bad_args", self.locale, detail=detail), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _month(locale: str) -> Callable[[str], date]:
    def parse(raw: str) -> date:
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", raw.strip())
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise argparse.ArgumentTypeError(_text("cli_month_invalid", locale, value=raw[:20]))
        return date(int(match[1]), int(match[2]), 1)

    return parse


def _parser(locale: str) -> argparse.ArgumentParser:
    parser_class = type("_LocaleParser", (_Parser,), {"locale": locale})
    parser = parser_class(prog="python -m jobs", description=_text("cli_description", locale))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help=_text("cli_help_list", locale))
    run = commands.add_parser("run", help=_text("cli_help_run", locale))
    run.add_argument("task", help=_text("cli_help_task", locale))
    run.add_argument("--dry-run", action="store_true", help=_text("cli_help_dry_run", locale))
    run.add_argument("--month", type=_month(locale), help=_text("cli_help_month", locale))
    run.add_argument("--course", type=int, help=_text("cli_help_course", locale))
    due = commands.add_parser("run-due", help=_text("cli_help_run_due", locale))
    due.add_argument("--dry-run", action="store_true", help=_text("cli_help_due_dry_run", locale))
    return parser


def open_for_jobs(settings: Settings) -> Databases:
    """The databases from the settings; demo mode builds or opens the demo SQLite files."""
    if not settings.demo_mode:
        return open_databases(
            magento_url=settings.magento_url or "",
            portal_url=settings.portal_url or "",
            magento_read_url=settings.magento_read_url,
        )
    return ensure_demo(settings)


def _last_run_text(row: Mapping | None, locale: str) -> str:
    if row is None:
        return _text("cli_never", locale)
    parts = [str(row["status"]), i18n.moment(row["started_at"], locale)]
    if row["status"] != "running":
        parts.append(_text("cli_counts", locale, processed=row["processed"], failed=row["failed"]))
    if row["dry_run"]:
        parts.append(_text("cli_dry", locale))
    return " · ".join(parts)


def print_list(
    tasks: Mapping[str, Task], db: Databases, locale: str, out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    frame = job_log.last_runs(SYSTEM, db)
    latest = {row["task"]: row for row in frame.to_dict("records")}
    rows = [
        (
            task.name,
            task.schedule.describe(locale),
            task.schedule.cron(),
            _last_run_text(latest.get(task.name), locale),
        )
        for task in tasks.values()
    ]
    columns = ("cli_col_task", "cli_col_schedule", "cli_col_cron", "cli_col_last_run")
    header = tuple(_text(key, locale) for key in columns)  # locale keys jobs.cli_col_*
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, str(row[3])]), file=out)
    for task in tasks.values():
        print(f"\n{task.name}: {task.summary(locale)}", file=out)


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    db: Databases | None = None,
    tasks: Mapping[str, Task] | None = None,
    now: datetime | None = None,
) -> int:
    """Parse, run, return the exit code; tests pass settings, databases and tasks in."""
    # The settings (and so the locale) are read after parsing, so that --help works without them.
    given = i18n.normalize_locale(settings.default_locale if settings else None)
    parser = _parser(given)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument, already explained (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    tasks = TASKS if tasks is None else tasks
    try:
        settings = settings or load_settings()
    except ConfigError as exc:
        print(_text("cli_config", given, error=exc), file=sys.stderr)
        return EXIT_USAGE
    locale = i18n.normalize_locale(settings.default_locale)
    if args.command == "run" and args.task not in tasks:
        known = ", ".join(sorted(tasks))
        print(_text("cli_unknown", locale, name=args.task, known=known), file=sys.stderr)
        return EXIT_USAGE
    if refusal := _month_refusal(args, locale) or _course_refusal(args, locale):
        print(refusal, file=sys.stderr)
        return EXIT_USAGE
    own_db = db is None
    try:
        db = db or open_for_jobs(settings)
    except Exception as exc:  # noqa: BLE001 - report any setup failure as one readable line
        print(_text("cli_setup", locale, error=exc), file=sys.stderr)
        return EXIT_FAILED
    try:
        ctx = JobContext(
            settings,
            db,
            getattr(args, "dry_run", False),
            period=getattr(args, "month", None),
            course=getattr(args, "course", None),
        )
        return _dispatch(args, tasks, ctx, now)
    finally:
        if own_db:
            db.dispose()


def _month_refusal(args: argparse.Namespace, locale: str) -> str | None:
    """--month belongs to compute-payouts, and only to a month that is over."""
    month = getattr(args, "month", None)
    if month is None:
        return None
    if args.task != PAYOUTS_TASK:
        return _text("cli_month_only", locale, task=PAYOUTS_TASK)
    if month > last_month():
        return _text("cli_month_open", locale, value=month.strftime("%Y-%m"))
    return None


def _course_refusal(args: argparse.Namespace, locale: str) -> str | None:
    """--course belongs to score-courses."""
    if getattr(args, "course", None) is None or args.task == SCORES_TASK:
        return None
    return _text("cli_course_only", locale, task=SCORES_TASK)


def _dispatch(
    args: argparse.Namespace,
    tasks: Mapping[str, Task],
    ctx: JobContext,
    now: datetime | None,
) -> int:
    locale = i18n.normalize_locale(ctx.settings.default_locale)
    try:
        if args.command == "list":
            print_list(tasks, ctx.db, locale)
            return EXIT_OK
        if args.command == "run":
            return run_task(tasks[args.task], ctx).exit_code
        return run_due_exit_code(run_due(tasks, ctx, now=now))
    except Exception as exc:  # noqa: BLE001 - e.g. the job log unreachable: say so, exit 1
        print(_text("cli_setup", locale, error=exc), file=sys.stderr)
        return EXIT_FAILED


def configure_logging() -> None:
    """Our own lines (and the transports' one line per request) at INFO; libraries warn only."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    for name in ("jobs", "messaging"):
        logging.getLogger(name).setLevel(logging.INFO)


if __name__ == "__main__":
    configure_logging()
    sys.exit(main())
