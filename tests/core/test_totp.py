"""TOTP codes and recovery codes: pure logic on a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp

from core import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AT = datetime(2026, 11, 25, 9, 0, 10)  # naive UTC, 10 s into a step


def _code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).generate_otp(totp.step_of(at))


def test_the_current_code_matches_its_step() -> None:
    assert totp.matching_step(SECRET, _code(AT), at=AT) == totp.step_of(AT)
    # As apps show it, with a space.
    spaced = _code(AT)[:3] + " " + _code(AT)[3:]
    assert totp.matching_step(SECRET, spaced, at=AT) == totp.step_of(AT)


def test_one_step_either_side_is_accepted_two_are_not() -> None:
    step = timedelta(seconds=30)
    assert totp.matching_step(SECRET, _code(AT - step), at=AT) == totp.step_of(AT) - 1
    assert totp.matching_step(SECRET, _code(AT + step), at=AT) == totp.step_of(AT) + 1
    assert totp.matching_step(SECRET, _code(AT - 2 * step), at=AT) is None
    assert totp.matching_step(SECRET, _code(AT + 2 * step), at=AT) is None


def test_garbage_is_no_code() -> None:
    for typed in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert totp.matching_step(SECRET, typed, at=AT) is None


def test_secret_uri_qr_and_groups() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and secret != totp.new_secret()
    uri = totp.provisioning_uri(secret, account="alpha")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert "issuer=Miomente" in uri
    assert totp.qr_svg(uri).startswith("<svg")
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"


def test_recovery_codes_are_ten_distinct_and_hashed_per_user() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert all(totp.looks_like_recovery(c) and not totp.looks_like_totp(c) for c in codes)
    first = codes[0]
    assert totp.recovery_hash(1, first) == totp.recovery_hash(1, first.upper().replace("-", " "))
    assert totp.recovery_hash(1, first) != totp.recovery_hash(2, first)
    text = totp.recovery_file(codes, account="alpha")
    assert all(c in text for c in codes)
