"""Big CSV files streamed straight to the browser: the first bytes leave at once, the rest as
the data layer reads it, and nothing is held in memory, in a file or in the session.

A Streamlit download button needs the whole file before it can offer it, so a staff export of
a million rows made people wait half a minute for the first byte. Instead the page offers a
plain link to a route of the portal's own server (`portal.py`, beside the cookie routes):
`GET /_portal/download/<ticket>`. The ticket is a random id that this process remembers
together with what to write (`write(out)`, a closure over the page's viewer and selection),
the file name and the session it was offered to. The route answers only the browser that
holds that session's cookie while the session is live, so a copied link opens nothing for
anyone else, after a logout, or once the ticket has expired; the file is exactly what the
page's viewer may see, because the page's own data function writes it.

A refusal that comes before the first byte (bad input of the selection) is answered with its
German message; a failure later aborts the connection, so the browser reports the download as
failed instead of keeping half a file. Several processes need sticky sessions, as the login
cookie's handoff does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import queue
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import BinaryIO, cast
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from core import i18n, links
from core.errors import Refusal
from core.settings import load_settings

log = logging.getLogger(__name__)

TICKET_SECONDS = 30 * 60.0
MAX_TICKETS = 5_000  # per process; the oldest go first (a ticket is a few hundred bytes)
CHUNK = 64 * 1024
QUEUE_CHUNKS = 16  # at most ~1 MB waits for a slow client; the writer waits beyond that

Writer = Callable[[BinaryIO], object]


@dataclass(frozen=True)
class Ticket:
    token_hash: str
    user_id: int
    file_name: str
    mime: str
    write: Writer
    is_live: Callable[[str], int | None]  # the session's user id while it is live
    locale: str
    expires: float


_tickets: dict[str, Ticket] = {}
_lock = threading.Lock()


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()


def offer(
    *,
    session_token: str,
    user_id: int,
    file_name: str,
    mime: str,
    write: Writer,
    is_live: Callable[[str], int | None],
    locale: str = "de",
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """A ticket for streaming `write`'s output as `file_name` to this session's browser."""
    ticket_id = secrets.token_urlsafe(24)
    now = clock()
    ticket = Ticket(
        token_hash=_hash(session_token),
        user_id=user_id,
        file_name=file_name,
        mime=mime,
        write=write,
        is_live=is_live,
        locale=locale,
        expires=now + TICKET_SECONDS,
    )
    with _lock:
        for stale in [k for k, t in _tickets.items() if t.expires <= now]:
            del _tickets[stale]
        while len(_tickets) >= MAX_TICKETS:
            del _tickets[next(iter(_tickets))]
        _tickets[ticket_id] = ticket
    return ticket_id


def claim(
    ticket_id: str, session_token: str | None, *, clock: Callable[[], float] = time.monotonic
) -> Ticket | None:
    """The ticket if it exists, has not expired and was offered to this session (the
    session's liveness is checked by the route, against the database)."""
    with _lock:
        ticket = _tickets.get(ticket_id)
    if ticket is None or ticket.expires <= clock() or not session_token:
        return None
    if not secrets.compare_digest(ticket.token_hash, _hash(session_token)):
        return None
    return ticket


def url(ticket_id: str) -> str:
    return links.download_url(ticket_id)


class _QueueWriter(io.RawIOBase):
    """The binary file `write(out)` writes into: chunks of about CHUNK bytes go into a
    bounded queue that the response drains; a client that went away stops the writer."""

    def __init__(self, chunks: queue.Queue[bytes | BaseException | None]) -> None:
        super().__init__()
        self._chunks, self._buffer = chunks, bytearray()
        self._started = False
        self.cancelled = threading.Event()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._buffer += chunk
        # The first write (a CSV's byte order mark) goes out at once: the browser starts the
        # download and shows it running while the first rows are read.
        if len(self._buffer) >= CHUNK or not self._started:
            self._started = True
            self.flush()
        return len(chunk)

    def flush(self) -> None:
        if self._buffer and not self.closed:
            self._put(bytes(self._buffer))
            self._buffer.clear()

    def close(self) -> None:
        self._buffer.clear()  # what a cancelled writer still held goes nowhere
        super().close()

    def _put(self, item: bytes | BaseException | None) -> None:
        while True:
            if self.cancelled.is_set():
                raise _ClientGone
            try:
                self._chunks.put(item, timeout=0.5)
                return
            except queue.Full:
                continue


def _next(
    chunks: queue.Queue[bytes | BaseException | None], out: _QueueWriter
) -> bytes | BaseException | None:
    """The writer's next chunk; None at its end or once the client went away (a waiting
    thread is never left behind when the writer stops)."""
    while not out.cancelled.is_set():
        try:
            return chunks.get(timeout=0.5)
        except queue.Empty:
            continue
    return None


class _ClientGone(Exception):
    """The browser stopped reading: the writer ends quietly."""


def _produce(ticket: Ticket, out: _QueueWriter) -> None:
    try:
        ticket.write(cast(BinaryIO, out))
        out.flush()
        out._put(None)
    except _ClientGone:
        pass
    except Exception as exc:  # noqa: BLE001 - handed to the response, which logs it
        with contextlib.suppress(_ClientGone):
            out._put(exc)
    finally:
        out.close()


def _refusal(status: int, key: str, locale: str, **values: object) -> Response:
    text = i18n.translate(key, locale, **values)
    return PlainTextResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _disposition(file_name: str) -> str:
    ascii_name = file_name.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


async def _download(request: Request) -> Response:
    settings = load_settings()
    token = request.cookies.get(settings.cookie_name)
    ticket = claim(str(request.path_params.get("ticket", "")), token)
    if ticket is None or token is None:
        return _refusal(403, "files.link_invalid", "de")
    if await run_in_threadpool(ticket.is_live, token) != ticket.user_id:
        return _refusal(403, "files.link_invalid", ticket.locale)
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=QUEUE_CHUNKS)
    out = _QueueWriter(chunks)
    threading.Thread(target=_produce, args=(ticket, out), daemon=True).start()
    first = await run_in_threadpool(_next, chunks, out)
    if isinstance(first, Refusal):  # e.g. a selection the data layer refuses: its own words
        out.cancelled.set()
        return _refusal(400, first.key, ticket.locale, **first.params)
    if isinstance(first, BaseException):
        out.cancelled.set()
        log.error("download %s failed before its first byte", ticket.file_name, exc_info=first)
        return _refusal(500, "files.failed", ticket.locale)
    return StreamingResponse(
        _rest(first, chunks, out, ticket),
        media_type=ticket.mime,
        headers={
            "Content-Disposition": _disposition(ticket.file_name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _rest(
    first: bytes | None,
    chunks: queue.Queue[bytes | BaseException | None],
    out: _QueueWriter,
    ticket: Ticket,
) -> AsyncIterator[bytes]:
    item: bytes | BaseException | None = first
    try:
        while item is not None:
            if isinstance(item, BaseException):
                # Headers are out: aborting the connection makes the browser call the download
                # failed, instead of keeping a file that silently lacks its end.
                log.error("download %s failed while streaming", ticket.file_name, exc_info=item)
                raise RuntimeError(f"download {ticket.file_name} failed") from item
            yield item
            item = await run_in_threadpool(_next, chunks, out)
    finally:
        out.cancelled.set()  # a client that went away stops the writer at its next chunk


def routes() -> list[Route]:
    return [Route(links.DOWNLOAD_PATH + "/{ticket}", _download, methods=["GET"])]
