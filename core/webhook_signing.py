"""Standard Webhooks signatures (https://www.standardwebhooks.com), pure and without I/O.

A secret is `whsec_` + base64 of 24–64 random bytes. A message is signed with
HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` and sent as `v1,<base64>`; during
a secret rotation the header carries one signature per valid secret, space-separated, so a
receiver that still holds the old secret (or already the new one) verifies either way.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

PREFIX = "whsec_"
SECRET_BYTES = 32
# How far a receiver tolerates a timestamp off its clock (the reference library's default).
TOLERANCE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """A header is missing, the timestamp is out of tolerance or no signature matches."""


def new_secret() -> str:
    """A fresh `whsec_…` secret (32 random bytes)."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a `whsec_` secret (the prefix is optional, as in the spec)."""
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    if not key:
        raise ValueError("empty webhook secret")
    return key


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of `body` under `secret`."""
    to_sign = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(secret_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class SignedHeaders:
    msg_id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            "webhook-id": self.msg_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": self.signature,
        }


def headers(secrets_: Sequence[str], *, msg_id: str, timestamp: int, body: bytes) -> SignedHeaders:
    """The three headers for a delivery, signed with every currently valid secret."""
    if not secrets_:
        raise ValueError("at least one secret is needed")
    signature = " ".join(sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in secrets_)
    return SignedHeaders(msg_id=msg_id, timestamp=int(timestamp), signature=signature)


def verify(
    secret: str,
    *,
    msg_id: str,
    timestamp: int,
    signature_header: str,
    body: bytes,
    now: int,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise SignatureError unless one of the header's signatures is ours and fresh."""
    if abs(int(now) - int(timestamp)) > tolerance:
        raise SignatureError("timestamp out of tolerance")
    expected = sign(secret, msg_id=msg_id, timestamp=timestamp, body=body).encode()
    if not any(hmac.compare_digest(expected, s.encode()) for s in signature_header.split(" ")):
        raise SignatureError("no matching signature")
