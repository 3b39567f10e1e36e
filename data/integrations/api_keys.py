"""Partner-API keys: made, listed and revoked under Integrationen; checked by the public service.

A key is `mio_live_<8 letters or digits>_<43 URL-safe characters>`. Only its SHA-256 hash is
stored; the first part (`prefix`, e.g. `mio_live_ab12cd34`) stays visible so a partner can tell
its keys apart, and it is how a request's key is looked up (then the hashes are compared in
constant time). `create_key` answers with the secret once; nobody can read it again.

A key's scopes are permission names (data/access/permissions.py): the public service reads as
`key_viewer(...)`, a partner viewer of the key's partner narrowed to those permissions, and
the data functions' `@requires(...)` refuse what the key may not do. A write scope brings its
read scope along (changing a date reads it first).

Partners (with `team:manage`) see and revoke their own keys; staff see and revoke every key.
A revoked or expired key, or a key of an inactive partner, is unknown to the service.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import or_, select, update

from core.clock import naive_utc, now_utc
from core.db import Databases
from core.validation import InvalidInput
from data.access import scope
from data.access.permissions import (
    DATES_READ,
    DATES_WRITE,
    ORDERS_READ,
    REVIEWS_READ,
    TEAM_MANAGE,
    WAITLIST_READ,
    WAITLIST_WRITE,
    requires,
)
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import ROLE_PARTNER, api_keys, partners

# What a key may be given, in the order the page shows them.
KEY_SCOPES = (ORDERS_READ, DATES_READ, DATES_WRITE, REVIEWS_READ, WAITLIST_READ, WAITLIST_WRITE)
IMPLIED = {DATES_WRITE: DATES_READ, WAITLIST_WRITE: WAITLIST_READ}
# Lifetimes a key can be made with: days, or None for "never expires".
EXPIRIES: dict[str, int | None] = {"30d": 30, "1y": 365, "never": None}
PREFIX_START = "mio_live_"
KEY_PATTERN = re.compile(r"(mio_live_[a-z0-9]{8})_[A-Za-z0-9_-]{43}")
MAX_NAME = 80
MAX_KEYS = 50  # active keys per partner
# A request updates `last_used_at` at most this often (not a write per request).
TOUCH_EVERY = timedelta(minutes=1)

# No key id: a serial number would tell a partner how many keys others made. The prefix is
# what a partner recognises a key by, and what revoking names.
LIST_COLUMNS = [
    "partner_id",
    "partner",
    "name",
    "prefix",
    "scopes",
    "expires_at",
    "created_at",
    "last_used_at",
    "revoked_at",
]


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str  # the whole key: shown once, stored nowhere
    scopes: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class KeyUse:
    """A request's valid key: whose it is and as whom the service reads."""

    key_id: int
    prefix: str
    viewer: Viewer


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _scopes(given: object) -> tuple[str, ...]:
    chosen = set(given) if isinstance(given, list | tuple | set | frozenset) else set()
    unknown = [s for s in chosen if s not in KEY_SCOPES]
    if unknown or not chosen:
        raise InvalidInput("api_keys.scopes_invalid")
    chosen |= {IMPLIED[s] for s in chosen if s in IMPLIED}
    return tuple(s for s in KEY_SCOPES if s in chosen)


def _name(given: object) -> str:
    name = " ".join(str(given or "").split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("api_keys.name_invalid", n=MAX_NAME)
    return name


@requires(TEAM_MANAGE)
def create_key(
    viewer: Viewer,
    db: Databases,
    *,
    name: str,
    scopes: list[str] | tuple[str, ...],
    expiry: str = "1y",
    now: datetime | None = None,
) -> NewKey:
    """A new key of the viewer's partner (staff: only viewing as a partner); the secret is in
    the answer and nowhere else."""
    viewer.require_writer()
    if viewer.partner_id is None:
        raise ScopeError("api_keys.needs_partner")
    if expiry not in EXPIRIES:
        raise InvalidInput("api_keys.expiry_invalid")
    clean_name, chosen = _name(name), _scopes(scopes)
    now = naive_utc(now) if now else now_utc()
    days = EXPIRIES[expiry]
    expires_at = now + timedelta(days=days) if days is not None else None
    with db.portal.begin() as conn:
        known = conn.execute(
            select(partners.c.partner_id).where(partners.c.partner_id == viewer.partner_id)
        ).first()
        if known is None:
            raise ScopeError("access.unknown_partner")
        active = conn.execute(
            select(api_keys.c.key_id).where(
                api_keys.c.partner_id == viewer.partner_id, api_keys.c.revoked_at.is_(None)
            )
        ).all()
        if len(active) >= MAX_KEYS:
            raise InvalidInput("api_keys.too_many", n=MAX_KEYS)
        # 36^8 prefixes: a clash is astronomically rare, and the unique index would refuse it.
        prefix = PREFIX_START + "".join(
            secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8)
        )
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        conn.execute(
            api_keys.insert().values(
                partner_id=viewer.partner_id,
                name=clean_name,
                prefix=prefix,
                secret_hash=_hash(secret),
                scopes=" ".join(chosen),
                expires_at=expires_at,
                created_by=viewer.user_id or None,
                created_at=now,
            )
        )
    return NewKey(prefix, secret, chosen, expires_at)


