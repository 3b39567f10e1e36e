"""Around every request: a request id, one structured log line, security headers, and CORS
for the widget's routes only.

- `X-Request-ID`: taken from the request when it is a sane token (a proxy's id), else made;
  echoed on the response and written into the log line and error bodies.
- The log line is JSON (logger "api.access"): method, path, status, duration, request id,
  partner id when a widget key named one. Never a query string (it may carry a key later).
- CORS: `/v1/widget…` routes answer any origin (public data, no cookies, no credentials);
  every other route sends no CORS header, so browsers keep other sites out.
- Headers: nosniff, a strict referrer policy, no framing except the widget's iframe page,
  and a Content-Security-Policy that allows nothing for JSON answers.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from fastapi import FastAPI, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response, redact
from api.settings import PREFIX

access_log = logging.getLogger("api.access")
log = logging.getLogger("api")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
WIDGET_PREFIX = f"{PREFIX}/widget"
FRAME_PATH = f"{PREFIX}/widget/frame"
PROPOSAL_PREFIX = f"{PREFIX}/terminvorschlag/"
REVIEW_FORM_PREFIX = f"{PREFIX}/bewertung/"
DOCS_PATHS = ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect")

_JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
_FRAME_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)
# The customer's pages (a proposed date, the review form): their own inline style, and their
# one form posts back here.
_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept-Language",
    "Access-Control-Expose-Headers": "ETag, X-Request-ID, Content-Language",
    "Access-Control-Max-Age": "600",
}


def _is_widget(path: str) -> bool:
    return path == f"{PREFIX}/widget.js" or path.startswith(WIDGET_PREFIX)


def _security_headers(path: str, headers: MutableHeaders) -> None:
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if path == FRAME_PATH:
        headers.setdefault("Content-Security-Policy", _FRAME_CSP)
    elif path.startswith((PROPOSAL_PREFIX, REVIEW_FORM_PREFIX)):
        headers.setdefault("Content-Security-Policy", _PAGE_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    elif not path.startswith(DOCS_PATHS):  # Swagger UI loads its own script and styles
        headers.setdefault("Content-Security-Policy", _JSON_CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    if _is_widget(path):
        headers.setdefault("Cross-Origin-Resource-Policy", "cross-origin")
        headers.update(_CORS)


def _log(request: Request, status: int, started: float) -> None:
    line = {
        "request_id": request.state.request_id,
        "method": request.method,
        "path": redact(request.url.path),
        "status": status,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }
    partner = getattr(request.state, "partner_id", None)
    if partner is not None:
        line["partner_id"] = partner
    access_log.info(json.dumps(line), extra=line)


class ServiceMiddleware:
    """A plain ASGI middleware (not `@app.middleware("http")`, whose body streaming costs
    more than a cached widget answer itself): it only edits the response's start message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        path: str = scope["path"]
        status = [0]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request.state.request_id
                # A partner-API key's rate-limit state (api/partner.py), on every answer.
                headers.update(getattr(request.state, "rate_headers", None) or {})
                _security_headers(path, headers)
            await send(message)

        try:
            if request.method == "OPTIONS" and _is_widget(path):
                await Response(status_code=204)(scope, receive, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:  # the handlers answer refusals; this is the last line
            log.exception("unhandled error", extra={"request_id": request.state.request_id})
            if not status[0]:
                answer = error_response(request, 500, "api_error.internal")
                await answer(scope, receive, send_with_headers)
        _log(request, status[0] or 500, started)


def install(app: FastAPI) -> None:
    app.add_middleware(ServiceMiddleware)
