"""Webhooks: a partner's endpoints, the events of its business, and their delivery log.

A cause (a booking decision, a new date, a waitlist sign-up …) calls `emit_event` with its own
open portal connection: the event row and one pending delivery per subscribed, enabled
endpoint of that partner are written in the cause's transaction (outbox pattern), so an event
exists exactly when its cause committed. When no endpoint of the partner wants the event
nothing is written at all. The `deliver-webhooks` job (jobs/deliver_webhooks.py) claims due
deliveries with a lease, sends them signed (core/webhook_signing.py) and records each
attempt here: retries with backoff for 3 days (core/webhook_retry.py), 410 disables the
endpoint at once, 5 days of failures disable it and mail the partner through the outbox.

Payloads hold ids, status, course and date; the customer's name and email only when the
partner switched "Kundenkontakt mitsenden" on for that endpoint (they are stored with the
event and stripped at send time for endpoints without it). Every URL is checked against
SSRF at save time here and again at send time in the job (core/ssrf.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, update

from core import links, sql, ssrf, webhook_signing
from core.clock import now_utc
from core.db import Databases
from core.validation import InvalidInput
from core.webhook_retry import DISABLE_AFTER, RETRY_FOR
from data.access import scope
from data.access.permissions import TEAM_MANAGE, requires
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import queue_message
from data.portal_schema import (
    CHANNEL_EMAIL,
    WEBHOOK_FAILED,
    WEBHOOK_OK,
    WEBHOOK_PENDING,
    WEBHOOK_SENDING,
    partners,
    webhook_deliveries,
    webhook_endpoints,
    webhook_events,
)
from data.shop.schema import miomente_course_date

EVENT_TYPES = (
    "booking.created",
    "booking.confirmed",
    "booking.rejected",
    "booking.cancelled",
    "date.created",
    "date.changed",
    "date.cancelled",
    "review.created",
    "waitlist.joined",
    "date_request.created",
)
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 10
ROTATION_OVERLAP = timedelta(hours=24)
KEEP_LOG = timedelta(days=30)
LEASE = timedelta(minutes=5)
EXCERPT = 500
REASON_PARTNER, REASON_GONE, REASON_FAILING = "partner", "gone", "failing"
NEEDS_PARTNER = "webhooks.needs_partner"
NOT_FOUND = "webhooks.not_found"
SYSTEM_ONLY = "access.system_only"
DISABLED_TEMPLATE = "webhook_disabled"
# What the job records for an attempt without a usable answer, besides "HTTP <code>", "ssrf: …"
# and an error's class: no answer in time, a redirect (never followed), and a certificate that
# did not verify ("tls: " + OpenSSL's reason). The Webhooks page says them in the reader's
# language.
ERROR_TIMEOUT, ERROR_REDIRECT, ERROR_TLS = "timeout", "redirect", "tls: "

DELIVERY_COLUMNS = [
    "delivery_id",
    "created_at",
    "event_type",
    "msg_id",
    "endpoint_id",
    "url",
    "status",
    "attempts",
    "status_code",
    "duration_ms",
    "response_excerpt",
    "error",
    "last_attempt_at",
    "next_attempt_at",
    "partner_id",
]


@dataclass(frozen=True)
class Endpoint:
    endpoint_id: int
    partner_id: int
    url: str
    events: tuple[str, ...]
    secret: str
    previous_secret: str | None
    previous_until: datetime | None
    include_contact: bool
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while the rotation overlap lasts."""
        keep_old = self.previous_secret and self.previous_until and self.previous_until > now
        return [self.secret, self.previous_secret] if keep_old else [self.secret]  # type: ignore[list-item]


