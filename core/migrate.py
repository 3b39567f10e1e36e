"""Run the portal's Alembic migrations from code (demo, tests, `python -m core.migrate`)."""

from __future__ import annotations

import argparse

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from core.settings import PROJECT_ROOT


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return cfg


def upgrade_portal(engine: Engine, *, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Migrate the portal database to the newest schema."
    )
    parser.add_argument("--url", help="database URL; default: MIOMENTE_PORTAL_URL or demo SQLite")
    args = parser.parse_args()
    from core.db import make_engine
    from core.settings import load_settings

    settings = load_settings()
    url = args.url or settings.portal_url or f"sqlite:///{settings.demo_dir / 'portal.sqlite'}"
    upgrade_portal(make_engine(url, pool=False))
    print("Portal database is at the newest migration.")


if __name__ == "__main__":
    main()
