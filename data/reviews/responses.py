"""A partner's answer to a review, its moderation by staff, and the answers the shop shows.

One current answer per review. The partner saves a draft or submits (→ pending); staff approve
(→ approved: the text becomes `published_body`, the one the shop shows) or reject with a
reason from REJECT_REASONS and a note (→ rejected); staff never edit the partner's words. A
revised answer goes to pending again while the last approved text stays on the shop. Every
step writes a history row; an approval or rejection queues a mail to the answer's author in
the same transaction (dedupe key per history row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, func, insert, literal, select, update

from core import links, sql
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import REVIEWS_READ, REVIEWS_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import CHANNEL_EMAIL, queue_message
from data.ops import audit
from data.portal_schema import (
    REJECT_REASONS,
    RESPONSE_APPROVED,
    RESPONSE_DRAFT,
    RESPONSE_PENDING,
    RESPONSE_REJECTED,
    partners,
    review_response_history,
    review_responses,
    users,
)
from data.reviews.flags import check_answer
from data.shop.catalog import product_names
from data.shop.schema import review, review_detail, sales_order

S, H = review_responses, review_response_history
BODY_MAX = 2_000
NOTE_MAX = 1_000
QUEUE_LIMIT = 50
STAFF_CANNOT_WRITE = "reviews.staff_cannot_write"


@dataclass(frozen=True)
class Answer:
    response_id: int
    review_id: int
    partner_id: int
    product_id: int
    body: str
    status: str
    published_body: str | None
    reject_reason: str | None
    reject_note: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ReviewRef:
    """The shop's facts about one review that an answer needs."""

    review_id: int
    product_id: int
    created_at: datetime
    nickname: str
    customer_id: int | None


def _now(now: datetime | None) -> datetime:
    return now or now_utc()


def _answer(row: object) -> Answer:
    m = row._mapping  # type: ignore[attr-defined]
    return Answer(**{name: m[name] for name in Answer.__dataclass_fields__})


def _columns() -> list:
    return [S.c[name] for name in Answer.__dataclass_fields__]


def _review_ref(viewer: Viewer, db: Databases, review_id: int) -> ReviewRef:
    """The review if it is of one of the viewer's courses; refuses otherwise (also unknown)."""
    ids = scope.product_ids(viewer, db)
    query = (
        select(
            review.c.review_id, review.c.entity_pk_value, review.c.created_at,
            review_detail.c.nickname, review_detail.c.customer_id,
        )
        .join(review_detail, review_detail.c.review_id == review.c.review_id)
        .where(
            review.c.review_id == int(review_id),
            scope.product_filter(review.c.entity_pk_value, ids),
        )
    )  # fmt: skip
    with db.magento.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise ScopeError("reviews.not_found")
    return ReviewRef(int(row[0]), int(row[1]), row[2], str(row[3] or ""), row[4])


def _customer_names(db: Databases, ref: ReviewRef) -> list[str]:
    """The names the customer is known by: the review's nickname and, for a customer account,
    the name on an order of that customer."""
    names = [ref.nickname]
    if ref.customer_id is not None:
        query = (
            select(sales_order.c.customer_firstname, sales_order.c.customer_lastname)
            .where(sales_order.c.customer_id == int(ref.customer_id))
            .order_by(sales_order.c.entity_id.desc())
            .limit(1)
        )
        with db.magento.connect() as conn:
            row = conn.execute(query).first()
        if row is not None:
            names.append(f"{row[0] or ''} {row[1] or ''}".strip())
    return names


@requires(REVIEWS_READ)
def answer_flags(viewer: Viewer, db: Databases, *, review_id: int, text: str) -> tuple[str, ...]:
    """The hint codes (data/reviews/flags.py) for `text` as an answer to the viewer's review."""
    ref = _review_ref(viewer, db, review_id)
    return check_answer(text, customer_names=_customer_names(db, ref))


@requires(REVIEWS_READ)
def answers_for(viewer: Viewer, db: Databases, *, review_ids: Iterable[int]) -> dict[int, Answer]:
    """The current answers (any status) to those of `review_ids` that are the viewer's."""
    wanted = sorted({int(i) for i in review_ids})
    if not wanted:
        return {}
    query = select(*_columns()).where(
        sql.int_in(S.c.review_id, wanted), scope.partner_filter(S.c.partner_id, viewer)
    )
    with db.portal.connect() as conn:
        return {int(r.review_id): _answer(r) for r in conn.execute(query)}


