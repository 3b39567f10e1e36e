"""One money rule: every amount becomes cents half-up, whatever form it arrives in.

The amounts below round differently under the four rules the code used before (four places
kept, no rounding, banker's rounding, half-up on the float's binary value); all of them now give
the commercial half-up cent, on screen, in exports and in the data layer alike.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pandas as pd
import pytest

from core import i18n, money
from core.csv_safe import number_formatter
from core.db import Databases
from core.table_export import frame_csv
from data.bookings import listing
from messaging.render import ENV
from tests.bookings.test_listing import ALPHA, booking, put

D = Decimal

# value -> the half-up cent; the comment names an old rule that said otherwise.
TRICKY = [
    ("0.125", "0.13"),  # banker's: 0.12; four places: 0.125
    ("0.135", "0.14"),  # four places / no rounding: 0.135
    ("2.675", "2.68"),  # half-up on the float's binary value: 2.67
    ("1.005", "1.01"),  # banker's and the float's binary value: 1.00
    ("-0.125", "-0.13"),  # symmetric: a correction is the exact negative (banker's: -0.12)
    ("0.12499", "0.12"),  # not rounded twice (0.12499 -> 0.125 -> 0.13 would be wrong)
    ("1234.5650", "1234.57"),  # banker's: 1234.56
]


@pytest.mark.parametrize(("value", "expected"), TRICKY)
@pytest.mark.parametrize("form", [str, float, D])
def test_every_form_rounds_half_up_to_the_cent(value: str, expected: str, form: type) -> None:
    result = money.to_money(form(value))
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, "0.00"), (0, "0.00"), (7, "7.00")])
def test_nothing_and_whole_numbers(value: object, expected: str) -> None:
    assert str(money.to_money(value)) == expected


def test_a_bool_is_not_an_amount() -> None:
    with pytest.raises(TypeError):
        money.to_money(True)


def test_places_kept_on_purpose_are_named() -> None:
    assert money.to_decimal(2.675) == D("2.675")  # exact: a unit price or quantity as read
    assert str(money.to_stored(0.12345)) == "0.1235"  # the databases' four places
    assert str(money.to_rate(19)) == "19.00" and str(money.to_rate(22.505)) == "22.51"
    assert money.to_rate(None, D("19")) == D("19")
    assert money.ratio(D(1), D(8)) == D("0.1250") and money.ratio(D(1), D(0)) is None
    assert money.is_cents(D("1.10")) and not money.is_cents(D("1.105"))


@pytest.mark.parametrize(("value", "expected"), TRICKY)
def test_a_shown_amount_uses_the_rule(value: str, expected: str) -> None:
    # Babel alone rounds half-even: 0.125 would show as 0,12 €.
    shown = i18n.money(D(value), "de")
    assert shown.replace("\xa0", " ").replace(".", "") == f"{expected.replace('.', ',')} €"


def test_an_exported_amount_uses_the_rule() -> None:
    assert number_formatter("de")(0.125) == "0,13"
    frame = pd.DataFrame({"Betrag": [D("1.005"), D("-0.125")]})
    rows = list(csv.reader(io.StringIO(frame_csv(frame).decode("utf-8-sig")), delimiter=";"))
    assert rows[1:] == [["1,01"], ["-0,13"]]


def test_a_mailed_amount_uses_the_rule() -> None:
    shown = ENV.from_string("{{ amount | money }}").render(amount=2.675, locale="de")
    assert shown == "2,68\xa0€"


def test_the_bookings_list_and_its_export_round_half_up(portal_databases: Databases) -> None:
    put(portal_databases, booking(1, gross="0.1250", refunded="0"))
    row = listing.list_bookings(ALPHA, portal_databases).rows.iloc[0]
    assert row["gross"] == D("0.13")
    out = io.BytesIO()
    listing.export_csv(ALPHA, portal_databases, out=out)
    assert "0,13" in out.getvalue().decode("utf-8-sig").splitlines()[1].split(";")
