"""The demo's answers to reviews: the Kochschule and the Weinschule answered many of their
recent reviews (approved, a few hours to days later), and each has one answer waiting for
moderation and one that staff rejected (reason and note), so Bewertungen shows the share
answered and the time to answer, and Moderation has a queue on first start."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from core.db import Databases
from data import portal_schema as p
from data.shop import schema as m

RECENT = 40  # of each partner's newest approved reviews, most get an answer
ANSWERS = (
    "Vielen Dank für Ihre freundliche Bewertung! Wir freuen uns sehr, dass Ihnen der Abend "
    "gefallen hat, und hoffen, Sie bald wieder bei uns zu begrüßen.",
    "Herzlichen Dank für Ihr Feedback! Schön, dass Sie so viel mitnehmen konnten.",
    "Danke für Ihre offenen Worte. Wir haben Ihre Anregung zur Gruppengröße aufgenommen und "
    "planen künftig mehr Zeit für Fragen ein.",
    "Vielen Dank! Das ganze Team freut sich über Ihr Lob.",
    "Danke, dass Sie sich die Zeit für eine Bewertung genommen haben. Es tut uns leid, dass "
    "nicht alles gepasst hat – sprechen Sie uns beim nächsten Besuch gern direkt an.",
)
PENDING = "Vielen Dank für Ihren Besuch! Wir freuen uns schon auf das nächste Mal."
REJECTED = (
    "Liebe Frau Weber, danke! Rufen Sie uns gern an unter 040 1234567 oder besuchen Sie "
    "www.beispiel-kochschule.de."
)
REJECT_NOTE = "Bitte ohne Nachnamen, Telefonnummer und Link – dann geben wir die Antwort frei."


def _partner(db: Databases, username: str) -> tuple[int, list[int]] | None:
    with db.portal.connect() as conn:
        partner_id = conn.execute(
            select(p.users.c.partner_id).where(p.users.c.username == username)
        ).scalar()
        if partner_id is None:
            return None
        products = conn.execute(
            select(p.courses.c.product_id).where(p.courses.c.partner_id == partner_id)
        ).scalars()
        return int(partner_id), [int(x) for x in products]


def _recent(db: Databases, products: list[int], now: datetime) -> list[tuple[int, int, datetime]]:
    query = (
        select(m.review.c.review_id, m.review.c.entity_pk_value, m.review.c.created_at)
        .where(
            m.review.c.entity_pk_value.in_(products),
            m.review.c.status_id == m.REVIEW_APPROVED,
            m.review.c.created_at < now - timedelta(days=3),
        )
        .order_by(m.review.c.created_at.desc(), m.review.c.review_id.desc())
        .limit(RECENT)
    )
    with db.magento.connect() as conn:
        return [(int(r), int(pid), at) for r, pid, at in conn.execute(query)]


def _rows(
    partner_id: int, user_id: int | None, reviews: list[tuple[int, int, datetime]], now: datetime
) -> tuple[list[dict], list[tuple[int, str, str, datetime, str | None, str | None]]]:
    """Response rows and (review id, status, body, at, reason, note) history steps."""
    responses: list[dict] = []
    steps: list[tuple[int, str, str, datetime, str | None, str | None]] = []
    for index, (review_id, product_id, created) in enumerate(reviews):
        base = {
            "review_id": review_id, "partner_id": partner_id, "product_id": product_id,
            "review_created_at": created, "created_at": created, "updated_by": user_id,
        }  # fmt: skip
        if index == 0:  # the newest: waiting for moderation
            at = now - timedelta(hours=5)
            row = {**base, "body": PENDING, "status": p.RESPONSE_PENDING, "submitted_at": at,
                   "updated_at": at}  # fmt: skip
            steps.append((review_id, p.RESPONSE_PENDING, PENDING, at, None, None))
        elif index == 1:  # rejected, to be revised
            at = now - timedelta(days=1)
            row = {**base, "body": REJECTED, "status": p.RESPONSE_REJECTED, "submitted_at": at,
                   "updated_at": at, "decided_at": at + timedelta(hours=2),
                   "reject_reason": "personal_data", "reject_note": REJECT_NOTE}  # fmt: skip
            steps.append((review_id, p.RESPONSE_PENDING, REJECTED, at, None, None))
            steps.append((review_id, p.RESPONSE_REJECTED, REJECTED, at + timedelta(hours=2),
                          "personal_data", REJECT_NOTE))  # fmt: skip
        elif review_id % 4 == 0:  # about a quarter stays unanswered
            continue
        else:
            body = ANSWERS[review_id % len(ANSWERS)]
            sent = created + timedelta(hours=3 + (review_id * 7) % 70)
            approved = sent + timedelta(hours=2 + review_id % 20)
            row = {**base, "body": body, "status": p.RESPONSE_APPROVED, "published_body": body,
                   "submitted_at": sent, "decided_at": approved, "first_approved_at": approved,
                   "updated_at": approved}  # fmt: skip
            steps.append((review_id, p.RESPONSE_PENDING, body, sent, None, None))
            steps.append((review_id, p.RESPONSE_APPROVED, body, approved, None, None))
        responses.append(row)
    # One executemany takes its columns from the first row: give every row every column.
    columns = {key for row in responses for key in row}
    return [{key: row.get(key) for key in sorted(columns)} for row in responses], steps


def add_demo_review_answers(db: Databases, *, now: datetime) -> int:
    """Answers of the Kochschule and the Weinschule; returns how many answers were written."""
    written = 0
    for username in ("kochschule", "weinschule"):
        found = _partner(db, username)
        if found is None:
            continue
        partner_id, products = found
        with db.portal.connect() as conn:
            user_id = conn.execute(
                select(p.users.c.user_id).where(p.users.c.username == username)
            ).scalar()
        reviews = _recent(db, products, now) if products else []
        responses, steps = _rows(partner_id, user_id, reviews, now)
        if not responses:
            continue
        with db.portal.begin() as conn:
            conn.execute(insert(p.review_responses), responses)
            ids = dict(
                conn.execute(
                    select(p.review_responses.c.review_id, p.review_responses.c.response_id).where(
                        p.review_responses.c.partner_id == partner_id
                    )
                ).all()
            )
            history = [
                {"response_id": ids[review_id], "status": status, "body": body, "at": at,
                 "reject_reason": reason, "reject_note": note,
                 "actor_id": user_id if status == p.RESPONSE_PENDING else None}
                for review_id, status, body, at, reason, note in steps
            ]  # fmt: skip
            conn.execute(insert(p.review_response_history), history)
        written += len(responses)
    return written
