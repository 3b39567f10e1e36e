"""Neuigkeiten: what staff announce to partners, who read it, and the weekly digest.

Staff write an announcement (Markdown, a category, all partners or chosen ones, pinned or not)
and publish it now or at a later moment; partners see the published ones for them in a feed,
pinned first, and mark them read (one row per user, so twice is once). The menu's badge is
`unread_count`; staff see per announcement how many of its partners have a reader. A partner
user who chose the digest gets one mail a week with what is still unread (`queue_digests`,
dedupe key per user and ISO week).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from core import sql
from core.clock import now_utc
from core.db import Databases
from core.links import news_url
from core.validation import InvalidInput
from data.access.viewer import Viewer
from data.comms.outbox import CHANNEL_EMAIL, queue_message
from data.ops import audit, submissions
from data.portal_schema import (
    NEWS_CATEGORIES,
    announcement_partners,
    announcement_reads,
    announcements,
    news_prefs,
    partners,
    users,
)

A, AP, R = announcements, announcement_partners, announcement_reads
TITLE_MAX = 200
BODY_MAX = 20_000
FEED_LIMIT = 50
DIGEST_DAYS = 7
_EARLIEST = datetime(2020, 1, 1)
_LATEST = datetime(2100, 1, 1)


@dataclass(frozen=True)
class Draft:
    """An announcement as staff wrote it; `partner_ids` empty: for all partners."""

    title: str
    body: str
    category: str
    publish_at: datetime  # naive UTC
    partner_ids: tuple[int, ...] = ()
    pinned: bool = False


def _now(now: datetime | None) -> datetime:
    return now or now_utc()


def _checked(draft: Draft) -> Draft:
    title, body = draft.title.strip(), draft.body.strip()
    if not title:
        raise InvalidInput("news.title_missing")
    if len(title) > TITLE_MAX:
        raise InvalidInput("news.title_too_long", n=TITLE_MAX)
    if not body:
        raise InvalidInput("news.body_missing")
    if len(body) > BODY_MAX:
        raise InvalidInput("news.body_too_long", n=BODY_MAX)
    if draft.category not in NEWS_CATEGORIES:
        raise InvalidInput("news.category_unknown")
    if not _EARLIEST <= draft.publish_at < _LATEST:
        raise InvalidInput("news.publish_out_of_range")
    ids = tuple(sorted({int(p) for p in draft.partner_ids}))
    return Draft(title, body, draft.category, draft.publish_at, ids, bool(draft.pinned))


def _require_partners(conn: Connection, ids: tuple[int, ...]) -> None:
    if not ids:
        return
    found = conn.execute(select(func.count()).where(sql.int_in(partners.c.partner_id, ids)))
    if int(found.scalar() or 0) != len(ids):
        raise InvalidInput("news.partner_unknown")


def save_announcement(
    viewer: Viewer,
    db: Databases,
    *,
    draft: Draft,
    announcement_id: int | None = None,
    token: str | None = None,
    now: datetime | None = None,
) -> int:
    """Create (or, with an id, overwrite) an announcement; staff only. Returns its id.
    `token` is the rendered form's (data/ops/submissions.py): sent twice, it saves once."""
    viewer.require_staff()
    clean, moment = _checked(draft), _now(now)
    values = {
        "title": clean.title,
        "body": clean.body,
        "category": clean.category,
        "all_partners": not clean.partner_ids,
        "pinned": clean.pinned,
        "publish_at": clean.publish_at,
        "updated_at": moment,
    }
    with submissions.once(
        db, token, kind="announcement", user_id=viewer.user_id, now=moment
    ) as conn:
        _require_partners(conn, clean.partner_ids)
        if announcement_id is None:
            created = {**values, "created_at": moment, "created_by": viewer.user_id}
            result = conn.execute(insert(A).values(**created).returning(A.c.announcement_id))
            announcement_id = int(result.scalar_one())
        else:
            changed = conn.execute(
                update(A).where(A.c.announcement_id == int(announcement_id)).values(**values)
            )
            if changed.rowcount != 1:
                raise InvalidInput("news.unknown")
            conn.execute(delete(AP).where(AP.c.announcement_id == announcement_id))
        if clean.partner_ids:
            rows = [
                {"announcement_id": announcement_id, "partner_id": p} for p in clean.partner_ids
            ]
            conn.execute(insert(AP), rows)
        audit.record(
            conn, viewer, action="news.saved", entity="announcement", entity_id=announcement_id,
            details={"title": clean.title, "partners": list(clean.partner_ids)}, now=moment,
        )  # fmt: skip
    return int(announcement_id)


