"""Review requests: after a course, its customers are asked for a review — once, lawfully.

The `send-review-requests` task (jobs/send_review_requests.py) queues a `review_request` mail
a set time after the course *ended* (the partner's setting, default 1 day; in Berlin's wall
clock, so a day is a day also across a DST change, and never at night: a request due before
09:00 waits until 09:00, one due from 20:00 on goes the next morning at 09:00), and up to two
`review_reminder` mails to customers who have not answered (default one, 5 days later).

Who is asked: every booked item (ledger status confirmed or completed, tickets left — never a
cancelled, rejected or refunded booking) whose order carries a legal basis the partner
accepts (BGH VI ZR 225/17: a review request is advertising): the order's
`sales_order.miomente_review_basis` is "consent", or "notice" (the § 7 (3) UWG notice) when
the partner's setting accepts it. The basis is recorded per request. Never a customer whose
address objected (`miomente_review_objections`, through the link in every mail). No gating:
every eligible customer is asked, whatever the booking's history.

Once: one request per customer and course (`dedupe_key`, unique) is written in the same
transaction that queues its mail (`inserted_keys` decides which run won a row, the outbox
then gets the winners' mails with `known_new`); a reminder moves `reminders_sent` from n to
n+1 with a compare-and-set, so a rerun or two runs at once send each mail once.

The link: a signed token (core/signing.py, purpose "review") of the request's booked item;
only its SHA-256 is stored. The form (api/routers/reviews_form.py) writes the review into the
shop's tables as *pending* and marks the request used: a second use, a forged or an expired
token (60 days after the request) is refused.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Connection, bindparam, case, func, select, tuple_, update
from sqlalchemy.engine import RowMapping

from core import links, signing, sql
from core.clock import BERLIN, now_utc
from core.db import Databases
from core.settings import load_signing_key
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import REVIEWS_READ, REVIEWS_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.comms.outbox import queue_many
from data.portal_schema import (
    BOOKING_COMPLETED,
    BOOKING_CONFIRMED,
    CHANNEL_EMAIL,
    REVIEW_BASES,
    REVIEW_BASIS_CONSENT,
    REVIEW_BASIS_NOTICE,
    bookings,
    review_objections,
    review_requests,
    review_settings,
)
from data.shop import schema as m
from data.shop import writes

PURPOSE = "review"
SEND_FROM, SEND_UNTIL = time(9, 0), time(20, 0)  # Berlin: no review mail at night
# A request not sent within this time after it was due (the task was down, the partner
# switched requests on later) is not sent any more: a course weeks ago is no reason to write.
LATE_AFTER = timedelta(days=14)
TOKEN_DAYS = 60  # the link works this long after the request
MAX_COURSE_DAYS = 14  # the longest course: how far before `now` a course may have started
_ASKED = (BOOKING_CONFIRMED, BOOKING_COMPLETED)
_CHUNK = 1_000
_PAGE = 10_000  # candidates read at once
MAX_TITLE, MAX_TEXT, MAX_NICKNAME = 255, 5_000, 128


@dataclass(frozen=True)
class RequestSettings:
    enabled: bool = True
    delay_days: int = 1
    reminders: int = 1
    reminder_days: int = 5
    basis: str = REVIEW_BASIS_NOTICE  # the weakest basis accepted: notice (or consent)

    def accepts(self, basis: str | None) -> bool:
        if basis == REVIEW_BASIS_CONSENT:
            return True
        return basis == REVIEW_BASIS_NOTICE and self.basis == REVIEW_BASIS_NOTICE


@dataclass(frozen=True)
class RequestRun:
    requested: int = 0
    reminded: int = 0
    no_basis: int = 0
    objected: int = 0
    late: int = 0


# --- the pure rules -------------------------------------------------------------------------


def due_at(moment: datetime, days: int) -> datetime:
    """When a mail `days` after `moment` (naive UTC) goes: the same Berlin wall-clock time
    `days` later, moved into Berlin's sending hours (09:00–20:00); naive UTC."""
    local = moment.replace(tzinfo=UTC).astimezone(BERLIN).replace(tzinfo=None)
    local += timedelta(days=int(days))
    if local.time() < SEND_FROM:
        local = datetime.combine(local.date(), SEND_FROM)
    elif local.time() >= SEND_UNTIL:
        local = datetime.combine(local.date() + timedelta(days=1), SEND_FROM)
    return local.replace(tzinfo=BERLIN).astimezone(UTC).replace(tzinfo=None)


