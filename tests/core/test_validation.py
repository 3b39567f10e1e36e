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
