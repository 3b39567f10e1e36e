"""One run of a task at a time, across processes and hosts.

PostgreSQL (production): a session advisory lock, `pg_try_advisory_lock(key)`, held on a
connection of its own for the whole run. MySQL/MariaDB: `GET_LOCK(name, 0)`, the same idea.
SQLite (demo, one machine): an exclusive `fcntl.flock` on a file next to the portal database.
All three vanish when the holder dies, because the server closes a dead client's session and
the kernel drops a dead process's file locks: a crash never leaves a task locked.
"""

from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

# Upper 32 bits of every advisory key: keeps our keys apart from other users of the database.
KEY_NAMESPACE = 0x4D494F  # "MIO"


class LockBusy(RuntimeError):
    """Another run of the task holds the lock."""

    def __init__(self, task: str) -> None:
        super().__init__(f"task {task!r} is already running")
        self.task = task


def advisory_key(task: str) -> int:
    """A stable 64-bit key per task name (the same on every host and Python version)."""
    return (KEY_NAMESPACE << 32) | zlib.crc32(f"miomente-job:{task}".encode())


def lock_file(engine: Engine, task: str, fallback_dir: Path) -> Path:
    """Where the SQLite file lock lives: beside the portal database file."""
    database = engine.url.database
    directory = (
        Path(database).resolve().parent
        if database and database != ":memory:"
        else Path(fallback_dir)
    )
    return directory / f".jobs-{task}.lock"


@contextmanager
def task_lock(engine: Engine, task: str, *, fallback_dir: Path) -> Iterator[None]:
    """Hold the task's lock for the block; raises LockBusy at once if it is taken."""
    name = engine.dialect.name
    if name == "sqlite":
        with _file_lock(lock_file(engine, task, fallback_dir), task):
            yield
    elif name == "postgresql":
        with _server_lock(engine, task, _pg_acquire, _pg_release):
            yield
    elif name in ("mysql", "mariadb"):
        with _server_lock(engine, task, _mysql_acquire, _mysql_release):
            yield
    else:
        raise NotImplementedError(f"no task lock for {name}")


@contextmanager
def _file_lock(path: Path, task: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            # flock belongs to this open file: a second open in the same process conflicts too.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockBusy(task) from exc
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())  # for a curious admin only
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- server locks -------------------------------------------------------------------------------
# The statements below are the one dialect-specific place of the jobs: advisory locks have no
# portable SQL.


def _pg_acquire(conn: Connection, task: str) -> bool:
    return bool(
        conn.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(task)}
        ).scalar()
    )


def _pg_release(conn: Connection, task: str) -> None:
    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(task)})


def _mysql_acquire(conn: Connection, task: str) -> bool:
    return (
        conn.execute(text("SELECT GET_LOCK(:name, 0)"), {"name": _mysql_name(task)}).scalar() == 1
    )


def _mysql_release(conn: Connection, task: str) -> None:
    conn.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _mysql_name(task)})


def _mysql_name(task: str) -> str:
    return f"miomente-job:{task}"[:64]


@contextmanager
def _server_lock(
    engine: Engine,
    task: str,
    acquire: Callable[[Connection, str], bool],
    release: Callable[[Connection, str], None],
) -> Iterator[None]:
    # A connection of its own, in autocommit: the lock is session-level, so it must neither
    # sit inside a long transaction nor share a connection with the task's own work.
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if not acquire(conn, task):
            raise LockBusy(task)
        try:
            yield
        finally:
            try:
                release(conn, task)
            except Exception:  # noqa: BLE001 - a broken connection releases the lock anyway
                conn.invalidate()
    finally:
        conn.close()
