"""SQL shapes that every data module shares, and THE ONE PLACE FOR DIALECT-ONLY SQL.

Everything else in `data/` is SQLAlchemy Core that PostgreSQL, SQLite and MariaDB read alike.
"Insert unless the key exists" and "insert or update by key" have no portable spelling, so
they are written here once: `insert_ignore` and `upsert`. Both run on the portal's databases
(PostgreSQL in production, SQLite in demo mode), which spell them alike as
`INSERT … ON CONFLICT`; MariaDB's `ON DUPLICATE KEY UPDATE` cannot tell a skipped row from a
written one and has no WHERE, so it is refused rather than half supported.

`int_in` and `chunks` are the two ways of putting many ids into a statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, Connection, Table, bindparam, func
from sqlalchemy.dialects import postgresql, sqlite

T = TypeVar("T")

# Ids per slice where each id is its own bound parameter (`chunks`): far below every driver's
# parameter limit, and small enough that no single statement dominates a transaction.
IN_CHUNK = 1000

_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def int_in(column: ColumnElement, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN (ids)` with the integers rendered inline, any number of them.

    Thousands of bound parameters cost the drivers far more than the query (psycopg parses
    every uncached statement in Python); integers are safe to render as literals. The
    parameter is unique, so one statement may hold several of these on the same column, and
    the statement's cache key does not depend on the values. An empty list matches nothing.
    """
    values = sorted({int(value) for value in ids})  # ints only: safe to render inline
    return column.in_(
        bindparam(f"in_{column.name}", values, expanding=True, literal_execute=True, unique=True)
    )


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in consecutive slices of at most `size`: for IN lists of bound parameters and
    for work split into several transactions."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for begin in range(0, len(values), size):
        yield values[begin : begin + size]


def _dialect_insert(conn: Connection, table: Table):
    name = conn.dialect.name
    if name not in _DIALECT_INSERTS:
        raise NotImplementedError(f"INSERT … ON CONFLICT runs on PostgreSQL or SQLite, not {name}")
    return _DIALECT_INSERTS[name](table)


def insert_ignore(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    index_elements: Sequence[str],
) -> int:
    """Insert the rows whose key (`index_elements`, a unique index) is not taken yet; the
    others are skipped without an error. Returns how many rows were written.

    One statement for all rows (executemany with RETURNING: one round trip per ~1,000 rows);
    RETURNING tells which rows were written, as rowcount is -1 with RETURNING on psycopg.
    """
    return len(inserted_keys(conn, table, rows, index_elements=index_elements))


def inserted_keys(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    index_elements: Sequence[str],
) -> list[tuple]:
    """`insert_ignore`, answering with the keys (tuples of `index_elements`) of the rows it
    wrote: a caller that writes dependent rows writes them for these only."""
    if not rows:
        return []
    statement = _dialect_insert(conn, table).on_conflict_do_nothing(
        index_elements=list(index_elements)
    )
    statement = statement.returning(*(table.c[name] for name in index_elements))
    return [tuple(row) for row in conn.execute(statement, [dict(row) for row in rows])]


def insert_unless_taken(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    index_elements: Sequence[str],
) -> None:
    """`insert_ignore` without telling which rows were written: no RETURNING, so psycopg
    pipelines the executemany (~3x faster for thousands of rows). For a caller that knows
    the rows are new, e.g. because a key of its own was won in the same transaction."""
    if not rows:
        return
    statement = _dialect_insert(conn, table).on_conflict_do_nothing(
        index_elements=list(index_elements)
    )
    conn.execute(statement, [dict(row) for row in rows])


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    index_elements: Sequence[str],
    version: str | None = None,
) -> None:
    """Insert the rows, or overwrite every other column of the row holding the same key.

    With `version` (a column name), a stored row whose `version` is newer than the incoming
    one is kept: the database's own guard against an older copy replacing a newer one.
    """
    if not rows:
        return
    statement = _dialect_insert(conn, table)
    keys = set(index_elements)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in index_elements],
        set_={c.name: statement.excluded[c.name] for c in table.c if c.name not in keys},
        where=None if version is None else table.c[version] <= statement.excluded[version],
    )
    # A plain executemany of the one-row statement: psycopg parses it once and pipelines the
    # rows (~10x faster than multi-row VALUES pages, whose giant SQL it parses every time).
    conn.execute(statement, [dict(row) for row in rows])


def contains(column: ColumnElement, text: str) -> ColumnElement[bool]:
    """Case-insensitive `column` contains `text` (LIKE with %, _ and \\ escaped), for the
    search-as-you-type pickers; the caller trims and caps `text`."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")
