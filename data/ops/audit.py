"""The audit log: who did what to which record, written in the caller's transaction.

Every change a person (or the jobs sidecar, user 0) makes that someone may later ask about
writes one row here: `record` for one, `record_many` for a batch. The row commits or rolls
back with the change it describes, because the caller passes its own open connection.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert

from data.access.viewer import Viewer
from data.portal_schema import audit_log


@dataclass(frozen=True)
class Entry:
    """One audit row. `entity_id` is stored as text (ids of any table fit one column)."""

    action: str
    entity: str
    entity_id: object = None
    partner_id: int | None = None
    details: Mapping[str, object] | None = None
    note: str | None = None


def record(
    conn: Connection,
    actor: Viewer | int | None,
    *,
    action: str,
    entity: str,
    entity_id: object = None,
    partner_id: int | None = None,
    details: Mapping[str, object] | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """Write one audit row. `actor` is the viewer, or a bare user id where there is no
    viewer yet (a login). Without `now` the database stamps the row."""
    entry = Entry(action, entity, entity_id, partner_id, details, note)
    record_many(conn, actor, [entry], now=now)


def record_many(
    conn: Connection,
    actor: Viewer | int | None,
    entries: Iterable[Entry],
    *,
    now: datetime | None = None,
) -> None:
    """Write one audit row per entry, all by `actor` at `now`, in one executemany."""
    user_id = actor.user_id if isinstance(actor, Viewer) else actor
    rows = [_row(user_id, entry, now) for entry in entries]
    # Absent keys stay SQL NULL (a None for `details` would be stored as JSON null), so rows
    # of different shapes go in separate statements.
    for _, same_shape in itertools.groupby(rows, key=_shape):
        conn.execute(insert(audit_log), list(same_shape))


def _shape(row: dict[str, object]) -> tuple[str, ...]:
    return tuple(row)


def _row(user_id: int | None, entry: Entry, now: datetime | None) -> dict[str, object]:
    row: dict[str, object] = {
        "user_id": user_id,
        "partner_id": entry.partner_id,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": None if entry.entity_id is None else str(entry.entity_id),
    }
    if now is not None:
        row["at"] = now
    if entry.details is not None:
        row["details"] = dict(entry.details)
    if entry.note is not None:
        row["note"] = entry.note
    return row
