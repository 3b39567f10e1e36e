"""The outbox: every email and SMS the portal sends is first a row here.

An action that must notify someone calls `queue_message` with its own open connection, so the
message exists exactly when the action committed. The sender (`python -m jobs run
send-outbox`) claims due rows with a lease, sends them and records the result; a crashed
sender's lease runs out and its rows are claimed again. The dedupe key makes queuing
idempotent: the same key twice is one message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, and_, bindparam, func, or_, select, update

from core import sql
from core.clock import now_utc
from core.db import Databases
from data.access import scope
from data.access.viewer import Viewer
from data.ops import audit
from data.portal_schema import (
    CHANNEL_EMAIL,
    CHANNEL_SMS,
    OUTBOX_FAILED,
    OUTBOX_PENDING,
    OUTBOX_SENDING,
    OUTBOX_SENT,
    outbox,
)

LEASE = timedelta(minutes=5)
SYSTEM_ONLY = "access.system_only"  # only the sender (staff scope) handles the whole outbox
# After this many attempts a message that keeps hitting 429/5xx is given up as failed.
MAX_ATTEMPTS = 8
LIST_COLUMNS = [
    "message_id",
    "created_at",
    "channel",
    "template",
    "recipient",
    "locale",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "provider_message_id",
    "sent_at",
    "partner_id",
]


@dataclass(frozen=True)
class Message:
    message_id: int
    channel: str
    template: str
    recipient: str
    recipient_name: str | None
    locale: str
    payload: dict
    partner_id: int | None
    dedupe_key: str
    status: str
    attempts: int
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    sent_at: datetime | None


def queue_message(
    conn: Connection,
    *,
    channel: str,
    template: str,
    recipient: str,
    locale: str,
    payload: Mapping[str, object],
    dedupe_key: str,
    recipient_name: str | None = None,
    partner_id: int | None = None,
    send_after: datetime | None = None,
) -> bool:
    """Queue a message in the caller's transaction; False if the dedupe key was queued before."""
    row = _row(
        now=now_utc(),
        channel=channel,
        template=template,
        recipient=recipient,
        locale=locale,
        payload=payload,
        dedupe_key=dedupe_key,
        recipient_name=recipient_name,
        partner_id=partner_id,
        send_after=send_after,
    )
    return sql.insert_ignore(conn, outbox, [row], index_elements=["dedupe_key"]) == 1