def withdraw_announcement(
    viewer: Viewer, db: Databases, *, announcement_id: int, now: datetime | None = None
) -> bool:
    """Take an announcement off every feed (staff only); False if it was withdrawn already."""
    viewer.require_staff()
    moment = _now(now)
    with db.portal.begin() as conn:
        changed = conn.execute(
            update(A)
            .where(A.c.announcement_id == int(announcement_id), A.c.withdrawn_at.is_(None))
            .values(withdrawn_at=moment, updated_at=moment)
        )
        if changed.rowcount:
            audit.record(
                conn, viewer, action="news.withdrawn", entity="announcement",
                entity_id=int(announcement_id), now=moment,
            )  # fmt: skip
    return bool(changed.rowcount)


def _for_partner(partner_id: int) -> ColumnElement[bool]:
    chosen = exists().where(
        AP.c.announcement_id == A.c.announcement_id, AP.c.partner_id == partner_id
    )
    return or_(A.c.all_partners == true(), chosen)


def _visible(viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    """Published, not withdrawn, and for the viewer's partner (staff over all: every one)."""
    live = and_(A.c.publish_at <= now, A.c.withdrawn_at.is_(None))
    if viewer.partner_id is None:
        return live if viewer.is_staff else false()
    return and_(live, _for_partner(int(viewer.partner_id)))


def _read_by(user_id: int) -> ColumnElement[bool]:
    return exists().where(R.c.announcement_id == A.c.announcement_id, R.c.user_id == user_id)


def feed(
    viewer: Viewer, db: Databases, *, now: datetime | None = None, limit: int = FEED_LIMIT
) -> pd.DataFrame:
    """The viewer's announcements, pinned first, newest first, with `read` for this user."""
    query = (
        select(
            A.c.announcement_id, A.c.title, A.c.body, A.c.category, A.c.pinned, A.c.publish_at,
            _read_by(viewer.user_id).label("read"),
        )
        .where(_visible(viewer, _now(now)))
        .order_by(A.c.pinned.desc(), A.c.publish_at.desc(), A.c.announcement_id.desc())
        .limit(max(1, min(int(limit), 500)))
    )  # fmt: skip
    with db.portal.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys())
        )
    return frame.astype({"read": bool, "pinned": bool}) if not frame.empty else frame


def unread_count(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """How many of the viewer's announcements this user has not read (the menu's badge)."""
    query = select(func.count()).where(_visible(viewer, _now(now)), ~_read_by(viewer.user_id))
    with db.portal.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


def mark_read(
    viewer: Viewer,
    db: Databases,
    *,
    announcement_ids: Iterable[int],
    now: datetime | None = None,
) -> int:
    """Mark the viewer's announcements read for this user; returns how many were new.
    Ids the viewer cannot see are ignored, so nothing is learnt or marked through them."""
    moment = _now(now)
    wanted = sorted({int(i) for i in announcement_ids})
    if not wanted:
        return 0
    with db.portal.begin() as conn:
        visible = conn.execute(
            select(A.c.announcement_id).where(
                sql.int_in(A.c.announcement_id, wanted), _visible(viewer, moment)
            )
        ).scalars()
        rows = [
            {"announcement_id": int(i), "user_id": viewer.user_id, "read_at": moment}
            for i in visible
        ]
        return sql.insert_ignore(conn, R, rows, index_elements=["announcement_id", "user_id"])


def staff_list(viewer: Viewer, db: Databases, *, limit: int = FEED_LIMIT) -> pd.DataFrame:
    """Every announcement (staff only), newest first, with its audience and how many of those
    partners have at least one reader."""
    viewer.require_staff()
    active = select(func.count()).select_from(partners).where(partners.c.active == true())
    chosen = (
        select(func.count()).where(AP.c.announcement_id == A.c.announcement_id).scalar_subquery()
    )
    readers = (
        select(func.count(func.distinct(users.c.partner_id)))
        .select_from(R.join(users, users.c.user_id == R.c.user_id))
        .where(R.c.announcement_id == A.c.announcement_id, users.c.partner_id.is_not(None))
        .scalar_subquery()
    )
    query = (
        select(
            A.c.announcement_id, A.c.title, A.c.category, A.c.pinned, A.c.publish_at,
            A.c.withdrawn_at, A.c.all_partners, chosen.label("chosen"),
            readers.label("partners_read"),
        )
        .order_by(A.c.publish_at.desc(), A.c.announcement_id.desc())
        .limit(max(1, min(int(limit), 500)))
    )  # fmt: skip
    with db.portal.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).mappings().all(), columns=list(query.selected_columns.keys())
        )
        everyone = int(conn.execute(active).scalar() or 0)
    if frame.empty:
        return frame.assign(audience=pd.Series(dtype=int))
    audience = [
        everyone if bool(a) else int(c)
        for a, c in zip(frame["all_partners"], frame["chosen"], strict=True)
    ]
    return frame.assign(audience=audience)


