"""Translate a viewer into SQL filters.

A partner owns courses through `miomente_courses` in the portal DB; the shop's tables know only
product ids. So the scope is the viewer's product ids, read from the portal DB and bound into
the Magento query as an expanding IN parameter. Staff who see all get no filter.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from core.db import Databases
from data.access.viewer import Viewer
from data.portal_schema import courses


def product_ids(viewer: Viewer, db: Databases) -> list[int] | None:
    """The viewer's product ids, or None when the viewer sees every partner."""
    if viewer.sees_all:
        return None
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(courses.c.product_id)
            .where(courses.c.partner_id == viewer.partner_id)
            .order_by(courses.c.product_id)
        )
        return [r[0] for r in rows]


def product_filter(column: ColumnElement, ids: list[int] | None) -> ColumnElement[bool]:
    """`column IN (ids)`; no filter for None. An empty list matches nothing."""
    if ids is None:
        return true()
    return column.in_(ids)


def partner_filter(column: ColumnElement, viewer: Viewer) -> ColumnElement[bool]:
    """For portal tables that carry a partner_id column."""
    if viewer.sees_all:
        return true()
    return column == viewer.partner_id


def product_partner_map(viewer: Viewer, db: Databases) -> dict[int, int]:
    """product id -> partner id for the viewer's courses (staff: all courses)."""
    with db.portal.connect() as conn:
        rows = conn.execute(
            select(courses.c.product_id, courses.c.partner_id).where(
                partner_filter(courses.c.partner_id, viewer)
            )
        )
        return {product_id: partner_id for product_id, partner_id in rows}
