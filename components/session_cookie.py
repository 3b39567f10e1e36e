"""The session cookie, set and cleared by the server: `HttpOnly`, `SameSite=Lax`, `Secure`.

Streamlit talks to the browser over a websocket, which cannot set cookies, and a cookie set
by a script can never be `HttpOnly`. So the portal runs as an `st.App` (see `portal.py`)
with two small routes of its own on the same host:

- `POST /_portal/session` takes a one-time handoff code and answers with the cookie holding
  the session id. After a login the app registers a code (`offer`) and a tiny component in
  the page posts it (`sync`); the code is good once, for two minutes, so a copy of it opens
  nothing later. The session id itself never reaches a script in the page.
- `POST /_portal/logout` deletes the cookie (the app has ended its session already).

Both accept only same-origin requests (the `Origin` header must name this host), so another
site cannot plant or delete a portal login. Reading the cookie back needs no route:
`st.context.cookies` has what the browser sent when the tab connected.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.settings import Settings, load_settings

OPEN_PATH = "/_portal/session"
LOGOUT_PATH = "/_portal/logout"
HANDOFF_SECONDS = 120.0

_SYNC_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data || window.__miomenteCookieNonce === data.nonce) return;
  window.__miomenteCookieNonce = data.nonce;
  fetch(data.url, {
    method: "POST", body: data.code, credentials: "same-origin",
    headers: { "Content-Type": "text/plain" },
  })
    .then((response) => setTriggerValue("done", response.ok))
    .catch(() => setTriggerValue("done", false));
}
"""
_sync_component = st.components.v2.component("miomente_session_cookie", js=_SYNC_JS)


@dataclass(frozen=True)
class _Handoff:
    token: str
    expires: float


_handoffs: dict[str, _Handoff] = {}
_lock = threading.Lock()


def _key(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "replace")).hexdigest()


def offer(token: str, *, clock: Callable[[], float] = time.monotonic) -> str:
    """A one-time code that `POST /_portal/session` exchanges for the cookie of `token`."""
    code = secrets.token_urlsafe(32)
    now = clock()
    with _lock:
        for stale in [k for k, h in _handoffs.items() if h.expires <= now]:
            del _handoffs[stale]
        _handoffs[_key(code)] = _Handoff(token=token, expires=now + HANDOFF_SECONDS)
    return code


def redeem(code: str, *, clock: Callable[[], float] = time.monotonic) -> str | None:
    """The session id behind a code, once; None for an unknown, used or expired code."""
    with _lock:
        handoff = _handoffs.pop(_key(code), None)
    if handoff is None or handoff.expires <= clock():
        return None
    return handoff.token


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def _cookie_options(settings: Settings) -> dict[str, object]:
    return {
        "path": "/",
        "httponly": True,
        "secure": not settings.demo_mode,  # demo mode runs on plain http://localhost
        # Lax, not Strict: a partner following a link in one of our mails stays logged in.
        "samesite": "lax",
    }


async def _open(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    code = (await request.body())[:200].decode("utf-8", "replace")
    token = redeem(code)
    if token is None:
        return Response(status_code=403)
    settings = load_settings()
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=int(settings.session_lifetime_days * 86400),
        **_cookie_options(settings),  # type: ignore[arg-type]
    )
    return response


async def _logout(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    settings = load_settings()
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(settings.cookie_name, **_cookie_options(settings))  # type: ignore[arg-type]
    return response


def routes() -> list[Route]:
    return [
        Route(OPEN_PATH, _open, methods=["POST"]),
        Route(LOGOUT_PATH, _logout, methods=["POST"]),
    ]


def sync(*, url: str, code: str, nonce: str) -> bool | None:
    """Draw the invisible component that posts `code` to `url`; True once the server agreed."""
    result = _sync_component(
        key="session_cookie",
        data={"url": url, "code": code, "nonce": nonce},
        height=0,
        on_done_change=lambda: None,
    )
    return getattr(result, "done", None)