def email_hash(email: str) -> str:
    """The SHA-256 of a normalised address: what objections and requests keep."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def review_token(item_id: int, *, key: str | None = None) -> str:
    """The signed token of the request for one booked item (the same for its reminders);
    `key`: the signing key, when the caller signs many (default: the configured one)."""
    return signing.sign(PURPOSE, str(int(item_id)), key=key)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# --- the partner's settings -------------------------------------------------------------------


def _partner_of(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError()  # one partner's settings: staff view as a partner first
    return int(viewer.partner_id)


def _settings(row: Mapping | None) -> RequestSettings:
    if row is None:
        return RequestSettings()
    return RequestSettings(
        enabled=bool(row["enabled"]),
        delay_days=int(row["delay_days"]),
        reminders=int(row["reminders"]),
        reminder_days=int(row["reminder_days"]),
        basis=str(row["basis"]),
    )


@requires(REVIEWS_READ)
def request_settings_of(viewer: Viewer, db: Databases) -> RequestSettings:
    """The viewer's partner's settings (the defaults when never saved)."""
    query = select(review_settings).where(review_settings.c.partner_id == _partner_of(viewer))
    with db.portal.connect() as conn:
        return _settings(conn.execute(query).mappings().first())


@requires(REVIEWS_WRITE)
def save_request_settings(
    viewer: Viewer, db: Databases, *, settings: RequestSettings, now: datetime | None = None
) -> None:
    """Save the viewer's partner's settings; out of range: InvalidInput, nothing saved."""
    viewer.require_writer()
    partner_id = _partner_of(viewer)
    if not 0 <= settings.delay_days <= 14:
        raise InvalidInput("reviews.requests.bad_delay")
    if not 0 <= settings.reminders <= 2:
        raise InvalidInput("reviews.requests.bad_reminders")
    if not 1 <= settings.reminder_days <= 14:
        raise InvalidInput("reviews.requests.bad_reminder_days")
    if settings.basis not in REVIEW_BASES:
        raise InvalidInput("reviews.requests.bad_basis")
    row = {
        "partner_id": partner_id,
        "enabled": bool(settings.enabled),
        "delay_days": int(settings.delay_days),
        "reminders": int(settings.reminders),
        "reminder_days": int(settings.reminder_days),
        "basis": settings.basis,
        "updated_at": now or now_utc(),
        "updated_by": viewer.user_id,
    }
    with db.portal.begin() as conn:
        sql.upsert(conn, review_settings, [row], index_elements=["partner_id"])


# --- the task ---------------------------------------------------------------------------------


def _all_settings(conn: Connection) -> dict[int, RequestSettings]:
    return {
        int(r["partner_id"]): _settings(r) for r in conn.execute(select(review_settings)).mappings()
    }


def _candidates(
    conn: Connection, now: datetime, off: Sequence[int], after: tuple[datetime, int] | None
) -> list[dict]:
    """One page (`_PAGE`, after the (event_at, item_id) `after`) of the booked items still
    asked for (confirmed/completed, tickets left) whose course started in the window where a
    first request can be due, of partners that did not switch off."""
    earliest = now - timedelta(days=14 + MAX_COURSE_DAYS + 1) - LATE_AFTER
    b = bookings.c
    query = (
        select(b.item_id, b.order_id, b.increment_id, b.partner_id, b.product_id, b.date_id,
               b.course, b.event_at, b.customer_name, b.customer_email)
        .where(
            b.event_at > earliest,
            b.event_at <= now,
            b.status.in_(_ASKED),
            b.tickets > 0,
            b.customer_email.is_not(None),
            ~sql.int_in(b.partner_id, off),
        )
        .order_by(b.event_at, b.item_id)
        .limit(_PAGE)
    )  # fmt: skip
    if after is not None:  # keyset paging along the (event_at, item_id) index
        query = query.where(tuple_(b.event_at, b.item_id) > tuple_(after[0], after[1]))
    return [dict(r) for r in conn.execute(query).mappings()]


_HEX_KEY = re.compile(r"[0-9a-f]{1,64}(:[0-9]{1,10})?")


def _key_in(column: ColumnElement, keys: Sequence[str]) -> ColumnElement[bool]:
    """`column IN (keys)` for keys this module made (hex hashes, optionally ":<id>"), rendered
    inline like `sql.int_in`: a thousand bound strings cost psycopg more than the query."""
    if not all(_HEX_KEY.fullmatch(k) for k in keys):
        raise ValueError("only hex keys are rendered inline")
    return column.in_(bindparam(f"in_{column.name}", list(keys), expanding=True,
                                literal_execute=True, unique=True))  # fmt: skip


def _asked_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in sql.chunks(sorted(set(keys))):
        query = select(review_requests.c.dedupe_key).where(
            _key_in(review_requests.c.dedupe_key, chunk)
        )
        found |= set(conn.execute(query).scalars())
    return found


def _objected(conn: Connection, hashes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in sql.chunks(sorted(set(hashes))):
        query = select(review_objections.c.email_hash).where(
            _key_in(review_objections.c.email_hash, chunk)
        )
        found |= set(conn.execute(query).scalars())
    return found


def _ends(db: Databases, date_ids: Iterable[int]) -> dict[int, datetime]:
    """date id -> its end (UTC), from the shop."""
    d = m.miomente_course_date
    ends: dict[int, datetime] = {}
    with db.magento_read.connect() as conn:
        for chunk in sql.chunks(sorted(set(date_ids))):
            query = select(d.c.date_id, d.c.ends_at).where(sql.int_in(d.c.date_id, chunk))
            ends |= {int(r.date_id): r.ends_at for r in conn.execute(query)}
    return ends


def _order_facts(db: Databases, order_ids: Iterable[int]) -> dict[int, tuple[str | None, int]]:
    """order id -> (legal basis for a review request, store id), from the shop."""
    o = m.sales_order
    facts: dict[int, tuple[str | None, int]] = {}
    with db.magento_read.connect() as conn:
        for chunk in sql.chunks(sorted(set(order_ids))):
            query = select(o.c.entity_id, o.c.miomente_review_basis, o.c.store_id).where(
                sql.int_in(o.c.entity_id, chunk)
            )
            for r in conn.execute(query):
                facts[int(r.entity_id)] = (r.miomente_review_basis, int(r.store_id or 0))
    return facts


def _payload(row: Mapping, ended_at: datetime, token: str) -> dict[str, object]:
    return {
        "customer_name": row["customer_name"] or "",
        "course": row["course"] or "",
        "starts_at": row["event_at"].isoformat() if row.get("event_at") else ended_at.isoformat(),
        "review_url": links.review_url(token),
        "unsubscribe_url": links.review_unsubscribe_url(token),
    }


def _dedupe_key(row: Mapping) -> str:
    """One request per customer (address) and course."""
    return f"{email_hash(row['customer_email'])[:40]}:{int(row['product_id'])}"


def _due_requests(
    rows: list[dict], settings_of: Mapping[int, RequestSettings], ends: Mapping[int, datetime],
    now: datetime, counts: dict[str, int], asked: set[str],
) -> list[dict]:  # fmt: skip
    """The candidates whose request is due now and not `asked` yet (late ones counted), one
    per customer+course."""
    due: dict[str, dict] = {}
    for row in rows:
        setting = settings_of.get(int(row["partner_id"]), RequestSettings())
        ended = ends.get(int(row["date_id"] or 0), row["event_at"])
        when = due_at(ended, setting.delay_days)
        if now < when:
            continue
        key = _dedupe_key(row)
        if key in due or key in asked:
            continue
        if now >= when + LATE_AFTER:
            counts["late"] += 1
            continue
        due[key] = row | {"dedupe_key": key, "ended_at": ended, "setting": setting}
    return list(due.values())


def queue_due_requests(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> RequestRun:
    """Queue every due review request and reminder once (the sidecar's viewer only)."""
    viewer.require_system()
    moment = now or now_utc()
    counts = {"requested": 0, "reminded": 0, "no_basis": 0, "objected": 0, "late": 0}
    with db.portal.connect() as conn:
        settings_of = _all_settings(conn)
    off = [pid for pid, s in settings_of.items() if not s.enabled]
    after: tuple[datetime, int] | None = None
    while True:  # page by page: the memory stays flat however many courses ended
        with db.portal.connect() as conn:
            rows = _candidates(conn, moment, off, after)
            asked = _asked_keys(conn, [_dedupe_key(r) for r in rows])
        if not rows:
            break
        after = (rows[-1]["event_at"], int(rows[-1]["item_id"]))
        ends = _ends(db, [int(r["date_id"]) for r in rows if r["date_id"] is not None])
        due = _due_requests(rows, settings_of, ends, moment, counts, asked)
        for start in range(0, len(due), _CHUNK):
            _request_chunk(db, due[start : start + _CHUNK], counts, moment)
    _queue_reminders(db, settings_of, counts, moment)
    return RequestRun(**counts)


def _request_chunk(db: Databases, due: list[dict], counts: dict[str, int], now: datetime) -> None:
    """One transaction per chunk: a request row per customer+course (its unique key decides
    which run asks) and, for the rows this run wrote, the mails in the outbox."""
    key = load_signing_key()  # once: every token of the chunk is signed with it
    facts = _order_facts(db, [d["order_id"] for d in due])
    rows: list[dict[str, object]] = []
    messages: dict[str, dict[str, object]] = {}
    with db.portal.begin() as conn:
        objected = _objected(conn, [email_hash(d["customer_email"]) for d in due])
        for item in due:
            basis, store_id = facts.get(item["order_id"], (None, 0))
            if not item["setting"].accepts(basis):
                counts["no_basis"] += 1
                continue
            hashed = email_hash(item["customer_email"])
            if hashed in objected:
                counts["objected"] += 1
                continue
            token = review_token(item["item_id"], key=key)
            locale = m.store_locale(store_id)
            rows.append(
                {"dedupe_key": item["dedupe_key"], "item_id": item["item_id"],
                 "order_id": item["order_id"], "increment_id": item["increment_id"],
                 "partner_id": item["partner_id"], "product_id": item["product_id"],
                 "date_id": item["date_id"], "course": item["course"], "email_hash": hashed,
                 "locale": locale, "basis": basis, "ended_at": item["ended_at"], "sent_at": now,
                 "reminders_sent": 0, "token_hash": _token_hash(token)}
            )  # fmt: skip
            messages[item["dedupe_key"]] = {
                "channel": CHANNEL_EMAIL, "template": "review_request",
                "recipient": item["customer_email"], "recipient_name": item["customer_name"],
                "locale": locale, "payload": _payload(item, item["ended_at"], token),
                "dedupe_key": f"review_request:{item['dedupe_key']}",
                "partner_id": int(item["partner_id"]),
            }  # fmt: skip
        written = sql.inserted_keys(conn, review_requests, rows, index_elements=["dedupe_key"])
        won = [messages[key] for (key,) in written]
        counts["requested"] += len(won)
        queue_many(conn, won, now=now, known_new=True)  # our request rows make them new


def _open_requests(conn: Connection, now: datetime, after: int) -> list[RowMapping]:
    """One page (by request id, after `after`) of the unanswered requests that may get a
    reminder now, with their booking's email: sent at least a day (of 23 hours, at the DST
    change) and at most two times the longest reminder wait plus `LATE_AFTER` ago."""
    r, b = review_requests.c, bookings.c
    earliest = now - timedelta(days=2 * 14 + 1) - LATE_AFTER
    latest = now - timedelta(hours=22)
    query = (
        select(r.request_id, r.item_id, r.partner_id, r.email_hash, r.locale, r.sent_at,
               r.ended_at, r.reminders_sent, r.last_reminder_at, b.customer_email,
               b.customer_name, b.course, b.event_at)
        .select_from(review_requests.join(bookings, b.item_id == r.item_id))
        .where(
            r.used_at.is_(None), r.sent_at > earliest, r.sent_at <= latest,
            r.reminders_sent < 2, b.status.in_(_ASKED), b.tickets > 0, r.request_id > after,
        )
        .order_by(r.request_id)
        .limit(_PAGE)
    )  # fmt: skip
    return list(conn.execute(query).mappings())


def _queue_reminders(
    db: Databases, settings_of: Mapping[int, RequestSettings], counts: dict[str, int],
    now: datetime,
) -> None:  # fmt: skip
    """A reminder to each non-responder whose next one is due: `reminders_sent` moves from n
    to n+1 by compare-and-set, and only the run that moved it queues the mail."""
    after = 0
    while True:
        with db.portal.connect() as conn:
            open_rows = _open_requests(conn, now, after)
        if not open_rows:
            return
        after = int(open_rows[-1]["request_id"])
        _remind_page(db, open_rows, settings_of, counts, now)


def _remind_page(
    db: Databases, open_rows: list[RowMapping], settings_of: Mapping[int, RequestSettings],
    counts: dict[str, int], now: datetime,
) -> None:  # fmt: skip
    key = load_signing_key()
    due = []
    for row in open_rows:
        setting = settings_of.get(int(row["partner_id"]), RequestSettings())
        sent = int(row["reminders_sent"])
        if not setting.enabled or sent >= setting.reminders:
            continue
        when = due_at(row["sent_at"], setting.reminder_days * (sent + 1))
        if when <= now < when + LATE_AFTER:
            due.append(row)
    r = review_requests.c
    for chunk in sql.chunks(due, _CHUNK):
        with db.portal.begin() as conn:
            objected = _objected(conn, [row["email_hash"] for row in chunk])
            won = []
            for row in chunk:
                if row["email_hash"] in objected:
                    continue
                sent = int(row["reminders_sent"])
                moved = conn.execute(
                    update(review_requests)
                    .where(r.request_id == row["request_id"], r.reminders_sent == sent,
                           r.used_at.is_(None))
                    .values(reminders_sent=sent + 1, last_reminder_at=now)
                ).rowcount  # fmt: skip
                if moved != 1:
                    continue  # another run reminded, or the review came in meanwhile
                token = review_token(row["item_id"], key=key)
                won.append(
                    {"channel": CHANNEL_EMAIL, "template": "review_reminder",
                     "recipient": row["customer_email"], "recipient_name": row["customer_name"],
                     "locale": row["locale"], "payload": _payload(row, row["ended_at"], token),
                     "dedupe_key": f"review_reminder:{row['request_id']}:{sent + 1}",
                     "partner_id": int(row["partner_id"])}
                )  # fmt: skip
            counts["reminded"] += len(won)
            queue_many(conn, won, now=now, known_new=True)


# --- the partner's lists ----------------------------------------------------------------------


@requires(REVIEWS_READ)
def sent_requests(viewer: Viewer, db: Databases, *, limit: int = 500) -> pd.DataFrame:
    """The viewer's requests, newest first: when, course, order, legal basis, reminders and
    whether the customer answered (`status`: reviewed / open)."""
    r = review_requests.c
    query = (
        select(r.sent_at, r.course, r.product_id, r.increment_id, r.basis,
               r.reminders_sent, r.last_reminder_at, r.used_at, r.review_id)
        .where(scope.partner_filter(r.partner_id, viewer))
        .order_by(r.sent_at.desc(), r.request_id.desc())
        .limit(max(1, min(int(limit), 5_000)))
    )  # fmt: skip
    columns = ["sent_at", "course", "product_id", "increment_id", "basis",
               "reminders_sent", "last_reminder_at", "used_at", "review_id"]  # fmt: skip
    with db.portal.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=columns)
    return frame.assign(status=["reviewed" if pd.notna(x) else "open" for x in frame["used_at"]])


