"""What the partner API's routes share: the key check, the rate limit, idempotent writes and
the JSON form of the data layer's answers.

- `Authorization: Bearer mio_live_…`: `key_viewer` checks the key (hash compared in constant
  time); the route then reads as the key's viewer, and the data functions' `@requires(...)`
  refuse what its scopes do not allow. The key itself is never logged, echoed or stored.
- Rate limit per key (`ApiSettings.api_per_minute`, fixed one-minute windows in the portal
  DB, so several processes share it): every answer carries `X-RateLimit-Limit`,
  `-Remaining` and `-Reset` (seconds), a request over it gets 429 with `Retry-After`.
- Writes with an `Idempotency-Key` header run once; a repeat gets the stored answer (with
  `Idempotent-Replayed: true`), the same key with another request a 422.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from api.deps import Db
from api.errors import PROBLEM_SCHEMA, ApiError, TooManyRequests
from core.db import Databases
from data.integrations import api_idempotency, rate_limits
from data.integrations.api_keys import KeyUse, key_viewer

MISSING_KEY, INVALID_KEY, RATE_LIMITED = (
    "api_key.missing",
    "api_key.invalid",
    "partner_api.rate_limited",
)
WINDOW = 60

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="API-Schlüssel aus Konto → Integrationen / API key from Konto → Integrationen: "
    "`Authorization: Bearer mio_live_…`",
)


def _unauthorized(key: str) -> ApiError:
    error = ApiError(401, key)
    error.headers = {"WWW-Authenticate": 'Bearer realm="miomente"'}
    return error


def api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    db: Db,
) -> KeyUse:
    """The request's valid key, counted against its rate limit; else 401 (or 429)."""
    if credentials is None:
        raise _unauthorized(MISSING_KEY)
    now = request.app.state.clock()
    found = key_viewer(db, secret=credentials.credentials, now=now)
    if found is None:
        raise _unauthorized(INVALID_KEY)
    request.state.partner_id = found.viewer.partner_id
    per_minute = request.app.state.settings.api_per_minute
    limit = rate_limits.Limit(rate_limits.bucket("api:key", str(found.key_id)), per_minute, WINDOW)
    counted = rate_limits.take_counted(db, limit=limit, now=now)
    request.state.rate_headers = {
        "X-RateLimit-Limit": str(counted.limit),
        "X-RateLimit-Remaining": str(counted.remaining),
        "X-RateLimit-Reset": str(counted.reset),
    }
    if counted.exceeded:
        raise TooManyRequests(RATE_LIMITED, retry_after=counted.reset)
    return found


Key = Annotated[KeyUse, Depends(api_key)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=r"^[\x21-\x7e]{1,255}$",
        description="Beliebiger eindeutiger Wert (z. B. eine UUID): dieselbe Anfrage mit "
        "demselben Wert wirkt nur einmal (24 Stunden) / any unique value (e.g. a UUID): the "
        "same request with the same value takes effect once (24 hours)",
    ),
]


# --- JSON --------------------------------------------------------------------------------------


def to_json(value: object) -> Any:
    """The data layer's values as JSON: money as a string ("49.00", never a float), times as
    ISO 8601 UTC with "Z", dataclasses and frames as objects and lists."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, pd.DataFrame):
        return [to_json(row) for row in value.to_dict("records")]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return to_json(value.item())
    return value


# --- idempotent writes -------------------------------------------------------------------------


def run_once(
    request: Request,
    db: Databases,
    key: KeyUse,
    idempotency_key: str | None,
    *,
    body: BaseModel | None,
    write: Callable[[], object],
    status: int = 200,
) -> JSONResponse:
    """Run `write` (its result as JSON, `status`) once per Idempotency-Key."""
    if idempotency_key is None:
        return JSONResponse(to_json(write()), status_code=status)
    fingerprint = api_idempotency.fingerprint(
        request.method,
        request.url.path,
        str(request.url.query),
        body.model_dump_json() if body is not None else "",
    )
    mine = {"key_id": key.key_id, "idempotency_key": idempotency_key}
    stored = api_idempotency.claim(
        db, **mine, fingerprint=fingerprint, now=request.app.state.clock()
    )
    if stored is not None:
        return JSONResponse(
            stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"}
        )
    try:
        result = to_json(write())
    except BaseException:
        api_idempotency.release(db, **mine)  # a failed write may be retried with the key
        raise
    api_idempotency.finish(db, **mine, status=status, body=result)
    return JSONResponse(result, status_code=status)


# --- OpenAPI -----------------------------------------------------------------------------------


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: _problem("Kein oder ungültiger Schlüssel / missing or invalid key"),
    403: _problem("Dem Schlüssel fehlt die Berechtigung / the key lacks the scope"),
    404: _problem("Nicht gefunden (oder nicht Ihres) / not found (or not yours)"),
    422: _problem("Ungültige Eingabe / invalid input"),
    429: _problem("Zu viele Anfragen / too many requests (Retry-After)"),
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    409: _problem("Geht im jetzigen Zustand nicht / not possible in the current state"),
}


def example(value: object, description: str = "OK") -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {"application/json": {"example": value}}}}
