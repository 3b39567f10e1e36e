"""Commission and VAT maths: half-up cents, lines that sum to totals, the three VAT cases."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from accounting import money
from accounting.model import (
    VAT_REVERSE_CHARGE,
    VAT_SMALL_BUSINESS,
    VAT_STANDARD,
    CreditNoteLine,
)
from core.money import to_money

D = Decimal


def _line(gross: str, rate: str = "25", vat: str = "19", item: int = 1) -> CreditNoteLine:
    g = to_money(D(gross))
    return CreditNoteLine(
        order_number=f"{item:09d}",
        item_id=item,
        event_date=date(2026, 10, 14),
        description="Pasta-Werkstatt",
        tickets=1,
        gross=g,
        vat_rate=D(vat),
        commission_rate=D(rate),
        commission_net=money.commission(g, D(rate)),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("2.675", "2.68"),  # a float would say 2.67
        ("-0.005", "-0.01"),  # symmetric: a correction is the exact negative
        ("1.115", "1.12"),
        ("10", "10.00"),
    ],
)
def test_cents_rounds_half_up(value: str, expected: str) -> None:
    assert to_money(D(value)) == D(expected)
    assert str(to_money(D(value))) == expected


def test_commission_per_line_half_up() -> None:
    assert money.commission(D("89.00"), D("25")) == D("22.25")
    assert money.commission(D("777.77"), D("20")) == D("155.55")  # 155.554
    assert money.commission(D("0.02"), D("25")) == D("0.01")  # 0.005 -> up
    assert money.commission(D("-0.02"), D("25")) == D("-0.01")


def test_vat_cases() -> None:
    assert money.vat_case("DE", "DE123456789", False) == VAT_STANDARD
    assert money.vat_case("DE", None, True) == VAT_SMALL_BUSINESS
    assert money.vat_case("AT", "ATU12345678", False) == VAT_REVERSE_CHARGE
    # Abroad without a VAT id, or outside the EU: no reverse charge.
    assert money.vat_case("AT", None, False) == VAT_STANDARD
    assert money.vat_case("CH", "CHE-123.456.789", False) == VAT_STANDARD
    assert money.vat_case(None, None, False) == VAT_STANDARD


def test_standard_case_totals() -> None:
    lines = [_line("178.00", item=1), _line("99.00", item=2), _line("89.00", item=3)]
    totals = money.settle(lines, VAT_STANDARD)
    assert totals.gross == D("366.00")
    assert totals.commission_net == D("91.50")
    assert totals.commission_vat_rate == D("19.00")
    assert totals.commission_vat == D("17.39")  # 17.385 half-up
    assert totals.commission_gross == D("108.89")
    assert totals.payout == D("257.11")
    (vat,) = totals.revenue_vat
    assert vat.rate == D("19.00") and vat.net + vat.vat == D("366.00")
    assert vat.net == D("307.56")


def test_small_business_has_no_partner_vat_but_commission_vat() -> None:
    lines = [_line("100.00", vat="0")]
    totals = money.settle(lines, VAT_SMALL_BUSINESS)
    assert totals.revenue_vat == ()
    assert totals.commission_vat == D("4.75")
    assert totals.payout == D("70.25")
    assert money.line_vat_rate(VAT_SMALL_BUSINESS, D("19")) == D("0")


def test_reverse_charge_commission_is_net() -> None:
    lines = [_line("100.00", vat="0")]
    totals = money.settle(lines, VAT_REVERSE_CHARGE)
    assert totals.revenue_vat == ()
    assert totals.commission_vat_rate == 0 and totals.commission_vat == 0
    assert totals.commission_gross == D("25.00")
    assert totals.payout == D("75.00")


def test_several_vat_rates_are_broken_down() -> None:
    lines = [_line("107.00", vat="7", item=1), _line("119.00", item=2)]
    totals = money.settle(lines, VAT_STANDARD)
    assert [(v.rate, v.net, v.vat) for v in totals.revenue_vat] == [
        (D("7.00"), D("100.00"), D("7.00")),
        (D("19.00"), D("100.00"), D("19.00")),
    ]


def test_lines_always_sum_to_totals() -> None:
    rng = random.Random(5)
    for case in (VAT_STANDARD, VAT_SMALL_BUSINESS, VAT_REVERSE_CHARGE):
        for _ in range(200):
            lines = [
                _line(
                    f"{rng.randint(-5000, 50000) / 100:.2f}",
                    rate=rng.choice(["15", "20", "22.5", "25", "30"]),
                    vat=rng.choice(["7", "19"]) if case == VAT_STANDARD else "0",
                    item=i,
                )
                for i in range(rng.randint(1, 30))
            ]
            totals = money.settle(lines, case)
            assert totals.gross == sum(line.gross for line in lines)
            assert totals.commission_net == sum(line.commission_net for line in lines)
            assert totals.commission_gross == totals.commission_net + totals.commission_vat
            assert totals.payout == totals.gross - totals.commission_gross
            assert sum(v.net + v.vat for v in totals.revenue_vat) == (
                totals.gross if case == VAT_STANDARD else 0
            )
            for amount in (totals.gross, totals.commission_vat, totals.payout):
                assert amount == to_money(amount)


def test_a_cancellation_is_the_exact_negative() -> None:
    lines = [_line("33.33", rate="22.5", item=1), _line("0.03", item=2)]
    negated = [
        CreditNoteLine(
            **{**line.__dict__, "gross": -line.gross, "commission_net": -line.commission_net}
        )
        for line in lines
    ]
    original = money.settle(lines, VAT_STANDARD)
    cancel = money.settle(negated, VAT_STANDARD)
    assert cancel.payout == -original.payout
    assert cancel.commission_vat == -original.commission_vat
    assert [money.commission(-line.gross, line.commission_rate) for line in lines] == [
        -line.commission_net for line in lines
    ]
