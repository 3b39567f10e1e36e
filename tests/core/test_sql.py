"""The shared SQL shapes on every backend: conflict inserts, inline id lists, id slices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, and_, select

from core import sql
from core.db import make_engine
from tests.conftest import MYSQL_URL, POSTGRES_URL, server_database

metadata = MetaData()
things = Table(
    "sql_things",
    metadata,
    Column("thing_id", Integer, primary_key=True, autoincrement=False),
    Column("label", String(40), nullable=False),
    Column("version", Integer, nullable=False),
)

SERVERS = {"postgresql": (POSTGRES_URL, "PostgreSQL"), "mariadb": (MYSQL_URL, "MariaDB")}


@contextmanager
def _engine(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """A database with the scratch table on `kind`: sqlite, postgresql or mariadb."""
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'things.sqlite'}"
        else:
            url = stack.enter_context(server_database(SERVERS[kind][0], kind=SERVERS[kind][1]))
        engine = make_engine(url)
        stack.callback(engine.dispose)
        metadata.create_all(engine)
        yield engine


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with _engine(request.param, tmp_path) as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def portal_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The conflict inserts run where the portal database runs: PostgreSQL and SQLite."""
    with _engine(request.param, tmp_path) as engine:
        yield engine


def _rows(engine: Engine) -> dict[int, tuple[str, int]]:
    with engine.connect() as conn:
        result = conn.execute(select(things).order_by(things.c.thing_id))
        return {r.thing_id: (r.label, r.version) for r in result}


def _thing(thing_id: int, label: str, version: int = 1) -> dict[str, object]:
    return {"thing_id": thing_id, "label": label, "version": version}


def test_insert_ignore_writes_new_keys_and_keeps_existing_rows(portal_engine: Engine) -> None:
    with portal_engine.begin() as conn:
        assert sql.insert_ignore(conn, things, [_thing(1, "a"), _thing(2, "b")],
                                 index_elements=["thing_id"]) == 2  # fmt: skip
    with portal_engine.begin() as conn:
        again = [_thing(2, "changed"), _thing(3, "c")]
        assert sql.insert_ignore(conn, things, again, index_elements=["thing_id"]) == 1
        assert sql.insert_ignore(conn, things, [_thing(3, "x")], index_elements=["thing_id"]) == 0
        assert sql.insert_ignore(conn, things, [], index_elements=["thing_id"]) == 0
    assert _rows(portal_engine) == {1: ("a", 1), 2: ("b", 1), 3: ("c", 1)}


def test_inserted_keys_names_the_written_rows_and_the_quiet_insert_skips_taken_keys(
    portal_engine: Engine,
) -> None:
    with portal_engine.begin() as conn:
        sql.insert_unless_taken(conn, things, [_thing(1, "a")], index_elements=["thing_id"])
        written = sql.inserted_keys(
            conn, things, [_thing(1, "x"), _thing(2, "b")], index_elements=["thing_id"]
        )
        assert written == [(2,)]
        sql.insert_unless_taken(conn, things, [_thing(2, "y"), _thing(3, "c")],
                                index_elements=["thing_id"])  # fmt: skip
        sql.insert_unless_taken(conn, things, [], index_elements=["thing_id"])
    assert _rows(portal_engine) == {1: ("a", 1), 2: ("b", 1), 3: ("c", 1)}


def test_insert_ignore_rolls_back_with_the_callers_transaction(portal_engine: Engine) -> None:
    with pytest.raises(RuntimeError), portal_engine.begin() as conn:
        sql.insert_ignore(conn, things, [_thing(1, "a")], index_elements=["thing_id"])
        raise RuntimeError("the caller's change failed")
    assert _rows(portal_engine) == {}


def test_upsert_overwrites_by_key_unless_the_stored_row_is_newer(portal_engine: Engine) -> None:
    with portal_engine.begin() as conn:
        sql.upsert(conn, things, [_thing(1, "a", 5), _thing(2, "b", 5)],
                   index_elements=["thing_id"], version="version")  # fmt: skip
    with portal_engine.begin() as conn:
        incoming = [_thing(1, "older copy", 4), _thing(2, "newer copy", 6), _thing(3, "new", 1)]
        sql.upsert(conn, things, incoming, index_elements=["thing_id"], version="version")
    assert _rows(portal_engine) == {1: ("a", 5), 2: ("newer copy", 6), 3: ("new", 1)}
    with portal_engine.begin() as conn:  # without a version every copy wins
        sql.upsert(conn, things, [_thing(2, "plain", 1)], index_elements=["thing_id"])
    assert _rows(portal_engine)[2] == ("plain", 1)


def test_mariadb_refuses_conflict_inserts_instead_of_miscounting(tmp_path: Path) -> None:
    with _engine("mariadb", tmp_path) as engine:
        with engine.begin() as conn:
            with pytest.raises(NotImplementedError, match="not mysql"):
                sql.insert_ignore(conn, things, [_thing(1, "a")], index_elements=["thing_id"])
            with pytest.raises(NotImplementedError):
                sql.upsert(conn, things, [_thing(1, "a")], index_elements=["thing_id"])
        assert _rows(engine) == {}


def test_int_in_matches_the_ids_twice_in_one_statement_and_nothing_for_none(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert(), [_thing(i, f"t{i}") for i in range(1, 3001)])
    column = things.c.thing_id

    def ids(where) -> list[int]:
        with engine.connect() as conn:
            return list(conn.execute(select(column).where(where).order_by(column)).scalars())

    assert ids(sql.int_in(column, [3, 1, 1, "2"])) == [1, 2, 3]
    assert ids(and_(sql.int_in(column, [1, 2, 5]), sql.int_in(column, [2, 5, 9]))) == [2, 5]
    assert ids(sql.int_in(column, [])) == []
    # More ids than a statement of bound parameters could carry on old SQLite builds (999).
    assert len(ids(sql.int_in(column, range(0, 6000, 2)))) == 1500


def test_chunks_cover_every_value_once_in_order() -> None:
    values = list(range(7))
    assert [list(c) for c in sql.chunks(values, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(sql.chunks([], 3)) == []
    assert sum(len(c) for c in sql.chunks(list(range(2500)))) == 2500
    with pytest.raises(ValueError):
        list(sql.chunks(values, 0))