def _row(
    *,
    now: datetime,
    channel: str,
    template: str,
    recipient: str,
    locale: str,
    payload: Mapping[str, object],
    dedupe_key: str,
    recipient_name: str | None = None,
    partner_id: int | None = None,
    send_after: datetime | None = None,
) -> dict[str, object]:
    if channel not in (CHANNEL_EMAIL, CHANNEL_SMS):
        raise ValueError(f"unknown channel {channel!r}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise ValueError("dedupe_key must be 1–200 characters")
    return {
        "channel": channel,
        "template": template,
        "recipient": recipient.strip(),
        "recipient_name": recipient_name,
        "locale": locale if locale in ("de", "en") else "de",
        "payload": dict(payload),
        "partner_id": partner_id,
        "dedupe_key": dedupe_key,
        "status": OUTBOX_PENDING,
        "attempts": 0,
        "next_attempt_at": send_after or now,
        "created_at": now,
        "updated_at": now,
    }


def queue_many(
    conn: Connection,
    messages: Sequence[Mapping[str, Any]],
    *,
    now: datetime | None = None,
    known_new: bool = False,
) -> int:
    """Queue many at once (same keywords as queue_message); returns how many were new.

    `now` dates the rows (a job's clock; default the real time). `known_new`: the caller won
    a unique key of its own per message in this transaction (the waitlist's notices), so
    every message is new: written without asking back which were (much faster), and the
    count is the number given. A dedupe key that is taken all the same is still skipped."""
    if not messages:
        return 0
    now = now or now_utc()
    rows = [_row(now=now, **m) for m in messages]
    if known_new:
        sql.insert_unless_taken(conn, outbox, rows, index_elements=["dedupe_key"])
        return len(rows)
    return sql.insert_ignore(conn, outbox, rows, index_elements=["dedupe_key"])


def _message(row: Mapping) -> Message:
    return Message(**{f: row[f] for f in Message.__dataclass_fields__})


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or claimed by a sender whose lease ran out (it crashed)."""
    return or_(
        and_(outbox.c.status == OUTBOX_PENDING, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == OUTBOX_SENDING, outbox.c.lease_until < now),
    )


def count_due(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """How many messages a sender would claim now."""
    viewer.require_system(SYSTEM_ONLY)
    query = select(func.count()).select_from(outbox).where(_due(now or now_utc()))
    with db.portal.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def due_messages(
    viewer: Viewer,
    db: Databases,
    *,
    after_id: int = 0,
    limit: int = 1000,
    now: datetime | None = None,
) -> list[Message]:
    """Due messages by id after `after_id`, read without claiming (a dry run's keyset pages)."""
    viewer.require_system(SYSTEM_ONLY)
    query = (
        select(outbox)
        .where(_due(now or now_utc()), outbox.c.message_id > after_id)
        .order_by(outbox.c.message_id)
        .limit(limit)
    )
    with db.portal.connect() as conn:
        return [_message(r) for r in conn.execute(query).mappings()]


def claim_due(
    viewer: Viewer,
    db: Databases,
    *,
    worker: str = "sender",
    limit: int = 1000,
    now: datetime | None = None,
) -> list[Message]:
    """Take up to `limit` due messages for `worker`; others skip them until the lease ends."""
    viewer.require_system(SYSTEM_ONLY)
    now = now or now_utc()
    due = (
        select(outbox.c.message_id)
        .where(_due(now))
        .order_by(outbox.c.message_id)
        .limit(limit)
        # Two senders on PostgreSQL never take the same row; SQLite serialises writers anyway.
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    with db.portal.begin() as conn:
        rows = (
            conn.execute(
                update(outbox)
                .where(outbox.c.message_id.in_(due))
                .values(
                    status=OUTBOX_SENDING,
                    claimed_by=worker,
                    lease_until=now + LEASE,
                    attempts=outbox.c.attempts + 1,
                    updated_at=now,
                )
                .returning(*outbox.c)
            )
            .mappings()
            .all()
        )
    return sorted((_message(r) for r in rows), key=lambda m: m.message_id)


def mark_sent(
    viewer: Viewer,
    db: Databases,
    *,
    results: Sequence[tuple[int, str | None]],
    worker: str = "sender",
    now: datetime | None = None,
) -> int:
    """Record (message id, provider message id) pairs as sent; only rows this worker holds."""
    viewer.require_system(SYSTEM_ONLY)
    if not results:
        return 0
    now = now or now_utc()
    statement = (
        update(outbox)
        .where(
            outbox.c.message_id == bindparam("mid"),
            outbox.c.claimed_by == worker,
            outbox.c.status == OUTBOX_SENDING,
        )
        .values(
            status=OUTBOX_SENT,
            provider_message_id=bindparam("pmid"),
            sent_at=now,
            updated_at=now,
            lease_until=None,
            last_error=None,
        )
    )
    with db.portal.begin() as conn:
        result = conn.execute(statement, [{"mid": m, "pmid": p} for m, p in results])
    return result.rowcount


def mark_failed(
    viewer: Viewer,
    db: Databases,
    *,
    message_id: int,
    error: str,
    retry_at: datetime | None = None,
    worker: str = "sender",
    now: datetime | None = None,
) -> str:
    """Give the message back for a retry at `retry_at`, or fail it for good; returns the status."""
    viewer.require_system(SYSTEM_ONLY)
    now = now or now_utc()
    with db.portal.begin() as conn:
        attempts = conn.execute(
            select(outbox.c.attempts).where(outbox.c.message_id == message_id)
        ).scalar()
        if attempts is None:
            return "missing"
        retry = retry_at is not None and attempts < MAX_ATTEMPTS
        status = OUTBOX_PENDING if retry else OUTBOX_FAILED
        conn.execute(
            update(outbox)
            .where(
                outbox.c.message_id == message_id,
                outbox.c.claimed_by == worker,
                outbox.c.status == OUTBOX_SENDING,
            )
            .values(
                status=status,
                last_error=error[:2000],
                next_attempt_at=retry_at if retry else now,
                lease_until=None,
                updated_at=now,
            )
        )
    return status


def release(
    viewer: Viewer,
    db: Databases,
    *,
    message_ids: Sequence[int],
    retry_at: datetime,
    reason: str,
    worker: str = "sender",
    now: datetime | None = None,
) -> int:
    """Hand claimed messages back untried: due again at `retry_at`, the claim's attempt undone.

    For messages the sender never offered to a provider (it paused after a 429, or its lease
    was nearly over), so that an outage does not use up their attempts.
    """
    viewer.require_system(SYSTEM_ONLY)
    if not message_ids:
        return 0
    now = now or now_utc()
    with db.portal.begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(
                outbox.c.message_id.in_(list(message_ids)),
                outbox.c.claimed_by == worker,
                outbox.c.status == OUTBOX_SENDING,
            )
            .values(
                status=OUTBOX_PENDING,
                attempts=outbox.c.attempts - 1,
                next_attempt_at=retry_at,
                last_error=reason[:2000],
                lease_until=None,
                updated_at=now,
            )
        )
    return result.rowcount


def list_messages(
    viewer: Viewer,
    db: Databases,
    *,
    status: str | None = None,
    channel: str | None = None,
    template: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """Newest first, filtered; a partner sees the messages sent on its behalf."""
    limit, offset = max(1, min(int(limit), 500)), max(0, int(offset))
    query = select(*(outbox.c[c] for c in LIST_COLUMNS)).where(
        scope.partner_filter(outbox.c.partner_id, viewer)
    )
    for column, value in (("status", status), ("channel", channel), ("template", template)):
        if value:
            query = query.where(outbox.c[column] == value)
    query = query.order_by(outbox.c.message_id.desc()).limit(limit).offset(offset)
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=LIST_COLUMNS)


def status_counts(viewer: Viewer, db: Databases) -> dict[str, int]:
    """Messages per status in the viewer's scope (all four statuses always present)."""
    query = (
        select(outbox.c.status, func.count())
        .where(scope.partner_filter(outbox.c.partner_id, viewer))
        .group_by(outbox.c.status)
    )
    with db.portal.connect() as conn:
        counts: dict[str, int] = dict(conn.execute(query).all())
    return {
        s: int(counts.get(s, 0))
        for s in (OUTBOX_PENDING, OUTBOX_SENDING, OUTBOX_SENT, OUTBOX_FAILED)
    }


def get_message(viewer: Viewer, db: Databases, *, message_id: int) -> Message | None:
    query = select(outbox).where(
        outbox.c.message_id == message_id, scope.partner_filter(outbox.c.partner_id, viewer)
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    return _message(row) if row else None


def resend(viewer: Viewer, db: Databases, *, message_id: int) -> bool:
    """Staff: put a failed message back in the queue (once; a second click changes nothing)."""
    viewer.require_staff("access.resend_staff_only")
    now = now_utc()
    with db.portal.begin() as conn:
        result = conn.execute(
            update(outbox)
            .where(
                outbox.c.message_id == message_id,
                outbox.c.status == OUTBOX_FAILED,
                scope.partner_filter(outbox.c.partner_id, viewer),
            )
            .values(
                status=OUTBOX_PENDING,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                claimed_by=None,
                updated_at=now,
            )
        )
        if result.rowcount:
            audit.record(
                conn, viewer, action="outbox_resend", entity="outbox", entity_id=message_id
            )
    return result.rowcount == 1
