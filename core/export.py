"""Files built on request into a temporary file, never held in memory or in a session.

`to_temp_file(write)` gives `write` a binary file to stream into (an export of a million rows
costs a row's memory, not the file's) and returns its path; a failing `write` leaves no file.
Files live in one directory under the system's temp dir; each new file sweeps those older than
`MAX_AGE` (a session that ended never says so). Pure: no database, no streamlit.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

MAX_AGE = 6 * 3600  # seconds a prepared file may wait for its download
_DIR_NAME = "miomente-exports"


def export_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / _DIR_NAME
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def to_temp_file(write: Callable[[BinaryIO], object], *, suffix: str = "") -> Path:
    """A new temp file filled by `write(out)`; removed again if `write` raises."""
    sweep()
    handle, name = tempfile.mkstemp(prefix="export-", suffix=suffix, dir=export_dir())
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


class LineProgress:
    """A binary writer that passes everything on to `out` and reports the lines written so
    far to `report(lines)` each time another `step` lines are through (a CSV's progress bar
    without a second pass or a row count in the writer)."""

    def __init__(self, out: BinaryIO, report: Callable[[int], object], *, step: int) -> None:
        self._out, self._report, self._step = out, report, max(1, int(step))
        self.lines = 0
        self._next = self._step

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        if self.lines >= self._next:
            self._report(self.lines)
            self._next = (self.lines // self._step + 1) * self._step
        return self._out.write(data)

    def __getattr__(self, name: str) -> object:  # flush, tell … of the real file
        return getattr(self._out, name)


def discard(path: str | Path | None) -> None:
    """Remove a prepared file (only ever one of ours)."""
    if path is None:
        return
    candidate = Path(path)
    if candidate.parent == export_dir():
        candidate.unlink(missing_ok=True)


def sweep(*, max_age: float = MAX_AGE, now: float | None = None) -> int:
    """Remove prepared files older than `max_age` seconds; returns how many."""
    limit = (time.time() if now is None else now) - max_age
    removed = 0
    for path in export_dir().glob("export-*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # another process swept it first
    return removed
