"""Partner API: the key's partner's reviews (`reviews:read`).

`GET /v1/reviews` lists the reviews like the portal's Bewertungen (every status, newest first,
the same filters: course, stars, period, answered) in keyset slices: `next_cursor` fetches the
next slice (data/reviews/dashboard.py `reviews_after`). Each review carries its current answer
(data/reviews/responses.py): the moderation state and, once Miomente's staff approved it, the
text the shop shows. A draft's or pending revision's words stay in the portal.

The path is exactly `/v1/reviews`: the shop's public `GET /v1/reviews/{review_id}/answer`
(api/routers/reviews.py) is another route with its own error shape (api/errors.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import Field

from api.deps import Db
from api.errors import ApiError
from api.partner import PROBLEMS, Key, example, to_json
from data.reviews.dashboard import MAX_ID, MAX_SLICE, ReviewFilters, reviews_after
from data.reviews.responses import Answer, answers_for
from data.shop.schema import REVIEW_APPROVED, REVIEW_NOT_APPROVED, REVIEW_PENDING

router = APIRouter(tags=["reviews"])
INVALID = "api_error.invalid_request"
PERIOD_INVALID = "partner_api.period_invalid"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_COURSES = 50
# Magento's review.status_id as words.
REVIEW_STATUS = {
    REVIEW_APPROVED: "approved",
    REVIEW_PENDING: "pending",
    REVIEW_NOT_APPROVED: "not_approved",
}

ANSWERED = "true: mit freigegebener Antwort, false: ohne / with an approved answer, or without"
DAY = "JJJJ-MM-TT (Berliner Tag, einschließlich) / YYYY-MM-DD (Berlin day, inclusive)"

_REVIEW = {
    "review_id": 812,
    "created_at": "2026-11-14T18:02:11Z",
    "product_id": 101,
    "course": "Pasta-Kochkurs",
    "status": "approved",
    "stars": 5,
    "title": "Toller Abend",
    "detail": "Sehr gut erklärt, wir kommen wieder.",
    "nickname": "Anna S.",
    "answered": True,
    "answer": {
        "status": "approved",
        "text": "Vielen Dank, Anna – bis bald!",
        "reject_reason": None,
        "updated_at": "2026-11-15T08:30:00Z",
    },
}


def _answer(found: Answer | None) -> dict[str, Any] | None:
    """The current answer's moderation state and the approved text (None until approved;
    the last approved text while a revision waits)."""
    if found is None:
        return None
    return {
        "status": found.status,
        "text": found.published_body,
        "reject_reason": found.reject_reason,
        "updated_at": to_json(found.updated_at),
    }


def _period(first: date | None, last: date | None) -> None:
    for name, value in (("from", first), ("to", last)):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ApiError(422, INVALID, fields=name)
    if first is not None and last is not None and first > last:
        raise ApiError(422, PERIOD_INVALID, first=first.isoformat(), last=last.isoformat())


@router.get(
    "/reviews",
    summary="Bewertungen / reviews",
    description="Die Bewertungen der Kurse des Partners (jeder Status), neueste zuerst, mit "
    "der aktuellen Antwort: Moderationsstand und – sobald freigegeben – der Text, den der "
    "Shop zeigt; mit `cursor` die nächste Seite. / The reviews of the partner's courses (any "
    "status), newest first, with the current answer: its moderation state and, once approved, "
    "the text the shop shows; `cursor` fetches the next slice.",
    responses={
        **example(
            {"items": [_REVIEW], "next_cursor": "cmV2aWV3c3wyMDI2LTExLTE0VDE4OjAyOjExfDgxMg"}
        ),
        **PROBLEMS,
    },
)
def reviews(
    key: Key,
    db: Db,
    course: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None,
        Query(max_length=MAX_COURSES, description="Kurs (Produkt-ID, wiederholbar) / course id"),
    ] = None,
    stars: Annotated[
        list[Annotated[int, Field(ge=1, le=5)]] | None,
        Query(max_length=5, description="Sterne 1–5 (wiederholbar) / stars 1–5 (repeatable)"),
    ] = None,
    first: Annotated[date | None, Query(alias="from", description=DAY)] = None,
    last: Annotated[date | None, Query(alias="to", description=DAY)] = None,
    answered: Annotated[bool | None, Query(description=ANSWERED)] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` der vorigen Antwort")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SLICE)] = 50,
) -> JSONResponse:
    _period(first, last)
    filters = ReviewFilters(
        product_ids=tuple(course or ()),
        stars=tuple(stars or ()),
        first_day=first,
        last_day=last,
        answered=answered,
    )
    found = reviews_after(key.viewer, db, filters=filters, cursor=cursor, limit=limit)
    rows = found.rows.to_dict("records")
    answers = answers_for(key.viewer, db, review_ids=[int(r["review_id"]) for r in rows])
    # Not the shop's customer id: the partner's programs get the nickname the shop shows.
    items = [
        {
            "review_id": int(row["review_id"]),
            "created_at": to_json(row["created_at"]),
            "product_id": int(row["product_id"]),
            "course": str(row["course"]),
            "status": REVIEW_STATUS.get(int(row["status_id"]), "unknown"),
            "stars": None if pd.isna(row["stars"]) else int(row["stars"]),  # None: no votes
            "title": str(row["title"]),
            "detail": str(row["detail"]),
            "nickname": str(row["nickname"]),
            "answered": bool(row["answered"]),
            "answer": _answer(answers.get(int(row["review_id"]))),
        }
        for row in rows
    ]
    return JSONResponse({"items": items, "next_cursor": found.next_cursor})
