"""Money: the one conversion to Decimal and the one rounding rule, half-up to the cent.

Every amount the portal shows, exports, stores or puts on a credit note is rounded here, the
German commercial way: half-up, symmetric for negative amounts (-0.125 -> -0.13, so a
correction is exactly the negative of what it corrects). Values arrive as Decimal (MariaDB,
PostgreSQL), float (SQLite sums NUMERIC as float), int, str (forms, JSON) or None (no row).
A float goes through its shortest text, which is the number the database stored: 2.675 is
2.675, not the binary 2.67499… that `Decimal(2.675)` would round down.

Places that deliberately keep more than cents say so by the function they call: `to_decimal`
(exact: quantities, unit prices, rates as read), `to_stored` (the databases' four places),
`to_rate` (a percentage with two places), `ratio` (a share or change as a fraction).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# The precision of amounts in Magento's and the portal's NUMERIC(…, 4) columns.
STORED_PLACES = Decimal("0.0001")
RATIO_PLACES = Decimal("0.0001")

Amount = Decimal | int | float | str | None


def to_decimal(value: Amount | object) -> Decimal:
    """The exact Decimal of a stored value, without rounding (None -> 0)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a bool is not an amount")
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(str(value).strip())


def to_money(value: Amount | object) -> Decimal:
    """An amount in cents, half-up (None -> 0.00)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_stored(value: Amount | object) -> Decimal:
    """An amount at the databases' four places (sums compared with stored figures)."""
    return to_decimal(value).quantize(STORED_PLACES, rounding=ROUND_HALF_UP)


def to_rate(value: Amount | object, default: Decimal = ZERO) -> Decimal:
    """A percentage with two places, half-up (25 -> 25.00); None -> `default`."""
    if value is None:
        return default
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part / whole` as a fraction with four places, half-up (None when `whole` is 0)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def is_cents(value: Decimal) -> bool:
    """Whether `value` has no fraction of a cent (a finite Decimal of sane size)."""
    return value == to_money(value)
