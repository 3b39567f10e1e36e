"""The command line: `python -m data.demo --help`."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

from core import i18n
from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from core.periods import berlin_today
from core.settings import load_settings
from data.demo.build import DEFAULT_ORDERS, DEFAULT_SEED, ensure_demo, generate, rebuild_demo
from data.shop import schema as m

EXIT_USAGE = 2


def _text(key: str, **params: object) -> str:
    # Before any settings are read (they may be what is wrong): the operator's language.
    return i18n.translate(f"jobs.{key}", "de", **params)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one German line and exit code 2, not a traceback."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        detail = message.removeprefix("argument ")  # argparse's English framing
        print(_text("cli_demo_bad_args", detail=detail), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _count(raw: str) -> int:
    """`--orders`/`--seed`: ASCII digits (0 or more); "-5" made the generator raise."""
    if not re.fullmatch(r"[0-9]{1,7}", raw.strip()):
        raise argparse.ArgumentTypeError(_text("cli_demo_count", value=raw[:20]))
    return int(raw)


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(_text("cli_demo_day", value=raw[:20])) from None


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="python -m data.demo",
        description="Fill the shop and portal databases with deterministic German demo data.",
    )
    parser.add_argument("--magento-url", help="shop database URL (default: demo SQLite file)")
    parser.add_argument("--portal-url", help="portal database URL (default: demo SQLite file)")
    parser.add_argument("--orders", type=_count, default=DEFAULT_ORDERS)
    parser.add_argument("--seed", type=_count, default=DEFAULT_SEED)
    parser.add_argument("--today", type=_day, help="YYYY-MM-DD (default: today)")
    parser.add_argument(
        "--ensure",
        action="store_true",
        help="demo mode only: build the demo files if they are missing, else keep them",
    )
    parser.add_argument(
        "--create-schema",
        action="store_true",
        help="create the shop tables and migrate the portal first (URLs only)",
    )
    args = parser.parse_args(argv)
    if (args.magento_url is None) != (args.portal_url is None):
        print(_text("cli_demo_urls"), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse_args(argv)
    today = args.today or berlin_today()
    if args.ensure:
        settings = load_settings()
        if not settings.demo_mode:
            print("Databases are configured: no demo data needed.")
            return
        ensure_demo(settings).dispose()
        print(f"Demo files ready in {settings.demo_dir}")
        return
    if args.magento_url is None:
        demo_dir = load_settings().demo_dir
        summary = rebuild_demo(demo_dir, orders=args.orders, seed=args.seed, today=today)
        print(f"Demo files in {demo_dir}: {summary.line()}")
        return
    db = Databases(
        magento=(shop := make_engine(args.magento_url, pool=False)),
        magento_read=shop,
        portal=make_engine(args.portal_url, pool=False),
    )
    try:
        if args.create_schema:
            m.create_shop_schema(db.magento)
            upgrade_portal(db.portal)
        summary = generate(db, orders=args.orders, seed=args.seed, today=today)
    finally:
        db.dispose()
    print(f"Demo data: {summary.line()}")


if __name__ == "__main__":
    main()
