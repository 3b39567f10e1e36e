"""Price position: a course's price and fill rate against similar courses; pure, no I/O.

`position` groups the similar courses into cheaper and dearer ones and sums their seats
(the fill rate of a group is its sold seats over its seats, so a big course weighs more than
a small one), and `advice` picks one sentence of advice. The sentence is a suggestion for
the partner; nothing here or anywhere changes a price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import median

from core.money import ratio

FULL = Decimal("0.85")  # from here on a course sells out: the price could rise
LOW = Decimal("0.50")  # below this, seats stay empty
GAP = Decimal("0.10")  # a difference in fill rate that counts


@dataclass(frozen=True)
class Sales:
    price: Decimal | None
    seats: int  # seats of the dates in the window
    sold: int

    @property
    def fill_rate(self) -> Decimal | None:
        return ratio(Decimal(self.sold), Decimal(self.seats))


@dataclass(frozen=True)
class Position:
    price: Decimal | None
    fill_rate: Decimal | None
    median_price: Decimal | None
    cheaper: int  # similar courses with a lower price
    cheaper_fill: Decimal | None
    dearer: int
    dearer_fill: Decimal | None
    advice: str  # a locale key under marketing_more.advice_*


def _group_fill(group: Sequence[Sales]) -> Decimal | None:
    return ratio(Decimal(sum(s.sold for s in group)), Decimal(sum(s.seats for s in group)))


def advice(
    *,
    fill: Decimal | None,
    price: Decimal | None,
    median_price: Decimal | None,
    cheaper_fill: Decimal | None,
) -> str:
    """The advice's name: no_peers, no_dates, raise, check_price, not_the_price or fits."""
    if median_price is None or price is None:
        return "no_peers"
    if fill is None:
        return "no_dates"
    if fill >= FULL and price <= median_price:
        return "raise"
    cheaper_fuller = cheaper_fill is not None and cheaper_fill >= fill + GAP
    if fill < LOW and price > median_price and cheaper_fuller:
        return "check_price"
    if fill < LOW:
        return "not_the_price"
    return "fits"


def position(own: Sales, similar: Sequence[Sales]) -> Position:
    """Where `own` stands among the `similar` courses (those without a price are left out)."""
    prices = [(s.price, s) for s in similar if s.price is not None]
    middle = Decimal(median([p for p, _s in prices])) if prices else None
    price = own.price
    cheaper = [s for p, s in prices if price is not None and p < price]
    dearer = [s for p, s in prices if price is not None and p > price]
    cheaper_fill = _group_fill(cheaper)
    return Position(
        price=price,
        fill_rate=own.fill_rate,
        median_price=middle.quantize(Decimal("0.01")) if middle is not None else None,
        cheaper=len(cheaper),
        cheaper_fill=cheaper_fill,
        dearer=len(dearer),
        dearer_fill=_group_fill(dearer),
        advice=advice(
            fill=own.fill_rate, price=price, median_price=middle, cheaper_fill=cheaper_fill
        ),
    )