@requires(REVIEWS_READ)
def answer_for_review(viewer: Viewer, db: Databases, *, review_id: int) -> Answer | None:
    """The viewer's current answer to the review, or None."""
    return answers_for(viewer, db, review_ids=[review_id]).get(int(review_id))


@requires(REVIEWS_READ)
def approved_answers(viewer: Viewer, db: Databases, *, review_ids: Iterable[int]) -> dict[int, str]:
    """review id -> the approved answer's text, for the shop to show under the review. A
    revision under moderation keeps the last approved text here."""
    wanted = sorted({int(i) for i in review_ids})
    if not wanted:
        return {}
    query = select(S.c.review_id, S.c.published_body).where(
        sql.int_in(S.c.review_id, wanted),
        S.c.published_body.is_not(None),
        scope.partner_filter(S.c.partner_id, viewer),
    )
    with db.portal.connect() as conn:
        return {int(r): str(body) for r, body in conn.execute(query)}


def _history(
    conn: Connection, *, response_id: int, status: str, body: str, actor: int, now: datetime,
    reason: str | None = None, note: str | None = None,
) -> int:  # fmt: skip
    result = conn.execute(
        insert(H)
        .values(
            response_id=response_id, status=status, body=body, reject_reason=reason,
            reject_note=note, actor_id=actor, at=now,
        )
        .returning(H.c.history_id)
    )  # fmt: skip
    return int(result.scalar_one())


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidInput("reviews.answer_missing")
    if len(text) > BODY_MAX:
        raise InvalidInput("reviews.answer_too_long", n=BODY_MAX)
    return text


@requires(REVIEWS_WRITE)
def save_answer(
    viewer: Viewer,
    db: Databases,
    *,
    review_id: int,
    body: str,
    submit: bool = True,
    now: datetime | None = None,
) -> Answer:
    """Write or revise the partner's answer: submitted (pending, for moderation) or kept as a
    draft. Only the partner writes answers: staff, also viewing as a partner, are refused."""
    viewer.require_writer()
    if viewer.is_staff:
        raise ScopeError(STAFF_CANNOT_WRITE)
    text, moment = _clean_body(body), _now(now)
    ref = _review_ref(viewer, db, review_id)
    status = RESPONSE_PENDING if submit else RESPONSE_DRAFT
    with db.portal.begin() as conn:
        current = conn.execute(
            select(*_columns()).where(S.c.review_id == ref.review_id).with_for_update()
        ).first()
        values = {
            "body": text, "status": status, "updated_at": moment, "updated_by": viewer.user_id,
            "reject_reason": None, "reject_note": None,
            "submitted_at": moment if submit else None,
        }  # fmt: skip
        if current is None:
            result = conn.execute(
                insert(S)
                .values(
                    review_id=ref.review_id, partner_id=int(viewer.partner_id or 0),
                    product_id=ref.product_id, review_created_at=ref.created_at,
                    created_at=moment, **values,
                )
                .returning(S.c.response_id)
            )  # fmt: skip
            response_id = int(result.scalar_one())
        else:
            answer = _answer(current)
            if answer.body == text and answer.status in (status, RESPONSE_APPROVED) and submit:
                return answer  # sent twice, or the approved text unchanged: nothing to moderate
            response_id = answer.response_id
            conn.execute(update(S).where(S.c.response_id == response_id).values(**values))
        _history(conn, response_id=response_id, status=status, body=text, actor=viewer.user_id,
                 now=moment)  # fmt: skip
        audit.record(
            conn, viewer, action=f"reviews.answer_{status}", entity="review_response",
            entity_id=response_id, partner_id=viewer.partner_id,
            details={"review_id": ref.review_id}, now=moment,
        )  # fmt: skip
        row = conn.execute(select(*_columns()).where(S.c.response_id == response_id)).one()
    return _answer(row)


@requires(REVIEWS_READ)
def response_history(viewer: Viewer, db: Databases, *, review_id: int) -> pd.DataFrame:
    """Every step of the viewer's answer to the review, oldest first."""
    query = (
        select(H.c.status, H.c.body, H.c.reject_reason, H.c.reject_note, H.c.at)
        .join(S, S.c.response_id == H.c.response_id)
        .where(S.c.review_id == int(review_id), scope.partner_filter(S.c.partner_id, viewer))
        .order_by(H.c.at, H.c.history_id)
    )
    with db.portal.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["status", "body", "reject_reason",
                                                          "reject_note", "at"])  # fmt: skip