@dataclass(frozen=True)
class Event:
    """One event to emit: for `partner_id`, once per `dedupe_key`."""

    partner_id: int
    event_type: str
    data: Mapping[str, Any]
    dedupe_key: str


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery with all the job needs to send it."""

    delivery_id: int
    endpoint: Endpoint
    event_type: str
    msg_id: str
    payload: Mapping[str, Any]
    attempts: int
    retry_until: datetime

    def body(self) -> bytes:
        """The JSON body sent: the customer's contact only when the endpoint asked for it."""
        payload = dict(self.payload)
        data = dict(payload.get("data") or {})
        if not self.endpoint.include_contact:
            data.pop("customer", None)
        payload["data"] = data
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt (the job's report)."""

    delivery_id: int
    ok: bool
    status_code: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_at: datetime | None = None  # when to try again after a failure (the job's backoff)

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass(frozen=True)
class Recorded:
    ok: int = 0
    retrying: int = 0
    failed: int = 0
    disabled: int = 0


def _endpoint(row: Mapping) -> Endpoint:
    return Endpoint(
        endpoint_id=row["endpoint_id"],
        partner_id=row["partner_id"],
        url=row["url"],
        events=tuple(e for e in (row["events"] or "").split(",") if e),
        secret=row["secret"],
        previous_secret=row["previous_secret"],
        previous_until=row["previous_until"],
        include_contact=bool(row["include_contact"]),
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        disabled_at=row["disabled_at"],
        failing_since=row["failing_since"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


# ---------------------------------------------------------------------------------------
# Emitting (inside the cause's transaction)


def emit_event(
    conn: Connection,
    *,
    partner_id: int,
    event_type: str,
    data: Mapping[str, Any],
    dedupe_key: str,
    now: datetime | None = None,
) -> int:
    """Queue one event in the caller's transaction; returns the deliveries queued."""
    return emit_events(
        conn, [Event(partner_id, event_type, data, dedupe_key)], now=now or now_utc()
    )


def emit_events(conn: Connection, events: Sequence[Event], *, now: datetime | None = None) -> int:
    """Queue events in the caller's transaction: one query for the partners' endpoints, and
    nothing written for an event that no enabled endpoint of its partner subscribes to.
    An event whose dedupe key was emitted before is skipped (a rerun, a second tab)."""
    if not events:
        return 0
    now = now or now_utc()
    for event in events:
        if event.event_type not in EVENT_TYPES:
            raise ValueError(f"unknown webhook event {event.event_type!r}")
    partner_ids = sorted({e.partner_id for e in events})
    rows = conn.execute(
        select(webhook_endpoints.c.endpoint_id, webhook_endpoints.c.partner_id,
               webhook_endpoints.c.events)
        .where(sql.int_in(webhook_endpoints.c.partner_id, partner_ids),
               webhook_endpoints.c.enabled.is_(True))
    ).all()  # fmt: skip
    if not rows:
        return 0
    wanted: dict[tuple[int, str], list[int]] = {}
    for endpoint_id, partner_id, types in rows:
        for event_type in (types or "").split(","):
            wanted.setdefault((partner_id, event_type), []).append(endpoint_id)
    chosen = [e for e in events if (e.partner_id, e.event_type) in wanted]
    return _write(conn, chosen, {k: v for k, v in wanted.items()}, now=now)


def _write(
    conn: Connection,
    events: Sequence[Event],
    wanted: Mapping[tuple[int, str], list[int]],
    *,
    now: datetime,
) -> int:
    if not events:
        return 0
    rows = [
        {
            "msg_id": "msg_" + secrets.token_urlsafe(18),
            "partner_id": e.partner_id,
            "event_type": e.event_type,
            "payload": {"type": e.event_type, "timestamp": _iso(now), "data": dict(e.data)},
            "dedupe_key": e.dedupe_key[:200],
            "created_at": now,
        }
        for e in events
    ]
    new_keys = [k[0] for k in sql.inserted_keys(conn, webhook_events, rows,
                                                index_elements=["dedupe_key"])]  # fmt: skip
    if not new_keys:
        return 0
    ids = dict(
        conn.execute(
            select(webhook_events.c.dedupe_key, webhook_events.c.event_id).where(
                webhook_events.c.dedupe_key.in_(new_keys)
            )
        ).all()
    )
    by_key = {e.dedupe_key[:200]: e for e in events}
    deliveries = [
        _delivery_row(ids[key], endpoint_id, by_key[key].partner_id, now=now)
        for key in new_keys
        for endpoint_id in wanted[(by_key[key].partner_id, by_key[key].event_type)]
    ]
    conn.execute(webhook_deliveries.insert(), deliveries)
    return len(deliveries)


def _delivery_row(event_id: int, endpoint_id: int, partner_id: int, *, now: datetime) -> dict:
    return {
        "event_id": event_id,
        "endpoint_id": endpoint_id,
        "partner_id": partner_id,
        "status": WEBHOOK_PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "retry_until": now + RETRY_FOR,
        "created_at": now,
        "updated_at": now,
    }


def booking_data(row: Mapping[str, Any], *, status: str) -> dict[str, Any]:
    """The minimal payload of a booking event from a ledger row or an order-item row."""
    name = row.get("customer_name")
    if name is None and ("customer_firstname" in row or "customer_lastname" in row):
        name = f"{row.get('customer_firstname') or ''} {row.get('customer_lastname') or ''}"
    starts = row.get("event_at") or row.get("starts_at")
    return {
        "booking": {
            "item_id": int(row["item_id"]),
            "order_id": int(row["order_id"]),
            "order_number": str(row.get("increment_id") or ""),
            "status": status,
        },
        "course": {
            "product_id": int(row["product_id"]),
            "name": row.get("course") or row.get("name"),
        },
        "date": {"date_id": row.get("date_id"), "starts_at": _iso(starts)},
        "customer": {"name": (name or "").strip() or None, "email": row.get("customer_email")},
    }


def date_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a date event: ids, course, time, seats, price and status."""
    price = row.get("price")
    return {
        "date": {
            "date_id": int(row["date_id"]),
            "starts_at": _iso(row.get("starts_at")),
            "ends_at": _iso(row.get("ends_at")),
            "seats_total": row.get("seats_total"),
            "price": None if price is None else str(price),
            "status": row.get("status"),
            "series_id": row.get("series_id"),
        },
        "course": {"product_id": int(row["product_id"]) if row.get("product_id") else None},
    }


def emit_decisions(
    conn: Connection,
    items: Sequence[Mapping[str, Any]],
    *,
    decision: str,
    partner_id: int,
    now: datetime,
) -> int:
    """booking.confirmed / booking.rejected for a partner's decided items (decisions.py)."""
    return emit_events(
        conn,
        [
            Event(partner_id, f"booking.{decision}", booking_data(i, status=decision),
                  f"booking.{decision}:{i['item_id']}")
            for i in items
        ],
        now=now,
    )  # fmt: skip


def emit_ledger(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    *,
    fresh: set[int],
    since: datetime,
    now: datetime,
) -> int:
    """From the ledger's copy: booking.created for items new to the ledger and booked after
    `since`, booking.cancelled for items the shop cancelled after `since` (each once)."""
    events = [
        Event(r["partner_id"], "booking.created", booking_data(r, status=r["status"]),
              f"booking.created:{r['item_id']}")
        for r in rows
        if r["item_id"] in fresh and r["booked_at"] >= since
    ] + [
        Event(r["partner_id"], "booking.cancelled", booking_data(r, status=r["status"]),
              f"booking.cancelled:{r['item_id']}")
        for r in rows
        if r["status"] == "cancelled" and r["shop_updated_at"] >= since
    ]  # fmt: skip
    return emit_events(conn, events, now=now)


def emit_dates(
    conn: Connection,
    event_type: str,
    dates: Sequence[Mapping[str, Any]],
    *,
    partner_id: int,
    now: datetime,
) -> int:
    """date.created / date.changed / date.cancelled for a partner's dates (course_dates.py);
    a change is keyed by its moment, so each edit is its own event."""
    stamp = now.isoformat()
    return emit_events(
        conn,
        [
            Event(partner_id, event_type, date_data(d), f"{event_type}:{d['date_id']}:{stamp}")
            for d in dates
        ],
        now=now,
    )


def emit_series_dates(
    db: Databases,
    *,
    series_ids: Sequence[int],
    owners: Mapping[int, int],
    now: datetime,
) -> int:
    """date.created for the dates a series run just wrote to the shop (data/dates/series.py),
    called after the shop's commit and before the series' watermark moves: a rerun after a
    crash finds the same dates (written within the last day) and their dedupe keys emit each
    once. Reads the shop only when a partner of the batch has an endpoint for it."""
    if not series_ids:
        return 0
    with db.portal.connect() as conn:
        listening = {
            partner_id
            for partner_id, types in conn.execute(
                select(webhook_endpoints.c.partner_id, webhook_endpoints.c.events).where(
                    webhook_endpoints.c.enabled.is_(True)
                )
            ).all()
            if "date.created" in (types or "").split(",")
        }
    if not listening or not listening & set(owners.values()):
        return 0
    c = miomente_course_date
    with db.magento_read.connect() as mconn:
        rows = (
            mconn.execute(
                select(c).where(
                    sql.int_in(c.c.series_id, list(series_ids)),
                    c.c.created_at >= now - timedelta(days=1),
                )
            )
            .mappings()
            .all()
        )
    events = [
        Event(
            owners[r["product_id"]],
            "date.created",
            date_data(dict(r)),
            f"date.created:{r['date_id']}",
        )
        for r in rows
        if owners.get(r["product_id"]) in listening
    ]
    with db.portal.begin() as conn:
        return emit_events(conn, events, now=now)


# ---------------------------------------------------------------------------------------
# The partner's endpoints


def _partner_of(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError(NEEDS_PARTNER)
    return viewer.partner_id


def _events_checked(events: Sequence[str]) -> str:
    chosen = [e for e in EVENT_TYPES if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise InvalidInput("webhooks.no_events")
    return ",".join(chosen)


def _read_endpoint(conn: Connection, viewer: Viewer, endpoint_id: int) -> Endpoint:
    row = (
        conn.execute(
            select(webhook_endpoints).where(
                webhook_endpoints.c.endpoint_id == int(endpoint_id),
                scope.partner_filter(webhook_endpoints.c.partner_id, viewer),
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ScopeError(NOT_FOUND)
    return _endpoint(row)


@requires(TEAM_MANAGE)
def list_endpoints(viewer: Viewer, db: Databases) -> list[Endpoint]:
    """The viewer's partner's endpoints (staff: every partner's), oldest first."""
    query = (
        select(webhook_endpoints)
        .where(scope.partner_filter(webhook_endpoints.c.partner_id, viewer))
        .order_by(webhook_endpoints.c.partner_id, webhook_endpoints.c.endpoint_id)
    )
    with db.portal.connect() as conn:
        return [_endpoint(r) for r in conn.execute(query).mappings()]


@requires(TEAM_MANAGE)
def save_endpoint(
    viewer: Viewer,
    db: Databases,
    *,
    url: str,
    events: Sequence[str],
    include_contact: bool = False,
    endpoint_id: int | None = None,
    now: datetime | None = None,
    resolver: ssrf.Resolver = ssrf.system_resolver,
) -> Endpoint:
    """Add an endpoint (endpoint_id None) or change one; the URL must pass the SSRF check."""
    viewer.require_writer()
    partner_id = _partner_of(viewer)
    types = _events_checked(events)
    target = ssrf.resolve_target(url, loopback_ok=ssrf.allow_loopback(), resolver=resolver)
    now = now or now_utc()
    values = {
        "url": target.url,
        "events": types,
        "include_contact": bool(include_contact),
        "updated_at": now,
    }
    with db.portal.begin() as conn:
        if endpoint_id is not None:
            _read_endpoint(conn, viewer, endpoint_id)
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.endpoint_id == int(endpoint_id))
                .values(**values)
            )
            return _read_endpoint(conn, viewer, endpoint_id)
        count = conn.execute(
            select(func.count()).where(webhook_endpoints.c.partner_id == partner_id)
        ).scalar_one()
        if count >= MAX_ENDPOINTS:
            raise InvalidInput("webhooks.too_many", n=MAX_ENDPOINTS)
        new_id = conn.execute(
            webhook_endpoints.insert()
            .values(
                partner_id=partner_id,
                secret=webhook_signing.new_secret(),
                enabled=True,
                created_by=viewer.user_id,
                created_at=now,
                **values,
            )
            .returning(webhook_endpoints.c.endpoint_id)
        ).scalar_one()
        return _read_endpoint(conn, viewer, new_id)


@requires(TEAM_MANAGE)
def rotate_secret(
    viewer: Viewer,
    db: Databases,
    *,
    endpoint_id: int,
    overlap: timedelta = ROTATION_OVERLAP,
    now: datetime | None = None,
) -> Endpoint:
    """A new secret; the old one keeps signing too for `overlap` (two signatures meanwhile)."""
    viewer.require_writer()
    now = now or now_utc()
    with db.portal.begin() as conn:
        current = _read_endpoint(conn, viewer, endpoint_id)
        conn.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.endpoint_id == current.endpoint_id)
            .values(
                secret=webhook_signing.new_secret(),
                previous_secret=current.secret,
                previous_until=now + overlap,
                updated_at=now,
            )
        )
        return _read_endpoint(conn, viewer, endpoint_id)


@requires(TEAM_MANAGE)
def set_endpoint_enabled(
    viewer: Viewer,
    db: Databases,
    *,
    endpoint_id: int,
    enabled: bool,
    now: datetime | None = None,
) -> Endpoint:
    """Switch an endpoint off (by the partner) or on again (its failure count starts anew;
    deliveries still within their 3 days go out at the next run)."""
    viewer.require_writer()
    now = now or now_utc()
    values: dict[str, object] = {"enabled": bool(enabled), "updated_at": now}
    if enabled:
        values |= {"disabled_reason": None, "disabled_at": None, "failing_since": None}
    else:
        values |= {"disabled_reason": REASON_PARTNER, "disabled_at": now}
    with db.portal.begin() as conn:
        current = _read_endpoint(conn, viewer, endpoint_id)
        if current.enabled != bool(enabled):
            conn.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.endpoint_id == current.endpoint_id)
                .values(**values)
            )
        return _read_endpoint(conn, viewer, endpoint_id)


@requires(TEAM_MANAGE)
def send_test_event(
    viewer: Viewer, db: Databases, *, endpoint_id: int, now: datetime | None = None
) -> int:
    """Queue a `webhook.test` event for one endpoint (whatever it subscribes to)."""
    viewer.require_writer()
    now = now or now_utc()
    with db.portal.begin() as conn:
        endpoint = _read_endpoint(conn, viewer, endpoint_id)
        if not endpoint.enabled:
            raise InvalidInput("webhooks.test_disabled")
        event_id = conn.execute(
            webhook_events.insert()
            .values(
                msg_id="msg_" + secrets.token_urlsafe(18),
                partner_id=endpoint.partner_id,
                event_type=TEST_EVENT,
                payload={
                    "type": TEST_EVENT,
                    "timestamp": _iso(now),
                    "data": {"endpoint_id": endpoint.endpoint_id, "test": True},
                },
                dedupe_key=f"test:{endpoint.endpoint_id}:{secrets.token_hex(8)}",
                created_at=now,
            )
            .returning(webhook_events.c.event_id)
        ).scalar_one()
        return int(
            conn.execute(
                webhook_deliveries.insert()
                .values(**_delivery_row(event_id, endpoint.endpoint_id, endpoint.partner_id,
                                        now=now))
                .returning(webhook_deliveries.c.delivery_id)
            ).scalar_one()
        )  # fmt: skip


@requires(TEAM_MANAGE)
def list_deliveries(
    viewer: Viewer,
    db: Databases,
    *,
    endpoint_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> pd.DataFrame:
    """The delivery log, newest first (30 days are kept)."""
    d, e, p = webhook_deliveries, webhook_events, webhook_endpoints
    query = (
        select(
            d.c.delivery_id, d.c.created_at, e.c.event_type, e.c.msg_id, d.c.endpoint_id,
            p.c.url, d.c.status, d.c.attempts, d.c.status_code, d.c.duration_ms,
            d.c.response_excerpt, d.c.error, d.c.last_attempt_at, d.c.next_attempt_at,
            d.c.partner_id,
        )
        .join(e, e.c.event_id == d.c.event_id)
        .join(p, p.c.endpoint_id == d.c.endpoint_id)
        .where(scope.partner_filter(d.c.partner_id, viewer))
    )  # fmt: skip
    if endpoint_id is not None:
        query = query.where(d.c.endpoint_id == int(endpoint_id))
    if status:
        query = query.where(d.c.status == status)
    query = query.order_by(d.c.delivery_id.desc()).limit(max(1, min(int(limit), 500)))
    with db.portal.connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all(), columns=DELIVERY_COLUMNS)


@requires(TEAM_MANAGE)
def redeliver(
    viewer: Viewer,
    db: Databases,
    *,
    delivery_id: int | None = None,
    endpoint_id: int | None = None,
    failed_since: datetime | None = None,
    now: datetime | None = None,
) -> int:
    """ "Erneut senden": one delivery (any finished status), or every failed delivery of an
    endpoint since `failed_since`; each gets 3 new days of retries. Returns how many."""
    viewer.require_writer()
    if (delivery_id is None) == (endpoint_id is None):
        raise InvalidInput("webhooks.redeliver_what")
    now = now or now_utc()
    d = webhook_deliveries
    where = [scope.partner_filter(d.c.partner_id, viewer), d.c.status != WEBHOOK_SENDING]
    if delivery_id is not None:
        where.append(d.c.delivery_id == int(delivery_id))
    else:
        where += [d.c.endpoint_id == int(endpoint_id or 0), d.c.status == WEBHOOK_FAILED]
        if failed_since is not None:
            where.append(d.c.created_at >= failed_since)
    with db.portal.begin() as conn:
        result = conn.execute(
            update(d)
            .where(*where)
            .values(
                status=WEBHOOK_PENDING,
                next_attempt_at=now,
                retry_until=now + RETRY_FOR,
                updated_at=now,
            )
        )
    return int(result.rowcount or 0)


# ---------------------------------------------------------------------------------------
# The job's side (system scope)


def _due(now: datetime):
    d = webhook_deliveries
    return or_(
        and_(d.c.status == WEBHOOK_PENDING, d.c.next_attempt_at <= now),
        and_(d.c.status == WEBHOOK_SENDING, d.c.lease_until < now),
    )


def claim_deliveries(
    viewer: Viewer,
    db: Databases,
    *,
    worker: str = "webhooks",
    limit: int = 500,
    now: datetime | None = None,
) -> list[Delivery]:
    """Take up to `limit` due deliveries of enabled endpoints for `worker` (a lease)."""
    viewer.require_system(SYSTEM_ONLY)
    now = now or now_utc()
    d, e, p = webhook_deliveries, webhook_events, webhook_endpoints
    due = (
        select(d.c.delivery_id)
        .join(p, p.c.endpoint_id == d.c.endpoint_id)
        .where(_due(now), p.c.enabled.is_(True))
        .order_by(d.c.next_attempt_at, d.c.delivery_id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=d)
        .scalar_subquery()
    )
    with db.portal.begin() as conn:
        claimed = list(
            conn.execute(
                update(d)
                .where(d.c.delivery_id.in_(due))
                .values(
                    status=WEBHOOK_SENDING,
                    claimed_by=worker,
                    lease_until=now + LEASE,
                    attempts=d.c.attempts + 1,
                    updated_at=now,
                )
                .returning(d.c.delivery_id)
            ).scalars()
        )
        if not claimed:
            return []
        rows = conn.execute(
            select(d.c.delivery_id, d.c.attempts, d.c.retry_until, e.c.event_type, e.c.msg_id,
                   e.c.payload, p)
            .join(e, e.c.event_id == d.c.event_id)
            .join(p, p.c.endpoint_id == d.c.endpoint_id)
            .where(sql.int_in(d.c.delivery_id, claimed))
            .order_by(d.c.delivery_id)
        ).mappings().all()  # fmt: skip
    return [
        Delivery(
            delivery_id=r["delivery_id"],
            endpoint=_endpoint(r),
            event_type=r["event_type"],
            msg_id=r["msg_id"],
            payload=r["payload"],
            attempts=r["attempts"],
            retry_until=r["retry_until"],
        )
        for r in rows
    ]


def record_attempts(
    viewer: Viewer,
    db: Databases,
    *,
    attempts: Sequence[Attempt],
    worker: str = "webhooks",
    now: datetime | None = None,
) -> Recorded:
    """Write the attempts' outcomes; disable endpoints that answered 410 or kept failing for
    5 days (and mail their partner, once per such stretch, through the outbox)."""
    viewer.require_system(SYSTEM_ONLY)
    if not attempts:
        return Recorded()
    now = now or now_utc()
    d, p = webhook_deliveries, webhook_endpoints
    ok = retrying = failed = 0
    disabled: list[tuple[int, str]] = []
    with db.portal.begin() as conn:
        rows = {
            r["delivery_id"]: r
            for r in conn.execute(
                select(d.c.delivery_id, d.c.endpoint_id, d.c.retry_until).where(
                    sql.int_in(d.c.delivery_id, [a.delivery_id for a in attempts]),
                    d.c.claimed_by == worker,
                    d.c.status == WEBHOOK_SENDING,
                )
            ).mappings()
        }
        good: set[int] = set()
        bad: set[int] = set()
        gone: set[int] = set()
        params: list[dict[str, object]] = []
        for a in attempts:
            row = rows.get(a.delivery_id)
            if row is None:
                continue  # the lease ran out and another run took it
            if a.ok:
                status, next_at, delivered = WEBHOOK_OK, now, now
                ok += 1
                good.add(row["endpoint_id"])
            elif a.gone or a.retry_at is None or a.retry_at > row["retry_until"]:
                status, next_at, delivered = WEBHOOK_FAILED, now, None
                failed += 1
                bad.add(row["endpoint_id"])
                if a.gone:
                    gone.add(row["endpoint_id"])
            else:
                status, next_at, delivered = WEBHOOK_PENDING, a.retry_at, None
                retrying += 1
                bad.add(row["endpoint_id"])
            params.append(
                {
                    "did": a.delivery_id,
                    "st": status,
                    "nxt": next_at,
                    "dlv": delivered,
                    "code": a.status_code,
                    "ms": a.duration_ms,
                    "err": (a.error or None) and a.error[:200],
                    "exc": (a.excerpt or None) and a.excerpt[:EXCERPT],
                }
            )
        if params:
            # One statement for the whole batch (executemany): the job records 500 at a time.
            conn.execute(
                update(d)
                .where(d.c.delivery_id == bindparam("did"))
                .values(
                    status=bindparam("st"),
                    next_attempt_at=bindparam("nxt"),
                    delivered_at=bindparam("dlv"),
                    status_code=bindparam("code"),
                    duration_ms=bindparam("ms"),
                    error=bindparam("err"),
                    response_excerpt=bindparam("exc"),
                    last_attempt_at=now,
                    lease_until=None,
                    claimed_by=None,
                    updated_at=now,
                ),
                params,
            )
        # A success clears the endpoint's failing stretch; a failure starts one.
        if good:
            conn.execute(
                update(p)
                .where(sql.int_in(p.c.endpoint_id, sorted(good)))
                .values(failing_since=None)
            )
        only_bad = sorted(bad - good)
        if only_bad:
            conn.execute(
                update(p)
                .where(sql.int_in(p.c.endpoint_id, only_bad), p.c.failing_since.is_(None))
                .values(failing_since=now)
            )
        if gone:
            disabled += _disable(conn, sorted(gone), REASON_GONE, now=now)
        failing = list(
            conn.execute(
                select(p.c.endpoint_id).where(
                    sql.int_in(p.c.endpoint_id, only_bad),
                    p.c.enabled.is_(True),
                    p.c.failing_since <= now - DISABLE_AFTER,
                )
            ).scalars()
        )
        if failing:
            disabled += _disable(conn, failing, REASON_FAILING, now=now)
    return Recorded(ok=ok, retrying=retrying, failed=failed, disabled=len(disabled))


def _disable(
    conn: Connection, endpoint_ids: Sequence[int], reason: str, *, now: datetime
) -> list[tuple[int, str]]:
    p = webhook_endpoints
    rows = conn.execute(
        select(p.c.endpoint_id, p.c.partner_id, p.c.url, p.c.failing_since,
               partners.c.name, partners.c.email)
        .join(partners, partners.c.partner_id == p.c.partner_id)
        .where(sql.int_in(p.c.endpoint_id, endpoint_ids), p.c.enabled.is_(True))
    ).mappings().all()  # fmt: skip
    if not rows:
        return []
    conn.execute(
        update(p)
        .where(sql.int_in(p.c.endpoint_id, [r["endpoint_id"] for r in rows]))
        .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
    )
    for r in rows:
        since = r["failing_since"] or now
        queue_message(
            conn,
            channel=CHANNEL_EMAIL,
            template=DISABLED_TEMPLATE,
            recipient=r["email"],
            recipient_name=r["name"],
            locale="de",
            payload={
                "contact_name": r["name"],
                "url": r["url"],
                "reason": reason,
                "failing_since": since.isoformat(),
                "integrations_url": links.integrations_url(),
            },
            dedupe_key=f"webhook_disabled:{r['endpoint_id']}:{since.isoformat()}",
            partner_id=r["partner_id"],
        )
    return [(r["endpoint_id"], reason) for r in rows]


def purge_log(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> int:
    """Delete finished deliveries older than 30 days, and events left without deliveries."""
    viewer.require_system(SYSTEM_ONLY)
    cutoff = (now or now_utc()) - KEEP_LOG
    d, e = webhook_deliveries, webhook_events
    with db.portal.begin() as conn:
        gone = conn.execute(
            delete(d).where(d.c.created_at < cutoff, d.c.status.in_([WEBHOOK_OK, WEBHOOK_FAILED]))
        ).rowcount
        conn.execute(
            delete(e).where(
                e.c.created_at < cutoff,
                ~select(d.c.delivery_id).where(d.c.event_id == e.c.event_id).exists(),
            )
        )
    return int(gone or 0)
