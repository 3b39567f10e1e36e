"""The shop's read of an approved answer: `GET /v1/reviews/{review_id}/answer`.

The shop shows a partner's answer under the review once Miomente's staff approved it
(data/reviews/responses.py). Only the approved text is public: a review without an answer,
with a draft, a pending or a rejected one answers 404 in the caller's language. A revision
under moderation keeps the last approved text here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import Db
from api.errors import ERROR_SCHEMA, ApiError
from data.access.viewer import SYSTEM
from data.reviews.responses import approved_answers

router = APIRouter(tags=["reviews"])
NOT_FOUND = "reviews.answer_not_found"
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Keine freigegebene Antwort / no approved answer",
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    },
    422: {
        "description": "Ungültige Bewertungs-ID / invalid review id",
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    },
}
ReviewId = Annotated[
    int,
    Path(ge=1, le=2_147_483_647, description="Magentos `review.review_id` / the shop's review id"),
]


class ReviewAnswer(BaseModel):
    review_id: int = Field(description="Die Bewertung / the review")
    answer: str = Field(
        description="Die freigegebene Antwort des Anbieters, reiner Text (beim Anzeigen "
        "escapen) / the provider's approved answer, plain text (escape it when shown)"
    )


@router.get(
    "/reviews/{review_id}/answer",
    response_model=ReviewAnswer,
    summary="Freigegebene Antwort auf eine Bewertung / approved answer to a review",
    description="Die vom Miomente-Team freigegebene Antwort des Anbieters auf die Bewertung, "
    "für die Anzeige im Shop unter der Bewertung; 404, solange keine freigegeben ist. / "
    "The provider's answer to the review as approved by Miomente's staff, for the shop to "
    "show below the review; 404 while none is approved.",
    responses=_ERRORS,
)
def review_answer(review_id: ReviewId, db: Db) -> JSONResponse:
    # The approved text is public, as the shop shows it to everyone: read over all partners.
    found = approved_answers(SYSTEM, db, review_ids=[review_id]).get(review_id)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    body = ReviewAnswer(review_id=review_id, answer=found).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})
