"""The one module that writes to the shop (Magento): orders and course dates; demo and test
setup aside.

Every write runs inside the caller's Magento transaction (`shop_transaction`), locks the
`sales_order` row first (SELECT … FOR UPDATE), checks the order's current state and refuses
with a `ShopStateError` that carries a locale key, so two clicks, two tabs or a stale page
change an order once. Every write also adds a `sales_order_status_history` row: the order's
timeline in the shop's admin.

Comments the portal writes start with `PORTAL_COMMENT_PREFIX`, so that the portal can tell its
own rows (which may name a partner) from the shop's when it shows a partner the timeline of an
order that other partners share.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Engine, bindparam, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.sql.elements import BindParameter

from core.errors import Refusal
from data.shop.schema import (
    DATE_ACTIVE,
    DATE_CANCELLED,
    ORDER_STATUSES,
    REVIEW_ENTITY_PRODUCT,
    REVIEW_PENDING,
    miomente_course_date,
    rating,
    rating_option,
    rating_option_vote,
    review,
    review_detail,
    sales_order,
    sales_order_status_history,
    sales_order_status_state,
)

PORTAL_COMMENT_PREFIX = "Partnerportal: "
# Magento allows 64 KB; a comment longer than this is a bug, not a partner's reason.
MAX_COMMENT_LENGTH = 4000


class ShopStateError(Refusal):
    """The order is not in a state that allows this write; `key` is a locale key."""


@dataclass(frozen=True)
class OrderState:
    order_id: int
    state: str | None
    status: str | None


@dataclass(frozen=True)
class OrderChange:
    order_id: int
    old_state: str | None
    old_status: str | None
    state: str | None
    status: str | None
    history_id: int | None

    @property
    def changed(self) -> bool:
        return (self.old_state, self.old_status) != (self.state, self.status)


@contextmanager
def shop_transaction(engine: Engine) -> Iterator[Connection]:
    """A Magento write transaction: committed when the block ends, rolled back on an error.

    Dialect-specific, and the only such place here: on SQLite (demo mode) the transaction
    starts with BEGIN IMMEDIATE, which takes the database's write lock at once. SQLite has
    no row locks and ignores FOR UPDATE; without this, a reader could upgrade to a writer
    after another writer committed and act on what it read before. MariaDB locks the row.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def lock_order(conn: Connection, *, order_id: int) -> OrderState:
    """Lock the order row until the transaction ends and return its state and status."""
    row = conn.execute(
        select(sales_order.c.state, sales_order.c.status)
        .where(sales_order.c.entity_id == order_id)
        .with_for_update()
    ).first()
    if row is None:
        raise ShopStateError("orders.not_found")
    return OrderState(order_id=order_id, state=row.state, status=row.status)


def _state_of_status(conn: Connection, status: str) -> str:
    """The order state a status belongs to (sales_order_status_state; the contract's default)."""
    state = conn.execute(
        select(sales_order_status_state.c.state)
        .where(sales_order_status_state.c.status == status)
        .order_by(sales_order_status_state.c.is_default.desc(), sales_order_status_state.c.state)
        .limit(1)
    ).scalar()
    if state is None:
        state = next((st for s, _label, st, _d in ORDER_STATUSES if s == status), None)
    if state is None:
        raise ValueError(f"unknown order status {status!r}")
    return state