@requires(REVIEWS_READ)
def response_rates(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """Per course: requests sent, reviews written through them, and the response rate (0–1)."""
    r = review_requests.c
    answered = func.sum(case((r.review_id.is_not(None), 1), else_=0))
    query = (
        select(r.product_id, func.max(r.course).label("course"),
               func.count().label("requests"), answered.label("reviews"))
        .where(scope.partner_filter(r.partner_id, viewer))
        .group_by(r.product_id)
        .order_by(r.product_id)
    )  # fmt: skip
    with db.portal.connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=["product_id", "course", "requests", "reviews"],
        )
    frame["reviews"] = frame["reviews"].astype(int)
    rate = [
        round(int(a) / int(n), 4) if int(n) else 0.0
        for a, n in zip(frame["reviews"], frame["requests"], strict=True)
    ]
    return frame.assign(rate=rate)


# --- the customer's link (no login: the signed token is the credential) ------------------------


@dataclass(frozen=True)
class ReviewForm:
    request_id: int
    product_id: int
    course: str
    locale: str
    ratings: tuple[tuple[int, str], ...]


def _request_row(db: Databases, token: str) -> Mapping:
    """The request of a token, refusing a forged or unknown one (InvalidInput)."""
    if not isinstance(token, str) or len(token) > 200 or not token.isascii():
        raise InvalidInput("reviews.form.invalid")
    if signing.verify(PURPOSE, token) is None:
        raise InvalidInput("reviews.form.invalid")
    query = select(review_requests).where(review_requests.c.token_hash == _token_hash(token))
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise InvalidInput("reviews.form.invalid")
    return row


