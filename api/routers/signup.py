"""Sign-ups from the booking widget: the waitlist of a full date and the request for a date.

Both call the same data functions as the portal (`data.demand.waitlist.add_entry`,
`data.demand.date_requests.create_request`) with the partner's widget viewer, source
"widget", so every check (another partner's course, an unknown or past date, the partner's
rules for requests) refuses here exactly as there: a 4xx JSON with the German or English
reason, nothing stored. The customer's consent is required. Each attempt first counts
against the rate limits per IP and per email (data/integrations/rate_limits.py, shared by
every process): over the limit → 429 with `Retry-After`.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Db, Locale, Widget
from api.errors import ERROR_SCHEMA, ApiError, TooManyRequests
from api.settings import ApiSettings
from core import i18n
from core.db import Databases
from data.demand.date_requests import create_request
from data.demand.waitlist import add_entry
from data.integrations.rate_limits import Limit, bucket, take

router = APIRouter(tags=["widget"])
SOURCE = "widget"
RATE_LIMITED = "widget_signup.rate_limited"
CONSENT_MISSING = "widget_signup.consent_missing"

Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
# Generous bounds against huge payloads only; the data functions give the precise reasons.
Name = Annotated[str, Field(max_length=1000, description="Name / name")]
Email = Annotated[str, Field(max_length=320, description="E-Mail-Adresse / email address")]
Phone = Annotated[str | None, Field(default=None, max_length=100)]
Count = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
Consent = Annotated[
    bool,
    Field(description="Einverständnis, per E-Mail benachrichtigt zu werden (Pflicht) / "
          "consent to be contacted by email (required)"),
]  # fmt: skip


class WaitlistSignup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: Id
    date_id: Id | None = Field(default=None, description="Termin; leer: jeder / date; none: any")
    name: Name
    email: Email
    seats: Count = 1
    phone: Phone = None
    consent: Consent


class DateRequestSignup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    course_id: Id
    # Strings, parsed below: an empty or impossible day gets the portal's German reason
    # ("Bitte einen Tag und eine Uhrzeit angeben.") instead of a bare field name.
    day: str = Field(
        max_length=10,
        description="Gewünschter Tag (JJJJ-MM-TT) / wished day (YYYY-MM-DD)",
        examples=["2026-12-04"],
    )
    start: str = Field(
        max_length=8,
        description="Beginn, Berliner Zeit (HH:MM) / start, Berlin time",
        examples=["18:00"],
    )
    name: Name
    email: Email
    participants: Count
    message: str | None = Field(default=None, max_length=5000)
    phone: Phone = None
    consent: Consent


class SignupDone(BaseModel):
    status: str = Field(examples=["ok"])
    message: str


_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    for status, text in (
        (404, "Unbekannter Schlüssel / unknown key"),
        (422, "Ungültige Eingabe, mit Grund / invalid input, with the reason"),
        (429, "Zu viele Versuche, siehe Retry-After / too many attempts, see Retry-After"),
    )
}


def _limit(request: Request, db: Databases, email: str) -> None:
    """Count this attempt per IP and per email; 429 when either is over its limit."""
    settings: ApiSettings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    window = settings.signup_window
    wait = take(
        db,
        limits=[
            Limit(bucket("signup:ip", ip), settings.signup_per_ip, window),
            Limit(bucket("signup:email", email), settings.signup_per_email, window),
        ],
        now=request.app.state.clock(),
    )
    if wait is not None:
        raise TooManyRequests(RATE_LIMITED, retry_after=wait)


def _parsed(kind: type[date] | type[time], text: str) -> date | time | None:
    try:
        return kind.fromisoformat(text.strip())
    except ValueError:
        return None  # create_request refuses it with date_requests.day_invalid


def _done(key: str, locale: str) -> JSONResponse:
    body = {"status": "ok", "message": i18n.translate(key, locale)}
    return JSONResponse(body, status_code=201, headers={"Content-Language": locale})


@router.post(
    "/widget/{key}/waitlist",
    status_code=201,
    response_model=SignupDone,
    summary="Auf die Warteliste / join the waitlist",
    description="Trägt einen Kunden auf die Warteliste eines Kurses ein (ein Termin oder jeder); "
    "dieselbe E-Mail für denselben Termin wird zusammengeführt. / Puts a customer on a "
    "course's waitlist (one date or any); the same email for the same date is merged.",
    responses=_RESPONSES,
)
def waitlist_signup(
    request: Request, widget: Widget, db: Db, locale: Locale, body: WaitlistSignup
) -> JSONResponse:
    _limit(request, db, body.email)
    if not body.consent:
        raise ApiError(422, CONSENT_MISSING)
    add_entry(
        widget.viewer,
        db,
        product_id=body.course_id,
        date_id=body.date_id,
        customer_name=body.name,
        email=body.email,
        seats=body.seats,
        phone=body.phone,
        locale=locale,
        source=SOURCE,
        consent=True,
        now=request.app.state.clock(),
    )
    return _done("widget_signup.waitlist_done", locale)


@router.post(
    "/widget/{key}/date-request",
    status_code=201,
    response_model=SignupDone,
    summary="Termin anfragen / request a date",
    description="Fragt einen zusätzlichen Termin eines Kurses an; geprüft gegen die Regeln "
    "des Partners (Wochentage, Uhrzeit, Gruppengröße, Vorlauf). / Requests an extra date of "
    "a course; checked against the partner's rules (weekdays, time, group size, lead time).",
    responses=_RESPONSES,
)
def date_request_signup(
    request: Request, widget: Widget, db: Db, locale: Locale, body: DateRequestSignup
) -> JSONResponse:
    _limit(request, db, body.email)
    if not body.consent:
        raise ApiError(422, CONSENT_MISSING)
    create_request(
        widget.viewer,
        db,
        product_id=body.course_id,
        day=_parsed(date, body.day),  # type: ignore[arg-type]
        start=_parsed(time, body.start),  # type: ignore[arg-type]
        name=body.name,
        email=body.email,
        participants=body.participants,
        message=body.message,
        phone=body.phone,
        locale=locale,
        source=SOURCE,
        now=request.app.state.clock(),
    )
    return _done("widget_signup.request_done", locale)
