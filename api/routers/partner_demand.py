"""Partner API: waitlist entries and date requests (`waitlist:read`), answering requests
(`waitlist:write`; a new date for an answer also needs `dates:write`).

The answers run through the portal's own data functions, so the customer gets the same mail
as when the partner answers on the Nachfrage page.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import Db
from api.partner import PROBLEMS, WRITE_PROBLEMS, IdempotencyKey, Key, example, run_once, to_json
from data.demand.date_requests import (
    LIST_LIMIT,
    STATUSES,
    accept_requests,
    list_requests,
    propose_date,
    reject_requests,
)
from data.demand.waitlist import list_entries

router = APIRouter(tags=["demand"])
MAX_ID = 2**31 - 1
MAX_ANSWERED = 50


class Answer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "request_ids": [42], "date_id": 7001},
                {"action": "reject", "request_ids": [43], "reason": "Kein Termin frei."},
            ]
        },
    )
    action: Literal["accept", "propose", "reject"] = Field(
        description="accept: Termin zusagen; propose: Termin vorschlagen; reject: absagen"
    )
    request_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_ANSWERED
    )
    date_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="accept/propose")
    note: str | None = Field(default=None, max_length=1000)
    reason: str | None = Field(default=None, max_length=1000, description="reject")


@router.get(
    "/waitlist",
    summary="Warteliste / waitlist entries",
    responses={
        **example(
            {
                "items": [
                    {
                        "entry_id": 12,
                        "product_id": 101,
                        "date_id": 7001,
                        "customer_name": "Anna Schmidt",
                        "email": "anna@example.de",
                        "seats": 2,
                        "status": "waiting",
                        "created_at": "2026-11-20T09:15:00Z",
                    }
                ]
            }
        ),
        **PROBLEMS,
    },
)
def waitlist(
    key: Key,
    db: Db,
    course: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Produkt-ID")] = None,
    waiting_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> JSONResponse:
    frame = list_entries(key.viewer, db, product_id=course, waiting_only=waiting_only, limit=limit)
    return JSONResponse({"items": to_json(frame)})


@router.get(
    "/date-requests",
    summary="Terminanfragen / date requests",
    responses={
        **example(
            {
                "items": [
                    {
                        "request_id": 42,
                        "product_id": 101,
                        "requested_day": "2027-01-16",
                        "participants": 6,
                        "status": "pending",
                        "workdays_left": 3,
                    }
                ]
            }
        ),
        **PROBLEMS,
    },
)
def date_requests(
    request: Request,
    key: Key,
    db: Db,
    status: Annotated[Literal[STATUSES] | None, Query()] = None,  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT)] = 500,
) -> JSONResponse:
    frame = list_requests(key.viewer, db, status=status, limit=limit, now=request.app.state.clock())
    return JSONResponse({"items": to_json(frame)})


@router.post(
    "/date-requests/answer",
    summary="Terminanfragen beantworten / answer date requests",
    description="Zusagen (mit `date_id`), Termin vorschlagen oder absagen (mit `reason`); "
    "die Kunden erhalten die Antwort per E-Mail. / Accept, propose or reject; the customers "
    "get the answer by email.",
    responses={**example({"requests": 1, "messages": 1, "date_id": 7001}), **WRITE_PROBLEMS},
)
def answer(
    request: Request, key: Key, db: Db, body: Answer, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    now = request.app.state.clock()

    def write() -> object:
        if body.action == "reject":
            return reject_requests(
                key.viewer, db, request_ids=body.request_ids, reason=body.reason or "", now=now
            )
        answer_with = accept_requests if body.action == "accept" else propose_date
        return answer_with(
            key.viewer, db, request_ids=body.request_ids, date_id=body.date_id, note=body.note,
            now=now,
        )  # fmt: skip

    return run_once(request, db, key, idempotency_key, body=body, write=write)
