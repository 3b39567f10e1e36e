"""Alembic environment: runs on PostgreSQL and SQLite (batch mode for SQLite's ALTER limits)."""

from alembic import context

from core.db import make_engine
from core.settings import load_settings
from data.portal_schema import metadata

config = context.config


def _url() -> str:
    x = context.get_x_argument(as_dictionary=True)
    if "url" in x:
        return x["url"]
    settings = load_settings()
    if settings.portal_url:
        return settings.portal_url
    return f"sqlite:///{settings.demo_dir / 'portal.sqlite'}"


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), pool=False)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
