"""Signed tokens for links that work without a login (e.g. leaving the waitlist).

A token is `<value>.<signature>`: the value (an id, in the clear) and the first 16 bytes of its
HMAC-SHA256 under the portal's signing key (`core.settings.load_signing_key`) and a purpose, so
a token made for one kind of link never opens another. Verifying compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from core.settings import load_signing_key

_SIGNATURE_BYTES = 16


def _signature(purpose: str, value: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode("ascii").rstrip("=")


def sign(purpose: str, value: str, *, key: str | None = None) -> str:
    """The token carrying `value` for `purpose` ('.' is not allowed in the value)."""
    if "." in value or not value:
        raise ValueError("a signed value must be non-empty and without '.'")
    return f"{value}.{_signature(purpose, value, key or load_signing_key())}"


def verify(purpose: str, token: str, *, key: str | None = None) -> str | None:
    """The value of a valid token for `purpose`, else None (forged, altered, malformed)."""
    value, dot, signature = (token or "").strip().partition(".")
    if not dot or not value or len(token) > 200:
        return None
    expected = _signature(purpose, value, key or load_signing_key())
    return value if hmac.compare_digest(expected, signature) else None
