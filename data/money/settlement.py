"""Settlement start: from which course day on the portal settles a partner's items.

Items whose course day (Berlin) lies before the start were paid out outside the portal and
never enter a payout (data/money/payouts.py). The start is the later of the global
MIOMENTE_SETTLEMENT_START (core/settings) and the partner's own
`miomente_partners.settlement_start`, which staff set on the Partner page (audit-logged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update

from core.clock import now_utc
from core.db import Databases
from core.settings import load_accounting
from data.access import scope
from data.access.permissions import MONEY_READ, requires
from data.access.viewer import Viewer
from data.ops import audit
from data.portal_schema import partners

STAFF_ONLY = "access.commission_staff_only"


@dataclass(frozen=True)
class SettlementStart:
    own: date | None  # the partner's own start
    configured: date | None  # MIOMENTE_SETTLEMENT_START

    @property
    def effective(self) -> date | None:
        """The later of the two: the first course day a payout settles."""
        starts = [d for d in (self.own, self.configured) if d is not None]
        return max(starts) if starts else None


@requires(MONEY_READ)
def settlement_start(viewer: Viewer, db: Databases, *, partner_id: int) -> SettlementStart | None:
    """The partner's settlement start; None when the partner is not in the viewer's scope."""
    query = select(partners.c.partner_id, partners.c.settlement_start).where(
        partners.c.partner_id == partner_id,
        scope.partner_filter(partners.c.partner_id, viewer),
    )
    with db.portal.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return SettlementStart(own=row[1], configured=load_accounting().settlement_start)


@requires(MONEY_READ)
def set_settlement_start(
    viewer: Viewer,
    db: Databases,
    *,
    partner_id: int,
    start: date | None,
    now: datetime | None = None,
) -> bool:
    """Staff: set (or clear, None) the partner's own settlement start, audit-logged with the
    previous one. It applies to payouts computed from now on; approved ones stay as they are.
    False when the partner is not in the viewer's scope (nothing written)."""
    viewer.require_staff(STAFF_ONLY)
    now = now or now_utc()
    with db.portal.begin() as conn:
        key = (partners.c.partner_id == partner_id) & scope.partner_filter(
            partners.c.partner_id, viewer
        )
        # The UPDATE first: it locks the row, so the "previous" in the audit is the real one.
        found = conn.execute(
            update(partners).where(key).values(settlement_start=partners.c.settlement_start)
        ).rowcount
        if not found:
            return False
        previous = conn.execute(select(partners.c.settlement_start).where(key)).scalar()
        if previous == start:
            return True
        conn.execute(update(partners).where(key).values(settlement_start=start))
        audit.record(
            conn,
            viewer,
            action="settlement_start_set",
            entity="partner",
            entity_id=partner_id,
            partner_id=partner_id,
            details={
                "start": start.isoformat() if start else None,
                "previous": previous.isoformat() if previous else None,
            },
            now=now,
        )
    return True
