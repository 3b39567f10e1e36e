"""Preisposition: one course's price per person and fill rate against similar courses.

Similar courses are those of data/marketing/_peers.py (same kind; same city, else region,
else anywhere). A course's price is its shop price per person (`price`, default store); its
fill rate is sold seats over seats of its active dates that took place in the last
`WINDOW_DAYS` days, sold seats by the shop's one rule (data/shop/schema.py `holds_seats`,
`net_tickets`). Courses that are still selling (future dates) would look emptier than they
will be, so they are left out.

Other partners' prices are public in the shop, their fill rates are their business: the
similar courses come back as anonymous points (price, fill rate, whether the viewer's partner
owns it), never with a name or id, and the cheaper and dearer ones only as totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import sql
from core.clock import now_utc
from core.db import Databases
from data.access.permissions import DATES_READ, requires
from data.access.viewer import Viewer
from data.marketing._peers import find_peers
from data.shop.schema import (
    DATE_ACTIVE,
    PRODUCT_ATTRIBUTES,
    catalog_product_entity_decimal,
    holds_seats,
    miomente_course_date,
    net_tickets,
    sales_order,
    sales_order_item,
)
from marketing.pricing import Position, Sales, position

WINDOW_DAYS = 365


@dataclass(frozen=True)
class PricePoint:
    price: Decimal
    fill_rate: Decimal | None
    mine: bool  # a course of the viewer's partner (else another provider's, anonymous)


@dataclass(frozen=True)
class PricePosition:
    product_id: int
    area: str  # city, region or kind
    area_name: str
    similar: int
    seats: int
    sold: int
    result: Position
    points: tuple[PricePoint, ...]  # the similar courses, cheapest first


def _prices(db: Databases, product_ids: list[int]) -> dict[int, Decimal]:
    price = catalog_product_entity_decimal
    query = select(price.c.entity_id, price.c.value).where(
        sql.int_in(price.c.entity_id, product_ids),
        price.c.attribute_id == PRODUCT_ATTRIBUTES["price"][0],
        price.c.store_id == 0,
    )
    with db.magento_read.connect() as conn:
        return {
            int(pid): Decimal(str(value)).quantize(Decimal("0.01"))
            for pid, value in conn.execute(query)
            if value is not None
        }


def _sales(db: Databases, product_ids: list[int], since: datetime, until: datetime) -> dict:
    """product id -> (seats, sold) over its active dates that started in [since, until)."""
    d = miomente_course_date
    in_window = (
        sql.int_in(d.c.product_id, product_ids),
        d.c.status == DATE_ACTIVE,
        d.c.starts_at >= since,
        d.c.starts_at < until,
    )
    seats = select(d.c.product_id, func.sum(d.c.seats_total)).where(*in_window)
    item, order = sales_order_item, sales_order
    sold = (
        select(d.c.product_id, func.coalesce(func.sum(net_tickets(item)), 0))
        .select_from(
            item.join(order, order.c.entity_id == item.c.order_id).join(
                d, d.c.date_id == item.c.miomente_date_id
            )
        )
        .where(*in_window, holds_seats(order, item))
    )
    with db.magento_read.connect() as conn:
        totals = {int(p): [int(s or 0), 0] for p, s in conn.execute(seats.group_by(d.c.product_id))}
        for pid, count in conn.execute(sold.group_by(d.c.product_id)):
            totals.setdefault(int(pid), [0, 0])[1] = max(int(Decimal(str(count or 0))), 0)
    return {pid: (s, n) for pid, (s, n) in totals.items()}


@requires(DATES_READ)
def price_position(
    viewer: Viewer, db: Databases, *, product_id: int, now: datetime | None = None
) -> PricePosition:
    """The course's price and fill rate among similar courses, with one advice."""
    peers = find_peers(viewer, db, int(product_id))
    until = now or now_utc()
    ids = [peers.course.product_id, *(p.product_id for p in peers.places)]
    prices = _prices(db, ids)
    sales = _sales(db, ids, until - timedelta(days=WINDOW_DAYS), until)

    def of(pid: int) -> Sales:
        seats, sold = sales.get(pid, (0, 0))
        return Sales(prices.get(pid), seats, sold)

    own = of(peers.course.product_id)
    others = [(p, of(p.product_id)) for p in peers.places]
    points = sorted(
        (
            PricePoint(s.price, s.fill_rate, p.partner_id == peers.course.partner_id)
            for p, s in others
            if s.price is not None
        ),
        key=lambda point: (point.price, point.fill_rate or Decimal(-1), point.mine),
    )
    return PricePosition(
        product_id=peers.course.product_id,
        area=peers.area,
        area_name=peers.area_name,
        similar=len(others),
        seats=own.seats,
        sold=own.sold,
        result=position(own, [s for _p, s in others]),
        points=tuple(points),
    )
