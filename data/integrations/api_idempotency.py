"""Idempotency of the partner API's writes: the same `Idempotency-Key` gets the same answer.

`claim` reserves (key id, Idempotency-Key) before a write runs: a first request gets None and
runs; a repeat with the same fingerprint (method, path, query and body hashed) gets the stored
answer back; a repeat with a different fingerprint is refused, as is a repeat while the first
is still running. `finish` stores the answer of a successful write; `release` frees the claim
when the write failed, so a corrected retry may use the key again. Claims older than 24 hours
are forgotten (pruned when a new one is written).

No viewer: these rows belong to the API key that made the request (its id comes from the
checked credential), and the write itself runs through the scoped data functions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from core.clock import now_utc
from core.db import Databases
from core.errors import Refusal
from core.sql import insert_ignore
from core.validation import InvalidInput
from data.portal_schema import api_idempotency

KEEP = timedelta(hours=24)
MISMATCH = "partner_api.idempotency_mismatch"
IN_PROGRESS = "partner_api.idempotency_in_progress"


@dataclass(frozen=True)
class Stored:
    status: int
    body: object


def fingerprint(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def claim(
    db: Databases, *, key_id: int, idempotency_key: str, fingerprint: str, now: datetime | None
) -> Stored | None:
    """None: this request is the first with the key and must run (then `finish` or
    `release`); a `Stored` answer: replay it. Refuses a different request under the same key
    (InvalidInput, 422) and a repeat while the first still runs (Refusal, 409)."""
    now = now or now_utc()
    t = api_idempotency
    mine = (t.c.key_id == int(key_id), t.c.idempotency_key == idempotency_key)
    row = {
        "key_id": int(key_id),
        "idempotency_key": idempotency_key,
        "fingerprint": fingerprint,
        "created_at": now,
    }
    with db.portal.begin() as conn:
        conn.execute(delete(t).where(*mine, t.c.created_at < now - KEEP))
        if insert_ignore(conn, t, [row], index_elements=["key_id", "idempotency_key"]):
            conn.execute(delete(t).where(t.c.created_at < now - KEEP))
            return None
        found = conn.execute(select(t.c.fingerprint, t.c.status, t.c.response).where(*mine)).one()
    if found.fingerprint != fingerprint:
        raise InvalidInput(MISMATCH)
    if found.status is None:
        raise Refusal(IN_PROGRESS)
    return Stored(int(found.status), json.loads(found.response))


def finish(db: Databases, *, key_id: int, idempotency_key: str, status: int, body: object) -> None:
    t = api_idempotency
    with db.portal.begin() as conn:
        conn.execute(
            update(t)
            .where(t.c.key_id == int(key_id), t.c.idempotency_key == idempotency_key)
            .values(status=int(status), response=json.dumps(body))
        )


def release(db: Databases, *, key_id: int, idempotency_key: str) -> None:
    t = api_idempotency
    with db.portal.begin() as conn:
        conn.execute(
            delete(t).where(
                t.c.key_id == int(key_id),
                t.c.idempotency_key == idempotency_key,
                t.c.status.is_(None),
            )
        )
