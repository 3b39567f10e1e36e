"""marketing/pricing.py: cheaper and dearer groups, their fill rates, and the advice rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketing.pricing import Sales, advice, position

D = Decimal


def test_groups_weigh_seats_not_courses() -> None:
    own = Sales(D("95.00"), seats=20, sold=9)
    similar = [
        Sales(D("69.00"), seats=10, sold=9),
        Sales(D("79.00"), seats=10, sold=8),
        Sales(D("99.00"), seats=10, sold=10),
        Sales(D("109.00"), seats=20, sold=5),
        Sales(None, seats=10, sold=10),  # no price: not compared
        Sales(D("95.00"), seats=10, sold=1),  # the same price: neither cheaper nor dearer
    ]
    result = position(own, similar)
    assert result.fill_rate == D("0.4500")
    assert result.median_price == D("95.00")  # of 69, 79, 95, 99, 109
    assert (result.cheaper, result.cheaper_fill) == (2, D("0.8500"))  # 17 of 20
    assert (result.dearer, result.dearer_fill) == (2, D("0.5000"))  # 15 of 30


@pytest.mark.parametrize(
    ("fill", "price", "cheaper_fill", "expected"),
    [
        (D("0.90"), D("80"), None, "raise"),  # full and not dearer than most
        (D("0.90"), D("120"), None, "fits"),  # full at a high price: it works
        (D("0.40"), D("120"), D("0.80"), "check_price"),  # cheaper ones sell, this one not
        (D("0.40"), D("120"), D("0.45"), "not_the_price"),  # everyone is empty
        (D("0.40"), D("80"), None, "not_the_price"),  # cheap and still empty
        (D("0.60"), D("100"), D("0.90"), "fits"),
        (None, D("100"), None, "no_dates"),
    ],
)
def test_advice(fill, price, cheaper_fill, expected) -> None:
    assert advice(fill=fill, price=price, median_price=D("100"), cheaper_fill=cheaper_fill) == (
        expected
    )


def test_no_similar_courses_no_comparison() -> None:
    result = position(Sales(D("50"), seats=10, sold=5), [])
    assert result.advice == "no_peers" and result.median_price is None
    assert result.cheaper == result.dearer == 0 and result.cheaper_fill is None