@requires(REVIEWS_READ)
def pending_count(viewer: Viewer, db: Databases) -> int:
    """Answers waiting for moderation (staff: all; a partner: its own)."""
    query = select(func.count()).where(
        S.c.status == RESPONSE_PENDING, scope.partner_filter(S.c.partner_id, viewer)
    )
    with db.portal.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


@requires(REVIEWS_READ)
def moderation_queue(viewer: Viewer, db: Databases, *, limit: int = QUEUE_LIMIT) -> pd.DataFrame:
    """Pending answers, oldest submission first, with the review they answer and the hints;
    staff only."""
    viewer.require_staff()
    columns = [
        "response_id", "review_id", "partner_id", "partner", "product_id", "course", "body",
        "submitted_at", "title", "detail", "nickname", "flags",
    ]  # fmt: skip
    query = (
        select(
            S.c.response_id, S.c.review_id, S.c.partner_id, partners.c.name.label("partner"),
            S.c.product_id, S.c.body, S.c.submitted_at,
        )
        .join(partners, partners.c.partner_id == S.c.partner_id)
        .where(S.c.status == RESPONSE_PENDING, scope.partner_filter(S.c.partner_id, viewer))
        .order_by(S.c.submitted_at, S.c.response_id)
        .limit(max(1, min(int(limit), 500)))
    )  # fmt: skip
    with db.portal.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    if not rows:
        return pd.DataFrame(columns=columns)
    details = _review_details(db, [int(r["review_id"]) for r in rows])
    for row in rows:
        found = details.get(int(row["review_id"]), {})
        row.update({k: found.get(k, "") for k in ("course", "title", "detail", "nickname")})
        row["flags"] = check_answer(str(row["body"]), customer_names=found.get("names", []))
    return pd.DataFrame(rows, columns=columns)


def _review_details(db: Databases, review_ids: list[int]) -> dict[int, dict]:
    names = product_names().subquery()
    query = (
        select(
            review.c.review_id, names.c.name.label("course"), review_detail.c.title,
            review_detail.c.detail, review_detail.c.nickname, review_detail.c.customer_id,
            review.c.entity_pk_value, review.c.created_at,
        )
        .join(review_detail, review_detail.c.review_id == review.c.review_id)
        .outerjoin(names, names.c.entity_id == review.c.entity_pk_value)
        .where(sql.int_in(review.c.review_id, review_ids))
    )  # fmt: skip
    out: dict[int, dict] = {}
    with db.magento.connect() as conn:
        found = [dict(r) for r in conn.execute(query).mappings()]
    for row in found:
        ref = ReviewRef(int(row["review_id"]), int(row["entity_pk_value"]), row["created_at"],
                        str(row["nickname"] or ""), row["customer_id"])  # fmt: skip
        row["names"] = _customer_names(db, ref)
        out[int(row["review_id"])] = row
    return out


def _decide(
    viewer: Viewer, db: Databases, *, response_id: int, status: str, now: datetime,
    reason: str | None = None, note: str | None = None,
) -> bool:  # fmt: skip
    """Move a pending answer to approved or rejected; False if it is not pending (any more)."""
    course = _course_name(db, response_id)
    with db.portal.begin() as conn:
        row = conn.execute(
            select(*_columns(), S.c.updated_by, S.c.first_approved_at)
            .where(S.c.response_id == int(response_id))
            .with_for_update()
        ).first()
        if row is None or row.status != RESPONSE_PENDING:
            return False
        values: dict[str, object] = {
            "status": status, "decided_at": now, "decided_by": viewer.user_id,
            "reject_reason": reason, "reject_note": note,
        }  # fmt: skip
        if status == RESPONSE_APPROVED:
            values["published_body"] = row.body
            values["first_approved_at"] = row.first_approved_at or now
        changed = conn.execute(
            update(S)
            .where(S.c.response_id == int(response_id), S.c.status == RESPONSE_PENDING)
            .values(**values)
        )
        if changed.rowcount != 1:
            return False
        step = _history(conn, response_id=int(response_id), status=status, body=row.body,
                        actor=viewer.user_id, now=now, reason=reason, note=note)  # fmt: skip
        _notify(conn, answer=_answer(row), author=row.updated_by, status=status, step=step,
                reason=reason, note=note, course=course)  # fmt: skip
        audit.record(
            conn, viewer, action=f"reviews.answer_{status}", entity="review_response",
            entity_id=int(response_id), partner_id=int(row.partner_id),
            details={"review_id": int(row.review_id), "reason": reason}, note=note, now=now,
        )  # fmt: skip
    return True


