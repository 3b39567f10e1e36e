"""Courses: Magento products owned by partners (names come from the EAV tables)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, and_, select

from core.db import Databases
from data.access import scope
from data.access.viewer import Viewer
from data.shop.schema import (
    PRODUCT_ATTRIBUTES,
    catalog_product_entity,
    catalog_product_entity_decimal,
    catalog_product_entity_int,
    catalog_product_entity_varchar,
)

NAME_ATTRIBUTE_ID = PRODUCT_ATTRIBUTES["name"][0]


def product_names() -> Select:
    """(entity_id, name): the default store's product name, for joining into other queries."""
    v = catalog_product_entity_varchar
    return select(v.c.entity_id, v.c.value.label("name")).where(
        v.c.attribute_id == NAME_ATTRIBUTE_ID, v.c.store_id == 0
    )


def list_courses(viewer: Viewer, db: Databases) -> pd.DataFrame:
    """The viewer's courses: product id, sku, name, price, enabled, partner id."""
    owners = scope.product_partner_map(viewer, db)
    columns = ["product_id", "sku", "name", "price", "enabled", "partner_id"]
    if not owners:
        return pd.DataFrame(columns=columns)
    names = product_names().subquery()
    price = catalog_product_entity_decimal
    status = catalog_product_entity_int
    query = (
        select(
            catalog_product_entity.c.entity_id.label("product_id"),
            catalog_product_entity.c.sku,
            names.c.name,
            price.c.value.label("price"),
            status.c.value.label("status"),
        )
        .select_from(catalog_product_entity)
        .outerjoin(names, names.c.entity_id == catalog_product_entity.c.entity_id)
        .outerjoin(
            price,
            and_(
                price.c.entity_id == catalog_product_entity.c.entity_id,
                price.c.attribute_id == PRODUCT_ATTRIBUTES["price"][0],
                price.c.store_id == 0,
            ),
        )
        .outerjoin(
            status,
            and_(
                status.c.entity_id == catalog_product_entity.c.entity_id,
                status.c.attribute_id == PRODUCT_ATTRIBUTES["status"][0],
                status.c.store_id == 0,
            ),
        )
        .where(
            scope.product_filter(
                catalog_product_entity.c.entity_id, None if viewer.sees_all else list(owners)
            )
        )
        .order_by(names.c.name)
    )
    with db.magento_read.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(
        [
            {
                "product_id": r["product_id"],
                "sku": r["sku"],
                "name": r["name"],
                "price": r["price"],
                "enabled": r["status"] == 1,
                "partner_id": owners.get(r["product_id"]),
            }
            for r in rows
            if r["product_id"] in owners
        ],
        columns=columns,
    )
    return frame
