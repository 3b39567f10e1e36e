"""Downloads built when asked: a "Datei erstellen" button writes the file (streamed into a
temporary file, core/export.py) and only then offers the download button.

A plain rerun (a filter, a page, another click) builds nothing. The session keeps only the
prepared file's path and the selection it was made for; once the selection changes the file
is dropped, so nobody downloads the old selection under the new one's name. The download
button reads the file when it is clicked (Streamlit's deferred download), not on every rerun.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, cast

import streamlit as st

from components import stream_download
from components.feedback import show_refusal
from components.i18n import locale, number, t
from components.session import PageContext, live_user, session_token
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


STREAM_PREFIX = "_stream_ticket_"
_RENEW_BEFORE = 5 * 60.0  # seconds: a link shown now stays good for a while after the click
_LINK_CSS = """<style>
.mio-download a{display:flex;align-items:center;justify-content:center;gap:.4rem;width:100%;
box-sizing:border-box;min-height:2.5rem;padding:.25rem .75rem;border-radius:.5rem;
border:1px solid rgba(49,51,63,.2);color:inherit;text-decoration:none;font-weight:400;
font-size:.875rem}
.mio-download a:hover{border-color:#ff4b4b;color:#ff4b4b}
</style>"""


@dataclass(frozen=True)
class _Offered:
    selection: Hashable
    ticket: str
    renew_at: float


def stream_link(
    ctx: PageContext,
    *,
    key: str,
    file_name: str,
    mime: str,
    build: Callable[[BinaryIO], object],
    selection: Hashable = None,
    label: str | None = None,
) -> bool:
    """A link that streams `file_name` (written by `build(out)`) straight to the browser: the
    first bytes leave at once, even for a million rows (components/stream_download.py).
    False when this tab has no server-side session to bind the link to (then the caller
    offers `prepare_button`)."""
    token = session_token()
    if token is None:
        return False
    offered = st.session_state.get(STREAM_PREFIX + key)
    chosen = (selection, locale())
    now = time.monotonic()
    if not isinstance(offered, _Offered) or offered.selection != chosen or offered.renew_at <= now:
        ticket = stream_download.offer(
            session_token=token,
            user_id=ctx.user.user_id,
            file_name=file_name,
            mime=mime,
            write=build,
            is_live=partial(live_user, ctx.db, ctx.settings),
            locale=locale(),
        )
        offered = _Offered(chosen, ticket, now + stream_download.TICKET_SECONDS - _RENEW_BEFORE)
        st.session_state[STREAM_PREFIX + key] = offered
    text = html.escape(label or t("files.stream", name=file_name))
    href = html.escape(stream_download.url(offered.ticket))
    st.html(
        f'{_LINK_CSS}<div class="mio-download"><a href="{href}" download="{html.escape(file_name)}"'
        f' data-testid="mio-download">{text}</a></div>'
    )
    return True