def _history(
    conn: Connection, *, order_id: int, status: str | None, comment: str, notified: bool, now
) -> int | None:
    comment = comment.strip()
    if not comment or len(comment) > MAX_COMMENT_LENGTH:
        raise ValueError(f"a history comment needs 1–{MAX_COMMENT_LENGTH} characters")
    result = conn.execute(
        insert(sales_order_status_history).values(
            parent_id=order_id,
            is_customer_notified=int(notified),
            is_visible_on_front=0,
            comment=comment,
            status=status,
            created_at=now,
            entity_name="order",
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key and key[0] is not None else None


def change_order_status(
    conn: Connection,
    *,
    order_id: int,
    allowed_states: Collection[str],
    new_status: str,
    comment: str,
    notified: bool,
    now: datetime,
) -> OrderChange:
    """Set the order's status (and the state it belongs to) and add a history row.

    Refused with `ShopStateError("orders.refused_state", state=…)` unless the order's current
    state is one of `allowed_states`. An order that already has `new_status` is accepted (a
    re-run after a crash converges): the status stays, the comment is added.
    """
    current = lock_order(conn, order_id=order_id)
    if current.status != new_status and current.state not in allowed_states:
        raise ShopStateError("orders.refused_state", state=current.state or "")
    new_state = _state_of_status(conn, new_status)
    if (current.state, current.status) != (new_state, new_status):
        conn.execute(
            update(sales_order)
            .where(sales_order.c.entity_id == order_id)
            .values(state=new_state, status=new_status, updated_at=now)
        )
    else:
        conn.execute(
            update(sales_order).where(sales_order.c.entity_id == order_id).values(updated_at=now)
        )
    history_id = _history(
        conn, order_id=order_id, status=new_status, comment=comment, notified=notified, now=now
    )
    return OrderChange(
        order_id=order_id,
        old_state=current.state,
        old_status=current.status,
        state=new_state,
        status=new_status,
        history_id=history_id,
    )


def add_order_comment(
    conn: Connection,
    *,
    order_id: int,
    comment: str,
    now: datetime,
    notified: bool = False,
    allowed_states: Collection[str] | None = None,
) -> OrderChange:
    """A history comment without a status change (e.g. one partner's part of a shared order).

    The order's updated_at moves too, so incremental copies of the shop notice the change.
    """
    current = lock_order(conn, order_id=order_id)
    if allowed_states is not None and current.state not in allowed_states:
        raise ShopStateError("orders.refused_state", state=current.state or "")
    conn.execute(
        update(sales_order).where(sales_order.c.entity_id == order_id).values(updated_at=now)
    )
    history_id = _history(
        conn,
        order_id=order_id,
        status=current.status,
        comment=comment,
        notified=notified,
        now=now,
    )
    return OrderChange(
        order_id=order_id,
        old_state=current.state,
        old_status=current.status,
        state=current.state,
        status=current.status,
        history_id=history_id,
    )


# --- course dates (Termine) ----------------------------------------------------------------------
# The portal is the only editor of `miomente_course_date`. These run inside the caller's shop
# transaction (`shop_transaction`); the caller (data.dates.course_dates, data.dates.series) has
# scoped the viewer and validated the values.


def insert_course_dates(
    conn: Connection,
    rows: Sequence[Mapping[str, object]],
    *,
    same: Mapping[str, object] | None = None,
) -> int:
    """Insert many dates in one executemany (the drivers send multi-row INSERTs); the unique
    index (series_id, starts_at) refuses a series' date twice (IntegrityError: the caller
    rolls back and re-reads).

    `same` holds values shared by every row (status, timestamps), left out of `rows`. Columns
    with an equal value share one parameter: the driver escapes each row's parameters one by
    one, and that escaping was most of a bulk insert's client time. They stay parameters, not
    literals in the statement: pymysql only rewrites an executemany into multi-row INSERTs
    when every value of the VALUES clause is a placeholder.
    """
    if not rows:
        return 0
    statement = insert(miomente_course_date)
    if same:
        params: dict[tuple[type, object], BindParameter] = {}
        values = {}
        for name, value in same.items():
            column = miomente_course_date.c[name]
            key = (type(value), value)
            if key not in params:
                params[key] = bindparam(f"same_{len(params)}", value, type_=column.type)
            values[name] = params[key]
        statement = statement.values(values)
    conn.execute(statement, rows if isinstance(rows, list) else list(rows))
    return len(rows)


def insert_course_date(conn: Connection, **values: object) -> int:
    """Insert one date and return its id."""
    result = conn.execute(insert(miomente_course_date).values(**values))
    key = result.inserted_primary_key
    if key is None:  # only for a statement that is no single-row insert
        raise RuntimeError("the insert returned no primary key")
    return int(key[0])


def lock_course_dates(conn: Connection, *, date_ids: Sequence[int]) -> list[RowMapping]:
    """Lock these dates until the transaction ends and return them as they are now."""
    if not date_ids:
        return []
    d = miomente_course_date
    query = (
        select(d)
        .where(d.c.date_id.in_(sorted({int(i) for i in date_ids})))
        .order_by(d.c.date_id)
        .with_for_update()
    )
    return list(conn.execute(query).mappings())


_DATE_FIELDS = ("starts_at", "ends_at", "seats_total", "price", "status", "series_id")


def update_course_dates(
    conn: Connection, *, changes: Sequence[Mapping[str, object]], now: datetime
) -> int:
    """Apply per-date changes ({"date_id": …, "starts_at": …, …}) as executemany updates.

    Rows with the same set of changed fields share one statement. A unique-index collision
    (two dates of a series at one start) raises IntegrityError; the caller's transaction rolls
    back, so a failure half-way through changes nothing.
    """
    d = miomente_course_date
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for change in changes:
        fields = tuple(f for f in _DATE_FIELDS if f in change)
        if not fields:
            continue
        row = {f"b_{f}": change[f] for f in fields}
        # A change maps field names to values of several types; its date_id is an int.
        row["b_date_id"] = int(cast(int, change["date_id"]))
        row["b_updated_at"] = now
        groups.setdefault(fields, []).append(row)
    done = 0
    for fields, rows in groups.items():
        statement = (
            update(d)
            .where(d.c.date_id == bindparam("b_date_id"))
            .values(
                {f: bindparam(f"b_{f}") for f in fields} | {"updated_at": bindparam("b_updated_at")}
            )
        )
        conn.execute(statement, rows)
        done += len(rows)
    return done


def cancel_course_dates(conn: Connection, *, date_ids: Sequence[int], now: datetime) -> list[int]:
    """Set these dates to cancelled (those still active); returns the ids that changed."""
    d = miomente_course_date
    rows = lock_course_dates(conn, date_ids=date_ids)
    active = [int(r["date_id"]) for r in rows if r["status"] == DATE_ACTIVE]
    if active:
        conn.execute(
            update(d).where(d.c.date_id.in_(active)).values(status=DATE_CANCELLED, updated_at=now)
        )
    return active


def active_ratings(conn: Connection) -> list[tuple[int, str]]:
    """The shop's active product ratings (id, code) in their order: one star row each."""
    query = (
        select(rating.c.rating_id, rating.c.rating_code)
        .where(rating.c.entity_id == REVIEW_ENTITY_PRODUCT, rating.c.is_active == 1)
        .order_by(rating.c.position, rating.c.rating_id)
    )
    return [(int(r.rating_id), str(r.rating_code)) for r in conn.execute(query)]


def insert_review(
    conn: Connection,
    *,
    product_id: int,
    store_id: int,
    title: str,
    detail: str,
    nickname: str,
    customer_id: int | None,
    votes: Mapping[int, int],
    now: datetime,
) -> int:
    """A customer's review of a course as the shop stores one, PENDING (the shop's own
    moderation approves it), with one vote per rating (`votes`: rating id -> 1..5 stars).
    Returns the review id."""
    inserted = conn.execute(
        insert(review).values(
            created_at=now,
            entity_id=REVIEW_ENTITY_PRODUCT,
            entity_pk_value=int(product_id),
            status_id=REVIEW_PENDING,
        )
    ).inserted_primary_key
    review_id = int(inserted[0]) if inserted else 0
    conn.execute(
        insert(review_detail).values(
            review_id=review_id, store_id=int(store_id), title=title, detail=detail,
            nickname=nickname, customer_id=customer_id,
        )
    )  # fmt: skip
    options = {
        (int(r.rating_id), int(r.value)): int(r.option_id)
        for r in conn.execute(
            select(rating_option.c.option_id, rating_option.c.rating_id, rating_option.c.value)
            .where(rating_option.c.rating_id.in_(sorted(votes)))
        )
    }  # fmt: skip
    rows = [
        {"option_id": options[(rating_id, value)], "customer_id": customer_id,
         "entity_pk_value": int(product_id), "rating_id": rating_id, "review_id": review_id,
         "percent": value * 20, "value": value}
        for rating_id, value in sorted(votes.items())
    ]  # fmt: skip
    if rows:
        conn.execute(insert(rating_option_vote), rows)
    return int(review_id)
