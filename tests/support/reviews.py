"""Reviews in the shop's tables for tests: a review, its detail and one vote per given star."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert

from core.db import Databases
from data.shop import schema as m


def add_review(
    db: Databases,
    review_id: int,
    product_id: int,
    stars: int | Sequence[int],
    *,
    created_at: datetime,
    status: int = m.REVIEW_APPROVED,
    nickname: str = "Gast",
    customer_id: int | None = None,
    detail: str = "Sehr schöner Abend.",
) -> None:
    """One review; several stars are several votes (one per rating), all on rating 1's
    options, which is what the averages care about."""
    votes = [stars] if isinstance(stars, int) else list(stars)
    with db.magento.begin() as conn:
        conn.execute(
            insert(m.review).values(
                review_id=review_id, created_at=created_at, entity_pk_value=product_id,
                status_id=status,
            )
        )  # fmt: skip
        conn.execute(
            insert(m.review_detail).values(
                review_id=review_id, title=f"Bewertung {review_id}", detail=detail,
                nickname=nickname, customer_id=customer_id,
            )
        )  # fmt: skip
        if votes:
            conn.execute(
                insert(m.rating_option_vote),
                [
                    dict(option_id=v, rating_id=1, review_id=review_id,
                         entity_pk_value=product_id, percent=v * 20, value=v)
                    for v in votes
                ],
            )  # fmt: skip
