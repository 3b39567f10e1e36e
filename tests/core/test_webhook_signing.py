"""Standard Webhooks signatures: what core/webhook_signing.py signs, the reference library
(`standardwebhooks`) verifies; a tampered body, an old timestamp or a wrong secret fail."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core import webhook_signing as ws

BODY = b'{"type":"booking.confirmed","data":{"booking":{"item_id":5003}}}'


def _now() -> int:
    # The reference library checks the timestamp against its own clock (5 minutes).
    return int(time.time())


def test_a_new_secret_is_whsec_base64_of_32_bytes() -> None:
    secret = ws.new_secret()
    assert secret.startswith("whsec_")
    assert len(ws.secret_bytes(secret)) == 32
    assert ws.new_secret() != secret


def test_the_reference_library_verifies_our_signature() -> None:
    secret = ws.new_secret()
    signed = ws.headers([secret], msg_id="msg_1", timestamp=_now(), body=BODY)
    assert signed.signature.startswith("v1,")
    assert Webhook(secret).verify(BODY, signed.as_dict()) == {
        "type": "booking.confirmed",
        "data": {"booking": {"item_id": 5003}},
    }


def test_our_signature_equals_the_reference_signature() -> None:
    secret = ws.new_secret()
    stamp = 1_764_950_400
    expected = Webhook(secret).sign("msg_x", datetime.fromtimestamp(stamp, UTC), BODY)
    assert ws.sign(secret, msg_id="msg_x", timestamp=stamp, body=BODY) == expected


def test_a_tampered_body_fails() -> None:
    secret = ws.new_secret()
    signed = ws.headers([secret], msg_id="msg_2", timestamp=_now(), body=BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"5003", b"5004"), signed.as_dict())


def test_an_old_timestamp_fails() -> None:
    secret = ws.new_secret()
    old = _now() - 10 * 60
    signed = ws.headers([secret], msg_id="msg_3", timestamp=old, body=BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, signed.as_dict())
    with pytest.raises(ws.SignatureError):
        ws.verify(secret, msg_id="msg_3", timestamp=old, signature_header=signed.signature,
                  body=BODY, now=old + 301)  # fmt: skip


def test_a_wrong_secret_fails() -> None:
    signed = ws.headers([ws.new_secret()], msg_id="msg_4", timestamp=_now(), body=BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(ws.new_secret()).verify(BODY, signed.as_dict())


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = ws.new_secret(), ws.new_secret()
    signed = ws.headers([new, old], msg_id="msg_5", timestamp=_now(), body=BODY)
    assert len(signed.signature.split(" ")) == 2
    Webhook(old).verify(BODY, signed.as_dict())
    Webhook(new).verify(BODY, signed.as_dict())


def test_own_verify_accepts_a_fresh_signature() -> None:
    secret = ws.new_secret()
    signed = ws.headers([secret], msg_id="msg_6", timestamp=1000, body=BODY)
    ws.verify(secret, msg_id="msg_6", timestamp=1000, signature_header=signed.signature,
              body=BODY, now=1100)  # fmt: skip
    with pytest.raises(ws.SignatureError):
        ws.verify(secret, msg_id="msg_7", timestamp=1000, signature_header=signed.signature,
                  body=BODY, now=1100)  # fmt: skip


def test_no_secret_no_signature() -> None:
    with pytest.raises(ValueError):
        ws.headers([], msg_id="m", timestamp=1, body=b"")
