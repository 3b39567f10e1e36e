"""The partner's calendar subscription: a secret address of the public service that calendars
(Google, Outlook, Apple) poll, `/v1/ical/{token}.ics` (core/links.ical_feed_url).

The token is the credential: 192 random bits, one per partner. It is kept readable (not only
a hash) because the partner must be able to copy the address again on Termine; whoever got
hold of it is shut out by `renew_feed` (a new address, the old one answers 404) or
`end_feed` (no address). `feed_partner` turns a token from a request into the partner's id;
the service then reads the dates as `Viewer.widget(partner_id)`, scoped and read-only exactly
like the partner's own login.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import delete, select

from core.clock import now_utc
from core.db import Databases
from data.access.permissions import DATES_READ, requires
from data.access.viewer import ScopeError, Viewer
from data.dates import course_dates as cd
from data.portal_schema import ical_feeds, partners

TOKEN_PATTERN = re.compile(r"cal_[A-Za-z0-9_-]{32}")  # "cal_" + token_urlsafe(24)
NEEDS_PARTNER = "ical_feed.needs_partner"
# What a feed holds: a month back (a calendar keeps what just happened) to 400 days ahead.
PAST = timedelta(days=31)
AHEAD = timedelta(days=400)


@dataclass(frozen=True)
class Feed:
    partner_id: int
    token: str
    created_at: datetime


def _partner_of(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError(NEEDS_PARTNER)
    return viewer.partner_id


def _read(db: Databases, partner_id: int) -> Feed | None:
    with db.portal.connect() as conn:
        row = conn.execute(
            select(ical_feeds.c.token, ical_feeds.c.created_at).where(
                ical_feeds.c.partner_id == partner_id
            )
        ).first()
    return None if row is None else Feed(partner_id, row.token, row.created_at)


@requires(DATES_READ)
def current_feed(viewer: Viewer, db: Databases) -> Feed | None:
    """The viewer's partner's subscription address, or None before one was made (or after it
    was ended)."""
    return _read(db, _partner_of(viewer))


@requires(DATES_READ)
def renew_feed(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> Feed:
    """A new address for the viewer's partner; the previous one stops working at once."""
    partner_id = _partner_of(viewer)
    viewer.require_writer()
    with db.portal.begin() as conn:
        if (
            conn.execute(
                select(partners.c.partner_id).where(partners.c.partner_id == partner_id)
            ).first()
            is None
        ):
            raise ScopeError("access.unknown_partner")
        conn.execute(delete(ical_feeds).where(ical_feeds.c.partner_id == partner_id))
        conn.execute(
            ical_feeds.insert().values(
                partner_id=partner_id,
                token="cal_" + secrets.token_urlsafe(24),
                created_at=now or now_utc(),
                created_by=viewer.user_id or None,
            )
        )
    made = _read(db, partner_id)
    assert made is not None
    return made


@requires(DATES_READ)
def end_feed(viewer: Viewer, db: Databases) -> bool:
    """End the viewer's partner's subscription (its address answers 404); False: there was none."""
    partner_id = _partner_of(viewer)
    viewer.require_writer()
    with db.portal.begin() as conn:
        gone = conn.execute(delete(ical_feeds).where(ical_feeds.c.partner_id == partner_id))
    return bool(gone.rowcount)


def feed_partner(db: Databases, *, token: str) -> int | None:
    """The active partner whose address holds `token`, or None (unknown, ended, malformed).

    No viewer: the secret token in the request is the credential."""
    if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
        return None
    query = (
        select(ical_feeds.c.partner_id)
        .join(partners, partners.c.partner_id == ical_feeds.c.partner_id)
        .where(ical_feeds.c.token == token, partners.c.active.is_(True))
    )
    with db.portal.connect() as conn:
        found = conn.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


@requires(DATES_READ)
def feed_dates(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> pd.DataFrame:
    """The dates a feed holds (the viewer's, from a month ago to 400 days ahead, soonest first,
    at most the list cap: a calendar shows the nearest ones)."""
    now = now or now_utc()
    return cd.list_dates(viewer, db, start=now - PAST, end=now + AHEAD)
