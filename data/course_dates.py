"""Course dates (miomente_course_date) as partners see them; editing arrives with Termine."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import func, select

from core.db import Databases
from data import scope
from data.magento_schema import (
    DATE_ACTIVE,
    VOID_STATES,
    miomente_course_date,
    sales_order,
    sales_order_item,
)
from data.viewer import Viewer

COLUMNS = ["date_id", "product_id", "starts_at", "ends_at", "seats_total", "seats_sold"]


def future_dates(
    viewer: Viewer,
    db: Databases,
    *,
    product_id: int,
    limit: int = 20,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The next active dates of one of the viewer's courses, with seats sold (soonest first)."""
    ids = scope.product_ids(viewer, db)
    if ids is not None and product_id not in ids:
        return pd.DataFrame(columns=COLUMNS)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    d, item, order = miomente_course_date, sales_order_item, sales_order
    sold = (
        select(
            func.coalesce(
                func.sum(item.c.qty_ordered - item.c.qty_canceled - item.c.qty_refunded), 0
            )
        )
        .select_from(item.join(order, order.c.entity_id == item.c.order_id))
        .where(item.c.miomente_date_id == d.c.date_id, order.c.state.not_in(VOID_STATES))
        .scalar_subquery()
    )
    query = (
        select(
            d.c.date_id,
            d.c.product_id,
            d.c.starts_at,
            d.c.ends_at,
            d.c.seats_total,
            sold.label("seats_sold"),
        )
        .where(d.c.product_id == product_id, d.c.status == DATE_ACTIVE, d.c.starts_at > now)
        .order_by(d.c.starts_at, d.c.date_id)
        .limit(max(1, min(int(limit), 200)))
    )
    with db.magento_read.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["seats_sold"] = int(float(row["seats_sold"] or 0))
    return pd.DataFrame(rows, columns=COLUMNS)
