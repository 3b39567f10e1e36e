"""A small, believable outbox for demo mode: recent booking confirmations, mostly sent.

Staff open Postausgang in the demo and see sent, waiting and failed mail at once; the jobs
sidecar (`python -m jobs run send-outbox`) sends the waiting ones through the local transport.
Read back from the generated shop, so it follows the same seed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from core.db import Databases
from data import portal_schema as p
from data.comms.outbox import queue_message
from data.shop import schema as m

MESSAGES = 12
SENT, FAILED = 8, 2  # the rest stay pending
BOUNCE = "550 5.1.1 Empfängeradresse unbekannt (mailbox unavailable)"


def _recent_confirmations(db: Databases, now: datetime) -> list[dict[str, Any]]:
    item, order, date_ = m.sales_order_item, m.sales_order, m.miomente_course_date
    query = (
        select(
            order.c.entity_id,
            order.c.increment_id,
            order.c.customer_firstname,
            order.c.customer_lastname,
            order.c.customer_email,
            order.c.created_at,
            item.c.product_id,
            item.c.name,
            item.c.qty_ordered,
            date_.c.starts_at,
            date_.c.ends_at,
        )
        .join(item, item.c.order_id == order.c.entity_id)
        .join(date_, date_.c.date_id == item.c.miomente_date_id)
        .where(order.c.status == m.STATUS_CONFIRMED, order.c.created_at <= now)
        .order_by(order.c.created_at.desc(), item.c.item_id)
        .limit(MESSAGES * 3)
    )
    with db.magento.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    # One confirmation per order (its first course), as a customer would get it.
    first: dict[object, dict[str, Any]] = {}
    for row in rows:
        first.setdefault(row["entity_id"], row)
    return list(first.values())[:MESSAGES]


def queue_demo_messages(db: Databases, *, now: datetime) -> int:
    rows = _recent_confirmations(db, now)
    with db.portal.begin() as conn:
        owners = dict(conn.execute(select(p.courses.c.product_id, p.courses.c.partner_id)).all())
        partners = {
            r.partner_id: r
            for r in conn.execute(
                select(
                    p.partners.c.partner_id,
                    p.partners.c.name,
                    p.partners.c.street,
                    p.partners.c.postcode,
                    p.partners.c.city,
                )
            )
        }
        for index, row in enumerate(reversed(rows)):
            partner = partners[owners[row["product_id"]]]
            key = f"decision-demo:{row['entity_id']}"
            queue_message(
                conn,
                channel=p.CHANNEL_EMAIL,
                template="booking_confirmed",
                recipient=str(row["customer_email"]),
                recipient_name=f"{row['customer_firstname']} {row['customer_lastname']}",
                locale="de",
                partner_id=partner.partner_id,
                dedupe_key=key,
                payload={
                    "customer_name": f"{row['customer_firstname']} {row['customer_lastname']}",
                    "order_number": str(row["increment_id"]),
                    "course": str(row["name"]),
                    "starts_at": row["starts_at"].isoformat(),
                    "ends_at": row["ends_at"].isoformat(),
                    "place": f"{partner.name}, {partner.street}, {partner.postcode} {partner.city}",
                    "tickets": int(row["qty_ordered"]),
                    "partner_name": partner.name,
                },
            )
            queued_at = row["created_at"] + timedelta(hours=2)
            values: dict[str, object] = {"created_at": queued_at, "updated_at": queued_at}
            if index < SENT:
                values |= {
                    "status": p.OUTBOX_SENT,
                    "attempts": 1,
                    "sent_at": queued_at,
                    "provider_message_id": f"local-demo-{index + 1}",
                }
            elif index < SENT + FAILED:
                values |= {"status": p.OUTBOX_FAILED, "attempts": 1, "last_error": BOUNCE}
            conn.execute(update(p.outbox).where(p.outbox.c.dedupe_key == key).values(**values))
    return len(rows)
