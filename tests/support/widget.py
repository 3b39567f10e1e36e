"""The two-partner world at a fixed moment, with a widget key for each partner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete

from core.db import Databases
from data import portal_schema as p
from data.access.viewer import Viewer
from data.integrations.widget_keys import widget_key
from data.shop import schema as m
from tests.support.worlds import build_world

# A Wednesday noon (UTC): the world's dates 11 (today 18:00 Berlin), 12 (Friday) and
# 13 (40 days ahead, 4 January 2027) are all still ahead.
NOW = datetime(2026, 11, 25, 12, 0)
PARTNER_A = Viewer(user_id=10, role="partner", partner_id=1)
PARTNER_B = Viewer(user_id=20, role="partner", partner_id=2)
_REFERENCE = {"sales_order_status", "sales_order_status_state", "eav_attribute", "rating",
              "rating_option"}  # fmt: skip


@dataclass(frozen=True)
class WidgetWorld:
    db: Databases
    key_a: str
    key_b: str


def rebuild(db: Databases) -> WidgetWorld:
    """Empty both databases (keeping the shop's reference rows) and build the world at NOW."""
    with db.portal.begin() as conn:
        for table in reversed(p.metadata.sorted_tables):
            conn.execute(delete(table))
    with db.magento.begin() as conn:
        for table in reversed(m.metadata.sorted_tables):
            if table.name not in _REFERENCE:
                conn.execute(delete(table))
    build_world(db, now=NOW)
    return WidgetWorld(
        db=db,
        key_a=widget_key(PARTNER_A, db, now=NOW).public_key,
        key_b=widget_key(PARTNER_B, db, now=NOW).public_key,
    )
