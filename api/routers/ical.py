"""The partner's calendar subscription: `GET /v1/ical/{token}.ics`.

The secret token (data/dates/ical_feed.py) names the partner; the dates are read as
`Viewer.widget(partner_id)` (that partner's only, read-only) and written by core/ical.py, the
same file as Termine's download. Calendars poll it: an ETag of the content answers an unchanged
feed with 304, and Cache-Control lets them (not shared caches) keep it a quarter of an hour.
An unknown, ended or malformed token is a 404 in the service's JSON error shape.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import Db
from api.errors import ApiError
from core.db import Databases
from core.ical import build_ics
from data.access.viewer import Viewer
from data.dates.ical_feed import feed_dates, feed_partner

router = APIRouter(tags=["ical"])
CACHE_CONTROL = "private, max-age=900"
CALENDAR_NAME = "Miomente Termine"
UNKNOWN_FEED = "ical_feed.unknown"


def _feed(db: Databases, token: str, now: datetime) -> bytes | None:
    partner_id = feed_partner(db, token=token)
    if partner_id is None:
        return None
    dates = feed_dates(Viewer.widget(partner_id), db, now=now)
    # DTSTAMP the day's start: the same dates give the same bytes all day (so the same ETag).
    stamp = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return build_ics(dates.to_dict("records"), name=CALENDAR_NAME, stamp=stamp)


@router.get(
    "/ical/{token}.ics",
    summary="Termine als Kalender-Abo / dates as a calendar subscription",
    responses={404: {"description": "Unbekannte Adresse / unknown address"}},
)
async def ical_feed(token: str, request: Request, db: Db) -> Response:
    now = request.app.state.clock()
    body = await run_in_threadpool(_feed, db, token, now)
    if body is None:
        raise ApiError(404, UNKNOWN_FEED)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/calendar; charset=utf-8", headers=headers)