def _check_open(row: Mapping, now: datetime) -> None:
    if row["used_at"] is not None:
        raise InvalidInput("reviews.form.used")
    if now >= row["sent_at"] + timedelta(days=TOKEN_DAYS):
        raise InvalidInput("reviews.form.expired")


def review_form(db: Databases, *, token: str, now: datetime | None = None) -> ReviewForm:
    """What the form of a valid, unused, unexpired link shows; else InvalidInput."""
    row = _request_row(db, token)
    _check_open(row, now or now_utc())
    with db.magento_read.connect() as conn:
        ratings = tuple(writes.active_ratings(conn))
    return ReviewForm(
        request_id=int(row["request_id"]), product_id=int(row["product_id"]),
        course=str(row["course"] or ""), locale=str(row["locale"]), ratings=ratings,
    )  # fmt: skip


def _clean(text: str, *, limit: int, key: str) -> str:
    value = (text or "").strip()
    if not value or len(value) > limit:
        raise InvalidInput(key)
    return value


def submit_review(
    db: Databases,
    *,
    token: str,
    votes: Mapping[int, int],
    title: str,
    text: str,
    nickname: str,
    now: datetime | None = None,
) -> int:
    """Write the customer's review into the shop as pending and use up the link; returns the
    review id. Bad input or a used/expired/forged link: InvalidInput, nothing written."""
    moment = now or now_utc()
    form = review_form(db, token=token, now=moment)
    wanted = {rating_id for rating_id, _code in form.ratings}
    if set(votes) != wanted or any(int(v) not in range(1, 6) for v in votes.values()):
        raise InvalidInput("reviews.form.stars_missing")
    clean_title = _clean(title, limit=MAX_TITLE, key="reviews.form.title_missing")
    clean_text = _clean(text, limit=MAX_TEXT, key="reviews.form.text_missing")
    clean_nickname = _clean(nickname, limit=MAX_NICKNAME, key="reviews.form.nickname_missing")
    r = review_requests.c
    # The portal row is claimed first and committed only after the shop's review is written:
    # a second submit waits for (PostgreSQL) or fails on (SQLite) the claim and finds it used,
    # and a failed shop write leaves the link usable.
    with db.portal.begin() as conn:
        claimed = conn.execute(
            update(review_requests)
            .where(r.request_id == form.request_id, r.used_at.is_(None))
            .values(used_at=moment)
        ).rowcount
        if claimed != 1:
            raise InvalidInput("reviews.form.used")
        store_id = 1 if form.locale == "de" else 0
        with writes.shop_transaction(db.magento) as shop:
            review_id = writes.insert_review(
                shop, product_id=form.product_id, store_id=store_id, title=clean_title,
                detail=clean_text, nickname=clean_nickname, customer_id=None,
                votes={int(k): int(v) for k, v in votes.items()}, now=moment,
            )  # fmt: skip
        conn.execute(
            update(review_requests)
            .where(r.request_id == form.request_id)
            .values(review_id=review_id)
        )
    return review_id


def object_to_requests(db: Databases, *, token: str, now: datetime | None = None) -> None:
    """The customer objects through a mail's link: no review mail goes to the address again
    (also valid after the review was written or the link expired)."""
    row = _request_row(db, token)
    entry = {
        "email_hash": row["email_hash"],
        "request_id": int(row["request_id"]),
        "created_at": now or now_utc(),
    }
    with db.portal.begin() as conn:
        sql.insert_ignore(conn, review_objections, [entry], index_elements=["email_hash"])


@requires(REVIEWS_READ)
def verified_review_ids(viewer: Viewer, db: Databases, *, review_ids: Iterable[int]) -> set[int]:
    """Which of these Magento reviews of the viewer's courses came through a review request
    (a verified booking): the dashboard's "verified" mark."""
    found: set[int] = set()
    with db.portal.connect() as conn:
        for chunk in sql.chunks(sorted({int(i) for i in review_ids})):
            query = select(review_requests.c.review_id).where(
                sql.int_in(review_requests.c.review_id, chunk),
                scope.partner_filter(review_requests.c.partner_id, viewer),
            )
            found |= {int(i) for i in conn.execute(query).scalars()}
    return found