@requires(TEAM_MANAGE)
def list_keys(viewer: Viewer, db: Databases, *, include_revoked: bool = False) -> pd.DataFrame:
    """The viewer's keys (staff who see all: every partner's), newest first; never a hash."""
    viewer.require_writer()  # the public widget reads nothing of a partner's keys
    k = api_keys
    query = (
        select(
            k.c.partner_id,
            partners.c.name.label("partner"),
            k.c.name,
            k.c.prefix,
            k.c.scopes,
            k.c.expires_at,
            k.c.created_at,
            k.c.last_used_at,
            k.c.revoked_at,
        )
        .join(partners, partners.c.partner_id == k.c.partner_id)
        .where(scope.partner_filter(k.c.partner_id, viewer))
        .order_by(k.c.created_at.desc(), k.c.prefix)
        .limit(1000)
    )
    if not include_revoked:
        query = query.where(k.c.revoked_at.is_(None))
    with db.portal.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["scopes"] = tuple(row["scopes"].split())
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


@requires(TEAM_MANAGE)
def revoke_key(viewer: Viewer, db: Databases, *, prefix: str, now: datetime | None = None) -> bool:
    """Revoke one of the viewer's keys (staff: any key) at once; False if it was revoked
    already. Another partner's key is "not found"."""
    viewer.require_writer()
    now = naive_utc(now) if now else now_utc()
    k = api_keys
    mine = (k.c.prefix == str(prefix)[:24], scope.partner_filter(k.c.partner_id, viewer))
    with db.portal.begin() as conn:
        if conn.execute(select(k.c.key_id).where(*mine)).first() is None:
            raise ScopeError("api_keys.not_found")
        done = conn.execute(
            update(k)
            .where(*mine, k.c.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=viewer.user_id or None)
        ).rowcount
    return bool(done)


def key_viewer(db: Databases, *, secret: str, now: datetime | None = None) -> KeyUse | None:
    """The key a request presents, if it is valid now (known, hash equal, not revoked, not
    expired, partner active), with the viewer the service reads as; else None.

    No viewer: the key is the credential that makes one."""
    match = KEY_PATTERN.fullmatch(secret) if isinstance(secret, str) else None
    if match is None:
        return None
    now = naive_utc(now) if now else now_utc()
    k = api_keys
    query = (
        select(k.c.key_id, k.c.partner_id, k.c.secret_hash, k.c.scopes, k.c.created_by)
        .add_columns(k.c.last_used_at)
        .join(partners, partners.c.partner_id == k.c.partner_id)
        .where(
            k.c.prefix == match.group(1),
            k.c.revoked_at.is_(None),
            or_(k.c.expires_at.is_(None), k.c.expires_at > now),
            partners.c.active.is_(True),
        )
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
        return None
    if row["last_used_at"] is None or row["last_used_at"] <= now - TOUCH_EVERY:
        with db.portal.begin() as conn:
            conn.execute(update(k).where(k.c.key_id == row["key_id"]).values(last_used_at=now))
    viewer = Viewer(
        user_id=int(row["created_by"] or 0),
        role=ROLE_PARTNER,
        partner_id=int(row["partner_id"]),
        permissions=frozenset(row["scopes"].split()),
    )
    return KeyUse(key_id=int(row["key_id"]), prefix=match.group(1), viewer=viewer)
