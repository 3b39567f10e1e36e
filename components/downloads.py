"""Downloads built when asked: a "Datei erstellen" button writes the file (streamed into a
temporary file, core/export.py) and only then offers the download button.

A plain rerun (a filter, a page, another click) builds nothing. The session keeps only the
prepared file's path and the selection it was made for; once the selection changes the file
is dropped, so nobody downloads the old selection under the new one's name. The download
button reads the file when it is clicked (Streamlit's deferred download), not on every rerun.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import streamlit as st

from components.feedback import show_refusal
from components.i18n import number, t
from core import export
from core.validation import InvalidInput

STATE_PREFIX = "_prepared_file_"


@dataclass(frozen=True)
class Prepared:
    selection: Hashable
    path: str
    size: int


def prepared(key: str) -> Prepared | None:
    """The file prepared under `key` in this session, if any."""
    value = st.session_state.get(STATE_PREFIX + key)
    return value if isinstance(value, Prepared) else None


def _drop(key: str) -> None:
    old = st.session_state.pop(STATE_PREFIX + key, None)
    if isinstance(old, Prepared):
        export.discard(old.path)


def _reader(path: str) -> Callable[[], bytes]:
    return lambda: Path(path).read_bytes()


def _size(size: int) -> str:
    megabytes = size / 1024 / 1024
    if megabytes >= 1:
        return t("files.size_mb", n=number(megabytes, digits=1))
    return t("files.size_kb", n=number(max(1, round(size / 1024))))


PROGRESS_FROM = 500  # rows: below that a file is written before a bar would show anything


def _with_progress(
    build: Callable[[BinaryIO], object], rows: int | None
) -> Callable[[BinaryIO], object]:
    if not rows or rows < PROGRESS_FROM:
        return build
    total = int(rows)

    def run(out: BinaryIO) -> object:
        bar = st.progress(0.0, text=t("files.progress", done=number(0), total=number(total)))

        def report(lines: int) -> None:
            text = t("files.progress", done=number(min(lines, total)), total=number(total))
            bar.progress(min(lines / total, 1.0), text=text)

        try:
            return build(cast(BinaryIO, export.LineProgress(out, report, step=total // 50 or 1)))
        finally:
            bar.empty()

    return run


def prepare_button(
    *,
    key: str,
    file_name: str,
    mime: str,
    build: Callable[[BinaryIO], object],
    selection: Hashable = None,
    label: str | None = None,
    download_label: str | None = None,
    rows: int | None = None,
) -> None:
    """The button that builds `file_name` (by `build(out)`) and, once built, its download.

    `rows`: the lines a text file (CSV) will have; more than a screenful show a progress bar
    while the file is written."""
    current = prepared(key)
    if current is not None and (current.selection != selection or not Path(current.path).exists()):
        _drop(key)
        current = None
    if st.button(
        label or t("files.prepare", name=file_name),
        key=key,
        icon=":material/build:",
        width="stretch",
    ):
        try:
            with st.spinner(t("files.preparing", name=file_name)):
                path = export.to_temp_file(
                    _with_progress(build, rows), suffix=Path(file_name).suffix
                )
        except InvalidInput as exc:
            show_refusal(exc)
            return
        _drop(key)
        current = Prepared(selection, str(path), path.stat().st_size)
        st.session_state[STATE_PREFIX + key] = current
    if current is not None:
        st.download_button(
            download_label or t("files.download", name=file_name, size=_size(current.size)),
            _reader(current.path),
            file_name=file_name,
            mime=mime,
            key=f"{key}_download",
            icon=":material/download:",
            width="stretch",
        )
