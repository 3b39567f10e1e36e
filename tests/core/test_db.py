"""Pooled engines survive a connection the server dropped while it sat idle in the pool."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from core.db import ping_when_idle
from tests.conftest import MYSQL_URL, POSTGRES_URL, server_database

SERVERS = {
    "postgresql": (
        POSTGRES_URL,
        "SELECT pg_backend_pid()",
        "SELECT pg_terminate_backend({pid})",
    ),
    "mariadb": (MYSQL_URL, "SELECT CONNECTION_ID()", "KILL {pid}"),
}


@pytest.mark.parametrize("kind", sorted(SERVERS))
def test_a_connection_killed_while_idle_is_replaced_before_use(kind: str) -> None:
    admin_url, whoami, kill = SERVERS[kind]
    with server_database(admin_url, kind=kind) as url:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        ping_when_idle(engine, idle_seconds=0.0)  # every checkout counts as idle here
        killer = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                first = conn.execute(text(whoami)).scalar_one()
            with killer.connect() as conn:
                conn.execute(text(kill.format(pid=int(first))))
            # The pool still holds the dead connection; the page's next query must not fail.
            with engine.connect() as conn:
                second = conn.execute(text(whoami)).scalar_one()
                assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert second != first
        finally:
            engine.dispose()
            killer.dispose()
