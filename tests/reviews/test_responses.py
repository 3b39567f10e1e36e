"""Answers to reviews on SQLite, MariaDB + PostgreSQL: draft → pending → approved | rejected,
revisions go to moderation again while the approved text stays on the shop, staff never write
answers, two clicks decide once, the partner's mail in the same transaction, and scope."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from core.db import Databases
from core.validation import InvalidInput
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import outbox
from data.reviews import responses
from data.shop.schema import sales_order
from messaging.render import render
from tests.support.reviews import add_review

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
BETA = Viewer(user_id=20, role="partner", partner_id=2)
STAFF = Viewer(user_id=30, role="staff")
NOW = datetime(2026, 11, 25, 12, 0)


def _mails(db: Databases) -> list[dict]:
    with db.portal.connect() as conn:
        rows = conn.execute(select(outbox).order_by(outbox.c.message_id)).mappings().all()
    return [dict(r) for r in rows if str(r["template"]).startswith("review_answer")]


def test_draft_submit_approve(shop: Databases) -> None:
    draft = responses.save_answer(ALPHA, shop, review_id=1, body="Danke!", submit=False, now=NOW)
    assert draft.status == "draft" and draft.published_body is None
    assert responses.moderation_queue(STAFF, shop).empty
    pending = responses.save_answer(ALPHA, shop, review_id=1, body="Vielen Dank!", now=NOW)
    assert pending.status == "pending" and pending.response_id == draft.response_id
    queue = responses.moderation_queue(STAFF, shop)
    assert list(queue["review_id"]) == [1] and queue.iloc[0]["course"] == "Alpha Pasta-Werkstatt"
    assert responses.approved_answers(STAFF, shop, review_ids=[1]) == {}
    assert responses.approve_answer(STAFF, shop, response_id=pending.response_id, now=NOW)
    assert not responses.approve_answer(STAFF, shop, response_id=pending.response_id, now=NOW)
    assert responses.approved_answers(STAFF, shop, review_ids=[1, 2]) == {1: "Vielen Dank!"}
    [mail] = _mails(shop)
    assert (
        mail["template"] == "review_answer_approved" and mail["recipient"] == "team@alpha.example"
    )
    assert mail["partner_id"] == 1
    text = render(mail["template"], locale=mail["locale"], payload=mail["payload"]).text
    assert "Vielen Dank!" in text and "bewertungen?bewertung=1" in text
    history = responses.response_history(ALPHA, shop, review_id=1)
    assert list(history["status"]) == ["draft", "pending", "approved"]


def test_reject_with_reason_then_revise(shop: Databases) -> None:
    first = responses.save_answer(ALPHA, shop, review_id=2, body="Danke, Gast 2!", now=NOW)
    with pytest.raises(InvalidInput):
        responses.reject_answer(STAFF, shop, response_id=first.response_id, reason="weil")
    assert responses.reject_answer(
        STAFF, shop, response_id=first.response_id, reason="personal_data", note="Ohne Namen."
    )
    rejected = responses.answer_for_review(ALPHA, shop, review_id=2)
    assert rejected is not None and rejected.status == "rejected"
    assert (rejected.reject_reason, rejected.reject_note) == ("personal_data", "Ohne Namen.")
    assert responses.approved_answers(STAFF, shop, review_ids=[2]) == {}
    [mail] = _mails(shop)
    assert mail["template"] == "review_answer_rejected"
    assert "Ohne Namen." in render(mail["template"], locale="de", payload=mail["payload"]).text
    revised = responses.save_answer(ALPHA, shop, review_id=2, body="Danke für Ihr Lob!", now=NOW)
    assert revised.status == "pending" and revised.reject_reason is None
    assert responses.approve_answer(STAFF, shop, response_id=revised.response_id, now=NOW)
    assert responses.approved_answers(ALPHA, shop, review_ids=[2]) == {2: "Danke für Ihr Lob!"}


def test_a_revision_of_an_approved_answer_keeps_the_shop_text(shop: Databases) -> None:
    answer = responses.save_answer(ALPHA, shop, review_id=1, body="Danke!", now=NOW)
    responses.approve_answer(STAFF, shop, response_id=answer.response_id, now=NOW)
    same = responses.save_answer(ALPHA, shop, review_id=1, body="Danke!", now=NOW)
    assert same.status == "approved"  # unchanged text: nothing to moderate
    revised = responses.save_answer(ALPHA, shop, review_id=1, body="Danke sehr!", now=NOW)
    assert revised.status == "pending" and revised.published_body == "Danke!"
    assert responses.approved_answers(STAFF, shop, review_ids=[1]) == {1: "Danke!"}
    assert responses.pending_count(STAFF, shop) == 1


def test_staff_never_write_and_partners_never_moderate(shop: Databases) -> None:
    with pytest.raises(ScopeError):
        responses.save_answer(STAFF.view_as(1), shop, review_id=1, body="Danke!", now=NOW)
    answer = responses.save_answer(ALPHA, shop, review_id=1, body="Danke!", now=NOW)
    with pytest.raises(ScopeError):
        responses.approve_answer(ALPHA, shop, response_id=answer.response_id)
    with pytest.raises(ScopeError):
        responses.reject_answer(ALPHA, shop, response_id=answer.response_id, reason="other")
    with pytest.raises(ScopeError):
        responses.moderation_queue(ALPHA, shop)


def test_a_partner_cannot_answer_or_read_another_partners_review(shop: Databases) -> None:
    with pytest.raises(ScopeError):
        responses.save_answer(ALPHA, shop, review_id=3, body="Danke!", now=NOW)
    with pytest.raises(ScopeError):
        responses.save_answer(ALPHA, shop, review_id=999, body="Danke!", now=NOW)
    theirs = responses.save_answer(BETA, shop, review_id=3, body="Merci!", now=NOW)
    responses.approve_answer(STAFF, shop, response_id=theirs.response_id, now=NOW)
    assert responses.answers_for(ALPHA, shop, review_ids=[3]) == {}
    assert responses.approved_answers(ALPHA, shop, review_ids=[3]) == {}
    assert responses.response_history(ALPHA, shop, review_id=3).empty


def test_bad_input_changes_nothing(shop: Databases) -> None:
    for body in ("", "   ", "x" * (responses.BODY_MAX + 1)):
        with pytest.raises(InvalidInput):
            responses.save_answer(ALPHA, shop, review_id=1, body=body, now=NOW)
    assert responses.answer_for_review(ALPHA, shop, review_id=1) is None


def test_flags_know_the_customers_order_name(shop: Databases) -> None:
    add_review(shop, 31, 101, 5, created_at=NOW, nickname="Anna S.", customer_id=501)
    with shop.magento.begin() as conn:
        conn.execute(insert(sales_order).values(
            entity_id=9501, increment_id="100009501", customer_id=501,
            customer_firstname="Anna", customer_lastname="Schäfer",
        ))  # fmt: skip
    assert responses.answer_flags(ALPHA, shop, review_id=31, text="Danke, Anna S.!") == ()
    named = responses.answer_flags(ALPHA, shop, review_id=31, text="Danke, Anna Schäfer!")
    assert named == ("name",)
    link = responses.answer_flags(ALPHA, shop, review_id=31, text="Mehr auf www.alpha.de")
    assert link == ("link",)
    with pytest.raises(ScopeError):
        responses.answer_flags(BETA, shop, review_id=31, text="x")
