"""Shared input checks: addresses and phone numbers as Germans type them."""

from __future__ import annotations

import pytest

from core.validation import InvalidInput, email_list, is_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0151 234 567 89", "+4915123456789"),
        ("+49 (0)40 / 123-456", "+4940123456"),
        ("+49 40 12", None),
        ("0049 40 1234567", "+49401234567"),
        ("+43 664 1234567", "+436641234567"),
    ],
)
def test_phone_numbers_become_e164(raw: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput):
            normalize_phone(raw)
    else:
        assert normalize_phone(raw) == expected


@pytest.mark.parametrize("bad", ["", "12ab", "+0123", "0" * 40, "'; DROP TABLE x; --"])
def test_bad_phone_numbers_are_refused_with_a_key(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalize_phone(bad)
    assert err.value.key == "validation.phone"


def test_email_lists_are_split_deduplicated_and_checked() -> None:
    assert email_list("Team@Alpha.example; buchhaltung@alpha.example team@alpha.example") == [
        "team@alpha.example",
        "buchhaltung@alpha.example",
    ]
    assert email_list("") == []
    with pytest.raises(InvalidInput) as err:
        email_list("a@b.de, kaputt@")
    assert err.value.params == {"value": "kaputt@"}
    with pytest.raises(InvalidInput) as err:
        email_list(",".join(f"p{i}@x.de" for i in range(11)))
    assert err.value.key == "validation.too_many_emails"


def test_is_email_refuses_the_obvious() -> None:
    assert is_email("anna.müller@example.org") is False  # umlauts in local part: ask for ASCII
    assert is_email("anna@example.org")
    assert not is_email("anna@example")
    assert not is_email("a" * 250 + "@example.org")


@pytest.mark.parametrize("address", ["=cmd@x.de", "+sum@x.de", "-1@x.de", "@x@x.de"])
def test_an_address_a_spreadsheet_reads_as_a_formula_is_refused(address: str) -> None:
    assert not is_email(address)
    with pytest.raises(InvalidInput):
        email_list(address)


@pytest.mark.parametrize(
    ("text", "expected"), [("22,5", "22.5"), ("20", "20"), (" 7,25 ", "7.25"), ("0,04", "0.04")]
)
def test_amounts_are_ascii_digits_with_a_decimal_comma(text: str, expected: str) -> None:
    from decimal import Decimal

    from core.validation import parse_amount

    assert parse_amount(text, key="x.y") == Decimal(expected)


@pytest.mark.parametrize("text", ["٢٠", "1e1", "NaN", "Infinity", "1_000", "2,", "", "-5", "²"])
def test_other_numbers_are_refused(text: str) -> None:
    from core.validation import parse_amount

    with pytest.raises(InvalidInput) as refused:
        parse_amount(text, key="payouts.invalid_rate")
    assert refused.value.key == "payouts.invalid_rate"
