"""The booking widget: its script, its iframe page, a partner's dates and its traffic beacon.

`GET /v1/widget/{key}/dates` answers with an ETag derived from `widget_version` (a cheap
fingerprint of the partner's future dates, the orders on them and its ledger) plus the query;
a matching If-None-Match gets a 304 without reading the dates, and a rendered answer is kept
in the process by its ETag, so only a change of the data costs a full query. Concurrent
requests for the same answer (same ETag) share one rendering, and concurrent fingerprints of
one partner and course one query (api/flight.py), with the caches on or off.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import re
import time
from collections import OrderedDict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from api.deps import Db, Locale, RememberedWidget, Widget, WidgetContext, widget_context
from api.errors import ERROR_SCHEMA, ApiError, TooManyRequests
from api.flight import Flights
from api.settings import ApiSettings
from core import i18n, links
from core.db import Databases
from core.recurrence import to_local
from data.integrations import rate_limits
from data.integrations.widget import (
    WidgetDate,
    widget_answer,
    widget_version,
)
from data.integrations.widget_traffic import count_widget_event

router = APIRouter(tags=["widget"])
STATIC = Path(__file__).resolve().parent.parent / "static"
MONTHS_AHEAD = 36
VERSION_SLOTS = 10_000
# The widget shows the sign-up buttons only when the answer says the feature is on
# (api/routers/signup.py serves them).
FEATURES = {"waitlist": True, "date_request": True}
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {
        "description": "Unbekannter Schlüssel / unknown key",
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    },
    422: {
        "description": "Ungültige Eingabe / invalid input",
        "content": {"application/json": {"schema": ERROR_SCHEMA}},
    },
}

CourseId = Annotated[int, Field(ge=1, le=2_147_483_647)]
Course = Annotated[
    list[CourseId] | None,
    Query(
        description="Nur diese Kurse (Produkt-IDs, wiederholbar) / only these courses "
        "(product ids, repeatable)",
    ),
]
MAX_COURSES = 50
Month = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}-\d{2}$",
        description="Nur dieser Monat (JJJJ-MM, Berliner Zeit) / only this month (YYYY-MM)",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Höchstens so viele / at most this many")]
Lang = Annotated[
    Literal["de", "en"] | None,
    Query(description="Sprache (sonst Accept-Language) / language (else Accept-Language)"),
]


class RenderedCache:
    """Rendered answers by ETag, plain and gzipped, the oldest dropped first (one process,
    bounded)."""

    def __init__(self, size: int) -> None:
        self.size, self.items = size, OrderedDict[str, tuple[bytes, bytes]]()

    def get(self, etag: str) -> tuple[bytes, bytes] | None:
        body = self.items.get(etag)
        if body is not None:
            self.items.move_to_end(etag)
        return body

    def put(self, etag: str, body: tuple[bytes, bytes]) -> None:
        self.items[etag] = body
        while len(self.items) > self.size:
            self.items.popitem(last=False)


def _courses(given: list[int] | None) -> tuple[int, ...]:
    chosen = tuple(sorted(set(given or ())))
    if len(chosen) > MAX_COURSES:
        raise ApiError(422, "widget.too_many_courses", n=MAX_COURSES)
    return chosen


def _month(value: str | None, now: datetime) -> date | None:
    if value is None:
        return None
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12:
        raise ApiError(422, "widget.month_invalid", month=value)
    first = date(year, month, 1)
    today = to_local(now).date().replace(day=1)
    ahead = (first.year - today.year) * 12 + first.month - today.month
    if not -1 <= ahead <= MONTHS_AHEAD:
        raise ApiError(422, "widget.month_out_of_range", month=value, months=MONTHS_AHEAD)
    return first


@cache
def _texts(locale: str) -> dict[str, object]:
    texts = {
        k.split(".ui.", 1)[1]: v
        for k, v in i18n.catalog(locale).items()
        if k.startswith(("widget.ui.", "widget_signup.ui."))
    }
    months = [i18n.month_label(date(2026, m, 1), locale).rsplit(" ", 1)[0] for m in range(1, 13)]
    monday = date(2026, 11, 30)
    weekdays = [i18n.weekday_short(monday + timedelta(days=d), locale) for d in range(7)]
    return {"texts": texts, "month_names": months, "weekdays": weekdays}


VersionSlot = tuple[int | None, tuple[int, ...]]


def _remembered_version(
    request: Request, widget: WidgetContext, course: tuple[int, ...]
) -> str | None:
    memo: dict[VersionSlot, tuple[float, str]] = request.app.state.versions
    remembered = memo.get((widget.viewer.partner_id, course))
    live = remembered is not None and remembered[0] > time.monotonic()
    if request.app.state.settings.version_ttl > 0 and live and remembered is not None:
        return remembered[1]
    return None


def _version(
    request: Request, widget: WidgetContext, db: Databases, course: tuple[int, ...], now: datetime
) -> str:
    """`widget_version`, remembered for `version_ttl` seconds per partner and course: a burst
    of page views costs one fingerprint query, a change shows within that time."""
    version = widget_version(widget.viewer, db, product_ids=course, now=now)
    ttl = request.app.state.settings.version_ttl
    if ttl > 0:
        memo: dict[VersionSlot, tuple[float, str]] = request.app.state.versions
        if len(memo) > VERSION_SLOTS:
            memo.clear()
        memo[(widget.viewer.partner_id, course)] = (time.monotonic() + ttl, version)
    return version


# Babel's formatting is the costly part of rendering many dates; the same days, times and
# prices recur in every answer, so each label is made once.
@lru_cache(maxsize=8192)
def _day_label(moment: datetime, locale: str) -> str:
    return f"{i18n.weekday_short(to_local(moment).date(), locale)} {i18n.day(moment, locale)}"


@lru_cache(maxsize=8192)
def _time_label(moment: datetime, locale: str) -> str:
    return i18n.time_of_day(moment, locale)


@lru_cache(maxsize=1024)
def _seats_label(free: int, locale: str) -> str:
    return i18n.translate("widget.ui.seats_free", locale, n=free)


@lru_cache(maxsize=4096)
def _price_label(price: Decimal, locale: str) -> str:
    return i18n.money(price, locale)


@lru_cache(maxsize=8192)
def _moments(starts_at: datetime, ends_at: datetime, locale: str) -> tuple[str, str, str, str, str]:
    """A date's times as the answer shows them: start and end (ISO, Berlin), day, day label
    and time range, made once per date (the same dates recur in every answer)."""
    starts, ends = to_local(starts_at), to_local(ends_at)
    return (
        starts.isoformat(),
        ends.isoformat(),
        starts.date().isoformat(),
        _day_label(starts_at, locale),
        f"{_time_label(starts_at, locale)}–{_time_label(ends_at, locale)}",
    )


def _date_json(row: WidgetDate, locale: str) -> dict[str, object]:
    starts_at, ends_at, day, date_label, time_label = _moments(row.starts_at, row.ends_at, locale)
    return {
        "date_id": row.date_id,
        "course_id": row.product_id,
        "course": row.course,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "day": day,
        "date_label": date_label,
        "time_label": time_label,
        "seats_total": row.seats_total,
        "seats_free": row.seats_free,
        "price": str(row.price),
        "price_label": _price_label(row.price, locale),
        "currency": "EUR",
        "booking_url": row.booking_url,
        "seats_label": _seats_label(row.seats_free, locale),
        "book_label": _book_label(row.course, row.starts_at, locale),
    }


@lru_cache(maxsize=8192)
def _book_label(course: str, starts_at: datetime, locale: str) -> str:
    return i18n.translate(
        "widget.ui.book_label",
        locale,
        course=course,
        date=_day_label(starts_at, locale).split(" ")[-1],
        time=_time_label(starts_at, locale),
    )


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# One date's JSON by everything it shows (the row is a frozen dataclass): a changed seat count
# or price is another row. Between two changes of a partner's data most dates stay the same,
# so a miss re-encodes only the changed ones. About 0.5 KB each, at most ~8 MB.
@lru_cache(maxsize=16384)
def _date_bytes(row: WidgetDate, locale: str) -> bytes:
    return _dumps(_date_json(row, locale))


def _etag(widget: Widget, version: str, query: tuple[object, ...]) -> str:
    # The partner's name is shown in the answer but is no part of the data fingerprint.
    raw = repr((widget.viewer.partner_id, widget.key_version, widget.partner_name, version, query))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, etag: str) -> bool:
    given = request.headers.get("if-none-match", "")
    return etag in [tag.strip().removeprefix("W/") for tag in given.split(",")] or given == "*"


@router.get(
    "/widget/{key}/dates",
    summary="Kommende Termine eines Partners / a partner's upcoming dates",
    description=(
        "Die buchbaren Termine (aktiv, noch nicht begonnen) mit freien Plätzen, Preis und "
        "Buchungslink, nach Kurs und Monat filterbar. ETag und Cache-Control: eine Anfrage "
        "mit passendem If-None-Match bekommt 304. / The bookable dates (active, not started) "
        "with free seats, price and booking link, filterable by course and month. ETag and "
        "Cache-Control: a request with a matching If-None-Match gets 304."
    ),
    responses={**_ERRORS, 304: {"description": "Unverändert / not modified"}},
)
async def dates(
    request: Request,
    widget: RememberedWidget,
    locale: Locale,
    course: Course = None,
    month: Month = None,
    limit: Limit = 100,
    lang: Lang = None,
) -> Response:
    # async, and a hit touches no database and no thread: the key and the data fingerprint
    # are remembered for `version_ttl`, the answer by its ETag. Only the rest goes to a thread.
    del lang  # read by the locale dependency
    now = request.app.state.clock()
    first = _month(month, now)
    courses = _courses(course)
    db: Databases = request.app.state.db
    flights: Flights = request.app.state.flights
    version = _remembered_version(request, widget, courses)
    if version is None:
        # One fingerprint query for concurrent requests of a partner and course.
        slot = ("version", widget.viewer.partner_id, courses)
        fingerprint = partial(run_in_threadpool, _version, request, widget, db, courses, now)
        version = await flights.run(slot, fingerprint)
    etag = _etag(widget, version, (courses, month, limit, locale))
    settings = request.app.state.settings
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.dates_max_age}, must-revalidate",
        "Content-Language": locale,
        "Vary": "Accept-Language, Accept-Encoding",
    }
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    rendered: RenderedCache = request.app.state.rendered
    bodies = rendered.get(etag)
    if bodies is None:
        # One rendering for concurrent requests of the same answer; cached before the flight
        # ends, so a later request finds either the flight or the cache.
        async def render() -> tuple[bytes, bytes]:
            made = await run_in_threadpool(
                _render, widget, db, courses, first, month, limit, locale, now
            )
            rendered.put(etag, made)
            return made

        bodies = await flights.run(("render", etag), render)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(bodies[1], media_type="application/json", headers=headers)
    return Response(bodies[0], media_type="application/json", headers=headers)


def _render(
    widget: WidgetContext,
    db: Databases,
    courses: tuple[int, ...],
    first: date | None,
    month: str | None,
    limit: int,
    locale: str,
    now: datetime,
) -> tuple[bytes, bytes]:
    """The answer, plain and gzipped (in the thread: zlib lets the event loop run)."""
    answer = widget_answer(
        widget.viewer, db, product_ids=courses, month=first, limit=limit, now=now
    )
    chosen = set(courses)
    head = {
        "partner": {"name": widget.partner_name},
        "lang": locale,
        "courses": list(courses),
        # The date request's choice: the widget's courses, also those without a date.
        "course_list": [
            {"course_id": c.product_id, "course": c.name}
            for c in answer.courses
            if not chosen or c.product_id in chosen
        ],
        "month": month,
        "features": FEATURES,
        **_texts(locale),
    }
    # Byte for byte `json.dumps` of the whole payload with "dates" last: the head without its
    # closing brace, then each date's cached JSON.
    dates = b",".join(_date_bytes(row, locale) for row in answer.dates)
    plain = _dumps(head)[:-1] + b',"dates":[' + dates + b"]}"
    # Compressed once per answer, not per request: 300 dates are ~150 KB plain, ~10 KB
    # gzipped. Level 4: a third of level 6's time on 300 dates, a few per cent larger.
    return plain, gzip.compress(plain, compresslevel=4, mtime=0)


@router.post(
    "/widget/{key}/events",
    status_code=204,
    summary="Zählt einen Widget-Aufruf oder Buchungsklick / counts a view or booking click",
    description="Für die Statistik unter Integrationen; speichert nichts Persönliches. / "
    "For the traffic figures under Integrationen; stores nothing personal.",
    responses=_ERRORS,
)
def events(
    request: Request,
    widget: Widget,
    db: Db,
    event: Annotated[Literal["view", "click"], Query(description="view | click")],
) -> Response:
    settings: ApiSettings = request.app.state.settings
    ip = request.client.host if request.client else "unknown"
    now = request.app.state.clock()
    counter = rate_limits.bucket("events:ip", ip)
    limit = rate_limits.Limit(counter, settings.events_per_ip, settings.events_window)
    wait = rate_limits.take(db, limits=[limit], now=now)
    if wait is not None:
        raise TooManyRequests("widget_signup.rate_limited", retry_after=wait)
    count_widget_event(widget.viewer, db, event=event, now=now)
    return Response(status_code=204)


@cache
def _script() -> tuple[bytes, str]:
    body = (STATIC / "widget.js").read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get(
    "/widget.js",
    summary="Das Widget-Skript / the widget script",
    description="Ohne Framework; einbinden mit `<script src=…/v1/widget.js async></script>`. / "
    "No framework; embed with `<script src=…/v1/widget.js async></script>`.",
    response_class=Response,
)
def script(request: Request) -> Response:
    body, etag = _script()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/javascript; charset=utf-8", headers=headers)


def _frame_html(request: Request, attrs: dict[str, str], lang: str) -> str:
    # Relative to this page: the right scheme and host behind any proxy.
    script_url = request.scope.get("root_path", "") + links.WIDGET_SCRIPT_PATH
    data = " ".join(f'data-{name}="{html.escape(value)}"' for name, value in attrs.items())
    title = i18n.translate("widget.ui.title", lang)
    noscript = i18n.translate("widget.ui.noscript", lang)
    course = attrs.get("course", "")
    shop = links.shop_course_url(int(course)) if course.isdigit() else links.SHOP_URL
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        "<style>html,body{margin:0;padding:0;background:transparent}</style></head><body>"
        f'<div {data} data-frame="1"></div>'
        f'<noscript><a href="{html.escape(shop)}" target="_top">{html.escape(noscript)}</a>'
        "</noscript>"
        f'<script src="{html.escape(script_url)}" async></script></body></html>'
    )


@router.get(
    "/widget/frame",
    summary="Das Widget als iframe-Seite / the widget as an iframe page",
    description="Für Seiten, die keine fremden Skripte erlauben: "
    '`<iframe src="…/v1/widget/frame?key=…">`. / For sites that allow no third-party '
    'scripts: `<iframe src="…/v1/widget/frame?key=…">`.',
    response_class=HTMLResponse,
    responses=_ERRORS,
)
def frame(
    request: Request,
    db: Db,
    locale: Locale,
    key: Annotated[str, Query(min_length=1, max_length=64)],
    view: Annotated[Literal["list", "calendar"], Query()] = "list",
    color: Annotated[str | None, Query(pattern=r"^#[0-9A-Fa-f]{6}$")] = None,
    course: Course = None,
    lang: Lang = None,
) -> HTMLResponse:
    del lang
    widget_context(request, key, db)  # 404 for an unknown or disabled key
    attrs = {"miomente-partner": key, "lang": locale, "view": view}
    if color and _COLOR.fullmatch(color):
        attrs["color"] = color
    if course:
        attrs["course"] = ",".join(str(pid) for pid in _courses(course))
    return HTMLResponse(_frame_html(request, attrs, locale), headers={"Cache-Control": "no-cache"})
