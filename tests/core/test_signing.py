"""Signed tokens: a token opens only its own value and purpose; altered, forged or foreign
tokens are refused; the key comes from MIOMENTE_COOKIE_KEY, with a fixed one only in demo mode."""

from __future__ import annotations

import pytest

from core import signing
from core.settings import DEMO_SIGNING_KEY, ConfigError, load_signing_key

KEY = "k" * 40


def test_a_token_carries_its_value_for_its_purpose_only() -> None:
    token = signing.sign("waitlist-unsubscribe", "42", key=KEY)
    assert token.startswith("42.")
    assert signing.verify("waitlist-unsubscribe", token, key=KEY) == "42"
    assert signing.verify("something-else", token, key=KEY) is None
    assert signing.verify("waitlist-unsubscribe", token, key="x" * 40) is None


@pytest.mark.parametrize("bad", ["", "42", "42.", ".abc", "43.{sig}", "42.{sig}x", "42.{sig}" * 20])
def test_altered_or_malformed_tokens_are_refused(bad: str) -> None:
    sig = signing.sign("p", "42", key=KEY).split(".")[1]
    assert signing.verify("p", bad.format(sig=sig), key=KEY) is None


def test_values_with_a_dot_cannot_be_signed() -> None:
    with pytest.raises(ValueError):
        signing.sign("p", "4.2", key=KEY)


def test_the_key_is_the_cookie_key_and_demo_mode_has_its_own(tmp_path) -> None:
    secrets = tmp_path / "none.toml"
    assert load_signing_key(secrets_path=secrets, env={"MIOMENTE_COOKIE_KEY": KEY}) == KEY
    assert load_signing_key(secrets_path=secrets, env={}) == DEMO_SIGNING_KEY
    production = {"MIOMENTE_MAGENTO_URL": "mysql://x", "MIOMENTE_PORTAL_URL": "postgresql://x"}
    with pytest.raises(ConfigError):
        load_signing_key(secrets_path=secrets, env=production)
