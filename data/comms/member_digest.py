"""A team member's daily digest: the day's messages as one mail instead of one by one.

A member who chose the digest (data/access/team.py save_my_prefs) comes back from
`notifications.recipients` marked with `digest_user_id`. The caller, in the transaction of
its cause, `collect`s an item for that member instead of queuing a message; the
`member-digest` job (jobs/member_digest.py, daily at DIGEST_AT Berlin) calls `queue_digests`,
which queues ONE mail per member (template `member_digest`) listing the collected items and
marks them digested in the same transaction. The dedupe key per member and Berlin day makes a
rerun send nothing twice; items collected after the day's digest wait for the next one.

The items were filtered by the member's role when collected; the role is read again when the
digest goes out, so a member moved to a narrower role (or removed) meanwhile gets only what
the role still allows (the rest is marked digested unsent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select, update

from core import sql
from core.clock import BERLIN, now_utc
from core.db import Databases
from data.access.permissions import role_permissions
from data.access.viewer import Viewer
from data.comms.notifications import EVENT_PERMISSION, Recipient
from data.comms.outbox import queue_message
from data.portal_schema import CHANNEL_EMAIL, member_digest_items, users

TEMPLATE = "member_digest"


def split(found: Sequence[Recipient]) -> tuple[list[Recipient], list[Recipient]]:
    """The recipients to message at once, and the digest members to collect items for."""
    direct = [r for r in found if r.digest_user_id is None]
    return direct, [r for r in found if r.digest_user_id is not None]


def item_rows(
    found: Sequence[Recipient],
    *,
    partner_id: int,
    event: str,
    subject: str,
    context: Mapping[str, object],
    key: str,
    now: datetime,
) -> list[dict[str, object]]:
    """One item per digest member among `found`; `key` names the cause (like a dedupe key)."""
    return [
        {
            "user_id": r.digest_user_id,
            "partner_id": partner_id,
            "event": event,
            "subject": subject[:255],
            "context": dict(context),
            "dedupe_key": f"{key}:digest:{r.digest_user_id}"[:200],
            "created_at": now,
        }
        for r in found
        if r.digest_user_id is not None
    ]


def collect(conn: Connection, rows: Sequence[Mapping[str, object]]) -> int:
    """Store the items in the caller's transaction; an item collected before is skipped."""
    if not rows:
        return 0
    return sql.insert_ignore(conn, member_digest_items, rows, index_elements=["dedupe_key"])


def _allowed(member_role: str | None, event: str) -> bool:
    permitted = role_permissions(member_role)
    return permitted is None or EVENT_PERMISSION.get(event) in permitted


def queue_digests(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """Queue today's digest for every member with collected items (the sidecar's viewer
    only); returns how many mails were queued."""
    viewer.require_system()
    moment = now or now_utc()
    day = moment.replace(tzinfo=UTC).astimezone(BERLIN).date()
    query = (
        select(
            member_digest_items,
            users.c.email,
            users.c.display_name,
            users.c.locale,
            users.c.member_role,
            users.c.active,
            users.c.partner_id.label("user_partner_id"),
        )
        .join(users, users.c.user_id == member_digest_items.c.user_id)
        .where(
            member_digest_items.c.digested_at.is_(None),
            member_digest_items.c.created_at <= moment,
        )
        .order_by(member_digest_items.c.user_id, member_digest_items.c.created_at)
    )
    queued = 0
    with db.portal.begin() as conn:
        per_user: dict[int, list[Row[Any]]] = defaultdict(list)
        for row in conn.execute(query).all():
            per_user[int(row.user_id)].append(row)
        done: list[int] = []
        for rows in per_user.values():
            first = rows[0]
            # Tenant safety and the role read now: only items of the member's own partner
            # that the member's current role may see; the rest are dropped unsent.
            kept = [
                r
                for r in rows
                if first.active
                and r.partner_id == r.user_partner_id
                and _allowed(r.member_role, r.event)
            ]
            sent = {int(r.item_id) for r in kept}
            dropped = [int(r.item_id) for r in rows if int(r.item_id) not in sent]
            if kept and _queue(conn, first, kept, day=day.isoformat()):
                queued += 1
                done += sorted(sent)
            done += dropped
        if done:
            conn.execute(
                update(member_digest_items)
                .where(sql.int_in(member_digest_items.c.item_id, done))
                .values(digested_at=moment)
            )
    return queued


def _queue(conn: Connection, user: Row[Any], rows: list[Row[Any]], *, day: str) -> bool:
    """The member's one mail of the day; False if today's digest went out already."""
    payload = {
        "contact_name": user.display_name,
        "day": day,
        "items": [{"event": r.event, "subject": r.subject, **dict(r.context)} for r in rows],
    }
    return queue_message(
        conn,
        channel=CHANNEL_EMAIL,
        template=TEMPLATE,
        recipient=str(user.email),
        recipient_name=user.display_name,
        locale=str(user.locale),
        payload=payload,
        dedupe_key=f"{TEMPLATE}:{user.user_id}:{day}",
        partner_id=int(user.user_partner_id),
    )
