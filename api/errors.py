"""Errors as JSON in the caller's language, never a 500 with a traceback.

Every refusal of the data layer (`core.errors.Refusal`) and every `ApiError` of a route is
answered as `{"error": {"code", "message", "request_id"}}` with a 4xx status; the message is
the locale text (German or English after Accept-Language). Validation errors of FastAPI
become 422 in the same shape; anything unexpected is logged with its request id and answered
with a plain 500 JSON that names only the request id.
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.settings import PREFIX
from core import i18n
from core.errors import Refusal
from core.validation import InvalidInput
from data.access.viewer import ScopeError

log = logging.getLogger("api")

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "example": "widget.unknown_key"},
                "message": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    },
}


class ApiError(Exception):
    """A refusal of the service itself: HTTP status, locale key, parameters."""

    def __init__(self, status: int, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.status, self.key, self.params = status, key, params
        self.headers: dict[str, str] = {}


class TooManyRequests(ApiError):
    """429 with `Retry-After` (seconds) and the minutes to wait in the message."""

    def __init__(self, key: str, /, *, retry_after: int) -> None:
        super().__init__(429, key, minutes=max(1, -(-retry_after // 60)))
        self.headers = {"Retry-After": str(retry_after)}


def request_locale(request: Request) -> str:
    """'de' or 'en': a `lang` query parameter, else the best of Accept-Language, else German."""
    lang = request.query_params.get("lang")
    if lang in i18n.LOCALES:
        return lang
    best, best_q = i18n.DEFAULT_LOCALE, 0.0
    for part in request.headers.get("accept-language", "")[:200].split(","):
        tag, _, q = part.strip().partition(";q=")
        code = tag.split("-")[0].lower()
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if code in i18n.LOCALES and weight > best_q:
            best, best_q = code, weight
    return best


# The partner API (api/routers/partner_*.py) answers errors as RFC 9457 problem details;
# the widget's routes keep their `{"error": …}` shape. `/v1/reviews` is the partner API only
# as this exact path: the shop's `/v1/reviews/{review_id}/answer` keeps the public shape.
PARTNER_PREFIXES = tuple(f"{PREFIX}/{part}" for part in ("orders", "dates", "waitlist", "date-"))
PARTNER_PATHS = (f"{PREFIX}/reviews",)
PROBLEM_TYPE = "urn:miomente:problem:"
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "example": "urn:miomente:problem:api_key.invalid"},
        "title": {"type": "string", "example": "Nicht angemeldet"},
        "status": {"type": "integer", "example": 401},
        "detail": {"type": "string"},
        "instance": {"type": "string", "example": "/v1/orders"},
        "code": {"type": "string", "example": "api_key.invalid"},
        "request_id": {"type": "string"},
    },
}


# A partner-API key pasted into a path by mistake is shown and logged as its prefix only.
_API_SECRET = re.compile(r"(mio_live_[a-z0-9]{8})_[A-Za-z0-9_-]+")


def redact(path: str) -> str:
    return _API_SECRET.sub(r"\1_…", path)


def is_partner_api(path: str) -> bool:
    return path.startswith(PARTNER_PREFIXES) or path.rstrip("/") in PARTNER_PATHS


def problem_response(request: Request, status: int, key: str, **params: object) -> JSONResponse:
    """RFC 9457: `type` names the problem (a URN, not a page), `title` the HTTP status in
    words, `detail` this occurrence, `instance` the path asked for."""
    locale = request_locale(request)
    title = i18n.catalog(locale).get(f"api_problem.s{status}") or i18n.translate(
        "api_problem.other", locale
    )
    body = {
        "type": PROBLEM_TYPE + key,
        "title": title,
        "status": status,
        "detail": i18n.translate(key, locale, **params),
        "instance": redact(request.url.path),
        "code": key,
        "request_id": getattr(request.state, "request_id", ""),
    }
    return JSONResponse(
        body,
        status_code=status,
        media_type="application/problem+json",
        headers={"Content-Language": locale},
    )


def error_response(request: Request, status: int, key: str, **params: object) -> JSONResponse:
    if is_partner_api(request.url.path):
        return problem_response(request, status, key, **params)
    locale = request_locale(request)
    body = {
        "error": {
            "code": key,
            "message": i18n.translate(key, locale, **params),
            "request_id": getattr(request.state, "request_id", ""),
        }
    }
    return JSONResponse(body, status_code=status, headers={"Content-Language": locale})


def _status_of(refusal: Refusal) -> int:
    if isinstance(refusal, ScopeError):
        return 404 if refusal.key.endswith(("not_found", "unknown")) else 403
    if isinstance(refusal, InvalidInput):
        return 422
    return 409


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        response = error_response(request, exc.status, exc.key, **exc.params)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, exc: Refusal) -> JSONResponse:
        return error_response(request, _status_of(exc), exc.key, **exc.params)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = ", ".join(
            str(err.get("loc", ["?"])[-1]) for err in exc.errors()[:5] if isinstance(err, dict)
        )
        return error_response(request, 422, "api_error.invalid_request", fields=fields or "?")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        key = {404: "api_error.not_found", 405: "api_error.method_not_allowed"}.get(
            exc.status_code, "api_error.bad_request"
        )
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        return error_response(request, status, key)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception(
            "unexpected error", extra={"request_id": getattr(request.state, "request_id", "")}
        )
        return error_response(request, 500, "api_error.internal")