def digest_choice(viewer: Viewer, db: Databases) -> bool:
    """Whether this user gets the weekly digest (default: no)."""
    query = select(news_prefs.c.weekly_digest).where(news_prefs.c.user_id == viewer.user_id)
    with db.portal.connect() as conn:
        return bool(conn.execute(query).scalar())


def save_digest_choice(
    viewer: Viewer, db: Databases, *, weekly: bool, now: datetime | None = None
) -> None:
    """This user's own choice of the weekly digest (a partner's; staff get none)."""
    viewer.require_writer()
    row = {"user_id": viewer.user_id, "weekly_digest": bool(weekly), "updated_at": _now(now)}
    with db.portal.begin() as conn:
        sql.upsert(conn, news_prefs, [row], index_elements=["user_id"])


def _digest_readers(conn: Connection) -> list[dict]:
    query = (
        select(
            users.c.user_id,
            users.c.partner_id,
            users.c.email,
            users.c.display_name,
            users.c.locale,
        )
        .select_from(users.join(news_prefs, news_prefs.c.user_id == users.c.user_id))
        .where(
            news_prefs.c.weekly_digest == true(),
            users.c.active == true(),
            users.c.partner_id.is_not(None),
        )
        .order_by(users.c.user_id)
    )  # fmt: skip
    return [dict(row) for row in conn.execute(query).mappings()]


def _unread_recent(conn: Connection, user: dict, moment: datetime) -> list[dict]:
    reader = Viewer(
        user_id=int(user["user_id"]), role="partner", partner_id=int(user["partner_id"])
    )
    query = (
        select(A.c.announcement_id, A.c.title, A.c.category, A.c.publish_at)
        .where(
            _visible(reader, moment),
            A.c.publish_at > moment - timedelta(days=DIGEST_DAYS),
            ~_read_by(reader.user_id),
        )
        .order_by(A.c.pinned.desc(), A.c.publish_at.desc())
    )  # fmt: skip
    return [dict(row) for row in conn.execute(query).mappings()]


def queue_digests(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """Queue this week's digest for every user who chose it and has unread news of the last
    seven days (the sidecar's viewer only). Once per user and ISO week; returns how many."""
    viewer.require_system()
    moment = _now(now)
    year, week, _ = moment.isocalendar()
    queued = 0
    with db.portal.begin() as conn:
        for user in _digest_readers(conn):
            items = _unread_recent(conn, user, moment)
            if not items:
                continue
            payload = {
                "contact_name": user["display_name"],
                "items": [
                    {
                        "title": i["title"],
                        "category": i["category"],
                        "published": i["publish_at"].isoformat(),
                    }
                    for i in items
                ],
                "news_url": news_url(),
            }
            queued += queue_message(
                conn, channel=CHANNEL_EMAIL, template="news_digest", recipient=user["email"],
                recipient_name=user["display_name"], locale=user["locale"], payload=payload,
                dedupe_key=f"news_digest:{user['user_id']}:{year}-W{week:02d}",
                partner_id=int(user["partner_id"]),
            )  # fmt: skip
    return queued
