"""Shared fixtures: real databases in a temp dir (SQLite) or freshly created on the servers.

Server tests find MariaDB and PostgreSQL through MIOMENTE_TEST_MYSQL_URL and
MIOMENTE_TEST_POSTGRES_URL (defaults: the standard local ports). Each test database gets a
unique name and is dropped afterwards. Unreachable server: skipped with the reason, except
with CI=true, where it is a failure.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import TextClause, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.db import Databases, make_engine
from core.migrate import upgrade_portal
from data.shop.schema import create_shop_schema

MYSQL_URL = os.environ.get("MIOMENTE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
POSTGRES_URL = os.environ.get(
    "MIOMENTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() == "true"

# "sqlite": both databases on SQLite files. "server": the production shape, the shop on
# MariaDB and the portal on PostgreSQL.
BACKENDS = ("sqlite", "server")


def _unreachable(kind: str, exc: Exception) -> None:
    reason = f"{kind} not reachable ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
    if IN_CI:
        pytest.fail(f"CI needs {reason}", pytrace=False)
    pytest.skip(reason)


_GENERATED_NAME = re.compile(r"mio_test_[0-9a-f]{12}")


def _safe(name: str) -> str:
    """The generated database name, refused if it is anything else (it goes into DDL text)."""
    if not _GENERATED_NAME.fullmatch(name):
        raise ValueError(f"not a generated test database name: {name!r}")
    return name


def _ddl(statement: str, name: str) -> TextClause:
    """`statement` with the database name put in. DDL takes no bind parameters, so the name
    goes in as text: only a generated mio_test_<12 hex digits> passes `_safe`."""
    return text(statement.replace("{name}", _safe(name)))


@contextmanager
def server_database(admin_url: str, *, kind: str) -> Iterator[str]:
    """Create a uniquely named database on a server, yield its URL, drop it afterwards."""
    name = f"mio_test_{uuid.uuid4().hex[:12]}"
    url = make_url(admin_url)
    isolation = "AUTOCOMMIT" if url.get_backend_name() == "postgresql" else None
    admin = create_engine(url, poolclass=NullPool, isolation_level=isolation)
    try:
        with admin.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn.execute(_ddl('CREATE DATABASE "{name}"', name))
            else:
                create = "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                conn.execute(_ddl(create, name))
    except Exception as exc:  # noqa: BLE001 - any connection problem means "unreachable"
        admin.dispose()
        _unreachable(kind, exc)
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if url.get_backend_name() == "postgresql":
                conn.execute(_ddl('DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', name))
            else:
                conn.execute(_ddl("DROP DATABASE IF EXISTS `{name}`", name))
        admin.dispose()


@contextmanager
def fresh_databases(backend: str, tmp_dir: Path) -> Iterator[Databases]:
    """Empty shop schema + migrated portal schema on the chosen backend."""
    if backend == "sqlite":
        db = Databases(
            magento=(m := make_engine(f"sqlite:///{tmp_dir / 'magento.sqlite'}")),
            magento_read=m,
            portal=make_engine(f"sqlite:///{tmp_dir / 'portal.sqlite'}"),
        )
        create_shop_schema(db.magento)
        upgrade_portal(db.portal)
        try:
            yield db
        finally:
            db.dispose()
        return
    with (
        server_database(MYSQL_URL, kind="MariaDB") as shop_url,
        server_database(POSTGRES_URL, kind="PostgreSQL") as portal_url,
    ):
        m = make_engine(shop_url)
        db = Databases(magento=m, magento_read=m, portal=make_engine(portal_url))
        try:
            create_shop_schema(db.magento)
            upgrade_portal(db.portal)
            yield db
        finally:
            db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def databases(backend: str, tmp_path: Path) -> Iterator[Databases]:
    """Function-scoped empty databases, for tests that write."""
    with fresh_databases(backend, tmp_path) as db:
        yield db


@pytest.fixture(scope="module", params=BACKENDS)
def module_databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Databases]:
    """Built once per module and backend: the MariaDB shop schema alone costs seconds."""
    with fresh_databases(request.param, tmp_path_factory.mktemp(request.param)) as db:
        yield db


@pytest.fixture
def portal_databases(module_databases: Databases) -> Databases:
    """`module_databases` with every portal table emptied, for tests that never touch the shop."""
    from sqlalchemy import delete

    from data.portal_schema import metadata

    with module_databases.portal.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    return module_databases


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Read-only: the two-partner world (tests/support/worlds.py), once per module and backend."""
    from tests.support.worlds import build_world

    with fresh_databases(request.param, tmp_path_factory.mktemp("world")) as db:
        build_world(db)
        yield db


# Reference rows create_shop_schema writes once; every other shop row belongs to a test.
_SHOP_REFERENCE = {"sales_order_status", "sales_order_status_state", "eav_attribute", "rating",
                   "rating_option"}  # fmt: skip


@pytest.fixture
def shop(module_databases: Databases) -> Databases:
    """The two-partner world, rebuilt for each test that writes (the schemas are built once)."""
    from sqlalchemy import delete

    from data import portal_schema as p
    from data.shop import schema as m
    from tests.support.worlds import build_world

    db = module_databases
    with db.portal.begin() as conn:
        for table in reversed(p.metadata.sorted_tables):
            conn.execute(delete(table))
    with db.magento.begin() as conn:
        for table in reversed(m.metadata.sorted_tables):
            if table.name not in _SHOP_REFERENCE:
                conn.execute(delete(table))
    build_world(db)
    return db
