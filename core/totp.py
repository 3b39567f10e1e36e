"""Time-based one-time codes (RFC 6238) and recovery codes: pure logic, no I/O.

The portal uses the authenticator apps' defaults (SHA-1, 6 digits, 30 s steps), which every
app understands. A code is accepted in the current step and one step either side (±30 s of
clock drift between phone and server); which step matched is returned, so that the caller
can refuse the same code, or an older one, a second time.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
import secrets
from datetime import UTC, datetime

import pyotp
import segno

ISSUER = "Miomente Partner-Portal"
DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps either side of the current one
RECOVERY_CODES = 10
# Recovery codes: 10 characters of an alphabet without look-alikes (no 0/O, 1/l/I), shown as
# two groups of five. 31^10 ≈ 2^49.5: guessing one in the five tries before the lockout is hopeless.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 10
_CODE = re.compile(r"[0-9]{6}")  # ASCII only: \d would let "١٢٣٤٥٦" through


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, *, account: str) -> str:
    """The otpauth:// URI that the QR code carries."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an SVG document (dark on white, with its quiet zone)."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=4, xmldecl=False)
    return out.getvalue().decode("utf-8")


def normalise_code(code: str) -> str:
    """What the user typed, without spaces and dashes (apps show "123 456")."""
    return re.sub(r"[\s-]", "", code or "").lower()


def looks_like_totp(code: str) -> bool:
    return _CODE.fullmatch(normalise_code(code)) is not None


def step_of(moment: datetime) -> int:
    """The 30-second step a naive-UTC (or aware) moment falls in."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def matching_step(secret: str, code: str, *, at: datetime, window: int = WINDOW) -> int | None:
    """The step whose code `code` is (current ± window), or None. Compares in constant time."""
    typed = normalise_code(code)
    if _CODE.fullmatch(typed) is None:
        return None
    current = step_of(at)
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(code_at(secret, step), typed):
            found = step
    return found


def new_recovery_codes(n: int = RECOVERY_CODES) -> list[str]:
    """`n` distinct single-use codes, "abcde-fghij"."""
    codes: set[str] = set()
    while len(codes) < n:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.add(f"{raw[:5]}-{raw[5:]}")
    return sorted(codes)


def looks_like_recovery(code: str) -> bool:
    typed = normalise_code(code)
    return len(typed) == _RECOVERY_LENGTH and all(c in _RECOVERY_ALPHABET for c in typed)


def recovery_hash(user_id: int, code: str) -> str:
    """SHA-256 of the normalised code, salted with the user id: the table never holds a code.

    A fast hash is enough here: the codes are random with ~50 bits, not chosen by people."""
    typed = normalise_code(code)
    return hashlib.sha256(f"{user_id}:{typed}".encode()).hexdigest()


def recovery_file(codes: list[str], *, account: str) -> str:
    """The codes as the .txt download."""
    lines = [f"{ISSUER} – {account}", "", *codes, ""]
    return "\n".join(lines)
