"""The public widget key: the address of a partner's booking widget in its embed code.

The key is not a secret (it stands in the partner's web page for anyone to read); it only
says which partner's public dates to show. A partner (or staff viewing as one) gets its key
with `widget_key` (made on first use) and may switch the widget off; `widget_partner` turns a
key from a request into the partner id, or None for an unknown or disabled key, and the public
service then reads as `Viewer.widget(partner_id)`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from core.clock import now_utc
from core.db import Databases
from core.sql import insert_ignore
from data.access.permissions import SETTINGS_WRITE, requires
from data.access.viewer import ScopeError, Viewer
from data.portal_schema import partners, widget_keys

# "pk_" and 24 URL-safe characters; anything else is not looked up at all.
KEY_PATTERN = re.compile(r"pk_[A-Za-z0-9_-]{16,32}")
NEEDS_PARTNER = "widget.needs_partner"


@dataclass(frozen=True)
class WidgetKey:
    partner_id: int
    public_key: str
    enabled: bool
    updated_at: datetime
    partner_name: str = ""  # filled by `widget_partner` (the widget shows it)


def _partner_of(viewer: Viewer) -> int:
    if viewer.partner_id is None:
        raise ScopeError(NEEDS_PARTNER)
    return viewer.partner_id


def _read(db: Databases, partner_id: int) -> WidgetKey | None:
    with db.portal.connect() as conn:
        row = (
            conn.execute(select(widget_keys).where(widget_keys.c.partner_id == partner_id))
            .mappings()
            .first()
        )
    if row is None:
        return None
    return WidgetKey(
        partner_id=row["partner_id"],
        public_key=row["public_key"],
        enabled=bool(row["enabled"]),
        updated_at=row["updated_at"],
    )


@requires(SETTINGS_WRITE)
def widget_key(viewer: Viewer, db: Databases, *, now: datetime | None = None) -> WidgetKey:
    """The viewer's partner's widget key, made on first use (two tabs at once make one)."""
    partner_id = _partner_of(viewer)
    found = _read(db, partner_id)
    if found is not None:
        return found
    viewer.require_writer()
    now = now or now_utc()
    row = {
        "partner_id": partner_id,
        "public_key": "pk_" + secrets.token_urlsafe(18),
        "enabled": True,
        "created_at": now,
        "updated_at": now,
    }
    with db.portal.begin() as conn:
        exists = conn.execute(
            select(partners.c.partner_id).where(partners.c.partner_id == partner_id)
        ).first()
        if exists is None:
            raise ScopeError("access.unknown_partner")
        insert_ignore(conn, widget_keys, [row], index_elements=["partner_id"])
    made = _read(db, partner_id)
    assert made is not None  # just written, or by the other tab
    return made


@requires(SETTINGS_WRITE)
def set_widget_enabled(
    viewer: Viewer, db: Databases, *, enabled: bool, now: datetime | None = None
) -> WidgetKey:
    """Switch the viewer's partner's widget on or off (off: its key answers "unknown")."""
    viewer.require_writer()
    current = widget_key(viewer, db, now=now)
    with db.portal.begin() as conn:
        conn.execute(
            update(widget_keys)
            .where(widget_keys.c.partner_id == current.partner_id)
            .values(enabled=bool(enabled), updated_at=now or now_utc())
        )
    made = _read(db, current.partner_id)
    assert made is not None
    return made


def widget_partner(db: Databases, *, key: str) -> WidgetKey | None:
    """The enabled, active partner a public key names, or None (unknown, disabled, malformed).

    No viewer: the key in the request is what names the partner (it is public, not a
    credential for anything but that partner's public dates).
    """
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        return None
    # The partner's name comes along: the widget's answer shows it, one query less per answer.
    query = (
        select(widget_keys, partners.c.name.label("partner_name"))
        .join(partners, partners.c.partner_id == widget_keys.c.partner_id)
        .where(
            widget_keys.c.public_key == key,
            widget_keys.c.enabled.is_(True),
            partners.c.active.is_(True),
        )
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return WidgetKey(
        partner_id=row["partner_id"],
        public_key=row["public_key"],
        enabled=True,
        updated_at=row["updated_at"],
        partner_name=row["partner_name"] or "",
    )
