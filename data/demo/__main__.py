"""The command line: `python -m data.demo --help`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import date

from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from core.periods import berlin_today
from core.settings import load_settings
from data.demo.build import DEFAULT_ORDERS, DEFAULT_SEED, ensure_demo, generate, rebuild_demo
from data.shop import schema as m


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m data.demo",
        description="Fill the shop and portal databases with deterministic German demo data.",
    )
    parser.add_argument("--magento-url", help="shop database URL (default: demo SQLite file)")
    parser.add_argument("--portal-url", help="portal database URL (default: demo SQLite file)")
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
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
        parser.error("give both --magento-url and --portal-url, or neither")
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
