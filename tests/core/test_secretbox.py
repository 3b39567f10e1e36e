"""Sealed secrets: readable only with the same key, purpose and row."""

from __future__ import annotations

import pytest

from core.secretbox import SecretUnreadable, open_sealed, seal

KEY = "k" * 40


def test_round_trip_and_never_in_the_clear() -> None:
    sealed = seal("JBSWY3DPEHPK3PXP", purpose="totp", bound_to="10", key=KEY)
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert open_sealed(sealed, purpose="totp", bound_to="10", key=KEY) == "JBSWY3DPEHPK3PXP"
    assert seal("x", purpose="totp", bound_to="10", key=KEY) != seal(
        "x", purpose="totp", bound_to="10", key=KEY
    )


@pytest.mark.parametrize(
    "purpose, bound_to, key",
    [("totp", "20", KEY), ("other", "10", KEY), ("totp", "10", "j" * 40)],
)
def test_another_row_purpose_or_key_cannot_open_it(purpose: str, bound_to: str, key: str) -> None:
    sealed = seal("secret", purpose="totp", bound_to="10", key=KEY)
    with pytest.raises(SecretUnreadable):
        open_sealed(sealed, purpose=purpose, bound_to=bound_to, key=key)


def test_altered_or_foreign_values_are_refused() -> None:
    sealed = seal("secret", purpose="totp", bound_to="10", key=KEY)
    for bad in (sealed[:-2] + "AA", "v2." + sealed[3:], "garbage", ""):
        with pytest.raises(SecretUnreadable):
            open_sealed(bad, purpose="totp", bound_to="10", key=KEY)
