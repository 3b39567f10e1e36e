"""Engines for the two databases, and the `Databases` bundle every data function receives."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


@dataclass(frozen=True)
class Databases:
    """The shop (Magento) and the portal database.

    `magento_read` may point at a read replica; lists and dashboards read there, while the
    few writes (order status, course dates) always go to `magento`.
    """

    magento: Engine
    magento_read: Engine
    portal: Engine

    def dispose(self) -> None:
        for engine in {id(e): e for e in (self.magento, self.magento_read, self.portal)}.values():
            engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the app read while a job writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, pool: bool = True) -> Engine:
    parsed = make_url(url)
    kwargs: dict[str, object] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
        if not pool:
            kwargs["poolclass"] = NullPool
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() in ("mysql", "mariadb"):
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if not pool:
        kwargs["poolclass"] = NullPool
    engine = create_engine(parsed, **kwargs)
    if pool:
        ping_when_idle(engine)
    return engine


# A connection back in the pool for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: Engine, *, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection only when it sat idle, instead of on every checkout.

    `pool_pre_ping` costs a round trip per checkout, as much as a whole indexed page query; a
    Streamlit rerun checks out several connections within milliseconds of each other. A
    connection the server dropped (restart, failover, idle timeout) has sat idle, so it is
    still caught: the failed ping discards it and the pool hands out a fresh one.
    """

    @event.listens_for(engine, "checkin")
    def _stamp(_dbapi_connection, record) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # brand-new, or used a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()


def open_databases(
    *, magento_url: str, portal_url: str, magento_read_url: str | None = None
) -> Databases:
    magento = make_engine(magento_url)
    read = make_engine(magento_read_url) if magento_read_url else magento
    return Databases(magento=magento, magento_read=read, portal=make_engine(portal_url))


def dialect(engine: Engine) -> str:
    """'sqlite', 'mysql' (MariaDB too) or 'postgresql'."""
    return engine.dialect.name
