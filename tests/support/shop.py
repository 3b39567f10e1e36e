"""One factory for shop orders in tests: the rows Magento writes when a customer checks out.

`add_order(conn, order_id=…, items=[Item(…)], created_at=…)` writes `sales_order` with its
totals, one `sales_order_item` per item, the payment and the billing address, and (if given)
the first status-history comment. Everything else has a believable default, so a test names
only what it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, insert

from data.shop import schema as m

VAT = Decimal("1.19")


@dataclass(frozen=True)
class Item:
    """One course booked in an order: `qty` tickets at `price` each (gross)."""

    item_id: int
    product_id: int
    date_id: int | None = None
    qty: int = 1
    price: Decimal | str | int = Decimal("50.00")
    sku: str | None = None  # default SKU-<product_id>
    name: str | None = None  # default "Kurs <product_id>"
    parent_item_id: int | None = None  # a bundle's child row

    @property
    def row_total(self) -> Decimal:
        return self.qty * Decimal(self.price)


@dataclass(frozen=True)
class Customer:
    first: str = "Kim"
    last: str = "Kunde"
    email: str | None = None  # default vorname.nachname@example.org

    @property
    def address(self) -> str:
        return self.email or f"{self.first}.{self.last}".lower().replace(" ", "") + "@example.org"


def add_items(
    conn: Connection, *, order_id: int, items: Sequence[Item], created_at: datetime | None = None
) -> None:
    """Items of an order that already exists (or is being written by add_order); without
    `created_at` the shop's column default stamps them."""
    stamps = {} if created_at is None else {"created_at": created_at, "updated_at": created_at}
    for item in items:
        conn.execute(
            insert(m.sales_order_item).values(
                item_id=item.item_id,
                order_id=order_id,
                parent_item_id=item.parent_item_id,
                product_id=item.product_id,
                sku=item.sku or f"SKU-{item.product_id}",
                name=item.name or f"Kurs {item.product_id}",
                product_type="virtual",
                qty_ordered=item.qty,
                price=Decimal(item.price),
                row_total=item.row_total,
                row_total_incl_tax=item.row_total,
                tax_percent=19,
                miomente_date_id=item.date_id,
                **stamps,
            )
        )


def add_order(
    conn: Connection,
    *,
    order_id: int,
    items: Sequence[Item],
    created_at: datetime,
    updated_at: datetime | None = None,
    status: str = m.STATUS_PENDING_PARTNER,
    state: str = "processing",
    customer: Customer = Customer(),
    paid: bool = True,
    history: str | None = None,
) -> None:
    """A whole shop order as Magento stores it; `history` adds the first status comment."""
    total = sum((i.row_total for i in items if i.parent_item_id is None), Decimal(0))
    net = (total / VAT).quantize(Decimal("0.01"))
    updated_at = updated_at or created_at
    conn.execute(
        insert(m.sales_order).values(
            entity_id=order_id,
            increment_id=f"{order_id:09d}",
            state=state,
            status=status,
            customer_email=customer.address,
            customer_firstname=customer.first,
            customer_lastname=customer.last,
            grand_total=total,
            subtotal=net,
            tax_amount=total - net,
            total_paid=total if paid else 0,
            total_refunded=0,
            total_qty_ordered=sum(i.qty for i in items if i.parent_item_id is None),
            created_at=created_at,
            updated_at=updated_at,
        )
    )
    add_items(conn, order_id=order_id, items=items, created_at=created_at)
    conn.execute(
        insert(m.sales_order_payment).values(
            parent_id=order_id,
            method="paypal_express",
            amount_ordered=total,
            amount_paid=total if paid else 0,
        )
    )
    conn.execute(
        insert(m.sales_order_address).values(
            parent_id=order_id,
            address_type="billing",
            firstname=customer.first,
            lastname=customer.last,
            street="Musterweg 1",
            city="Hamburg",
            postcode="20095",
            country_id="DE",
            email=customer.address,
            telephone="+49 40 123456",
        )
    )
    if history is not None:
        conn.execute(
            insert(m.sales_order_status_history).values(
                parent_id=order_id,
                status=status,
                comment=history,
                is_customer_notified=1,
                created_at=created_at,
                entity_name="order",
            )
        )
