"""Encrypting small secrets at rest (the TOTP secrets in miomente_totp).

AES-256-GCM under a key derived with HKDF-SHA256 from the portal's MIOMENTE_COOKIE_KEY
(`core.settings.load_signing_key`; demo mode has a fixed key) and a purpose string, so the
key that signs links is never used directly to encrypt, and each purpose gets its own key.
Why the cookie key: it is the one secret production must already set, and it lives outside
the portal database, so a copy of the database alone does not reveal anyone's second factor.
Rotating MIOMENTE_COOKIE_KEY makes the stored secrets unreadable: those users then sign in
with a recovery code or are reset by staff and enrol again.

The stored form is `v1.<base64url(nonce + ciphertext + tag)>`; the associated data (e.g. the
user id) binds a value to its row, so a secret copied to another user's row does not open.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.settings import load_signing_key

_VERSION = "v1"
_NONCE = 12


class SecretUnreadable(ValueError):
    """The stored value was altered, belongs elsewhere, or the key changed."""


def _key(purpose: str, key: str | None) -> bytes:
    material = (key or load_signing_key()).encode("utf-8")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"miomente:{purpose}".encode()
    ).derive(material)


def seal(plain: str, *, purpose: str, bound_to: str, key: str | None = None) -> str:
    nonce = os.urandom(_NONCE)
    box = AESGCM(_key(purpose, key)).encrypt(nonce, plain.encode("utf-8"), bound_to.encode())
    return f"{_VERSION}.{base64.urlsafe_b64encode(nonce + box).decode('ascii')}"


def open_sealed(sealed: str, *, purpose: str, bound_to: str, key: str | None = None) -> str:
    version, _, body = sealed.partition(".")
    if version != _VERSION or not body:
        raise SecretUnreadable("unknown format")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        plain = AESGCM(_key(purpose, key)).decrypt(raw[:_NONCE], raw[_NONCE:], bound_to.encode())
    except (InvalidTag, ValueError) as exc:
        raise SecretUnreadable("cannot decrypt") from exc
    return plain.decode("utf-8")
