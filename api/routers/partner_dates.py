"""Partner API: the key's partner's course dates (`dates:read`, writes `dates:write`).

Writes go through the same data functions as the portal's Termine page, so customers get the
same mails (a moved date: `date_moved`; a cancelled one: the cancellation) and the ledger the
same refresh. Times are ISO 8601 with an offset; answers are UTC ("Z").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from api.deps import Db
from api.partner import PROBLEMS, WRITE_PROBLEMS, IdempotencyKey, Key, example, run_once, to_json
from core.clock import naive_utc
from data.dates.course_dates import (
    LIST_LIMIT,
    cancel_date,
    create_date,
    get_date,
    list_dates,
    update_date,
)

router = APIRouter(tags=["dates"])
MAX_ID = 2**31 - 1
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)
DateId = Annotated[int, Path(ge=1, le=MAX_ID)]

_DATE = {
    "date_id": 7001,
    "product_id": 101,
    "course": "Pasta-Kochkurs",
    "starts_at": "2026-12-12T17:00:00Z",
    "ends_at": "2026-12-12T20:00:00Z",
    "seats_total": 12,
    "seats_sold": 5,
    "waitlist": 0,
    "price": "89.00",
    "status": "active",
    "series_id": None,
}


def _moment(value: datetime) -> datetime:
    if not EARLIEST <= naive_utc(value) < LATEST:
        raise ValueError("out of range")
    return value


class DateIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "product_id": 101,
                    "starts_at": "2026-12-12T18:00:00+01:00",
                    "ends_at": "2026-12-12T21:00:00+01:00",
                    "seats": 12,
                    "price": "89.00",
                }
            ]
        },
    )
    product_id: int = Field(ge=1, le=MAX_ID, description="Kurs / course (product id)")
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    seats: int = Field(ge=1, le=10_000)
    price: Decimal = Field(ge=0, le=100_000, decimal_places=2)
    minimum: int | None = Field(
        default=None, ge=0, le=10_000, description="Mindestteilnehmerzahl / minimum"
    )

    _times = field_validator("starts_at", "ends_at")(_moment)


class DatePatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"seats": 14, "price": "95.00"}]},
    )
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    seats: int | None = Field(default=None, ge=1, le=10_000)
    price: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=2)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _moment(value)


@router.get(
    "/dates",
    summary="Termine / dates",
    description="Termine ab `from` (Standard: jetzt), früheste zuerst. / Dates from `from` "
    "(default: now), soonest first.",
    responses={**example({"items": [_DATE], "more": False}), **PROBLEMS},
)
def dates(
    request: Request,
    key: Key,
    db: Db,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    course: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Produkt-ID")] = None,
    include_cancelled: bool = False,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 500,
) -> JSONResponse:
    now = request.app.state.clock()
    first = max(naive_utc(start), EARLIEST) if start else now
    last = min(naive_utc(end), LATEST) if end else now + timedelta(days=3 * 366)
    frame = list_dates(
        key.viewer,
        db,
        start=first,
        end=last,
        product_id=course,
        include_cancelled=include_cancelled,
        limit=limit,
    )
    return JSONResponse({"items": to_json(frame), "more": bool(frame.attrs.get("more"))})


@router.get(
    "/dates/{date_id}",
    summary="Ein Termin / one date",
    responses={**example(_DATE), **PROBLEMS},
)
def date_detail(key: Key, db: Db, date_id: DateId) -> JSONResponse:
    return JSONResponse(to_json(get_date(key.viewer, db, date_id=date_id)))


@router.post(
    "/dates",
    status_code=201,
    summary="Termin anlegen / create a date",
    responses={
        201: {
            "description": "Angelegt / created",
            "content": {"application/json": {"example": {"date_id": 7002, "overlaps": []}}},
        },
        **WRITE_PROBLEMS,
    },
)
def add_date(
    request: Request, key: Key, db: Db, body: DateIn, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    def write() -> object:
        return create_date(
            key.viewer,
            db,
            product_id=body.product_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            seats=body.seats,
            price=body.price,
            minimum=body.minimum,
            now=request.app.state.clock(),
        )

    return run_once(request, db, key, idempotency_key, body=body, write=write, status=201)


@router.patch(
    "/dates/{date_id}",
    summary="Termin ändern / change a date",
    description="Plätze, Zeit oder Preis; eine neue Zeit benachrichtigt die Gebuchten. / "
    "Seats, time or price; a new time notifies the booked customers.",
    responses={
        **example({"date_id": 7001, "overlaps": [], "orders_refreshed": 3, "messages": 3}),
        **WRITE_PROBLEMS,
    },
)
def change_date(
    request: Request,
    key: Key,
    db: Db,
    date_id: DateId,
    body: DatePatch,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def write() -> object:
        return update_date(
            key.viewer,
            db,
            date_id=date_id,
            starts_at=body.starts_at,
            ends_at=body.ends_at,
            seats=body.seats,
            price=body.price,
            now=request.app.state.clock(),
        )

    return run_once(request, db, key, idempotency_key, body=body, write=write)


@router.delete(
    "/dates/{date_id}",
    summary="Termin absagen / cancel a date",
    description="Mit Buchungen nur mit `confirm=true` (sonst `needs_confirmation`); die "
    "Gebuchten erhalten die Absage. / With bookings only with `confirm=true`; booked "
    "customers get the cancellation.",
    responses={
        **example(
            {
                "date_ids": [7001],
                "cancelled": [7001],
                "bookings": 2,
                "tickets": 3,
                "refund_total": "267.00",
                "messages": 2,
                "needs_confirmation": False,
            }
        ),
        **WRITE_PROBLEMS,
    },
)
def drop_date(
    request: Request,
    key: Key,
    db: Db,
    date_id: DateId,
    confirm: bool = False,
    reason: Annotated[str | None, Query(max_length=500)] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    def write() -> object:
        return cancel_date(
            key.viewer,
            db,
            date_id=date_id,
            confirm=confirm,
            reason=reason,
            now=request.app.state.clock(),
        )

    return run_once(request, db, key, idempotency_key, body=None, write=write)
