"""What counts as a partner's revenue: one rule for the revenue dashboard and the payouts.

A booked item (a row of the booking ledger, `miomente_bookings`) counts as revenue while its
booking status is *new*, *confirmed* or *completed*, with the amount the customer paid for it
less what was refunded (`gross - refunded`; a partial refund keeps the status, see
data/bookings/ledger.py). Rejected, cancelled and fully refunded items count nothing. The same
amount is what a payout settles for the item: when it changes after the item was paid out (refund,
cancellation), the difference becomes a correction line in the partner's next payout.

A payout settles the same amount, but only once the customer has paid: items of orders the
shop still holds as unpaid (states new, pending_payment, payment_review, holded) are payable
0 until the order is paid; the payout that follows then settles them (`payable_amount`).

Both the SQL form (`revenue_amount_sql`, for aggregates in the database) and the Python form
(`revenue_amount`, for rows already read) live here, so they cannot drift apart.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ColumnElement, Table, and_, case, literal, or_

from core.money import ZERO, to_decimal
from data.portal_schema import BOOKING_COMPLETED, BOOKING_CONFIRMED, BOOKING_NEW, bookings

# Booking statuses (data/bookings/ledger.py) whose items count as the partner's revenue.
REVENUE_STATUSES: tuple[str, ...] = (BOOKING_NEW, BOOKING_CONFIRMED, BOOKING_COMPLETED)


# Magento order states in which the customer has not (yet) paid.
UNPAID_ORDER_STATES: tuple[str, ...] = ("new", "pending_payment", "payment_review", "holded")


def counts_as_revenue(status: str | None) -> bool:
    return status in REVENUE_STATUSES


def revenue_amount(status: str | None, gross: Decimal | None, refunded: Decimal | None) -> Decimal:
    """The item's revenue now: gross less refunds while the status counts, else 0."""
    if not counts_as_revenue(status):
        return ZERO
    return to_decimal(gross) - to_decimal(refunded)


def revenue_filter(table: Table = bookings) -> ColumnElement[bool]:
    """WHERE clause: the ledger rows that count as revenue."""
    return table.c.status.in_(REVENUE_STATUSES)


def revenue_amount_sql(table: Table = bookings) -> ColumnElement:
    """SQL expression of `revenue_amount` for a ledger row (0 for rows that do not count)."""
    return case(
        (table.c.status.in_(REVENUE_STATUSES), table.c.gross - table.c.refunded),
        else_=literal(0),
    )


def payable_amount(
    status: str | None, order_state: str | None, gross: Decimal | None, refunded: Decimal | None
) -> Decimal:
    """What a payout settles for the item now: its revenue, once the order is paid."""
    if order_state in UNPAID_ORDER_STATES:
        return ZERO
    return revenue_amount(status, gross, refunded)


def payable_filter(table: Table = bookings) -> ColumnElement[bool]:
    """WHERE clause: the ledger rows a payout settles something for now."""
    state = table.c.order_state
    return and_(revenue_filter(table), or_(state.is_(None), state.not_in(UNPAID_ORDER_STATES)))


def payable_amount_sql(table: Table = bookings) -> ColumnElement:
    """SQL expression of `payable_amount` for a ledger row."""
    return case(
        (payable_filter(table), table.c.gross - table.c.refunded),
        else_=literal(0),
    )
