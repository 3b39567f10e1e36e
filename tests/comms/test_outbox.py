"""The outbox data layer on every backend: queue once, claim once, record results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import Databases
from data.access.viewer import SYSTEM, ScopeError, Viewer
from data.comms import outbox
from data.portal_schema import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT
from tests.support.worlds import build_world

ALPHA = Viewer(user_id=10, role="partner", partner_id=1)
STAFF = Viewer(user_id=30, role="staff")


def _queue(db: Databases, n: int, *, key: str = "k", partner_id: int | None = 1) -> int:
    with db.portal.begin() as conn:
        return sum(
            outbox.queue_message(
                conn,
                channel="email",
                template="booking_confirmed",
                recipient=f"kunde{i}@example.org",
                locale="de",
                payload={"order": i},
                dedupe_key=f"{key}-{i}",
                partner_id=partner_id,
            )
            for i in range(n)
        )


def test_the_same_dedupe_key_is_queued_once(databases: Databases) -> None:
    assert _queue(databases, 3) == 3
    assert _queue(databases, 3) == 0
    assert outbox.status_counts(STAFF, databases)[OUTBOX_PENDING] == 3


def test_a_rolled_back_action_leaves_no_message(databases: Databases) -> None:
    with pytest.raises(RuntimeError), databases.portal.begin() as conn:
        outbox.queue_message(
            conn,
            channel="email",
            template="x",
            recipient="a@b.de",
            locale="de",
            payload={},
            dedupe_key="lost",
        )
        raise RuntimeError("the action failed after queuing")
    assert outbox.status_counts(STAFF, databases)[OUTBOX_PENDING] == 0


def test_claim_send_and_fail_round_trip(databases: Databases) -> None:
    _queue(databases, 4)
    claimed = outbox.claim_due(SYSTEM, databases, worker="w1", limit=3)
    assert [m.attempts for m in claimed] == [1, 1, 1]
    assert outbox.claim_due(SYSTEM, databases, worker="w2") != []  # only the 4th is left
    assert outbox.claim_due(SYSTEM, databases, worker="w3") == []
    ids = [m.message_id for m in claimed]
    assert outbox.mark_sent(SYSTEM, databases, results=[(ids[0], "sg-1")], worker="w1") == 1
    # Another worker cannot record what it does not hold.
    assert outbox.mark_sent(SYSTEM, databases, results=[(ids[1], "sg-x")], worker="w2") == 0
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    assert (
        outbox.mark_failed(
            SYSTEM, databases, message_id=ids[1], error="429", retry_at=later, worker="w1"
        )
        == OUTBOX_PENDING
    )
    assert (
        outbox.mark_failed(
            SYSTEM,
            databases,
            message_id=ids[2],
            error="550 unknown user",
            retry_at=None,
            worker="w1",
        )
        == OUTBOX_FAILED
    )
    counts = outbox.status_counts(STAFF, databases)
    assert (counts[OUTBOX_SENT], counts[OUTBOX_FAILED]) == (1, 1)
    message = outbox.get_message(STAFF, databases, message_id=ids[2])
    assert message.last_error == "550 unknown user"
    assert outbox.resend(STAFF, databases, message_id=ids[2]) is True
    assert outbox.resend(STAFF, databases, message_id=ids[2]) is False  # second click: nothing


def test_a_crashed_senders_messages_come_back_after_the_lease(databases: Databases) -> None:
    _queue(databases, 2)
    assert len(outbox.claim_due(SYSTEM, databases, worker="crashed")) == 2
    assert outbox.claim_due(SYSTEM, databases, worker="next") == []
    after_lease = datetime.now(UTC).replace(tzinfo=None) + outbox.LEASE + timedelta(seconds=1)
    again = outbox.claim_due(SYSTEM, databases, worker="next", now=after_lease)
    assert [m.attempts for m in again] == [2, 2]


def test_retries_give_up_after_max_attempts(databases: Databases) -> None:
    _queue(databases, 1)
    now = datetime.now(UTC).replace(tzinfo=None)
    status = None
    for attempt in range(outbox.MAX_ATTEMPTS):
        (message,) = outbox.claim_due(SYSTEM, databases, worker="w", now=now)
        assert message.attempts == attempt + 1
        status = outbox.mark_failed(
            SYSTEM,
            databases,
            message_id=message.message_id,
            error="500",
            retry_at=now,
            worker="w",
            now=now,
        )
    assert status == OUTBOX_FAILED


def test_partners_see_only_their_messages_and_cannot_send(databases: Databases) -> None:
    build_world(databases)
    _queue(databases, 2, key="b", partner_id=2)
    assert outbox.list_messages(ALPHA, databases)["message_id"].tolist() == [1]
    assert len(outbox.list_messages(STAFF, databases)) == 5  # A's, B's, Miomente's, 2 queued
    with pytest.raises(ScopeError):
        outbox.claim_due(ALPHA, databases)
    with pytest.raises(ScopeError):
        outbox.resend(ALPHA, databases, message_id=1)
    filtered = outbox.list_messages(STAFF, databases, status="failed", channel="email")
    assert filtered["message_id"].tolist() == [10, 2, 1]