def _notify(
    conn: Connection, *, answer: Answer, author: int | None, status: str, step: int,
    reason: str | None, note: str | None, course: str,
) -> None:  # fmt: skip
    """The mail to the answer's author (else the partner's main address)."""
    person = None
    if author is not None:
        person = conn.execute(
            select(users.c.email, users.c.display_name, users.c.locale).where(
                users.c.user_id == int(author), users.c.active.is_(True)
            )
        ).first()
    if person is None:
        person = conn.execute(
            select(partners.c.email, partners.c.name, literal("de")).where(
                partners.c.partner_id == answer.partner_id
            )
        ).first()
    if person is None or not person[0]:
        return
    template = "review_answer_approved" if status == RESPONSE_APPROVED else "review_answer_rejected"
    payload: dict[str, object] = {
        "contact_name": str(person[1]),
        "review_id": answer.review_id,
        "course": course,
        "answer": answer.body,
        "review_url": links.reviews_url(answer.review_id),
    }
    if status == RESPONSE_REJECTED:
        payload.update({"reason": reason or "other", "note": note or ""})
    queue_message(
        conn, channel=CHANNEL_EMAIL, template=template, recipient=str(person[0]),
        recipient_name=str(person[1]), locale=str(person[2] or "de"), payload=payload,
        dedupe_key=f"{template}:{answer.response_id}:{step}", partner_id=answer.partner_id,
    )  # fmt: skip


def _course_name(db: Databases, response_id: int) -> str:
    with db.portal.connect() as conn:
        product_id = conn.execute(
            select(S.c.product_id).where(S.c.response_id == int(response_id))
        ).scalar()
    if product_id is None:
        return ""
    names = product_names().subquery()
    with db.magento.connect() as conn:
        name = conn.execute(select(names.c.name).where(names.c.entity_id == int(product_id)))
        return str(name.scalar() or "")


@requires(REVIEWS_WRITE)
def approve_answer(
    viewer: Viewer, db: Databases, *, response_id: int, now: datetime | None = None
) -> bool:
    """Approve a pending answer (staff only): the shop shows its text from now on. False if it
    was decided already (two clicks, two staff members)."""
    viewer.require_staff()
    return _decide(viewer, db, response_id=response_id, status=RESPONSE_APPROVED, now=_now(now))


@requires(REVIEWS_WRITE)
def reject_answer(
    viewer: Viewer,
    db: Databases,
    *,
    response_id: int,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> bool:
    """Reject a pending answer with a reason from REJECT_REASONS and a note (staff only); the
    partner sees both and can revise. False if it was decided already."""
    viewer.require_staff()
    if reason not in REJECT_REASONS:
        raise InvalidInput("reviews.reason_unknown")
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput("reviews.note_too_long", n=NOTE_MAX)
    return _decide(viewer, db, response_id=response_id, status=RESPONSE_REJECTED, now=_now(now),
                   reason=reason, note=text or None)  # fmt: skip


@requires(REVIEWS_READ)
def answered_counts(viewer: Viewer, db: Databases, *, product_ids: Iterable[int]) -> dict[int, int]:
    """Per course in the viewer's scope: how many of its reviews carry an approved answer (the
    text the shop shows). For the quality score's "answered" item, in bulk."""
    counts: dict[int, int] = {}
    wanted = sorted({int(p) for p in product_ids})
    with db.portal.connect() as conn:
        for part in sql.chunks(wanted):
            query = (
                select(S.c.product_id, func.count())
                .where(
                    S.c.published_body.is_not(None),
                    scope.partner_filter(S.c.partner_id, viewer),
                    sql.int_in(S.c.product_id, part),
                )
                .group_by(S.c.product_id)
            )
            counts.update({int(pid): int(n) for pid, n in conn.execute(query)})
    return counts
